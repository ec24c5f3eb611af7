"""Image sets with ``target: input``: the autoencode kind, whose targets are its own images."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from engine import Net, SpecError
from engine.datasets import IMAGE_KINDS, make_dataset, train_batches


def test_target_input_makes_each_split_its_own_flattened_targets() -> None:
    data = make_dataset("xo", n_samples=100, target="input", seed=3)
    labelled = make_dataset("xo", n_samples=100, seed=3)
    assert data.kind == "autoencode" and data.kind in IMAGE_KINDS
    assert data.num_classes == 0 and not data.is_classification
    assert data.class_names == labelled.class_names and data.input_shape == labelled.input_shape
    for X, y, X_labelled, y_labelled, labels in zip(
        (data.X_train, data.X_val, data.X_test),
        (data.y_train, data.y_val, data.y_test),
        (labelled.X_train, labelled.X_val, labelled.X_test),
        (labelled.y_train, labelled.y_val, labelled.y_test),
        data.labels,
        strict=True,
    ):
        assert y.dtype == np.float32 and y.shape == (len(X), 81)
        np.testing.assert_array_equal(y, X.reshape(len(X), -1))
        np.testing.assert_array_equal(X, X_labelled)  # same split and scaling as the labelled set
        np.testing.assert_array_equal(labels, y_labelled)


def test_an_autoencoder_trains_on_its_batches() -> None:
    data = make_dataset("xo", n_samples=60, target="input", normalize=False, seed=0)
    net = Net(
        [
            {"type": "input", "out_sx": 9, "out_sy": 9, "out_depth": 1},
            {"type": "fc", "num_neurons": 2},
            {"type": "regression", "num_neurons": 81},
        ],
        seed=0,
    )
    X_batch, y_batch = next(train_batches(data, 8, rng=np.random.default_rng(0)))
    np.testing.assert_array_equal(y_batch, X_batch.reshape(8, -1))
    assert np.isfinite(net.compute_gradients(X_batch, y_batch))


@pytest.mark.parametrize("option", [{"crop": 6}, {"flip": True}])
def test_target_input_refuses_crops_and_flips_naming_them(option: dict) -> None:
    with pytest.raises(SpecError, match="must be off when target is input") as caught:
        make_dataset("xo", target="input", **option)
    assert caught.value.path == tuple(option)


def test_target_must_be_label_or_input() -> None:
    with pytest.raises(SpecError, match="target") as caught:
        make_dataset("xo", target="pixels")
    assert caught.value.path == ("target",)


def test_a_file_of_vectors_cannot_be_autoencoded(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, X=np.zeros((20, 3)), y=np.arange(20) % 2)
    (tmp_path / "table.npz").write_bytes(buffer.getvalue())
    with pytest.raises(SpecError, match="only applies to images") as caught:
        make_dataset("npz", file="table.npz", data_dir=tmp_path, target="input")
    assert caught.value.path == ("target",)

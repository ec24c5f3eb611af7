"""TF Playground feature map, the user's clicked points, and the regression sets."""

from __future__ import annotations

import re

import numpy as np
import pytest

from engine.datasets import apply_features, feature_catalogue, make_dataset, regression
from engine.errors import SpecError


def test_feature_map_computes_every_playground_feature_in_the_requested_order() -> None:
    points = np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32)
    names = ["sinx2", "x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1"]
    mapped = apply_features(points, names)
    x1, x2 = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    expected = np.stack([np.sin(x2), x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1)], axis=1)
    assert mapped.dtype == np.float32 and mapped.shape == (2, 7)
    np.testing.assert_allclose(mapped, expected, rtol=1e-6)


def test_dataset_features_match_the_map_applied_to_its_raw_points() -> None:
    features = ["x1", "x2", "x1x2", "sinx1"]
    data = make_dataset("quadrants", n_samples=200, features=features, seed=0)
    assert data.features == tuple(features) and data.input_shape == (1, 1, 4)
    np.testing.assert_array_equal(data.X_train, apply_features(data.points_train, features))
    np.testing.assert_array_equal(data.X_test, apply_features(data.points_test, features))


def test_boundary_grid_goes_through_the_same_map() -> None:
    data = make_dataset("circle", features=["x1sq", "x2sq"], seed=0)
    xmin, xmax, ymin, ymax = data.extent
    gx, gy = np.meshgrid(np.linspace(xmin, xmax, 5), np.linspace(ymin, ymax, 5))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    mapped = apply_features(grid, data.features)
    assert mapped.shape == (25, 2)
    np.testing.assert_allclose(mapped[0], [9.0, 9.0])


def test_feature_map_rejects_unknown_names() -> None:
    with pytest.raises(SpecError, match="unknown feature 'x3'"):
        apply_features(np.zeros((1, 2)), ["x3"])


def test_feature_catalogue_lists_ids_and_labels() -> None:
    assert [item["id"] for item in feature_catalogue()] == [
        "x1",
        "x2",
        "x1sq",
        "x2sq",
        "x1x2",
        "sinx1",
        "sinx2",
    ]


def _clicked(n: int) -> list[list[float]]:
    rng = np.random.default_rng(0)
    return [[float(x), float(y), int(x > 0)] for x, y in rng.uniform(-2.5, 2.5, size=(n, 2))]


def test_points_dataset_keeps_the_users_points_and_splits_them() -> None:
    clicked = _clicked(40)
    data = make_dataset("points", points=clicked, test_fraction=0.25, seed=1)
    every = np.concatenate([data.points_train, data.points_test])
    labels = np.concatenate([data.y_train, data.y_test])
    given = np.array(clicked)
    order = np.lexsort(every.T[::-1])
    np.testing.assert_allclose(every[order], given[np.lexsort(given[:, :2].T[::-1]), :2], rtol=1e-6)
    assert sorted(labels.tolist()) == sorted(int(row[2]) for row in clicked)
    per_class = np.bincount(given[:, 2].astype(int))
    assert data.X_test.shape[0] == sum(count // 4 for count in per_class)  # stratified, floor(25 %)
    assert data.extent == (-3.0, 3.0, -3.0, 3.0)


@pytest.mark.parametrize(
    ("points", "path", "message"),
    [
        ("1,2,0", ("points",), "must be a list"),
        ([[0.0, 0.0, 0]], ("points",), "at least 2 points"),
        ([[0.0, 0.0, 0], [1.0, 1.0]], ("points", 1), r"must be \[x, y, label\]"),
        ([[0.0, 0.0, 0], [float("nan"), 1.0, 1]], ("points", 1, 0), "finite number"),
        ([[0.0, 0.0, 0], [1.0, "1", 1]], ("points", 1, 1), "finite number"),
        ([[0.0, 0.0, 0], [1.0, 1.0, 2]], ("points", 1, 2), "out of range for 2 classes"),
        ([[0.0, 0.0, 0], [1.0, 1.0, -1]], ("points", 1, 2), "class index"),
        ([[0.0, 0.0, 0], [1.0, 1.0, 0.5]], ("points", 1, 2), "class index"),
        ([[0.0, 0.0, 0], [1.0, 7.0, 1]], ("points", 1, 1), "outside the square"),
        ([[0.0, 0.0, 0]] * 2001, ("points",), "limit is 2000"),
    ],
)
def test_points_dataset_rejects_bad_points_naming_the_point(
    points: object, path: tuple, message: str
) -> None:
    with pytest.raises(SpecError, match=message) as caught:
        make_dataset("points", points=points)
    assert caught.value.path == path


def test_points_labels_may_use_more_classes_when_asked() -> None:
    clicked = [[0.0, 0.0, 0], [1.0, 1.0, 1], [2.0, 2.0, 2], [-1.0, 0.0, 2]]
    data = make_dataset("points", points=clicked, classes=3, test_fraction=0.0)
    assert data.num_classes == 3 and sorted(data.y_train.tolist()) == [0, 1, 2, 2]


def test_regress_plane_targets_follow_the_plane_at_zero_noise() -> None:
    data = make_dataset("regress_plane", n_samples=300, seed=0)
    assert data.kind == "regress2d" and data.num_classes == 0 and data.class_names == ()
    assert data.y_train.dtype == np.float32 and data.y_train.shape == (150, 1)
    expected = (data.points_train[:, 0] + data.points_train[:, 1]) / 6.0
    np.testing.assert_allclose(data.y_train[:, 0], expected, atol=1e-6)
    assert np.abs(data.y_train).max() <= 1.0


def test_regress_gauss_has_signed_bumps_at_their_centres() -> None:
    heights = regression.gauss_target(regression.GAUSS_BUMPS[:, :2])[:, 0]
    np.testing.assert_allclose(np.sign(heights), regression.GAUSS_BUMPS[:, 2])
    assert np.all(np.abs(heights) > 0.95)
    data = make_dataset("regress_gauss", n_samples=2000, seed=0)
    assert data.y_train.min() < -0.8 and data.y_train.max() > 0.8


def test_sine_is_x_sin_x_and_noise_spreads_the_targets() -> None:
    clean = make_dataset("sine", n_samples=500, seed=0)
    assert clean.kind == "regress1d" and clean.input_shape == (1, 1, 1) and clean.features == ("x",)
    x = clean.X_train[:, 0].astype(np.float64)
    np.testing.assert_allclose(clean.y_train[:, 0], x * np.sin(x), atol=1e-5)
    assert x.min() >= -5.0 and x.max() <= 5.0
    noisy = make_dataset("sine", n_samples=500, noise=0.5, seed=0)
    xn = noisy.X_train[:, 0].astype(np.float64)
    residual = noisy.y_train[:, 0] - xn * np.sin(xn)
    assert 0.4 < residual.std() < 0.6


def test_regression_noise_is_target_noise_and_deterministic() -> None:
    first = make_dataset("regress_plane", n_samples=400, noise=0.2, seed=5)
    again = make_dataset("regress_plane", n_samples=400, noise=0.2, seed=5)
    np.testing.assert_array_equal(first.y_train, again.y_train)
    residual = first.y_train[:, 0] - (first.points_train[:, 0] + first.points_train[:, 1]) / 6.0
    assert 0.15 < residual.std() < 0.25


def test_line_points_are_the_users_1d_regression_pairs() -> None:
    pairs = [[-4.0, 1.5], [0.0, -2.0], [1.25, 0.5], [4.5, 2.0]]
    data = make_dataset("line_points", points=pairs)
    assert (
        data.kind == "regress1d" and data.input_shape == (1, 1, 1) and data.extent == (-5.0, 5.0, -6.0, 3.0)
    )
    assert data.X_test.shape == (0, 1)  # every clicked point trains, as in ConvNetJS's demo
    got = sorted(zip(data.X_train[:, 0].tolist(), data.y_train[:, 0].tolist(), strict=True))
    assert got == sorted((x, y) for x, y in pairs)
    held = make_dataset("line_points", points=pairs, test_fraction=0.5, seed=1)
    assert len(held.X_train) == len(held.X_test) == 2


@pytest.mark.parametrize(
    ("points", "path", "message"),
    [
        ([[0.0, 1.0]], ("points",), "need at least 2 points"),
        ([[0.0, 1.0], [6.0, 0.0]], ("points", 1, 0), "x 6 is outside the plot window [-5, 5]"),
        ([[0.0, 1.0], [1.0, -7.0]], ("points", 1, 1), "y -7 is outside the plot window [-6, 3]"),
        ([[0.0, 1.0, 0], [1.0, 1.0]], ("points", 0), "must be [x, y]"),
        ([[0.0, float("nan")], [1.0, 1.0]], ("points", 0, 1), "must be a finite number"),
    ],
)
def test_line_points_reject_bad_pairs_naming_them(points: list, path: tuple, message: str) -> None:
    with pytest.raises(SpecError, match=re.escape(message)) as caught:
        make_dataset("line_points", points=points)
    assert caught.value.path == path

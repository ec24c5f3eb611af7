"""Geometry, balance, determinism and extents of the generated 2D classification sets."""

from __future__ import annotations

import numpy as np
import pytest

from engine.datasets import make_dataset, toy2d

TOY_SETS = (
    "quadrants", "rings", "three_mode", "circle", "xor", "gauss", "linear", "moons", "spiral", "multiclass"
)  # fmt: skip


def _all_points(name: str, **params: object) -> tuple[np.ndarray, np.ndarray]:
    data = make_dataset(name, **params)
    points = np.concatenate([data.points_train, data.points_val, data.points_test])
    labels = np.concatenate([data.y_train, data.y_val, data.y_test])
    return points.astype(np.float64), labels


def test_quadrants_labels_follow_the_sign_rule_at_zero_noise() -> None:
    points, labels = _all_points("quadrants", n_samples=2000, noise=0.0, seed=1)
    same_sign = points[:, 0] * points[:, 1] > 0
    np.testing.assert_array_equal(labels, np.where(same_sign, 0, 1))


def test_rings_labels_follow_the_radius_rule_at_zero_noise() -> None:
    points, labels = _all_points("rings", n_samples=2000, noise=0.0, seed=2)
    radius = np.hypot(points[:, 0], points[:, 1])
    in_ring = (radius >= 1.0 - 1e-5) & (radius <= 2.0 + 1e-5)
    np.testing.assert_array_equal(labels, np.where(in_ring, 0, 1))
    # "everything else" means both inside the ring and outside it
    outside = radius[labels == 1]
    assert (outside < 1.0).sum() > 20
    assert (outside > 2.0).sum() > 200


def test_three_mode_class_a_is_three_separate_blobs_and_b_everything_else() -> None:
    points, labels = _all_points("three_mode", n_samples=1500, noise=0.0, seed=3)
    near_mode = toy2d.distance_to_modes(points) <= toy2d.MODE_RADIUS + 1e-5
    np.testing.assert_array_equal(labels, np.where(near_mode, 0, 1))
    offsets = points[labels == 0][:, None, :] - toy2d.MODE_CENTRES[None]
    nearest = np.argmin((offsets**2).sum(axis=2), axis=1)
    assert np.bincount(nearest, minlength=3).tolist() == [250, 250, 250]


def test_circle_linear_and_xor_labels_follow_their_rules_at_zero_noise() -> None:
    points, labels = _all_points("circle", n_samples=1000, seed=4)
    radius = np.hypot(points[:, 0], points[:, 1])
    np.testing.assert_array_equal(labels, np.where(radius <= toy2d.CIRCLE_INNER + 1e-5, 0, 1))
    points, labels = _all_points("linear", n_samples=1000, seed=4)
    side = points @ toy2d.LINEAR_NORMAL
    np.testing.assert_array_equal(labels, np.where(side > 0, 0, 1))
    assert np.abs(side).min() >= toy2d.LINEAR_MARGIN - 1e-5
    points, labels = _all_points("xor", n_samples=1000, seed=4)
    np.testing.assert_array_equal(labels, np.where(points[:, 0] * points[:, 1] > 0, 0, 1))


def test_spiral_arms_each_hold_one_class() -> None:
    points, labels = _all_points("spiral", n_samples=900, classes=3, noise=0.0, seed=5)
    radius = np.hypot(points[:, 0], points[:, 1])
    angle = np.arctan2(points[:, 1], points[:, 0])
    # On arm k the angle is 2*pi*k/3 + 1.75*2*pi*(r / 2.8) modulo 2*pi.
    expected = np.mod(angle - 1.75 * 2 * np.pi * radius / 2.8, 2 * np.pi)
    arm = np.round(expected / (2 * np.pi / 3)) % 3
    np.testing.assert_array_equal(arm.astype(np.int64), labels)


def test_noise_moves_points_across_the_rule_boundary() -> None:
    points, labels = _all_points("quadrants", n_samples=2000, noise=0.5, seed=1)
    wrong = (points[:, 0] * points[:, 1] > 0) != (labels == 0)
    assert 0.02 < wrong.mean() < 0.3


@pytest.mark.parametrize("name", TOY_SETS)
def test_toy_set_classes_are_balanced(name: str) -> None:
    _, labels = _all_points(name, n_samples=601, noise=0.2, seed=0)
    counts = np.bincount(labels)
    assert counts.sum() == 601
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("name", TOY_SETS)
def test_toy_set_is_deterministic_by_seed_and_changes_with_it(name: str) -> None:
    first = make_dataset(name, n_samples=200, noise=0.3, seed=11)
    again = make_dataset(name, n_samples=200, noise=0.3, seed=11)
    other = make_dataset(name, n_samples=200, noise=0.3, seed=12)
    np.testing.assert_array_equal(first.X_train, again.X_train)
    np.testing.assert_array_equal(first.y_test, again.y_test)
    assert not np.array_equal(first.X_train, other.X_train)


@pytest.mark.parametrize("name", TOY_SETS)
def test_toy_set_points_lie_inside_its_extent(name: str) -> None:
    data = make_dataset(name, n_samples=1000, noise=0.5, seed=0)
    xmin, xmax, ymin, ymax = data.extent
    assert data.extent == (-3.0, 3.0, -3.0, 3.0)
    points = np.concatenate([data.points_train, data.points_test])
    assert points[:, 0].min() >= xmin and points[:, 0].max() <= xmax
    assert points[:, 1].min() >= ymin and points[:, 1].max() <= ymax


def test_toy_set_arrays_have_the_documented_dtypes_and_shapes() -> None:
    data = make_dataset("moons", n_samples=400, seed=0)
    assert data.kind == "classify2d"
    assert data.X_train.dtype == np.float32 and data.X_train.shape == (200, 2)
    assert data.y_train.dtype == np.int64 and data.y_train.shape == (200,)
    assert data.X_val.shape == (0, 2) and data.y_val.shape == (0,)
    assert data.input_shape == (1, 1, 2)
    assert data.class_names == ("A", "B") and data.num_classes == 2
    np.testing.assert_array_equal(data.X_train, data.points_train)


def test_multiclass_and_spiral_have_k_classes_named_by_letter() -> None:
    data = make_dataset("multiclass", classes=5, n_samples=500, seed=0)
    assert data.num_classes == 5 and data.class_names == ("A", "B", "C", "D", "E")
    assert set(np.unique(data.y_train)) == {0, 1, 2, 3, 4}
    assert make_dataset("spiral", classes=4, n_samples=400).num_classes == 4


def test_split_is_stratified_and_disjoint() -> None:
    data = make_dataset("gauss", n_samples=1000, test_fraction=0.3, val_fraction=0.1, seed=0)
    assert np.bincount(data.y_train).tolist() == [300, 300]
    assert np.bincount(data.y_val).tolist() == [50, 50]
    assert np.bincount(data.y_test).tolist() == [150, 150]
    every = np.concatenate([data.points_train, data.points_val, data.points_test])
    assert np.unique(every, axis=0).shape[0] == 1000


def test_seed_gives_the_same_points_on_every_machine() -> None:
    # Pinned values: PCG64 streams and the generators' arithmetic are platform independent, so a change
    # here means a change of data for every saved job spec.
    quadrants = make_dataset("quadrants", n_samples=20, noise=0.1, seed=42)
    np.testing.assert_allclose(
        quadrants.points_train[:3], [[0.638, -1.9936], [1.9605, 2.5314], [1.3167, -0.5187]], atol=1e-4
    )
    assert quadrants.y_train[:3].tolist() == [1, 0, 1]
    spiral = make_dataset("spiral", n_samples=20, noise=0.1, seed=42)
    np.testing.assert_allclose(
        spiral.points_train[:3], [[0.5266, -0.3436], [-1.3331, 1.6763], [-1.2536, -1.2757]], atol=1e-4
    )

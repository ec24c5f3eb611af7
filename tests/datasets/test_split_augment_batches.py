"""Splitting, augmentation (random crop, flip, centre crop) and the epoch-shuffling batch iterator."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.datasets import (
    Augmentation,
    BatchIterator,
    centre_crop,
    eval_batches,
    make_dataset,
    train_batches,
)
from engine.datasets.preprocess import random_crop, random_flip
from engine.datasets.split import split_indices
from engine.errors import SpecError


def test_split_indices_partition_the_set_with_stratified_floor_counts() -> None:
    labels = np.repeat([0, 1, 2], [10, 20, 30])
    train, val, test = split_indices(60, test_fraction=0.2, val_fraction=0.1, rng=np.random.default_rng(0),
                                     labels=labels)  # fmt: skip
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(60))
    assert np.bincount(labels[test]).tolist() == [2, 4, 6]
    assert np.bincount(labels[val]).tolist() == [1, 2, 3]


def test_split_keeps_a_training_example_of_every_class_at_the_largest_fractions() -> None:
    labels = np.array([0, 1, 1, 2, 2, 2])
    train, _, _ = split_indices(6, test_fraction=0.5, val_fraction=0.4, rng=np.random.default_rng(0),
                                labels=labels)  # fmt: skip
    assert set(labels[train].tolist()) == {0, 1, 2}


def test_random_crop_takes_windows_of_the_original_images() -> None:
    x = np.arange(2 * 1 * 6 * 6, dtype=np.float32).reshape(2, 1, 6, 6)
    crops = random_crop(x, 4, np.random.default_rng(0))
    assert crops.shape == (2, 1, 4, 4)
    for image, crop in zip(x, crops, strict=True):
        top, left = divmod(int(crop[0, 0, 0]) % 36, 6)
        np.testing.assert_array_equal(crop, image[:, top : top + 4, left : left + 4])


def test_random_crop_positions_vary_across_images() -> None:
    x = np.broadcast_to(np.arange(100, dtype=np.float32).reshape(1, 1, 10, 10), (50, 1, 10, 10))
    corners = random_crop(np.ascontiguousarray(x), 6, np.random.default_rng(1))[:, 0, 0, 0]
    assert np.unique(corners).size > 8


def test_random_flip_mirrors_about_half_the_images() -> None:
    x = np.random.default_rng(0).random((400, 2, 3, 5)).astype(np.float32)
    flipped = random_flip(x, np.random.default_rng(1))
    mirrored = np.all(flipped == x[:, :, :, ::-1], axis=(1, 2, 3))
    unchanged = np.all(flipped == x, axis=(1, 2, 3))
    assert np.all(mirrored ^ unchanged)
    assert 150 < mirrored.sum() < 250


def test_centre_crop_takes_the_middle() -> None:
    x = np.arange(28 * 28, dtype=np.float32).reshape(1, 1, 28, 28)
    np.testing.assert_array_equal(centre_crop(x, 24), x[:, :, 2:26, 2:26])


def test_batch_iterator_visits_every_example_once_per_epoch_in_a_new_order() -> None:
    X = np.arange(10, dtype=np.float32)[:, None]
    y = np.arange(10)
    batches = BatchIterator(X, y, 4, rng=np.random.default_rng(0))
    first = [yb for _, yb in batches.one_epoch()]
    second = [yb for _, yb in batches.one_epoch()]
    assert [len(b) for b in first] == [4, 4, 2]
    assert sorted(np.concatenate(first).tolist()) == list(range(10))
    assert sorted(np.concatenate(second).tolist()) == list(range(10))
    assert not np.array_equal(np.concatenate(first), np.concatenate(second))
    assert batches.epoch == 1 and batches.step == 6 and batches.batches_per_epoch == 3


def test_batch_iterator_copies_only_the_batch_rows() -> None:
    X = np.zeros((1000, 3), dtype=np.float32)
    batches = BatchIterator(X, np.zeros(1000, dtype=np.int64), 8, rng=np.random.default_rng(0))
    Xb, yb = next(batches)
    assert Xb.shape == (8, 3) and yb.shape == (8,)
    assert not np.shares_memory(Xb, X) and Xb.nbytes == 8 * 3 * 4


def test_batch_iterator_rejects_a_bad_batch_size() -> None:
    with pytest.raises(SpecError) as caught:
        BatchIterator(np.zeros((4, 2)), np.zeros(4), 0, rng=np.random.default_rng(0))
    assert caught.value.path == ("batch_size",)


def test_train_batches_apply_the_datasets_crop_and_flip() -> None:
    data = make_dataset("xo", n_samples=64, size=14, crop=10, flip=True, seed=0)
    Xb, yb = next(train_batches(data, 16, rng=np.random.default_rng(0)))
    assert Xb.shape == (16, 1, 10, 10) and yb.shape == (16,)
    assert data.augmentation == Augmentation(crop=10, flip=True)


def test_eval_batches_are_in_order_views() -> None:
    X = np.arange(7, dtype=np.float32)[:, None]
    parts = list(eval_batches(X, np.arange(7), 3))
    assert [p[1].tolist() for p in parts] == [[0, 1, 2], [3, 4, 5], [6]]
    assert np.shares_memory(parts[0][0], X)


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(st.integers(0, 4), min_size=1, max_size=80),
    test_fraction=st.floats(0.0, 0.9),
    val_share=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_split_is_a_partition_that_trains_on_every_class(
    labels: list[int], test_fraction: float, val_share: float, seed: int
) -> None:
    y = np.array(labels)
    val_fraction = (0.9 - test_fraction) * val_share
    parts = split_indices(y.size, test_fraction=test_fraction, val_fraction=val_fraction,
                          rng=np.random.default_rng(seed), labels=y)  # fmt: skip
    assert sorted(np.concatenate(parts).tolist()) == list(range(y.size))
    assert set(y[parts[0]].tolist()) == set(labels)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 50), batch_size=st.integers(1, 20), epochs=st.integers(1, 3))
def test_batch_iterator_sees_each_example_once_per_epoch(n: int, batch_size: int, epochs: int) -> None:
    batches = BatchIterator(np.arange(n)[:, None], np.arange(n), batch_size, rng=np.random.default_rng(n))
    for _ in range(epochs):
        seen = np.concatenate([yb for _, yb in batches.one_epoch()])
        assert sorted(seen.tolist()) == list(range(n))
    assert batches.step == epochs * batches.batches_per_epoch

"""From generated or loaded arrays to a split `Dataset`: split, feature map, scaling, crop.

Every builder draws its split from the same `rng` the generator used, after it, so a seed fixes both
the points and which of them are held out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from engine.datasets.dataset import Dataset
from engine.datasets.features import apply_features
from engine.datasets.painting import paint_examples
from engine.datasets.preprocess import Augmentation, centre_crop, channel_stats, normalise
from engine.datasets.split import split_indices
from engine.errors import SpecError

Extent = tuple[float, float, float, float]


def class_letters(n_classes: int) -> tuple[str, ...]:
    """Names of 2D classes: A, B, C, ..."""
    return tuple(chr(ord("A") + k) for k in range(n_classes))


def _split(n: int, params: Mapping[str, Any], rng: np.random.Generator, labels: np.ndarray | None) -> tuple:
    return split_indices(
        n, test_fraction=params["test_fraction"], val_fraction=params["val_fraction"], rng=rng, labels=labels
    )


def points_dataset(
    name: str,
    points: np.ndarray,
    targets: np.ndarray,
    params: Mapping[str, Any],
    rng: np.random.Generator,
    *,
    extent: Extent,
    class_names: tuple[str, ...] = (),
) -> Dataset:
    """A 2D set: classification when `class_names` is given (targets: (N,) labels), else regression
    (targets: (N, 1)). points: (N, 2) raw coordinates, mapped through ``params["features"]``."""
    classify = bool(class_names)
    splits = _split(points.shape[0], params, rng, targets if classify else None)
    features = params["features"]
    raw = [points[idx].astype(np.float32) for idx in splits]
    X = [apply_features(part, features) for part in raw]
    y = [targets[idx].astype(np.int64 if classify else np.float32) for idx in splits]
    return Dataset(
        name=name,
        kind="classify2d" if classify else "regress2d",
        X_train=X[0],
        y_train=y[0],
        X_val=X[1],
        y_val=y[1],
        X_test=X[2],
        y_test=y[2],
        input_shape=(1, 1, len(features)),
        num_classes=len(class_names),
        class_names=class_names,
        extent=extent,
        features=features,
        points_train=raw[0],
        points_val=raw[1],
        points_test=raw[2],
        params=dict(params),
    )


def line_dataset(
    name: str,
    x: np.ndarray,
    targets: np.ndarray,
    params: Mapping[str, Any],
    rng: np.random.Generator,
    *,
    extent: Extent,
) -> Dataset:
    """A 1D regression set: x: (N, 1) inputs, targets: (N, 1); X is x itself, features ("x",)."""
    splits = _split(x.shape[0], params, rng, None)
    X = [x[idx].astype(np.float32) for idx in splits]
    y = [targets[idx].astype(np.float32) for idx in splits]
    return Dataset(
        name=name,
        kind="regress1d",
        X_train=X[0],
        y_train=y[0],
        X_val=X[1],
        y_val=y[1],
        X_test=X[2],
        y_test=y[2],
        input_shape=(1, 1, 1),
        num_classes=0,
        class_names=(),
        extent=extent,
        features=("x",),
        points_train=X[0],
        points_val=X[1],
        points_test=X[2],
        params=dict(params),
    )


def _augmentation(params: Mapping[str, Any], height: int, width: int) -> Augmentation:
    crop = params.get("crop", 0)
    if crop > min(height, width):
        raise SpecError(f"crop: must be at most the image size {min(height, width)}, got {crop}", ("crop",))
    return Augmentation(crop=crop, flip=params.get("flip", False))


def _split_normalised(
    X: np.ndarray, y: np.ndarray, params: Mapping[str, Any], rng: np.random.Generator
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], np.ndarray | None, np.ndarray | None]:
    """Split X (N, ...), y (N,) into train/val/test and, when ``normalize`` is on (the default),
    standardise every part with the training split's per-channel mean and std (C,)."""
    train, val, test = _split(X.shape[0], params, rng, y)
    parts = (X[train], X[val], X[test])
    mean = std = None
    if params.get("normalize", True):
        mean, std = channel_stats(parts[0])
        parts = tuple(normalise(part, mean, std) for part in parts)
    return parts, (y[train], y[val], y[test]), mean, std


def image_dataset(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    class_names: tuple[str, ...],
    params: Mapping[str, Any],
    rng: np.random.Generator,
) -> Dataset:
    """An image set: X: (N, C, H, W) float32 in [0, 1], y: (N,) labels; split, normalised, centre-cropped.
    With ``params["target"] == "input"`` it is an autoencode set (see `autoencode_dataset`)."""
    if params.get("target") == "input":
        return autoencode_dataset(name, X, y, class_names, params, rng)
    _, channels, height, width = X.shape
    augmentation = _augmentation(params, height, width)
    (X_train, X_val, X_test), (y_train, y_val, y_test), mean, std = _split_normalised(X, y, params, rng)
    if augmentation.crop:
        X_val, X_test = centre_crop(X_val, augmentation.crop), centre_crop(X_test, augmentation.crop)
    side_y, side_x = (augmentation.crop, augmentation.crop) if augmentation.crop else (height, width)
    return Dataset(
        name=name,
        kind="image",
        X_train=X_train,
        y_train=y_train,
        X_val=X_val,
        y_val=y_val,
        X_test=X_test,
        y_test=y_test,
        input_shape=(side_x, side_y, channels),
        num_classes=len(class_names),
        class_names=class_names,
        augmentation=augmentation,
        norm_mean=_as_tuple(mean),
        norm_std=_as_tuple(std),
        params=dict(params),
    )


def autoencode_dataset(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    class_names: tuple[str, ...],
    params: Mapping[str, Any],
    rng: np.random.Generator,
) -> Dataset:
    """An image set whose targets are its images: X: (N, C, H, W) float32 in [0, 1], y: (N,) labels
    (kept in ``labels``); the targets are each split's X, normalised as X is, flattened to (N, C*H*W)."""
    for option in ("crop", "flip"):
        if params.get(option):
            raise SpecError(
                f"{option}: must be off when target is input (the target is the very image the net sees)",
                (option,),
            )
    images = image_dataset(name, X, y, class_names, {**params, "target": "label"}, rng)
    splits = (images.X_train, images.X_val, images.X_test)
    targets = [part.reshape(part.shape[0], -1) for part in splits]  # views of X
    return replace(
        images,
        kind="autoencode",
        y_train=targets[0],
        y_val=targets[1],
        y_test=targets[2],
        num_classes=0,
        labels=(images.y_train, images.y_val, images.y_test),
        params=dict(params),
    )


def vector_dataset(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    class_names: tuple[str, ...],
    params: Mapping[str, Any],
    rng: np.random.Generator,
) -> Dataset:
    """A set of plain feature vectors: X: (N, D) float32, y: (N,) labels; normalised per feature."""
    for option in ("crop", "flip"):
        if params.get(option):
            raise SpecError(
                f"{option}: only applies to images, and this file holds (N, D) vectors", (option,)
            )
    if params.get("target") == "input":
        raise SpecError(
            "target: input only applies to images, and this file holds (N, D) vectors", ("target",)
        )
    (X_train, X_val, X_test), (y_train, y_val, y_test), mean, std = _split_normalised(X, y, params, rng)
    return Dataset(
        name=name,
        kind="vector",
        X_train=X_train,
        y_train=y_train,
        X_val=X_val,
        y_val=y_val,
        X_test=X_test,
        y_test=y_test,
        input_shape=(1, 1, X.shape[1]),
        num_classes=len(class_names),
        class_names=class_names,
        norm_mean=_as_tuple(mean),
        norm_std=_as_tuple(std),
        params=dict(params),
    )


def _as_tuple(values: np.ndarray | None) -> tuple[float, ...] | None:
    return None if values is None else tuple(float(v) for v in values)


def painting_dataset(
    name: str, pixels: np.ndarray, params: Mapping[str, Any], rng: np.random.Generator
) -> Dataset:
    """A painting set: every pixel of `pixels` (H, W, 3) uint8 one example, X (N, 2) coordinates, y (N, 3)
    colours (`painting.paint_examples`), split at random (by default everything trains)."""
    X, y = paint_examples(pixels)
    train, val, test = _split(X.shape[0], params, rng, None)
    pixels = pixels.copy()
    pixels.setflags(write=False)
    return Dataset(
        name=name,
        kind="painting",
        X_train=X[train],
        y_train=y[train],
        X_val=X[val],
        y_val=y[val],
        X_test=X[test],
        y_test=y[test],
        input_shape=(1, 1, 2),
        num_classes=0,
        class_names=(),
        features=("x", "y"),
        params=dict(params),
        picture=pixels,
    )

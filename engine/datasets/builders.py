"""Build functions of the catalogue entries: validated parameters (+ data dir) -> `Dataset`.

Each takes the parameter dict that `params.check_params` produced; the cross-parameter checks (the
two fractions, labels against ``classes``, crop against the image size) happen here, with the
offending parameter named.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from engine.datasets import bundled, regression, toy2d
from engine.datasets.assemble import (
    class_letters,
    image_dataset,
    line_dataset,
    painting_dataset,
    points_dataset,
    vector_dataset,
)
from engine.datasets.dataset import Dataset
from engine.datasets.idx import load_idx
from engine.datasets.images import SHAPE_CLASSES, XO_CLASSES, make_shapes, make_xo
from engine.datasets.imagezip import load_image_zip
from engine.datasets.npzfile import load_npz
from engine.datasets.painting import load_picture
from engine.datasets.sources import Loaded
from engine.errors import SpecError

Params = Mapping[str, Any]
Builder = Callable[[Params, "Path | None"], Dataset]
MAX_TRAIN_FRACTION_SUM = 0.9
# n_samples * size * size of a generated image set: 80 MB of float32.
MAX_GENERATED_PIXELS = 20_000_000


def _rng(params: Params) -> np.random.Generator:
    total = params["test_fraction"] + params["val_fraction"]
    if total > MAX_TRAIN_FRACTION_SUM:
        raise SpecError(
            f"val_fraction: test_fraction + val_fraction must be at most {MAX_TRAIN_FRACTION_SUM:g}, "
            f"got {params['test_fraction']:g} + {params['val_fraction']:g}",
            ("val_fraction",),
        )
    return np.random.default_rng(params["seed"])


def toy_builder(
    name: str, make: Callable[..., tuple[np.ndarray, np.ndarray]], *, with_classes: bool
) -> Builder:
    """Builder of a generated 2D classification set (`make` from `toy2d`)."""

    def build(params: Params, data_dir: Path | None) -> Dataset:
        rng = _rng(params)
        extra = {"classes": params["classes"]} if with_classes else {}
        points, labels = make(params["n_samples"], noise=params["noise"], rng=rng, **extra)
        names = class_letters(params["classes"] if with_classes else 2)
        return points_dataset(name, points, labels, params, rng, extent=toy2d.EXTENT, class_names=names)

    return build


def regression_builder(name: str, make: Callable[..., tuple[np.ndarray, np.ndarray]]) -> Builder:
    """Builder of a generated 2D regression set (`make` from `regression`)."""

    def build(params: Params, data_dir: Path | None) -> Dataset:
        rng = _rng(params)
        points, targets = make(params["n_samples"], noise=params["noise"], rng=rng)
        return points_dataset(name, points, targets, params, rng, extent=toy2d.EXTENT)

    return build


def build_sine(params: Params, data_dir: Path | None) -> Dataset:
    rng = _rng(params)
    x, targets = regression.make_sine(params["n_samples"], noise=params["noise"], rng=rng)
    return line_dataset("sine", x, targets, params, rng, extent=regression.SINE_EXTENT)


def build_line_points(params: Params, data_dir: Path | None) -> Dataset:
    """The user's clicked (x, y) pairs of a 1D regression, inside the sine set's plot window."""
    rng = _rng(params)
    pairs = params["points"]
    if len(pairs) < 2:
        raise SpecError(f"points: need at least 2 points, got {len(pairs)}", ("points",))
    window = regression.SINE_EXTENT
    for index, pair in enumerate(pairs):
        for axis, (value, lo, hi) in enumerate(zip(pair, window[::2], window[1::2], strict=True)):
            if not lo <= value <= hi:
                name = "x" if axis == 0 else "y"
                raise SpecError(
                    f"points[{index}]: {name} {value:g} is outside the plot window [{lo:g}, {hi:g}]",
                    ("points", index, axis),
                )
    array = np.array(pairs, dtype=np.float64)
    return line_dataset("line_points", array[:, :1], array[:, 1:], params, rng, extent=window)


def build_points(params: Params, data_dir: Path | None) -> Dataset:
    """The user's clicked points: labels must be < classes and points inside the square."""
    rng = _rng(params)
    points = params["points"]
    if len(points) < 2:
        raise SpecError(f"points: need at least 2 points, got {len(points)}", ("points",))
    for index, (x, y, label) in enumerate(points):
        if label >= params["classes"]:
            raise SpecError(
                f"points[{index}]: label {label} is out of range for {params['classes']} classes",
                ("points", index, 2),
            )
        for axis, value in enumerate((x, y)):
            if abs(value) > toy2d.HALF_WIDTH:
                raise SpecError(
                    f"points[{index}]: {value:g} is outside the square "
                    f"[-{toy2d.HALF_WIDTH:g}, {toy2d.HALF_WIDTH:g}]",
                    ("points", index, axis),
                )
    array = np.array(points, dtype=np.float64)
    names = class_letters(params["classes"])
    labels = array[:, 2].astype(np.int64)
    return points_dataset("points", array[:, :2], labels, params, rng, extent=toy2d.EXTENT, class_names=names)


def _check_generated_size(params: Params) -> None:
    pixels = params["n_samples"] * params["size"] ** 2
    if pixels > MAX_GENERATED_PIXELS:
        raise SpecError(
            f"n_samples: {params['n_samples']} images of {params['size']}x{params['size']} "
            f"is {pixels:,} pixels, the limit is {MAX_GENERATED_PIXELS:,}",
            ("n_samples",),
        )


def build_xo(params: Params, data_dir: Path | None) -> Dataset:
    _check_generated_size(params)
    rng = _rng(params)
    X, y = make_xo(params["n_samples"], size=params["size"], noise=params["noise"], rng=rng)
    return image_dataset("xo", X, y, XO_CLASSES, params, rng)


def build_shapes(params: Params, data_dir: Path | None) -> Dataset:
    _check_generated_size(params)
    rng = _rng(params)
    X, y = make_shapes(
        params["n_samples"], size=params["size"], classes=params["classes"], noise=params["noise"], rng=rng
    )
    return image_dataset("shapes", X, y, SHAPE_CLASSES[: params["classes"]], params, rng)


def bundled_builder(name: str, load: Callable[[], tuple[np.ndarray, np.ndarray]]) -> Builder:
    """Builder of a package-bundled image set, optionally a random subset of n_samples images."""

    def build(params: Params, data_dir: Path | None) -> Dataset:
        rng = _rng(params)
        X, y = load()
        if params["n_samples"] < X.shape[0]:
            keep = np.sort(rng.permutation(X.shape[0])[: params["n_samples"]])
            X, y = X[keep], y[keep]
        return image_dataset(name, X, y, bundled.DIGIT_NAMES, params, rng)

    return build


def _need_data_dir(data_dir: Path | None, field: str) -> Path:
    if data_dir is None:
        raise SpecError(f"{field}: no data dir is configured, so no file can be read", (field,))
    return data_dir


def _from_file(name: str, loaded: Loaded, params: Params, rng: np.random.Generator) -> Dataset:
    if loaded.X.ndim == 2:
        return vector_dataset(name, loaded.X, loaded.y, loaded.class_names, params, rng)
    return image_dataset(name, loaded.X, loaded.y, loaded.class_names, params, rng)


def build_idx(params: Params, data_dir: Path | None) -> Dataset:
    rng = _rng(params)
    folder = _need_data_dir(data_dir, "images")
    return _from_file("idx", load_idx(params["images"], params["labels"], data_dir=folder), params, rng)


def build_npz(params: Params, data_dir: Path | None) -> Dataset:
    rng = _rng(params)
    return _from_file("npz", load_npz(params["file"], data_dir=_need_data_dir(data_dir, "file")), params, rng)


def build_image_zip(params: Params, data_dir: Path | None) -> Dataset:
    rng = _rng(params)
    folder = _need_data_dir(data_dir, "file")
    size = params["size"] or None
    loaded = load_image_zip(params["file"], data_dir=folder, size=size, color=params["color"])
    return _from_file("image_zip", loaded, params, rng)


def build_painting(params: Params, data_dir: Path | None) -> Dataset:
    """A picture to paint: the uploaded ``file`` when given, else the named ``picture``."""
    rng = _rng(params)
    file = params["file"]
    folder = _need_data_dir(data_dir, "file") if file is not None else None
    pixels = load_picture(params["picture"], params["size"], file=file, data_dir=folder)
    return painting_dataset("painting", pixels, params, rng)

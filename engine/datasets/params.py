"""Parameter specs of the catalogue: type, default, range, choices, and their validation.

A spec renders to a JSON-able dict for the server (`Param.describe`) and checks one user value
(`Param.check`), raising SpecError with the parameter's name as the path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from engine.datasets.features import DEFAULT_FEATURES, FEATURES, check_features
from engine.errors import SpecError

PARAM_TYPES = ("int", "float", "bool", "choice", "features", "points", "xy", "file")
REQUIRED = None
MAX_POINTS = 2000


@dataclass(frozen=True)
class Param:
    """One dataset parameter; ``default`` None with ``required`` means the user must give it."""

    name: str
    type: str
    default: Any
    description: str
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] = ()
    required: bool = False

    def describe(self) -> dict[str, Any]:
        """JSON-able form for the catalogue listing."""
        default = list(self.default) if isinstance(self.default, tuple) else self.default
        return {
            "name": self.name,
            "type": self.type,
            "default": default,
            "min": self.min,
            "max": self.max,
            "choices": list(self.choices) or None,
            "required": self.required,
            "description": self.description,
        }

    def check(self, value: Any) -> Any:
        """The validated value (ints as int, floats as float, features as a tuple)."""
        if self.type in ("int", "float"):
            return self._check_number(value)
        if self.type == "bool":
            if not isinstance(value, bool):
                raise SpecError(f"{self.name}: must be true or false, got {value!r}", (self.name,))
            return value
        if self.type == "choice":
            if value not in self.choices:
                options = ", ".join(str(choice) for choice in self.choices)
                raise SpecError(f"{self.name}: must be one of {options}, got {value!r}", (self.name,))
            return value
        if self.type == "features":
            return check_features(value, (self.name,))
        if self.type in ("points", "xy"):
            return check_points(value, self.name, labelled=self.type == "points")
        if not isinstance(value, str) or not value:
            raise SpecError(f"{self.name}: must be a file name, got {value!r}", (self.name,))
        return value

    def _check_number(self, value: Any) -> int | float:
        if isinstance(value, bool) or not isinstance(value, Real):
            raise SpecError(f"{self.name}: must be a number, got {value!r}", (self.name,))
        if not math.isfinite(value):
            raise SpecError(f"{self.name}: must be finite, got {value!r}", (self.name,))
        if self.type == "int":
            if not isinstance(value, Integral) and value != int(value):
                raise SpecError(f"{self.name}: must be a whole number, got {value!r}", (self.name,))
            value = int(value)
        else:
            value = float(value)
        if self.min is not None and value < self.min:
            raise SpecError(f"{self.name}: must be {self._range_text()}, got {value:g}", (self.name,))
        if self.max is not None and value > self.max:
            raise SpecError(f"{self.name}: must be {self._range_text()}, got {value:g}", (self.name,))
        return value

    def _range_text(self) -> str:
        if self.min is not None and self.max is not None:
            return f"between {self.min:g} and {self.max:g}"
        return f">= {self.min:g}" if self.min is not None else f"<= {self.max:g}"


def check_points(value: Any, name: str = "points", *, labelled: bool = True) -> tuple[tuple, ...]:
    """User points: at most `MAX_POINTS` [x, y, label] (finite x, y; an integer label >= 0), or [x, y]
    pairs when not `labelled` (1D regression: an input and its target)."""
    shape = "[x, y, label]" if labelled else "[x, y]"
    if not isinstance(value, list | tuple):
        raise SpecError(f"{name}: must be a list of {shape}, got {type(value).__name__}", (name,))
    if len(value) > MAX_POINTS:
        raise SpecError(f"{name}: {len(value)} points, the limit is {MAX_POINTS}", (name,))
    checked = []
    for index, point in enumerate(value):
        if not isinstance(point, list | tuple) or len(point) != (3 if labelled else 2):
            raise SpecError(f"{name}[{index}]: must be {shape}, got {point!r}", (name, index))
        for axis, coordinate in enumerate(point[:2]):
            if (
                isinstance(coordinate, bool)
                or not isinstance(coordinate, Real)
                or not math.isfinite(coordinate)
            ):
                raise SpecError(
                    f"{name}[{index}]: coordinate must be a finite number, got {coordinate!r}",
                    (name, index, axis),
                )
        if not labelled:
            checked.append((float(point[0]), float(point[1])))
            continue
        label = point[2]
        if isinstance(label, bool) or not isinstance(label, Integral) or label < 0:
            raise SpecError(
                f"{name}[{index}]: label must be a class index (0, 1, ...), got {label!r}", (name, index, 2)
            )
        checked.append((float(point[0]), float(point[1]), int(label)))
    return tuple(checked)


def check_params(specs: tuple[Param, ...], given: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter validated, defaults filled in; unknown or missing names raise SpecError."""
    known = {spec.name: spec for spec in specs}
    for name in given:
        if name not in known:
            options = ", ".join(known) or "none"
            raise SpecError(f"{name}: unknown parameter (known: {options})", (name,))
    checked: dict[str, Any] = {}
    for spec in specs:
        if spec.name in given:
            checked[spec.name] = spec.check(given[spec.name])
        elif spec.required:
            raise SpecError(f"{spec.name}: is required", (spec.name,))
        else:
            checked[spec.name] = spec.default
    return checked


# Building blocks shared by the catalogue entries.
def seed_param() -> Param:
    return Param(
        "seed", "int", 0, "Random seed: the same parameters and seed give the same data.", 0, 2**31 - 1
    )


def split_params(test_default: float, val_default: float) -> tuple[Param, ...]:
    return (
        Param("test_fraction", "float", test_default, "Share of each class held out for testing.", 0.0, 0.9),
        Param("val_fraction", "float", val_default, "Share of each class held out for validation.", 0.0, 0.9),
    )


def noise_param(maximum: float, description: str) -> Param:
    return Param("noise", "float", 0.0, description, 0.0, maximum)


def features_param() -> Param:
    return Param(
        "features",
        "features",
        DEFAULT_FEATURES,
        "Input features computed from (x1, x2), as in TF Playground.",
        choices=tuple(FEATURES),
    )


def classes_param(default: int, minimum: int, maximum: int, description: str) -> Param:
    return Param("classes", "int", default, description, minimum, maximum)


# An image set's targets: its labels (classification), or its own pixels (kind "autoencode").
TARGETS = ("label", "input")


def image_params(max_crop: int) -> tuple[Param, ...]:
    return (
        Param(
            "crop", "int", 0, "Random crop side for training, centre crop for testing (0 = off).", 0, max_crop
        ),
        Param("flip", "bool", False, "Random horizontal flips of training images."),
        Param("normalize", "bool", True, "Standardise each channel with training-split mean and std."),
        Param(
            "target",
            "choice",
            "label",
            "What the net learns to output: the image's label, or the image itself (an autoencoder).",
            choices=TARGETS,
        ),
    )

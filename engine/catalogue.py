"""What a page or a script may choose, described by the engine itself: trainer methods with their
hyperparameters, activation layers, 2D input features and layer types.

Pages read this (``GET /api/catalogue``) instead of keeping copies of these lists: a method, an
activation or a feature added to the engine shows up on every page that offers them.
"""

from __future__ import annotations

import math
from typing import Any

from engine.datasets.features import feature_catalogue
from engine.definitions import ACTIVATIONS, FIELDS, LOSS_TYPES
from engine.optim import METHOD_ALIASES, OPTIMIZERS
from engine.optim.base import Hyper


def _bound(value: float) -> float | None:
    """A range end as JSON: None for an infinite one."""
    return None if math.isinf(value) else value


def _hyper_entry(name: str, rule: Hyper, used: bool) -> dict[str, Any]:
    return {
        "name": name,
        "default": rule.default,
        "low": _bound(rule.low),
        "high": _bound(rule.high),
        "integer": rule.integer,
        "open_low": rule.open_low,
        "open_high": rule.open_high,
        "used": used,
    }


def trainer_catalogue() -> list[dict[str, Any]]:
    """Every trainer method: ``{"method", "aliases": [ConvNetJS's names for it], "hyper": [{"name",
    "default", "low", "high" (None: unbounded), "integer", "open_low", "open_high", "used" (False: the
    method accepts it and ignores it, as adadelta its learning rate)}, ...]}``."""
    return [
        {
            "method": method,
            "aliases": [alias for alias, target in METHOD_ALIASES.items() if target == method],
            "hyper": [
                _hyper_entry(name, rule, name not in cls.IGNORED) for name, rule in cls.rules().items()
            ],
        }
        for method, cls in OPTIMIZERS.items()
    ]


def catalogue() -> dict[str, Any]:
    """Everything above as one JSON-able object: ``trainers``, ``activations`` (the activation layer
    types, also an fc or conv layer's ``activation`` shorthand), ``features`` (``[{"id", "label"}]``),
    ``layer_types`` and ``loss_types``."""
    return {
        "trainers": trainer_catalogue(),
        "activations": list(ACTIVATIONS),
        "features": feature_catalogue(),
        "layer_types": list(FIELDS),
        "loss_types": list(LOSS_TYPES),
    }

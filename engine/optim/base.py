"""What every optimizer shares: hyperparameter checks, ConvNetJS's weight decay, lazily made state.

Weight decay follows ConvNetJS's trainer: the gradient of ``l2_decay * l2_mul * w^2 / 2`` and
``l1_decay * l1_mul * |w|`` is added to the mean data gradient divided by ``batch_size`` (ConvNetJS sums
gradients over a batch and divides the total, decay included, by the batch size), so ConvNetJS's
settings carry over unchanged. The decay losses reported are ConvNetJS's (not divided).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engine.errors import SpecError
from engine.parameters import FlatParameters


@dataclass(frozen=True)
class Hyper:
    """A hyperparameter's default and the range it must lie in: [low, high], either end open if asked."""

    default: float
    low: float = 0.0
    high: float = math.inf
    integer: bool = False
    open_high: bool = False
    open_low: bool = False


COMMON = {
    "learning_rate": Hyper(0.01),
    "batch_size": Hyper(1, low=1, integer=True),
    "l1_decay": Hyper(0.0),
    "l2_decay": Hyper(0.0),
}

# eps keeps 0/0 out of the update when a value's gradient has always been zero; at 0 Adadelta could
# never move at all (its step is sqrt(eps / ...) on the first update).
POSITIVE_EPS = Hyper(1e-8, open_low=True)


def _check(name: str, value: Any, rule: Hyper) -> float | int:
    path = ("trainer", name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(f"trainer.{name}: must be a finite number, got {value!r}", path)
    if rule.integer and value != int(value):
        raise SpecError(f"trainer.{name}: must be an integer, got {value!r}", path)
    too_high = value >= rule.high if rule.open_high else value > rule.high
    too_low = value <= rule.low if rule.open_low else value < rule.low
    if too_low or too_high:
        low = f"{rule.low:g}" + (" (exclusive)" if rule.open_low else "")
        high = f"{rule.high:g}" + (" (exclusive)" if rule.open_high else "")
        raise SpecError(f"trainer.{name}: must be between {low} and {high}, got {value!r}", path)
    return int(value) if rule.integer else float(value)


class Optimizer:
    """Updates a net's flat parameters from its flat gradients. Subclasses define `HYPER` (their own
    hyperparameters) and `update`. Hyperparameters may change between steps through `set`."""

    method: ClassVar[str]
    HYPER: ClassVar[dict[str, Hyper]] = {}
    # Hyperparameters accepted (a ConvNetJS trainer spec may carry them) but without effect.
    IGNORED: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, flat: FlatParameters, **hyper: Any) -> None:
        self.flat = flat
        self.hyper: dict[str, float | int] = {name: rule.default for name, rule in self.rules().items()}
        self.state: dict[str, np.ndarray] = {}
        self.steps = 0
        # (P,) scratch: apply_step puts the decayed gradient here; `update` may overwrite it.
        self.scratch = np.empty_like(flat.values)
        # (P,) work space of `update`, so a step of a big net allocates (and page-faults) nothing.
        self.work = np.empty_like(flat.values)
        self.set(**hyper)

    @classmethod
    def rules(cls) -> dict[str, Hyper]:
        """Every hyperparameter this method takes, with its default and range."""
        return {**COMMON, **cls.HYPER}

    def set(self, **changes: Any) -> None:
        """Change hyperparameters (validated; a bad value changes nothing)."""
        rules = self.rules()
        checked = {}
        for name, value in changes.items():
            if name not in rules:
                known = ", ".join(rules)
                raise SpecError(
                    f"trainer.{name}: unknown for {self.method} (known: {known})", ("trainer", name)
                )
            checked[name] = _check(name, value, rules[name])
        self.hyper.update(checked)
        scale = 1.0 / self.hyper["batch_size"]
        dtype = self.flat.values.dtype
        # The hyperparameters as 0-d arrays of the values' dtype, for updates to multiply by: NumPy
        # converts a Python scalar on every call (0.5 us against 0.3 us per operation on a tiny net),
        # and rounds it to the same dtype, so the results are the same.
        self.scalars = {name: np.array(value, dtype) for name, value in self.hyper.items()}
        self._l2_coef = (
            self.flat.l2_mul * dtype.type(self.hyper["l2_decay"] * scale) if self.hyper["l2_decay"] else None
        )
        self._l1_coef = (
            self.flat.l1_mul * dtype.type(self.hyper["l1_decay"] * scale) if self.hyper["l1_decay"] else None
        )

    def buffer(self, name: str) -> np.ndarray:
        """Per-parameter state, created as zeros on first use: (P,)"""
        if name not in self.state:
            self.state[name] = np.zeros_like(self.flat.values)
        return self.state[name]

    def step(self) -> dict[str, float]:
        """Apply one update from the current gradients; returns the decay losses before the update."""
        l1_decay_loss, l2_decay_loss = self.apply_step()
        return {"l1_decay_loss": l1_decay_loss, "l2_decay_loss": l2_decay_loss}

    def apply_step(self) -> tuple[float, float]:
        """`step` without building its dict: -> (l1_decay_loss, l2_decay_loss) before the update."""
        values, grads = self.flat.values, self.flat.grads
        l1_decay_loss = l2_decay_loss = 0.0
        if self._l2_coef is not None:
            # In a scratch buffer (no allocation per step): the decay's gradient, whose product with
            # the values is also the decay loss over half the batch size, then the decayed gradient.
            # Positional out arguments: on tiny nets a keyword costs as much as the arithmetic.
            decayed = np.multiply(self._l2_coef, values, self.scratch)
            l2_decay_loss = float(values.dot(decayed)) * 0.5 * self.hyper["batch_size"]
            grads = np.add(grads, decayed, decayed)
        if self._l1_coef is not None:
            l1_decay_loss = float(self.hyper["l1_decay"] * np.dot(self.flat.l1_mul, np.abs(values)))
            grads = grads + self._l1_coef * np.sign(values)
        self.steps += 1
        self.update(values, grads)
        return l1_decay_loss, l2_decay_loss

    def update(self, values: np.ndarray, grads: np.ndarray) -> None:
        """Change `values` (P,) in place from the decayed mean gradient `grads` (P,)."""
        raise NotImplementedError

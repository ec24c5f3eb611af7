"""Optimizers by ConvNetJS trainer method name, and `make_optimizer` for a trainer spec."""

from __future__ import annotations

from typing import Any

from engine.errors import SpecError
from engine.optim.adadelta import Adadelta
from engine.optim.adagrad import Adagrad
from engine.optim.adam import Adam
from engine.optim.base import Hyper, Optimizer
from engine.optim.nesterov import Nesterov
from engine.optim.rmsprop import RMSProp
from engine.optim.sgd import SGD

OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.method: cls for cls in (SGD, Nesterov, Adagrad, Adadelta, Adam, RMSProp)
}
# ConvNetJS calls RMSProp 'windowgrad'.
METHOD_ALIASES = {"windowgrad": "rmsprop"}


def make_optimizer(net: Any, trainer: Any) -> Optimizer:
    """An optimizer for `net` from a ConvNetJS trainer spec such as
    ``{"method": "adadelta", "batch_size": 20, "l2_decay": 0.001}`` (method defaults to sgd)."""
    if not isinstance(trainer, dict):
        raise SpecError(f"trainer: must be an object, got {type(trainer).__name__}", ("trainer",))
    settings = dict(trainer)
    method = settings.pop("method", "sgd")
    method = METHOD_ALIASES.get(method, method) if isinstance(method, str) else method
    if not isinstance(method, str) or method not in OPTIMIZERS:
        known = ", ".join([*OPTIMIZERS, *METHOD_ALIASES])
        raise SpecError(f"trainer.method: must be one of {known}, got {method!r}", ("trainer", "method"))
    return OPTIMIZERS[method](net.flat, **settings)


__all__ = ["METHOD_ALIASES", "OPTIMIZERS", "Hyper", "Optimizer", "make_optimizer"]

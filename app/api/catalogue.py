"""REST route for the engine's catalogue: trainer methods, activations, input features, layer types."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from engine.catalogue import catalogue

router = APIRouter(prefix="/api/catalogue", tags=["catalogue"])


@router.get("")
def read_catalogue() -> dict[str, Any]:
    """What a job may choose: trainer methods with each hyperparameter's default and range, activation
    layers, 2D input features (id and label) and layer types, as the engine defines them."""
    return catalogue()

"""REST route for presets: ready-made job specs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.presets import list_presets

router = APIRouter(prefix="/api/presets", tags=["presets"])


@router.get("")
def list_all_presets() -> list[dict[str, Any]]:
    """The seed lectures, ConvNetJS's demos and TF Playground's default as job specs (POST one's ``spec``)."""
    return list_presets()

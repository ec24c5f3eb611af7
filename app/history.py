"""A job's metric history, thinned so a long run keeps a bounded number of points.

Every point is kept until `capacity` is reached; then every second point is dropped and from then on
only every second new point is kept (then every fourth, and so on), so the curve always spans the whole
run with evenly spaced points, as a loss chart needs. Each point is encoded as JSON once, when it is
kept, so writing the whole history to the database costs a join, not a new encoding.
"""

from __future__ import annotations

import json
from typing import Any


class MetricHistory:
    """Progress points (dicts with at least ``step``), oldest first, at most `capacity` of them."""

    def __init__(self, capacity: int, points: list[dict[str, Any]] | None = None) -> None:
        if capacity < 2:
            raise ValueError(f"capacity must be >= 2, got {capacity}")
        self.capacity = capacity
        self.points: list[dict[str, Any]] = list(points or [])
        self._encoded = [json.dumps(point) for point in self.points]
        self.stride = 1
        self._offered = 0
        while len(self.points) > capacity:
            self._thin()

    def add(self, point: dict[str, Any]) -> bool:
        """Offer a point; returns whether it was kept."""
        self._offered += 1
        if self._offered < self.stride:
            return False
        self._offered = 0
        self.points.append(point)
        self._encoded.append(json.dumps(point))
        if len(self.points) > self.capacity:
            self._thin()
        return True

    def to_json(self) -> str:
        """The points as one JSON array."""
        return f"[{', '.join(self._encoded)}]"

    def _thin(self) -> None:
        # `_offered` counts from the newest kept point. An even number of points loses its newest, so
        # the newest left is one old stride further back (else an odd capacity leaves a wider gap).
        if len(self.points) % 2 == 0:
            self._offered += self.stride
        self.points = self.points[::2]
        self._encoded = self._encoded[::2]
        self.stride *= 2

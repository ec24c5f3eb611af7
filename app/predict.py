"""Turning a predict request into what the net takes, the way its training data was prepared."""

from __future__ import annotations

import numpy as np

from app.checks import SpecInvalid
from app.schemas import PredictRequest
from engine.datasets import IMAGE_KINDS, Dataset, apply_features


def prepare_inputs(data: Dataset, request: PredictRequest) -> np.ndarray:
    """Net inputs for `request`: (N, F) from 2D points through the dataset's feature map ((N, 2) pixel
    coordinates as given for a painting), or (N, depth, sy, sx) images normalised and centre-cropped like
    the test split."""
    takes, refuses = ("images", "points") if data.kind in IMAGE_KINDS else ("points", "images")
    missing = getattr(request, takes) is None
    if missing or getattr(request, refuses) is not None:  # a field the job does not take is never ignored
        field = takes if missing else refuses
        raise SpecInvalid(("body", field), f"dataset {data.name} takes {takes}, not {refuses}")
    if data.kind in IMAGE_KINDS:
        return _prepare_images(data, request.images)
    width = 1 if data.kind == "regress1d" else 2
    rows = f"must be a list of [x1{', x2' if width == 2 else ''}] rows"
    try:
        points = np.asarray(request.points, dtype=np.float32) if request.points else np.zeros((0, width))
    except ValueError:  # rows of unequal length
        raise SpecInvalid(("body", "points"), rows) from None
    if points.ndim != 2 or points.shape[1] != width:
        raise SpecInvalid(("body", "points"), rows)
    if data.kind in ("regress1d", "painting"):
        return points
    return apply_features(points, data.features)


def _prepare_images(data: Dataset, images: list) -> np.ndarray:
    try:
        X = np.asarray(images, dtype=np.float32)
    except (TypeError, ValueError):
        raise SpecInvalid(("body", "images"), "must be a rectangular array of numbers") from None
    depth = data.input_shape[2]
    sent = list(X.shape)
    if X.ndim == 3 and depth == 1:
        X = X[:, None]
    full = data.X_train.shape[1:]
    if X.ndim != 4 or X.shape[1:] != full:
        want = "(N, sy, sx) or " if depth == 1 else ""
        raise SpecInvalid(
            ("body", "images"), f"must have shape {want}(N, {', '.join(map(str, full))}), got {sent}"
        )
    if not np.isfinite(X).all() or X.min(initial=0) < 0 or X.max(initial=0) > 1:
        raise SpecInvalid(("body", "images"), "pixels must be finite numbers in [0, 1]")
    if data.norm_mean is not None and data.norm_std is not None:
        mean = np.asarray(data.norm_mean, np.float32)[None, :, None, None]
        std = np.asarray(data.norm_std, np.float32)[None, :, None, None]
        X = (X - mean) / std
    return data.eval_inputs(X)

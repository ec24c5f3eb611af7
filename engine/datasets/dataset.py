"""The split data set that every generator and loader returns, ready for a net.

Conventions, the same for every set:

- ``X`` is float32. Points: ``(N, F)`` after the feature map (``F = len(features)``); 1D regression:
  ``(N, 1)``; images: ``(N, depth, sy, sx)`` (NCHW); other vectors (an ``.npz`` of ``(N, D)``): ``(N, D)``.
- Classification labels are int64 ``(N,)`` in ``0 .. num_classes - 1``; regression targets are float32
  ``(N, K)``.
- ``autoencode`` sets are image sets whose targets are their own pixels: ``y`` is ``X`` flattened,
  float32 ``(N, depth * sy * sx)``, so the net ends in a regression layer of that size; ``num_classes``
  is 0 while ``class_names`` and ``labels`` keep the images' classes, which only colour the plots. They
  take no crop or flip (a target must be the very image the net sees).
- ``X_val``/``y_val`` always exist; they are empty (``(0, ...)``) when ``val_fraction`` is 0, the default
  for 2D sets. ``X_test``/``y_test`` likewise when ``test_fraction`` is 0.
- Images: pixels are first scaled to [0, 1] (uint8 / 255, sklearn digits / 16), then, when ``normalize``
  is on, every channel is standardised with the mean and std of the training split only
  (``norm_mean``/``norm_std`` keep them so a server can treat a drawn image the same way).
- With ``crop`` on, ``X_train`` keeps the full-size images (the batch iterator cuts a random crop from
  each one per step) while ``X_val``/``X_test`` are stored centre-cropped, so they are already of
  ``input_shape`` and can go straight into ``net.forward``. `eval_inputs` centre-crops anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from engine.datasets.preprocess import Augmentation, centre_crop

KINDS = ("classify2d", "regress2d", "regress1d", "image", "autoencode", "vector", "painting")
# The kinds whose inputs are images (N, depth, sy, sx).
IMAGE_KINDS = ("image", "autoencode")


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train/validation/test arrays of one data set plus what a net and a plot need to know about it.

    ``input_shape`` is ConvNetJS's ``(out_sx, out_sy, out_depth)``; for points it is ``(1, 1, F)``.
    ``extent`` is ``(xmin, xmax, ymin, ymax)`` of the square the 2D points live in (the boundary grid
    is drawn over it; for ``regress1d`` it is the plot window); None for images.
    ``points_*`` are the raw 2D coordinates ``(N, 2)`` before the feature map (``(N, 1)`` for 1D
    regression); None for images and vectors. ``labels`` holds the class labels ``(N,)`` int64 of the
    train, validation and test splits when the targets are something else (autoencode sets), else None.
    ``picture`` is the painted picture (sy, sx, 3) uint8 of a painting set; None for every other kind.
    """

    name: str
    kind: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    input_shape: tuple[int, int, int]
    num_classes: int
    class_names: tuple[str, ...]
    extent: tuple[float, float, float, float] | None = None
    features: tuple[str, ...] = ()
    points_train: np.ndarray | None = None
    points_val: np.ndarray | None = None
    points_test: np.ndarray | None = None
    augmentation: Augmentation = field(default_factory=Augmentation)
    norm_mean: tuple[float, ...] | None = None
    norm_std: tuple[float, ...] | None = None
    labels: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    picture: np.ndarray | None = None

    @cached_property
    def finite_training_inputs(self) -> bool:
        """Whether every value of ``X_train`` is a finite number; found once per data set (the jobs
        sharing one ask it again at each start)."""
        return int(np.count_nonzero(np.isfinite(self.X_train))) == self.X_train.size

    @property
    def is_classification(self) -> bool:
        """True when labels are class indices (num_classes > 0), False for regression targets."""
        return self.num_classes > 0

    def eval_inputs(self, X: np.ndarray) -> np.ndarray:
        """`X` as the net sees it at test time: centre-cropped to ``input_shape`` when crop is on.

        X: (N, depth, sy, sx) full-size or already cropped; returns (N, depth, out_sy, out_sx).
        Points and vectors are returned unchanged.
        """
        if self.kind != "image" or not self.augmentation.crop:
            return X
        return centre_crop(X, self.augmentation.crop)

    def summary(self) -> dict[str, Any]:
        """JSON-able description of the split sizes and shapes (what a job status shows)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "n_train": int(self.X_train.shape[0]),
            "n_val": int(self.X_val.shape[0]),
            "n_test": int(self.X_test.shape[0]),
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "class_names": list(self.class_names),
            "extent": list(self.extent) if self.extent is not None else None,
            "features": list(self.features),
            "augmentation": {"crop": self.augmentation.crop, "flip": self.augmentation.flip},
            "picture_shape": list(self.picture.shape) if self.picture is not None else None,
        }

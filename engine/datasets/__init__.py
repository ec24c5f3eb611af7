"""Everything a job can train on: one catalogue of generated, bundled, user and file data sets.

    >>> from engine.datasets import make_dataset
    >>> data = make_dataset("rings", n_samples=400, noise=0.1, seed=3)
    >>> data.X_train.shape, data.extent
    ((200, 2), (-3.0, 3.0, -3.0, 3.0))

`list_datasets()` is the JSON-able listing for the server; `make_dataset(name, **params)` (or
`make_dataset_from_spec(spec)` for user input) validates and builds a `Dataset`; `apply_features` maps
2D points (and the boundary grid) to the chosen input features; `train_batches` yields shuffled,
augmented mini-batches. Conventions for shapes, dtypes and scaling are in `engine.datasets.dataset`.
"""

from engine.datasets.batches import BatchIterator, eval_batches, train_batches
from engine.datasets.catalogue import CATALOGUE, list_datasets, make_dataset, make_dataset_from_spec
from engine.datasets.dataset import IMAGE_KINDS, KINDS, Dataset
from engine.datasets.features import DEFAULT_FEATURES, FEATURES, apply_features, feature_catalogue
from engine.datasets.idx import check_idx_file, encode_idx, load_idx
from engine.datasets.imagezip import load_image_zip
from engine.datasets.npzfile import load_npz
from engine.datasets.preprocess import Augmentation, centre_crop
from engine.datasets.sources import MAX_FILE_BYTES, Loaded

__all__ = [
    "CATALOGUE",
    "DEFAULT_FEATURES",
    "FEATURES",
    "IMAGE_KINDS",
    "KINDS",
    "MAX_FILE_BYTES",
    "Augmentation",
    "BatchIterator",
    "Dataset",
    "Loaded",
    "apply_features",
    "centre_crop",
    "check_idx_file",
    "encode_idx",
    "eval_batches",
    "feature_catalogue",
    "list_datasets",
    "load_idx",
    "load_image_zip",
    "load_npz",
    "make_dataset",
    "make_dataset_from_spec",
    "train_batches",
]

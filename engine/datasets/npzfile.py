"""``.npz`` files with arrays ``X`` and ``y`` (and optionally ``class_names``), read without pickle.

X: numeric, finite, shaped (N, D) vectors, (N, H, W) single-channel images or (N, C, H, W) images.
y: (N,) (or (N, 1)) integer class labels 0..K-1; float labels are accepted when every value is whole.
class_names: optional 1-D string array with at least K entries.
Scaling: uint8 X is divided by 255; any other dtype is taken as it is (then normalised by the
training-split statistics like every other set). Returned X: float32 (N, D) or (N, C, H, W).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from engine.datasets.sources import (
    MAX_EXPANDED_BYTES,
    MAX_FILE_BYTES,
    MAX_IMAGE_SIDE,
    Loaded,
    Source,
    check_labels,
    check_total,
    read_source,
)
from engine.errors import SpecError

MAX_CHANNELS = 4


def _open(data: bytes, field: str) -> np.lib.npyio.NpzFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise SpecError(f"{field}: not an .npz file (a zip of .npy arrays)", (field,)) from error
    with archive:
        expanded = sum(info.file_size for info in archive.infolist())
    if expanded > MAX_EXPANDED_BYTES:
        raise SpecError(
            f"{field}: arrays expand to {expanded:,} bytes, the limit is {MAX_EXPANDED_BYTES:,}", (field,)
        )
    return np.load(io.BytesIO(data), allow_pickle=False)


def _stored_shape(data: bytes, key: str) -> tuple[int, ...] | None:
    """The shape an array of the .npz declares in its .npy header, read without decompressing the
    array (None when it has no such array or no readable header: loading it says why)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(f"{key}.npy") as member:
            readers = {
                (1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0,
            }
            reader = readers.get(np.lib.format.read_magic(member))
            shape = reader(member)[0] if reader is not None else None
    except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile):
        return None
    return tuple(shape) if shape is not None else None


def _array(archive: np.lib.npyio.NpzFile, key: str, field: str) -> np.ndarray:
    if key not in archive.files:
        found = ", ".join(archive.files) or "nothing"
        raise SpecError(f"{field}: has no array {key!r} (found: {found})", (field,))
    try:
        return archive[key]
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise SpecError(
                f"{field}: {key} is an object array, which is never unpickled; save plain numeric arrays",
                (field,),
            ) from error
        raise SpecError(f"{field}: {key} cannot be read ({error})", (field,)) from error
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise SpecError(f"{field}: {key} cannot be read ({error})", (field,)) from error


def _check_X(X: np.ndarray, field: str) -> np.ndarray:
    if X.dtype.kind not in "biuf":
        raise SpecError(f"{field}: X must be numeric, got dtype {X.dtype}", (field,))
    if X.ndim not in (2, 3, 4):
        raise SpecError(
            f"{field}: X must be (N, D), (N, H, W) or (N, C, H, W), got shape {X.shape}", (field,)
        )
    if X.ndim == 3:
        X = X[:, None, :, :]
    if X.ndim == 4 and X.shape[1] > MAX_CHANNELS:
        raise SpecError(
            f"{field}: X has {X.shape[1]} channels (shape {X.shape}), at most {MAX_CHANNELS}", (field,)
        )
    if X.ndim == 4 and max(X.shape[2:]) > MAX_IMAGE_SIDE:
        raise SpecError(
            f"{field}: X images are {X.shape[2]}x{X.shape[3]}, the limit is {MAX_IMAGE_SIDE}", (field,)
        )
    if 0 in X.shape:
        raise SpecError(f"{field}: X is empty (shape {X.shape})", (field,))
    check_total(X.shape, field=field)
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        bad = int(np.count_nonzero(~np.isfinite(X)))
        raise SpecError(f"{field}: X holds {bad:,} NaN or infinite values", (field,))
    scale = 255.0 if X.dtype == np.uint8 else 1.0
    return (X.astype(np.float32) / np.float32(scale)).astype(np.float32)


def _check_y(y: np.ndarray, n: int, field: str) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise SpecError(f"{field}: y must be (N,) class labels, got shape {y.shape}", (field,))
    if y.shape[0] != n:
        raise SpecError(f"{field}: y has {y.shape[0]:,} labels for {n:,} rows of X", (field,))
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or not np.array_equal(y, np.round(y)):
            raise SpecError(
                f"{field}: y must hold whole-number class labels, found fractions or NaN", (field,)
            )
    elif y.dtype.kind not in "iu":
        raise SpecError(f"{field}: y must hold integer class labels, got dtype {y.dtype}", (field,))
    return y.astype(np.int64)


def _class_names(archive: np.lib.npyio.NpzFile, n_classes: int, field: str) -> tuple[str, ...]:
    if "class_names" not in archive.files:
        return tuple(str(k) for k in range(n_classes))
    names = _array(archive, "class_names", field)
    if names.dtype.kind != "U" or names.ndim != 1:
        raise SpecError(
            f"{field}: class_names must be a 1-D string array, got {names.dtype} {names.shape}", (field,)
        )
    if names.shape[0] < n_classes:
        raise SpecError(f"{field}: class_names has {names.shape[0]} names for {n_classes} classes", (field,))
    return tuple(str(name) for name in names[:n_classes])


def load_npz(
    source: Source,
    *,
    data_dir: str | Path | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    field: str = "file",
) -> Loaded:
    """An .npz with X and y (bytes or a path) as (X, y, class_names); see the module doc for rules."""
    data = read_source(source, data_dir=data_dir, max_bytes=max_bytes, field=field)
    declared = _stored_shape(data, "X")
    if declared:  # a set too big is refused before its arrays are expanded
        check_total(declared, field=field)
    with _open(data, field) as archive:
        X = _check_X(_array(archive, "X", field), field)
        y = _check_y(_array(archive, "y", field), X.shape[0], field)
        n_classes = check_labels(y, field=field, what="y labels")
        return Loaded(X, y, _class_names(archive, n_classes, field))

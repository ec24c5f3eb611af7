"""MNIST's IDX format: an images file (magic 0x00000803) and a labels file (magic 0x00000801).

Both may be gzipped. The header is two zero bytes, the element type (0x08, unsigned byte, the only
type MNIST uses and the only one accepted), the number of dimensions, then each dimension as a
big-endian uint32; the data follows with no padding and nothing after it.
`load_idx` returns X: (N, 1, rows, cols) float32 in [0, 1] (pixel / 255) and y: (N,) int64.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.datasets.sources import (
    MAX_FILE_BYTES,
    MAX_IMAGE_SIDE,
    MAX_TOTAL_VALUES,
    Loaded,
    Source,
    check_labels,
    check_total,
    gunzip_if_needed,
    read_source,
)
from engine.errors import SpecError

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
_UNSIGNED_BYTE = 0x08
# An IDX file holds one byte per value: past the limit on a set's values, a gzip is refused as soon as
# it expands that far, never inflated further.
MAX_IDX_BYTES = MAX_TOTAL_VALUES + 4 + 4 * 3
_KIND = {IMAGES_MAGIC: "an images file (3 dimensions)", LABELS_MAGIC: "a labels file (1 dimension)"}


def _describe_magic(magic: int) -> str:
    return _KIND.get(magic, "not an unsigned-byte IDX file of images or labels")


def parse_idx(data: bytes, *, magic: int, field: str) -> np.ndarray:
    """The uint8 array in IDX bytes whose magic number must be `magic`; shape from the header."""
    if len(data) < 4:
        raise SpecError(f"{field}: {len(data)} bytes is too short for an IDX header", (field,))
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise SpecError(
            f"{field}: wrong magic number 0x{found:08X} ({_describe_magic(found)}); "
            f"expected 0x{magic:08X} ({_KIND[magic]})",
            (field,),
        )
    n_dims = data[3]
    header = 4 + 4 * n_dims
    if len(data) < header:
        raise SpecError(f"{field}: truncated header ({len(data)} of {header} bytes)", (field,))
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    if 0 in shape:
        raise SpecError(f"{field}: header has a zero dimension {shape}", (field,))
    check_total(shape, field=field)
    expected = int(np.prod(shape, dtype=np.int64))
    body = len(data) - header
    if body < expected:
        raise SpecError(
            f"{field}: truncated: header promises {shape} = {expected:,} bytes of data, file has {body:,}",
            (field,),
        )
    if body > expected:
        raise SpecError(f"{field}: {body - expected:,} unexpected bytes after the data {shape}", (field,))
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def check_idx_file(
    source: Source, role: str, *, data_dir: str | Path | None = None, max_bytes: int = MAX_FILE_BYTES
) -> tuple[int, ...]:
    """Check one IDX file on its own, as an upload arrives: `role` is ``images`` or ``labels``. Its
    header must match its size and the limits, gzip may not expand past what the limits allow, and
    labels must be class indices; returns the array's shape. SpecError names the file (``file``)."""
    magic = IMAGES_MAGIC if role == "images" else LABELS_MAGIC
    raw = read_source(source, data_dir=data_dir, max_bytes=max_bytes, field="file")
    data = parse_idx(gunzip_if_needed(raw, field="file", max_bytes=MAX_IDX_BYTES), magic=magic, field="file")
    if role == "images" and max(data.shape[1:]) > MAX_IMAGE_SIDE:
        rows, cols = data.shape[1:]
        raise SpecError(f"file: images are {rows}x{cols}, the limit is {MAX_IMAGE_SIDE}", ("file",))
    if role == "labels":
        check_labels(data, field="file")
    return data.shape


def load_idx(
    images: Source,
    labels: Source,
    *,
    data_dir: str | Path | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    fields: tuple[str, str] = ("images", "labels"),
) -> Loaded:
    """An IDX images file and its labels file (bytes or paths, gzip or not) as (X, y, class_names).

    X: (N, 1, rows, cols) float32 in [0, 1]; y: (N,) int64 in 0..K-1; class names "0".."K-1".
    `fields` name the two files in errors.
    """
    image_field, label_field = fields
    raw_images = read_source(images, data_dir=data_dir, max_bytes=max_bytes, field=image_field)
    raw_labels = read_source(labels, data_dir=data_dir, max_bytes=max_bytes, field=label_field)
    expanded_images = gunzip_if_needed(raw_images, field=image_field, max_bytes=MAX_IDX_BYTES)
    expanded_labels = gunzip_if_needed(raw_labels, field=label_field, max_bytes=MAX_IDX_BYTES)
    pixels = parse_idx(expanded_images, magic=IMAGES_MAGIC, field=image_field)
    y = parse_idx(expanded_labels, magic=LABELS_MAGIC, field=label_field)
    n, rows, cols = pixels.shape
    if max(rows, cols) > MAX_IMAGE_SIDE:
        raise SpecError(
            f"{image_field}: images are {rows}x{cols}, the limit is {MAX_IMAGE_SIDE}", (image_field,)
        )
    if y.shape[0] != n:
        raise SpecError(f"{label_field}: {y.shape[0]:,} labels for {n:,} images", (label_field,))
    n_classes = check_labels(y, field=label_field)
    X = (pixels.astype(np.float32) / 255.0)[:, None, :, :]
    return Loaded(X, y.astype(np.int64), tuple(str(k) for k in range(n_classes)))


def encode_idx(array: np.ndarray) -> bytes:
    """IDX bytes for a uint8 array (1 dimension: labels, 3: images), e.g. for tests and exports."""
    header = bytes([0, 0, _UNSIGNED_BYTE, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()

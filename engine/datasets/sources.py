"""Safe reading of user files for the loaders: byte limits, the data dir, gzip, label checks.

A loader's ``source`` is either the file's bytes or a path. With ``data_dir`` given, a path must name a
regular file inside that directory (absolute paths, ``..`` and symlinks that leave it are refused), which
is how the server uses them; without it the path is used as given (library use by trusted code).
Nothing here writes to disk.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from engine.errors import SpecError

Source = bytes | str | Path
MAX_FILE_BYTES = 64 * 2**20
# What a compressed file (gzip IDX, npz, zip of images) may expand to.
MAX_EXPANDED_BYTES = 512 * 2**20
# Pixels/values of a whole loaded set (N * C * H * W), about 200 MB of float32.
MAX_TOTAL_VALUES = 50_000_000
MAX_IMAGE_SIDE = 256
MAX_CLASSES = 100


class Loaded(NamedTuple):
    """What a file loader returns: X float32 (N, C, H, W) images or (N, D) vectors, y int64 (N,),
    and one name per class."""

    X: np.ndarray
    y: np.ndarray
    class_names: tuple[str, ...]


def _size_text(n_bytes: int) -> str:
    return f"{n_bytes:,} bytes"


def resolve_in_data_dir(data_dir: str | Path, name: str, field: str) -> Path:
    """The regular file `name` inside `data_dir`, or a SpecError naming `field`."""
    if not isinstance(name, str) or not name:
        raise SpecError(f"{field}: must be a file name in the data dir, got {name!r}", (field,))
    relative = Path(name)
    if relative.is_absolute() or ".." in relative.parts or "\\" in name:
        raise SpecError(f"{field}: {name!r} must be a plain relative name inside the data dir", (field,))
    root = Path(data_dir).resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise SpecError(f"{field}: {name!r} points outside the data dir", (field,))
    if not target.is_file():
        raise SpecError(f"{field}: no file {name!r} in the data dir", (field,))
    return target


def read_source(
    source: Source,
    *,
    data_dir: str | Path | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    field: str = "file",
) -> bytes:
    """The bytes of `source` (bytes, or a path checked against `data_dir`), at most `max_bytes` of them."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        path = resolve_in_data_dir(data_dir, str(source), field) if data_dir is not None else Path(source)
        if not path.is_file():
            raise SpecError(f"{field}: no file {str(source)!r}", (field,))
        if path.stat().st_size > max_bytes:
            raise SpecError(
                f"{field}: file is {_size_text(path.stat().st_size)}, the limit is {_size_text(max_bytes)}",
                (field,),
            )
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SpecError(
            f"{field}: file is {_size_text(len(data))}, the limit is {_size_text(max_bytes)}", (field,)
        )
    return data


def gunzip_if_needed(data: bytes, *, field: str, max_bytes: int = MAX_EXPANDED_BYTES) -> bytes:
    """`data` itself, or its gzip-decompressed content (refusing more than `max_bytes` of output)."""
    if data[:2] != b"\x1f\x8b":
        return data
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as error:
        raise SpecError(f"{field}: gzip data is corrupt ({error})", (field,)) from error
    if len(out) > max_bytes:
        raise SpecError(f"{field}: gzip data expands past the limit of {_size_text(max_bytes)}", (field,))
    if not inflater.eof:
        raise SpecError(f"{field}: gzip data is truncated (the stream ends early)", (field,))
    return out


def check_labels(y: np.ndarray, *, field: str, what: str = "labels") -> int:
    """Validate integer class labels (N,) in 0..K-1 with at least two classes; returns K."""
    if y.size == 0:
        raise SpecError(f"{field}: {what} are empty", (field,))
    low, high = int(y.min()), int(y.max())
    if low < 0:
        raise SpecError(f"{field}: {what} must be >= 0, found {low}", (field,))
    if high >= MAX_CLASSES:
        raise SpecError(f"{field}: {what} must be < {MAX_CLASSES} (class indices), found {high}", (field,))
    if np.unique(y).shape[0] < 2:
        raise SpecError(f"{field}: {what} hold only one class ({low}); at least two are needed", (field,))
    return high + 1


def check_total(shape: tuple[int, ...], *, field: str) -> None:
    """Refuse a set whose number of values (product of `shape`) is over `MAX_TOTAL_VALUES`."""
    total = int(np.prod(shape, dtype=np.int64))
    if total > MAX_TOTAL_VALUES:
        dims = "x".join(str(d) for d in shape)
        raise SpecError(f"{field}: {dims} is {total:,} values, the limit is {MAX_TOTAL_VALUES:,}", (field,))

"""The binary frame format of the live visual stream: a JSON header and raw little-endian arrays.

A frame is one binary WebSocket message::

    bytes 0..3       magic b"NPF1"
    bytes 4..7       H: length of the header in bytes, uint32 little-endian
    bytes 8..8+H     the header: UTF-8 JSON, padded at the end with spaces (0x20) so that 8 + H is a
                     multiple of 8
    bytes 8+H..end   the payload: the arrays' bytes, one after another

The header is one JSON object (no NaN or Infinity: it must parse with JavaScript's ``JSON.parse``)::

    {"type": "boundary",                   the frame kind
     ...,                                  the kind's own fields ("step", "extent", ...)
     "arrays": [                           in payload order
        {"name": "probs",                  unique within the frame
         "dtype": "uint8",                 "uint8", "float32" or "int32"
         "shape": [2, 100, 100],           C order (row-major), the last axis varies fastest
         "offset": 0,                      byte offset from the payload start, a multiple of 8
         "nbytes": 20000,                  product(shape) * itemsize
         "range": [0.0, 1.0]}]}            only on quantised arrays, see below

Every value is little-endian. Zero bytes pad each array up to the next array's offset; nothing follows
the last array. Because both the payload start (8 + H) and every offset are multiples of 8, a
JavaScript client (typed arrays use the platform's byte order, little-endian on every browser's
hardware) can view an array in place, without copying::

    const headerLength = new DataView(buffer).getUint32(4, true);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength)));
    const start = 8 + headerLength + entry.offset;
    const values = entry.dtype === "float32" ? new Float32Array(buffer, start, entry.nbytes / 4)
                 : entry.dtype === "int32" ? new Int32Array(buffer, start, entry.nbytes / 4)
                 : new Uint8Array(buffer, start, entry.nbytes);

An array with ``"range": [lo, hi]`` is quantised: its uint8 values q stand for ``lo + q * (hi - lo) / 255``
(q = 0 is lo, q = 255 is hi; when lo == hi every value is lo). `quantize` makes such arrays.

`decode_frame` rejects (ValueError) a wrong magic, a frame shorter than its header or its arrays say, a
payload start or offset that is not a multiple of 8, and an unknown dtype. The frame kinds and their
fields are listed in `app.visuals.producer`.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MAGIC = b"NPF1"
ALIGN = 8
PREFIX = struct.Struct("<4sI")
DTYPES: dict[str, np.dtype] = {
    "uint8": np.dtype("<u1"),
    "float32": np.dtype("<f4"),
    "int32": np.dtype("<i4"),
}
RESERVED_KEYS = ("type", "arrays")


@dataclass(frozen=True)
class QuantizedArray:
    """uint8 codes of an array and the [lo, hi] range they cover (see the module docstring)."""

    codes: np.ndarray
    lo: float
    hi: float

    def dequantize(self) -> np.ndarray:
        """The values the codes stand for, float32 of the codes' shape."""
        return dequantize(self.codes, (self.lo, self.hi))


def _padded(length: int) -> int:
    return -(-length // ALIGN) * ALIGN


def _finite_range(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 0.0
    return float(finite.min()), float(finite.max())


def quantize(values: Any, lo: float | None = None, hi: float | None = None) -> QuantizedArray:
    """Map values in [lo, hi] linearly to uint8 0..255 (values outside are clipped).

    values: any shape -> codes of the same shape. lo/hi default to the smallest and largest finite
    value. NaN and -inf become code 0 and +inf code 255, so a diverged net still gives a frame.
    """
    array = np.asarray(values, dtype=np.float64)
    default_lo, default_hi = _finite_range(array)
    lo = default_lo if lo is None else float(lo)
    hi = default_hi if hi is None else float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"range: lo and hi must be finite, got [{lo}, {hi}]")
    if lo > hi:
        raise ValueError(f"range: lo must be <= hi, got [{lo}, {hi}]")
    array = np.nan_to_num(array, nan=lo, posinf=hi, neginf=lo)
    if hi > lo:  # divided by the range, not multiplied by 255 / range: that overflows for a tiny range
        codes = np.rint((np.clip(array, lo, hi) - lo) / (hi - lo) * 255.0).astype(np.uint8)
    else:  # every code 0, which dequantises to lo, instead of dividing by zero
        codes = np.zeros(array.shape, np.uint8)
    return QuantizedArray(codes, lo, hi)


def dequantize(codes: np.ndarray, value_range: Sequence[float]) -> np.ndarray:
    """uint8 codes and their header ``range`` [lo, hi] -> float32 values of the same shape."""
    lo, hi = (float(bound) for bound in value_range)
    return (lo + codes.astype(np.float64) * ((hi - lo) / 255.0)).astype(np.float32)


def dequantize_arrays(header: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """`decode_frame`'s arrays with every quantised one mapped back to float32 values."""
    ranges = {entry["name"]: entry["range"] for entry in header["arrays"] if "range" in entry}
    return {
        name: dequantize(array, ranges[name]) if name in ranges else array for name, array in arrays.items()
    }


def _wire_array(name: str, value: np.ndarray | QuantizedArray) -> tuple[np.ndarray, list[float] | None]:
    """The little-endian C-order array to send and its quantisation range (None when not quantised)."""
    value_range = None
    if isinstance(value, QuantizedArray):
        array = np.asarray(value.codes)
        if array.dtype != np.uint8:
            raise ValueError(f"arrays[{name!r}]: quantised codes must be uint8, got {array.dtype}")
        value_range = [value.lo, value.hi]
    else:
        array = np.asarray(value)
    if array.dtype.name not in DTYPES:
        raise ValueError(f"arrays[{name!r}]: dtype must be one of {', '.join(DTYPES)}, got {array.dtype}")
    return np.asarray(array, dtype=DTYPES[array.dtype.name], order="C"), value_range


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def _header_bytes(header: dict[str, Any]) -> bytes:
    """The header as compact UTF-8 JSON, space-padded so that the payload starts on a multiple of 8."""
    try:
        text = json.dumps(header, allow_nan=False, separators=(",", ":"), default=_json_default)
    except (TypeError, ValueError) as error:
        raise ValueError(f"meta: not valid JSON ({error})") from None
    encoded = text.encode("utf-8")
    return encoded + b" " * (_padded(PREFIX.size + len(encoded)) - PREFIX.size - len(encoded))


def encode_frame(
    kind: str, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray | QuantizedArray]
) -> bytes:
    """One frame of kind `kind` with the JSON-able `meta` fields and the `arrays` in the given order.

    Arrays must be uint8, float32 or int32 (any byte order or layout: they are sent little-endian,
    C order) or a `QuantizedArray`. NumPy scalars and arrays in `meta` are converted to JSON.
    """
    if not isinstance(kind, str) or not kind:
        raise ValueError(f"kind: must be a non-empty string, got {kind!r}")
    clash = [key for key in RESERVED_KEYS if key in meta]
    if clash:
        raise ValueError(f"meta: {', '.join(clash)} is set by the frame itself")
    wire: list[np.ndarray] = []
    entries: list[dict[str, Any]] = []
    offset = 0
    for name, value in arrays.items():
        array, value_range = _wire_array(name, value)
        entry = {"name": name, "dtype": array.dtype.name, "shape": list(array.shape), "offset": offset}
        entry["nbytes"] = array.nbytes
        if value_range is not None:
            entry["range"] = value_range
        offset = _padded(offset + array.nbytes)
        wire.append(array)
        entries.append(entry)
    encoded = _header_bytes({"type": kind, **meta, "arrays": entries})
    parts: list[bytes | memoryview] = [PREFIX.pack(MAGIC, len(encoded)), encoded]
    position = 0
    for array, entry in zip(wire, entries, strict=True):
        parts.append(bytes(entry["offset"] - position))
        parts.append(array.reshape(-1).view(np.uint8).data)
        position = entry["offset"] + array.nbytes
    return b"".join(parts)


def _check_entry(entry: Any, payload_size: int) -> tuple[str, np.dtype, tuple[int, ...], int]:
    """A header's array entry -> (name, dtype, shape, offset), or ValueError saying what is wrong."""
    if not isinstance(entry, dict) or not {"name", "dtype", "shape", "offset", "nbytes"} <= entry.keys():
        raise ValueError(f"frame: bad array entry {entry!r}")
    name = entry["name"]
    if entry["dtype"] not in DTYPES:
        raise ValueError(f"frame: array {name!r} has unknown dtype {entry['dtype']!r}")
    dtype = DTYPES[entry["dtype"]]
    shape = tuple(entry["shape"])
    offset = entry["offset"]
    if not all(isinstance(size, int) and size >= 0 for size in shape):
        raise ValueError(f"frame: array {name!r} has a bad shape {entry['shape']!r}")
    if not isinstance(offset, int) or offset < 0 or offset % ALIGN:
        raise ValueError(f"frame: array {name!r} offset {offset!r} is not a non-negative multiple of {ALIGN}")
    nbytes = math.prod(shape) * dtype.itemsize
    if entry["nbytes"] != nbytes:
        raise ValueError(f"frame: array {name!r} has nbytes {entry['nbytes']!r}, its shape needs {nbytes}")
    if offset + nbytes > payload_size:
        raise ValueError(
            f"frame: truncated, array {name!r} ends at {offset + nbytes} of {payload_size} bytes"
        )
    return name, dtype, shape, offset


def read_header(data: bytes) -> tuple[dict[str, Any], int]:
    """The parsed header and the payload's start, checking the magic and the lengths."""
    if len(data) < PREFIX.size:
        raise ValueError(f"frame: truncated, {len(data)} bytes is shorter than the {PREFIX.size}-byte prefix")
    magic, length = PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise ValueError(f"frame: bad magic {magic!r}, expected {MAGIC!r}")
    start = PREFIX.size + length
    if start > len(data):
        raise ValueError(f"frame: truncated, the header needs {start} bytes, got {len(data)}")
    if start % ALIGN:
        raise ValueError(f"frame: the payload starts at {start}, not a multiple of {ALIGN}")
    try:
        header = json.loads(bytes(data[PREFIX.size : start]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"frame: the header is not UTF-8 JSON ({error})") from None
    if not isinstance(header, dict) or not isinstance(header.get("type"), str):
        raise ValueError("frame: the header must be an object with a string 'type'")
    if not isinstance(header.get("arrays"), list):
        raise ValueError("frame: the header must have an 'arrays' list")
    return header, start


def decode_frame(data: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A frame -> (header, {name: read-only array view into `data`}); quantised arrays stay uint8
    (see `dequantize_arrays`). Raises ValueError for a wrong magic, a truncated or malformed frame."""
    header, start = read_header(data)
    payload = memoryview(data)[start:]
    arrays: dict[str, np.ndarray] = {}
    for entry in header["arrays"]:
        name, dtype, shape, offset = _check_entry(entry, len(payload))
        count = math.prod(shape)
        arrays[name] = np.frombuffer(payload, dtype=dtype, count=count, offset=offset).reshape(shape)
    return header, arrays

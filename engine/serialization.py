"""Saving and loading nets as JSON: the user's layer definitions plus the weights, stored exactly.

Format (version 1)::

    {"format": "netplay.net", "version": 1, "layers": [...user's definitions...], "seed": 0,
     "dtype": "float32", "num_parameters": 38,
     "params": {"dtype": "float32", "shape": [38], "data": "<base64, little-endian>"},
     "buffers": {"<layer index>": {"running_mean": {...same encoding...}, ...}}}

Weights are base64 of the raw little-endian bytes rather than decimal lists: a third of the size and
bit-exact by construction. The flat order is layer by layer, ``w`` before ``b``.
"""

from __future__ import annotations

import base64
import binascii
import copy
from typing import Any

import numpy as np

from engine.errors import SpecError
from engine.net import Net

FORMAT = "netplay.net"
VERSION = 1


def encode_array(array: np.ndarray) -> dict[str, Any]:
    """An array as {"dtype", "shape", "data": base64 of little-endian bytes}."""
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return {
        "dtype": str(array.dtype),
        "shape": list(array.shape),
        "data": base64.b64encode(np.ascontiguousarray(little).tobytes()).decode("ascii"),
    }


def decode_array(
    obj: Any, path: tuple[Any, ...], shape: tuple[int, ...], expected_dtype: np.dtype
) -> np.ndarray:
    """Inverse of `encode_array`, checked against the `shape` and dtype the net expects (a silent cast
    would break the bit-exact round trip)."""
    if not isinstance(obj, dict) or not {"dtype", "shape", "data"} <= obj.keys():
        raise SpecError("must be an object with dtype, shape and data", path)
    if obj["dtype"] not in ("float32", "float64"):
        raise SpecError(f"dtype must be float32 or float64, got {obj['dtype']!r}", path)
    if obj["dtype"] != str(expected_dtype):
        raise SpecError(f"dtype {obj['dtype']} does not match the net's {expected_dtype}", path)
    if not isinstance(obj["shape"], list) or list(obj["shape"]) != list(shape):
        raise SpecError(f"shape {obj['shape']} does not match the net's {list(shape)}", path)
    try:
        raw = base64.b64decode(obj["data"], validate=True)
    except (binascii.Error, TypeError, ValueError) as error:
        raise SpecError(f"data is not valid base64 ({error})", path) from None
    dtype = np.dtype(obj["dtype"]).newbyteorder("<")
    if len(raw) != int(np.prod(shape)) * dtype.itemsize:
        raise SpecError(f"data holds {len(raw)} bytes, expected {int(np.prod(shape)) * dtype.itemsize}", path)
    array = np.frombuffer(raw, dtype=dtype).reshape(shape)
    if not np.isfinite(array).all():
        raise SpecError("contains NaN or infinite values", path)
    return array


def net_to_json(net: Net) -> dict[str, Any]:
    """A JSON-able dict holding everything needed to rebuild `net` exactly."""
    buffers = {
        str(index): {name: encode_array(value) for name, value in layer.buffers.items()}
        for index, layer in enumerate(net.layers)
        if layer.buffers
    }
    return {
        "format": FORMAT,
        "version": VERSION,
        "layers": copy.deepcopy(net.layer_defs),
        "seed": net.seed,
        "dtype": str(net.dtype),
        "num_parameters": net.num_parameters,
        "params": encode_array(net.flat.values),
        "buffers": buffers,
    }


def _check_header(obj: Any) -> None:
    if not isinstance(obj, dict):
        raise SpecError(f"model: must be an object, got {type(obj).__name__}", ())
    if obj.get("format") != FORMAT:
        raise SpecError(f"format: must be {FORMAT!r}, got {obj.get('format')!r}", ("format",))
    if obj.get("version") != VERSION:
        raise SpecError(
            f"version: only version {VERSION} is supported, got {obj.get('version')!r}", ("version",)
        )
    for key in ("layers", "params"):
        if key not in obj:
            raise SpecError(f"{key}: missing", (key,))
    # Checked here so a bad name is a SpecError, not numpy's TypeError from np.dtype().
    if obj.get("dtype", "float32") not in ("float32", "float64"):
        raise SpecError(f"dtype: must be float32 or float64, got {obj.get('dtype')!r}", ("dtype",))


def net_from_json(obj: Any) -> Net:
    """Rebuild a net from `net_to_json` output; raises SpecError naming the field that is wrong."""
    _check_header(obj)
    net = Net(obj["layers"], seed=obj.get("seed", 0), dtype=obj.get("dtype", "float32"))
    try:
        values = decode_array(obj["params"], ("params",), (net.num_parameters,), net.dtype)
    except SpecError as error:
        raise SpecError(f"params: {error.message}", error.path) from None
    net.flat.values[...] = values
    buffers = obj.get("buffers", {})
    if not isinstance(buffers, dict):
        raise SpecError("buffers: must be an object", ("buffers",))
    for index, layer in enumerate(net.layers):
        stored_layer = buffers.get(str(index), {})
        if layer.buffers and not isinstance(stored_layer, dict):
            raise SpecError(f"buffers[{index}]: must be an object", ("buffers", str(index)))
        for name, current in layer.buffers.items():
            path = ("buffers", str(index), name)
            stored = stored_layer.get(name)
            if stored is None:
                raise SpecError(f"buffers: layer {index} ({layer.type}) is missing {name}", path)
            try:
                current[...] = decode_array(stored, path, current.shape, net.dtype)
            except SpecError as error:
                raise SpecError(f"buffers[{index}].{name}: {error.message}", error.path) from None
    return net

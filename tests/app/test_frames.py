"""The binary frame codec: layout, alignment, round trips, quantisation and rejection of bad frames."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra.numpy import array_shapes, arrays
from hypothesis.strategies import floats

from app.frames import (
    QuantizedArray,
    decode_frame,
    dequantize,
    dequantize_arrays,
    encode_frame,
    quantize,
)


def _header_length(frame: bytes) -> int:
    return struct.unpack_from("<I", frame, 4)[0]


def test_round_trip_keeps_every_dtype_shape_and_value() -> None:
    rng = np.random.default_rng(0)
    arrays = {
        "bytes": rng.integers(0, 256, size=(3, 5), dtype=np.uint8),
        "floats": rng.standard_normal((2, 3, 7)).astype(np.float32),
        "ints": rng.integers(-(2**31), 2**31 - 1, size=(11,), dtype=np.int32),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.int32),
        "big_endian": np.arange(6, dtype=">i4").reshape(2, 3),
        "transposed": np.arange(12, dtype=np.float32).reshape(3, 4).T,
    }
    header, decoded = decode_frame(encode_frame("test", {"step": 3}, arrays))
    assert header["type"] == "test"
    assert header["step"] == 3
    assert [entry["name"] for entry in header["arrays"]] == list(arrays)
    for name, array in arrays.items():
        assert decoded[name].dtype == array.dtype.newbyteorder("<")
        assert decoded[name].shape == array.shape
        np.testing.assert_array_equal(decoded[name], array)


def test_payload_and_every_array_start_on_8_byte_boundaries() -> None:
    arrays = {f"a{size}": np.arange(size, dtype=np.uint8) for size in (1, 3, 8, 9, 15)}
    frame = encode_frame("test", {}, arrays)
    header, _ = decode_frame(frame)
    payload_start = 8 + _header_length(frame)
    assert payload_start % 8 == 0
    offsets = [entry["offset"] for entry in header["arrays"]]
    assert offsets == [0, 8, 16, 24, 40]
    for entry, array in zip(header["arrays"], arrays.values(), strict=True):
        start = payload_start + entry["offset"]
        assert frame[start : start + entry["nbytes"]] == array.tobytes()
    # Zero padding between arrays, nothing after the last one.
    assert frame[payload_start + 1 : payload_start + 8] == bytes(7)
    assert len(frame) == payload_start + 40 + 15


def test_arrays_are_little_endian_c_order_on_the_wire() -> None:
    array = np.arange(6, dtype=">f4").reshape(2, 3).T
    frame = encode_frame("test", {}, {"x": array})
    start = 8 + _header_length(frame)
    assert frame[start : start + 24] == struct.pack("<6f", 0, 3, 1, 4, 2, 5)


@pytest.mark.parametrize("meta_length", range(9))
def test_header_is_json_padded_with_spaces_to_a_multiple_of_8(meta_length: int) -> None:
    frame = encode_frame("test", {"note": "x" * meta_length}, {"x": np.zeros(2, np.float32)})
    assert frame[:4] == b"NPF1"
    length = _header_length(frame)
    assert (8 + length) % 8 == 0
    text = frame[8 : 8 + length].decode("utf-8")
    assert len(text) - len(text.rstrip(" ")) < 8
    assert json.loads(text)["note"] == "x" * meta_length


def test_meta_accepts_numpy_scalars_and_arrays() -> None:
    meta = {"step": np.int64(7), "extent": np.array([-1.0, 1.0]), "ok": np.bool_(True)}
    header, _ = decode_frame(encode_frame("test", meta, {}))
    assert header == {"type": "test", "step": 7, "extent": [-1.0, 1.0], "ok": True, "arrays": []}


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros(3, np.float64), "float64"),
        (np.zeros(3, np.int64), "int64"),
        (np.zeros(3, bool), "bool"),
        (QuantizedArray(np.zeros(3, np.int32), 0.0, 1.0), "uint8"),
    ],
)
def test_encode_rejects_unsupported_dtypes(array: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=rf"arrays\['bad'\].*{message}"):
        encode_frame("test", {}, {"bad": array})


@pytest.mark.parametrize(
    ("kind", "meta", "message"),
    [
        ("", {}, "kind"),
        ("test", {"type": "other"}, "meta: type"),
        ("test", {"arrays": []}, "meta: arrays"),
        ("test", {"loss": float("nan")}, "meta: not valid JSON"),
        ("test", {"thing": object()}, "meta: not valid JSON"),
    ],
)
def test_encode_rejects_bad_kind_and_meta(kind: str, meta: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        encode_frame(kind, meta, {})


def _frame() -> bytes:
    return encode_frame("test", {"step": 1}, {"x": np.arange(10, dtype=np.float32)})


def test_decode_rejects_wrong_magic() -> None:
    with pytest.raises(ValueError, match="bad magic"):
        decode_frame(b"NPF2" + _frame()[4:])


@pytest.mark.parametrize("cut", [0, 3, 7, 12, -1, -39])
def test_decode_rejects_truncated_frames(cut: int) -> None:
    frame = _frame()
    with pytest.raises(ValueError, match="truncated"):
        decode_frame(frame[:cut])


def _with_header(header: object, payload: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    text += b" " * (-(8 + len(text)) % 8)
    return b"NPF1" + struct.pack("<I", len(text)) + text + payload


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (b"NPF1" + struct.pack("<I", 3) + b"{}   ", "not a multiple of 8"),
        (b"NPF1" + struct.pack("<I", 8) + b"not json", "not UTF-8 JSON"),
        (_with_header([1, 2]), "string 'type'"),
        (_with_header({"type": "t"}), "'arrays' list"),
        (_with_header({"type": "t", "arrays": [{"name": "x"}]}), "bad array entry"),
        (
            _with_header({"type": "t", "arrays": [{"name": "x", "dtype": "float64", "shape": [1],
                                                  "offset": 0, "nbytes": 8}]}, bytes(8)),
            "unknown dtype",
        ),
        (
            _with_header({"type": "t", "arrays": [{"name": "x", "dtype": "uint8", "shape": [1],
                                                  "offset": 4, "nbytes": 1}]}, bytes(8)),
            "offset",
        ),
        (
            _with_header({"type": "t", "arrays": [{"name": "x", "dtype": "int32", "shape": [2],
                                                  "offset": 0, "nbytes": 4}]}, bytes(8)),
            "nbytes",
        ),
    ],
)  # fmt: skip
def test_decode_rejects_malformed_frames(frame: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode_frame(frame)


def test_quantize_maps_the_default_range_onto_0_to_255() -> None:
    values = np.array([[-2.0, 0.0], [1.0, 6.0]])
    quantized = quantize(values)
    assert (quantized.lo, quantized.hi) == (-2.0, 6.0)
    assert quantized.codes.dtype == np.uint8
    np.testing.assert_array_equal(quantized.codes, [[0, 64], [96, 255]])
    np.testing.assert_allclose(quantized.dequantize(), values, atol=8 / 255 / 2 + 1e-6)


def test_quantize_clips_to_an_explicit_range() -> None:
    quantized = quantize(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]), 0.0, 1.0)
    np.testing.assert_array_equal(quantized.codes, [0, 0, 128, 255, 255])


@pytest.mark.parametrize("value", [0.0, 3.5, -1e30])
def test_quantize_a_constant_array_without_dividing_by_zero(value: float) -> None:
    quantized = quantize(np.full((2, 3), value))
    assert (quantized.lo, quantized.hi) == (value, value)
    np.testing.assert_array_equal(quantized.codes, 0)
    np.testing.assert_array_equal(quantized.dequantize(), np.float32(value))


def test_quantize_maps_non_finite_values_to_the_ends_and_ignores_them_in_the_range() -> None:
    quantized = quantize(np.array([np.nan, -np.inf, 1.0, 3.0, np.inf]))
    assert (quantized.lo, quantized.hi) == (1.0, 3.0)
    np.testing.assert_array_equal(quantized.codes, [0, 0, 0, 255, 255])
    assert (quantize(np.array([np.nan])).lo, quantize(np.array([np.nan])).hi) == (0.0, 0.0)


@pytest.mark.parametrize(("lo", "hi"), [(float("nan"), 1.0), (0.0, float("inf")), (2.0, 1.0)])
def test_quantize_rejects_bad_ranges(lo: float, hi: float) -> None:
    with pytest.raises(ValueError, match="range"):
        quantize(np.zeros(3), lo, hi)


def test_quantized_arrays_carry_their_range_through_a_frame() -> None:
    values = np.linspace(-1.0, 3.0, 12).reshape(3, 4)
    frame = encode_frame("test", {}, {"q": quantize(values), "raw": np.ones(2, np.float32)})
    header, arrays = decode_frame(frame)
    entries = {entry["name"]: entry for entry in header["arrays"]}
    assert entries["q"]["range"] == [-1.0, 3.0]
    assert entries["q"]["dtype"] == "uint8"
    assert "range" not in entries["raw"]
    restored = dequantize_arrays(header, arrays)
    assert restored["q"].dtype == np.float32
    np.testing.assert_allclose(restored["q"], values, atol=4 / 255 / 2 + 1e-6)
    np.testing.assert_array_equal(restored["raw"], 1.0)
    np.testing.assert_array_equal(dequantize(np.array([0, 255], np.uint8), [-1.0, 3.0]), [-1.0, 3.0])


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.float64,
        array_shapes(max_dims=3, max_side=6),
        elements=floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    )
)
def test_quantisation_error_is_at_most_half_a_step_of_the_range(values: np.ndarray) -> None:
    """The bound the pages rely on: a uint8 code stands for its value within (hi - lo) / 510."""
    quantized = quantize(values)
    header, arrays_out = decode_frame(encode_frame("test", {}, {"q": quantized}))
    restored = dequantize_arrays(header, arrays_out)["q"]
    step = (quantized.hi - quantized.lo) / 255
    # float32 on the wire: the restored value is also rounded to float32
    bound = step / 2 + np.abs(values).max(initial=0.0) * 2**-23 + 1e-30
    assert np.abs(restored.astype(np.float64) - values).max(initial=0.0) <= bound

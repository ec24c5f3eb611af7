"""The .npz loader on good files and on broken ones (NaN, object arrays, shapes, labels)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from engine.datasets import load_npz, make_dataset, npzfile
from engine.errors import SpecError


def _npz(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _labels(n: int = 20, k: int = 2) -> np.ndarray:
    return np.arange(n) % k


def _one_bad(value: float) -> np.ndarray:
    X = np.zeros((20, 2))
    X[3, 1] = value
    return X


def test_npz_loader_reads_uint8_images_scaled_and_adds_a_channel() -> None:
    X = np.random.default_rng(0).integers(0, 256, size=(20, 7, 7), dtype=np.uint8)
    loaded = load_npz(_npz(X=X, y=_labels()))
    assert loaded.X.shape == (20, 1, 7, 7) and loaded.X.dtype == np.float32
    np.testing.assert_allclose(loaded.X[:, 0] * 255.0, X, atol=1e-4)
    assert loaded.y.dtype == np.int64 and loaded.class_names == ("0", "1")


def test_npz_loader_keeps_float_images_and_reads_class_names() -> None:
    X = np.random.default_rng(0).random((20, 3, 5, 5))
    loaded = load_npz(_npz(X=X, y=_labels(20, 3), class_names=np.array(["cat", "dog", "eel"])))
    np.testing.assert_allclose(loaded.X, X.astype(np.float32))
    assert loaded.class_names == ("cat", "dog", "eel")


def test_npz_loader_accepts_whole_float_labels_and_column_labels() -> None:
    X = np.zeros((20, 4))
    assert load_npz(_npz(X=X, y=_labels().astype(np.float64))).y.dtype == np.int64
    assert load_npz(_npz(X=X, y=_labels()[:, None])).y.shape == (20,)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"X": _one_bad(np.nan), "y": _labels()}, "X holds 1 NaN or infinite values"),
        ({"X": _one_bad(-np.inf), "y": _labels()}, "X holds 1 NaN or infinite values"),
        (
            {"X": np.array([[1, "a"]] * 20, dtype=object), "y": _labels()},
            "X is an object array, which is never unpickled",
        ),
        ({"X": np.zeros((20, 2)), "y": np.array([None] * 20, dtype=object)}, "y is an object array"),
        ({"X": np.array([["a", "b"]] * 20), "y": _labels()}, "X must be numeric, got dtype <U1"),
        ({"X": np.zeros(20), "y": _labels()}, r"X must be \(N, D\).*got shape \(20,\)"),
        ({"X": np.zeros((20, 2, 2, 2, 2)), "y": _labels()}, "got shape"),
        ({"X": np.zeros((20, 5, 4, 4)), "y": _labels()}, "5 channels"),
        ({"X": np.zeros((20, 2)), "y": _labels(19)}, "19 labels for 20 rows of X"),
        ({"X": np.zeros((20, 2)), "y": _labels() - 1}, "must be >= 0, found -1"),
        ({"X": np.zeros((20, 2)), "y": _labels() + 0.5}, "whole-number class labels"),
        ({"X": np.zeros((20, 2)), "y": np.zeros(20, dtype=np.int64)}, "only one class"),
        ({"X": np.zeros((20, 2)), "y": _labels() * 200}, "must be < 100"),
        ({"X": np.zeros((20, 2)), "y": np.zeros((20, 2), dtype=np.int64)}, r"y must be \(N,\) class labels"),
        ({"X": np.zeros((20, 2))}, "has no array 'y' \\(found: X\\)"),
        ({"X": np.zeros((20, 2)), "y": _labels(20, 3), "class_names": np.array(["a", "b"])}, "2 names for 3"),
    ],
)
def test_npz_loader_rejects_a_broken_file_saying_what_is_wrong(arrays: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message) as caught:
        load_npz(_npz(**arrays), field="upload")
    assert caught.value.path == ("upload",)


def test_npz_loader_rejects_a_file_that_is_not_an_npz() -> None:
    with pytest.raises(SpecError, match=r"not an \.npz file"):
        load_npz(b"X,y\n1,0\n")
    raw = np.zeros((4, 2)).tobytes()
    with pytest.raises(SpecError, match=r"not an \.npz file"):
        load_npz(raw)


def test_npz_loader_rejects_a_corrupt_member() -> None:
    data = bytearray(_npz(X=np.zeros((20, 2)), y=_labels()))
    start = data.index(b"\x93NUMPY")
    data[start + 1 : start + 6] = b"XXXXX"
    with pytest.raises(SpecError, match="X cannot be read"):
        load_npz(bytes(data))


def test_npz_loader_enforces_the_byte_limit() -> None:
    with pytest.raises(SpecError, match="the limit is 1,000 bytes"):
        load_npz(_npz(X=np.zeros((200, 2)), y=_labels(200)), max_bytes=1000)


def test_npz_of_vectors_builds_a_vector_set_normalised_per_feature(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(loc=[5.0, -3.0, 0.0], scale=[2.0, 0.5, 1.0], size=(200, 3))
    (tmp_path / "table.npz").write_bytes(_npz(X=X, y=(X[:, 0] > 5).astype(np.int64)))
    data = make_dataset("npz", file="table.npz", data_dir=tmp_path, seed=0)
    assert data.kind == "vector" and data.input_shape == (1, 1, 3) and data.X_train.shape[1] == 3
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(data.X_train.std(axis=0), 1.0, atol=1e-4)
    with pytest.raises(SpecError, match="only applies to images") as caught:
        make_dataset("npz", file="table.npz", data_dir=tmp_path, crop=2)
    assert caught.value.path == ("crop",)


def test_npz_of_images_builds_an_image_set_with_crop(tmp_path: Path) -> None:
    X = np.random.default_rng(0).integers(0, 256, size=(40, 10, 10), dtype=np.uint8)
    (tmp_path / "images.npz").write_bytes(_npz(X=X, y=_labels(40, 4)))
    data = make_dataset("npz", file="images.npz", data_dir=tmp_path, crop=8, seed=0)
    assert data.kind == "image" and data.input_shape == (8, 8, 1) and data.num_classes == 4
    with pytest.raises(SpecError, match="at most the image size 10") as caught:
        make_dataset("npz", file="images.npz", data_dir=tmp_path, crop=12)
    assert caught.value.path == ("crop",)


def test_npz_loader_refuses_a_set_too_big_from_its_header_before_expanding_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A few hundred KB that expand to 500 MB: the .npy header's shape is enough to refuse it."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, X=np.zeros((500_000, 1000), np.uint8), y=np.zeros(500_000, np.uint8))

    def never(*_: object) -> None:
        raise AssertionError("the arrays were opened for loading")

    monkeypatch.setattr(npzfile, "_open", never)
    with pytest.raises(SpecError, match="500000x1000 is 500,000,000 values"):
        load_npz(buffer.getvalue())

"""The MNIST IDX loader on a good file pair and on broken ones."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from engine.datasets import encode_idx, load_idx, make_dataset
from engine.datasets.sources import gunzip_if_needed
from engine.errors import SpecError


def _images(n: int = 12, rows: int = 6, cols: int = 5) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(n, rows, cols), dtype=np.uint8)


def _labels(n: int = 12) -> np.ndarray:
    return (np.arange(n) % 3).astype(np.uint8)


def test_idx_loader_reads_images_and_labels_scaled_to_unit_range() -> None:
    pixels = _images()
    loaded = load_idx(encode_idx(pixels), encode_idx(_labels()))
    assert loaded.X.shape == (12, 1, 6, 5) and loaded.X.dtype == np.float32
    np.testing.assert_allclose(loaded.X[:, 0] * 255.0, pixels, atol=1e-4)
    assert loaded.y.dtype == np.int64 and loaded.y.tolist() == _labels().tolist()
    assert loaded.class_names == ("0", "1", "2")


def test_idx_loader_reads_gzipped_files() -> None:
    loaded = load_idx(gzip.compress(encode_idx(_images())), gzip.compress(encode_idx(_labels())))
    assert loaded.X.shape == (12, 1, 6, 5)


def test_idx_loader_rejects_wrong_magic_number() -> None:
    with pytest.raises(SpecError, match=r"wrong magic number 0x00000801 .*expected 0x00000803") as caught:
        load_idx(encode_idx(_labels()), encode_idx(_labels()))
    assert caught.value.path == ("images",)
    broken = b"\x12\x34" + encode_idx(_labels())[2:]
    with pytest.raises(SpecError, match="wrong magic number 0x12340801") as caught:
        load_idx(encode_idx(_images()), broken)
    assert caught.value.path == ("labels",)


def test_idx_loader_rejects_truncated_data() -> None:
    data = encode_idx(_images())
    with pytest.raises(
        SpecError, match=r"truncated: header promises \(12, 6, 5\) = 360 bytes of data, file has 300"
    ):
        load_idx(data[:-60], encode_idx(_labels()))


def test_idx_loader_rejects_a_truncated_header() -> None:
    with pytest.raises(SpecError, match="truncated header"):
        load_idx(encode_idx(_images())[:9], encode_idx(_labels()))
    with pytest.raises(SpecError, match="too short"):
        load_idx(b"\x00\x00", encode_idx(_labels()))


def test_idx_loader_rejects_trailing_bytes() -> None:
    with pytest.raises(SpecError, match="4 unexpected bytes after the data"):
        load_idx(encode_idx(_images()) + b"\x00" * 4, encode_idx(_labels()))


def test_idx_loader_rejects_mismatched_counts() -> None:
    with pytest.raises(SpecError, match="11 labels for 12 images") as caught:
        load_idx(encode_idx(_images()), encode_idx(_labels(11)))
    assert caught.value.path == ("labels",)


def test_idx_loader_rejects_a_truncated_gzip_stream() -> None:
    with pytest.raises(SpecError, match="gzip data is truncated"):
        load_idx(gzip.compress(encode_idx(_images()))[:-20], encode_idx(_labels()))


def test_idx_loader_rejects_labels_of_a_single_class_and_oversized_files() -> None:
    with pytest.raises(SpecError, match="only one class"):
        load_idx(encode_idx(_images()), encode_idx(np.zeros(12, dtype=np.uint8)))
    with pytest.raises(SpecError, match="the limit is 100 bytes"):
        load_idx(encode_idx(_images()), encode_idx(_labels()), max_bytes=100)
    with pytest.raises(SpecError, match="zero dimension"):
        load_idx(encode_idx(np.zeros((0, 4, 4), dtype=np.uint8)), encode_idx(_labels()))


def test_idx_set_builds_from_files_in_the_data_dir(tmp_path: Path) -> None:
    (tmp_path / "train-images.gz").write_bytes(gzip.compress(encode_idx(_images(60, 8, 8))))
    (tmp_path / "train-labels").write_bytes(encode_idx(_labels(60)))
    data = make_dataset("idx", images="train-images.gz", labels="train-labels", data_dir=tmp_path, seed=0)
    assert data.input_shape == (8, 8, 1) and data.num_classes == 3
    assert data.X_train.shape[0] + data.X_val.shape[0] + data.X_test.shape[0] == 60


@pytest.mark.parametrize("name", ["../secret", "/etc/passwd", "missing.idx", "sub\\..\\x"])
def test_idx_set_refuses_paths_outside_the_data_dir_or_missing(tmp_path: Path, name: str) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (tmp_path / "secret").write_bytes(encode_idx(_images()))
    (data_dir / "labels").write_bytes(encode_idx(_labels()))
    with pytest.raises(SpecError) as caught:
        make_dataset("idx", images=name, labels="labels", data_dir=data_dir)
    assert caught.value.path == ("images",)


def test_idx_set_refuses_a_symlink_that_leaves_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (tmp_path / "outside").write_bytes(encode_idx(_labels()))
    (data_dir / "images").write_bytes(encode_idx(_images()))
    (data_dir / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(SpecError, match="outside the data dir") as caught:
        make_dataset("idx", images="images", labels="link", data_dir=data_dir)
    assert caught.value.path == ("labels",)


def test_gzip_that_expands_past_the_limit_is_refused_without_inflating_it_all() -> None:
    bomb = gzip.compress(b"\x00" * 1_000_000)
    assert len(bomb) < 2_000
    with pytest.raises(SpecError, match="expands past the limit of 10,000 bytes") as caught:
        gunzip_if_needed(bomb, field="images", max_bytes=10_000)
    assert caught.value.path == ("images",)
    assert gunzip_if_needed(b"plain bytes", field="images") == b"plain bytes"

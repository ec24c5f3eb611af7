"""The zip-of-class-folders loader on a good archive and on broken ones."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from engine.datasets import load_image_zip, make_dataset
from engine.errors import SpecError
from tests.extras import from_extra

Image = from_extra("data", "PIL.Image")


def _image_bytes(
    size: tuple[int, int] = (6, 5), mode: str = "L", fmt: str = "PNG", value: int = 200
) -> bytes:
    buffer = io.BytesIO()
    color = value if mode == "L" else (value, 0, 255 - value)
    Image.new(mode, size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` pixels and holds none: what a decompression bomb shows first."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _good_members() -> dict[str, bytes]:
    return {
        "cat/": b"",
        "cat/1.png": _image_bytes(value=10),
        "cat/2.png": _image_bytes(value=20),
        "dog/1.jpg": _image_bytes(fmt="JPEG", value=240),
        "__MACOSX/cat/._1.png": b"\x00junk",
        "dog/.DS_Store": b"junk",
    }


def test_image_zip_loader_reads_class_folders_in_sorted_order() -> None:
    loaded = load_image_zip(_zip(_good_members()))
    assert loaded.class_names == ("cat", "dog")
    assert loaded.X.shape == (3, 1, 5, 6) and loaded.X.dtype == np.float32
    assert sorted(loaded.y.tolist()) == [0, 0, 1]
    assert loaded.X.min() >= 0.0 and loaded.X.max() <= 1.0
    dog = loaded.X[loaded.y == 1]
    assert abs(float(dog.mean()) - 240 / 255) < 0.02


def test_image_zip_loader_keeps_colour_when_any_image_has_it() -> None:
    members = {"a/1.png": _image_bytes(mode="RGB"), "b/1.png": _image_bytes()}
    assert load_image_zip(_zip(members)).X.shape == (2, 3, 5, 6)
    assert load_image_zip(_zip(members), color="gray").X.shape == (2, 1, 5, 6)


def test_image_zip_loader_resizes_when_asked_and_rejects_mixed_sizes_otherwise() -> None:
    members = {"a/1.png": _image_bytes((6, 5)), "b/1.png": _image_bytes((9, 9))}
    with pytest.raises(SpecError, match=r"'b/1\.png' is 9x9 but 'a/1\.png' is 6x5"):
        load_image_zip(_zip(members))
    assert load_image_zip(_zip(members), size=8).X.shape == (2, 1, 8, 8)


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (
            {"a/1.png": _image_bytes(), "a/b/2.png": _image_bytes()},
            "'a/b/2.png' is nested more than one folder",
        ),
        ({"a/1.png": _image_bytes(), "top.png": _image_bytes()}, "'top.png' is not inside a class folder"),
        ({"a/1.png": _image_bytes(), "../b/2.png": _image_bytes()}, "unsafe path"),
        ({"a/1.png": _image_bytes(), "/b/2.png": _image_bytes()}, "unsafe path"),
        ({"a/1.png": _image_bytes(), "b/notes.txt": b"hello"}, "'b/notes.txt' is not a PNG or JPEG image"),
        (
            {"a/1.png": _image_bytes(), "b/fake.png": b"not really a png"},
            "'b/fake.png' is not a readable PNG",
        ),
        ({"a/1.png": _image_bytes(), "b/1.png": _image_bytes(fmt="GIF")}, "'b/1.png' is a GIF file"),
        ({"a/1.png": _image_bytes(), "b/cut.png": _image_bytes((40, 40))[:60]}, "'b/cut.png'"),
        ({"a/1.png": _image_bytes(), "a/2.png": _image_bytes()}, "found 1 class folder"),
        (
            {"a/1.png": _image_bytes(), "b/bomb.png": _png_header(20_000, 20_000)},
            "'b/bomb.png' is far too large",
        ),
        ({"a/1.png": _image_bytes(), "b/big.png": _png_header(10_000, 10_000)}, "'b/big.png' is 10000x10000"),
    ],
)
def test_image_zip_loader_rejects_a_broken_archive_naming_the_member(members: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message) as caught:
        load_image_zip(_zip(members))
    assert caught.value.path == ("file",)


def test_image_zip_loader_rejects_too_many_files_and_non_zips() -> None:
    members = {f"{c}/{i}.png": _image_bytes() for c in "ab" for i in range(3)}
    with pytest.raises(SpecError, match="6 images, the limit is 5"):
        load_image_zip(_zip(members), max_files=5)
    with pytest.raises(SpecError, match="not a zip file"):
        load_image_zip(_image_bytes())


def test_image_zip_loader_writes_nothing_to_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    load_image_zip(_zip(_good_members()))
    assert list(tmp_path.iterdir()) == []


def test_image_zip_set_builds_from_the_data_dir(tmp_path: Path) -> None:
    members = {
        f"{c}/{i}.png": _image_bytes((12, 12), value=40 * j + i)
        for j, c in enumerate("xyz")
        for i in range(10)
    }
    (tmp_path / "pets.zip").write_bytes(_zip(members))
    data = make_dataset("image_zip", file="pets.zip", data_dir=tmp_path, crop=10, flip=True, seed=0)
    assert data.class_names == ("x", "y", "z") and data.input_shape == (10, 10, 1)
    assert data.X_train.shape[0] + data.X_val.shape[0] + data.X_test.shape[0] == 30

"""The painting set (ConvNetJS's image_regression demo): pictures, coordinates, uploads and their limits."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from engine.datasets import make_dataset
from engine.datasets.painting import PICTURES, pixel_coordinates
from engine.errors import SpecError
from tests.extras import from_extra

Image = from_extra("data", "PIL.Image")

REPO_ROOT = Path(__file__).resolve().parents[2]


def png_bytes(pixels: np.ndarray) -> bytes:
    """pixels (H, W, 3) uint8 as a PNG file."""
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (its body is a few bytes): a decompression
    bomb as far as a decoder that trusts the header is concerned."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


NOISE_PNG = png_bytes(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))


@pytest.mark.parametrize("picture", PICTURES)
def test_every_pixel_is_one_example_with_coordinates_and_colours_in_range(picture: str) -> None:
    data = make_dataset("painting", picture=picture, size=24)
    height, width, depth = data.picture.shape
    assert max(height, width) == 24 and depth == 3 and data.picture.dtype == np.uint8
    assert data.kind == "painting" and data.input_shape == (1, 1, 2) and not data.is_classification
    assert data.X_train.shape == (height * width, 2) and data.X_train.dtype == np.float32
    assert data.y_train.shape == (height * width, 3) and data.y_train.dtype == np.float32
    assert len(data.X_test) == len(data.X_val) == 0  # a memorisation demo: nothing held out by default
    assert data.X_train.min() >= -0.5 and data.X_train.max() < 0.5
    assert data.y_train.min() >= 0.0 and data.y_train.max() <= 1.0
    assert json.dumps(data.summary())


def test_each_example_is_its_pixels_colour_at_its_coordinates() -> None:
    data = make_dataset("painting", picture="scene", size=16)
    coords = pixel_coordinates(16, 16)
    order = np.lexsort((data.X_train[:, 0], data.X_train[:, 1]))  # back to row-major: y, then x
    np.testing.assert_array_equal(data.X_train[order], coords)
    np.testing.assert_allclose(data.y_train[order], data.picture.reshape(-1, 3) / 255.0, atol=1e-7)


def test_coordinates_follow_convnetjs_scaled_by_each_sides_length() -> None:
    coords = pixel_coordinates(2, 4)  # ConvNetJS: x = (col - W/2) / W, y = (row - H/2) / H
    np.testing.assert_allclose(coords[:4, 0], [-0.5, -0.25, 0.0, 0.25])
    np.testing.assert_allclose(coords[::4, 1], [-0.5, 0.0])


def test_photos_keep_their_aspect_ratio() -> None:
    china = make_dataset("painting", picture="china", size=64).picture
    assert china.shape == (43, 64, 3)  # 427x640 scaled to a longest side of 64


def test_the_same_parameters_give_the_same_data_and_the_seed_picks_held_out_pixels() -> None:
    first = make_dataset("painting", picture="rings", size=20, test_fraction=0.25, seed=4)
    again = make_dataset("painting", picture="rings", size=20, test_fraction=0.25, seed=4)
    other = make_dataset("painting", picture="rings", size=20, test_fraction=0.25, seed=5)
    np.testing.assert_array_equal(first.X_train, again.X_train)
    np.testing.assert_array_equal(first.y_test, again.y_test)
    assert len(first.X_test) == 100 and not np.array_equal(first.X_test, other.X_test)


@pytest.mark.parametrize(
    ("params", "path", "message"),
    [
        ({"picture": "mona_lisa"}, ("picture",), "must be one of scene, rings, china, flower"),
        ({"size": 4}, ("size",), "between 8 and 128"),
        ({"size": 1000}, ("size",), "between 8 and 128"),
        ({"size": "big"}, ("size",), "must be a number"),
        ({"file": 3}, ("file",), "must be a file name"),
        ({"file": "a.png"}, ("file",), "no data dir"),
        ({"test_fraction": 0.5, "val_fraction": 0.5}, ("val_fraction",), "at most 0.9"),
    ],
)
def test_bad_parameters_raise_spec_error_naming_the_field(params: dict, path: tuple, message: str) -> None:
    with pytest.raises(SpecError, match=message) as caught:
        make_dataset("painting", **params)
    assert caught.value.path == path


def test_an_uploaded_picture_is_painted_instead_of_the_named_one(tmp_path: Path) -> None:
    pixels = np.zeros((30, 60, 3), np.uint8)
    pixels[:, 30:] = (255, 0, 0)  # left black, right red
    (tmp_path / "mine.png").write_bytes(png_bytes(pixels))
    data = make_dataset("painting", file="mine.png", size=20, data_dir=tmp_path)
    assert data.picture.shape == (10, 20, 3)
    red = np.array([255, 0, 0])
    assert data.picture[:, :8].max() < 10 and np.abs(data.picture[:, 12:] - red).max() < 10  # Lanczos rings


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a picture at all", "not a readable PNG or JPEG"),
        (NOISE_PNG[: len(NOISE_PNG) // 2], "cannot be decoded"),  # cut short in its pixel data
        (bomb_png(5000, 5000), "5000x5000 .* the limit is 16,777,216"),
        (bomb_png(100_000, 100_000), "far too large"),  # Pillow's own bomb guard fires first
    ],
)
def test_a_broken_or_enormous_upload_is_refused_on_file(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "bad.png").write_bytes(content)
    with pytest.raises(SpecError, match=message) as caught:
        make_dataset("painting", file="bad.png", data_dir=tmp_path)
    assert caught.value.path == ("file",)


def test_a_gif_is_refused_by_its_content(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="GIF")
    (tmp_path / "fake.png").write_bytes(out.getvalue())
    with pytest.raises(SpecError, match="a GIF file, not PNG or JPEG"):
        make_dataset("painting", file="fake.png", data_dir=tmp_path)


_WITHOUT_EXTRAS = """
import json, sys
for module in ("sklearn", "PIL"):
    sys.modules[module] = None  # makes the import fail as if the package were not installed
from engine.datasets import make_dataset
from engine.errors import SpecError
try:
    make_dataset("painting", picture="china")
    error = None
except SpecError as caught:
    error = [caught.message, list(caught.path)]
print(json.dumps({"scene": list(make_dataset("painting", size=10).picture.shape), "error": error}))
"""


def test_drawn_pictures_need_no_package_and_photos_say_what_they_need() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_EXTRAS], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    report = json.loads(result.stdout)
    assert report["scene"] == [10, 10, 3]
    message, path = report["error"]
    assert path == ["picture"] and 'pip install "netplay[data]"' in message

"""Pictures to paint (ConvNetJS's image_regression demo): every pixel is one example, (x, y) -> (r, g, b).

Decisions, all following the demo:

- Coordinates: pixel (row, col) of a picture of ``height`` x ``width`` becomes x = (col - width / 2) /
  width, y = (row - height / 2) / height, so both lie in [-0.5, 0.5) whatever the aspect ratio (each axis
  is scaled by its own length, as the demo does). `pixel_coordinates` gives them row-major, the order a
  prediction over every pixel is reshaped back into the picture with.
- Targets: r, g, b in [0, 1] (uint8 / 255).
- Pictures: ``scene`` and ``rings`` are drawn here with NumPy at the asked size (no package needed);
  ``china`` and ``flower`` are scikit-learn's bundled sample photos; an uploaded PNG or JPEG is read
  from the data dir. Photos and uploads are resized with Pillow (Lanczos) so their longest side is
  ``size``, keeping the aspect ratio.
- A picture file is refused before it is decoded when its header says more than `MAX_SOURCE_PIXELS`
  pixels (a decompression bomb: a few kB of PNG that would decode to gigabytes).
"""

from __future__ import annotations

import functools
import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from engine.datasets.bundled import INSTALL_HINT, missing_packages
from engine.datasets.imagezip import MAX_SOURCE_PIXELS
from engine.datasets.sources import MAX_FILE_BYTES, read_source
from engine.errors import SpecError

GENERATED = ("scene", "rings")
BUNDLED = ("china", "flower")  # scikit-learn's sample images: sklearn/datasets/images/<name>.jpg
PICTURES = GENERATED + BUNDLED
FORMATS = ("PNG", "JPEG")


def pixel_coordinates(height: int, width: int) -> np.ndarray:
    """Every pixel's (x, y) net input, row-major: (height * width, 2) float32 in [-0.5, 0.5)."""
    rows, cols = np.mgrid[0:height, 0:width]
    x = (cols - width / 2) / width
    y = (rows - height / 2) / height
    return np.stack([x.ravel(), y.ravel()], axis=1).astype(np.float32)


def _unit_grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel centres in [0, 1]: u (height, width) across, v (height, width) down."""
    v, u = np.mgrid[0:height, 0:width]
    return (u + 0.5) / width, (v + 0.5) / height


def make_scene(height: int, width: int) -> np.ndarray:
    """The demo's default kind of picture: a sun, a triangle and a square before an evening sky.

    Returns (height, width, 3) uint8.
    """
    u, v = _unit_grid(height, width)
    sky_top, sky_bottom = np.array([0.18, 0.36, 0.80]), np.array([0.80, 0.42, 0.22])
    pixels = sky_top + v[..., None] * (sky_bottom - sky_top)
    sun = (u - 0.5) ** 2 + (v - 0.38) ** 2 < 0.24**2
    square = (u > 0.46) & (u < 0.9) & (v > 0.52) & (v < 0.92)
    triangle = (v > 0.4) & (v < 0.92) & (np.abs(u - 0.33) < (v - 0.4) * 0.55)
    for mask, colour in (
        (sun, (0.95, 0.8, 0.15)),
        (square, (0.8, 0.1, 0.22)),
        (triangle, (0.12, 0.63, 0.25)),
    ):
        pixels[mask] = colour
    return np.rint(pixels * 255).astype(np.uint8)


def make_rings(height: int, width: int) -> np.ndarray:
    """Concentric rings whose hue turns with the angle: sharp edges and smooth gradients in one picture.

    Returns (height, width, 3) uint8.
    """
    u, v = _unit_grid(height, width)
    dx, dy = u - 0.5, v - 0.5
    radius, angle = np.hypot(dx, dy), np.arctan2(dy, dx)
    phase = angle[..., None] + np.array([0.0, 2.094, 4.189])  # the three channels a third of a turn apart
    colour = 0.5 + 0.5 * np.cos(phase)
    bright = (np.floor(radius * 8) % 2 == 0)[..., None]
    pixels = np.where(bright, colour, 0.15 + 0.3 * colour)
    return np.rint(pixels * 255).astype(np.uint8)


def _need_pillow(field: str, what: str) -> None:
    missing = missing_packages(("PIL",) if field == "file" else ("PIL", "sklearn"))
    if missing:
        raise SpecError(
            f"{field}: {what} needs {', '.join(missing)}, which is not installed: {INSTALL_HINT}", (field,)
        )


def decode_picture(data: bytes, *, field: str = "file") -> Any:
    """A PNG or JPEG file's bytes -> a PIL image in RGB, refusing anything else, a broken file, and a
    picture over `MAX_SOURCE_PIXELS` pixels before its pixels are decoded. Raises SpecError on `field`."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # Pillow's bomb warning: the size check below refuses those
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        raise SpecError(f"{field}: the picture is far too large ({error})", (field,)) from error
    except (UnidentifiedImageError, OSError) as error:
        raise SpecError(f"{field}: not a readable PNG or JPEG picture", (field,)) from error
    if image.format not in FORMATS:
        raise SpecError(f"{field}: the picture is a {image.format} file, not PNG or JPEG", (field,))
    width, height = image.size
    if width * height > MAX_SOURCE_PIXELS:
        raise SpecError(
            f"{field}: the picture is {width}x{height} ({width * height:,} pixels), "
            f"the limit is {MAX_SOURCE_PIXELS:,}",
            (field,),
        )
    try:
        image.load()  # a truncated or corrupt body fails here, not later in a worker
        return image.convert("RGB")
    except (OSError, ValueError, SyntaxError) as error:
        raise SpecError(f"{field}: the picture cannot be decoded ({error})", (field,)) from error


def scale_picture(image: Any, size: int) -> np.ndarray:
    """A PIL image resized so its longest side is `size` (aspect kept, each side at least 1 pixel).

    Returns (height, width, 3) uint8.
    """
    from PIL import Image

    width, height = image.size
    scale = size / max(width, height)
    shape = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(image.resize(shape, Image.Resampling.LANCZOS), dtype=np.uint8)


@functools.cache
def _bundled_image(name: str) -> Any:
    from PIL import Image
    from sklearn.datasets import load_sample_image

    return Image.fromarray(load_sample_image(f"{name}.jpg"))


def load_picture(
    picture: str, size: int, *, file: str | None = None, data_dir: str | Path | None = None
) -> np.ndarray:
    """The picture to paint at `size`: the uploaded `file` (in `data_dir`) when given, else the named
    `picture`. Returns (height, width, 3) uint8 with max(height, width) == size. Raises SpecError on
    ``file`` or ``picture``."""
    if file is not None:
        _need_pillow("file", "an uploaded picture")
        data = read_source(file, data_dir=data_dir, max_bytes=MAX_FILE_BYTES, field="file")
        return scale_picture(decode_picture(data, field="file"), size)
    if picture == "scene":
        return make_scene(size, size)
    if picture == "rings":
        return make_rings(size, size)
    _need_pillow("picture", f"the {picture} photo")
    return scale_picture(_bundled_image(picture), size)


def paint_examples(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pixel as an example: pixels (H, W, 3) uint8 -> X (H * W, 2) float32 coordinates
    (`pixel_coordinates`), y (H * W, 3) float32 colours in [0, 1], both row-major."""
    height, width, _ = pixels.shape
    return pixel_coordinates(height, width), (pixels.reshape(-1, 3) / 255.0).astype(np.float32)

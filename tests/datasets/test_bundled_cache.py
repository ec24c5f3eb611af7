"""The disk cache of parsed bundled sets: a later process maps the arrays instead of parsing them again,
and a cache that is damaged or cannot be written is skipped, never an error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.datasets.bundled import cached


def images() -> tuple[np.ndarray, np.ndarray]:
    return np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 1, 3, 3) / 18, np.array([0, 1])


def never() -> tuple[np.ndarray, np.ndarray]:
    raise AssertionError("parsed again: the cache was not used")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("NETPLAY_CACHE_DIR", str(folder))
    return folder


def test_parsed_arrays_are_kept_on_disk_and_read_back_read_only_without_parsing(cache: Path) -> None:
    first_X, first_y = cached("tiny", "numpy", images)
    again_X, again_y = cached("tiny", "numpy", never)

    assert np.array_equal(again_X, first_X) and np.array_equal(again_y, first_y)
    assert again_X.dtype == np.float32 and again_y.dtype == np.int64
    assert not again_X.flags.writeable and not again_y.flags.writeable
    assert not first_X.flags.writeable
    assert type(again_X) is np.ndarray  # a plain array over the mapped file
    assert sorted(path.name.split("-v")[0] for path in cache.iterdir()) == [f"tiny-{np.__version__}"] * 2


def test_a_damaged_cache_is_parsed_again_and_rewritten(cache: Path) -> None:
    cached("tiny", "numpy", images)
    for path in cache.iterdir():
        path.write_bytes(path.read_bytes()[:20])

    X, _ = cached("tiny", "numpy", images)
    again, _ = cached("tiny", "numpy", never)

    assert np.array_equal(X, images()[0]) and np.array_equal(again, X)


def test_a_cache_folder_that_cannot_be_written_only_costs_a_parse(cache: Path) -> None:
    cache.parent.mkdir(exist_ok=True)
    cache.write_text("a file where the folder should be")

    X, y = cached("tiny", "numpy", images)

    assert np.array_equal(X, images()[0]) and y.tolist() == [0, 1]

"""MetricHistory: a bounded metric history that always spans the whole run with evenly spaced points."""

from __future__ import annotations

import numpy as np
import pytest

from app.history import MetricHistory


def offer(history: MetricHistory, first: int, last: int) -> list[bool]:
    """Offer reports numbered first..last (their ``step``); whether each was kept."""
    return [history.add({"step": step}) for step in range(first, last + 1)]


def steps(history: MetricHistory) -> list[int]:
    return [point["step"] for point in history.points]


def test_every_point_is_kept_until_the_capacity() -> None:
    history = MetricHistory(10)

    kept = offer(history, 1, 10)

    assert kept == [True] * 10
    assert steps(history) == list(range(1, 11))
    assert history.stride == 1


def test_going_over_the_capacity_drops_every_second_point() -> None:
    history = MetricHistory(10)

    offer(history, 1, 11)

    assert steps(history) == [1, 3, 5, 7, 9, 11]
    assert history.stride == 2
    assert offer(history, 12, 13) == [False, True]


@pytest.mark.parametrize("capacity", [2, 3, 10, 11, 64, 101])
@pytest.mark.parametrize("reports", [1, 7, 100, 1000, 4321])
def test_a_long_run_stays_bounded_spans_the_run_and_is_evenly_spaced(capacity: int, reports: int) -> None:
    history = MetricHistory(capacity)

    offer(history, 1, reports)

    kept = steps(history)
    assert len(kept) <= capacity
    assert len(kept) >= min(reports, capacity // 2)
    assert kept[0] == 1
    assert reports - kept[-1] < history.stride  # the newest kept point is at most one stride old
    assert set(np.diff(kept).tolist()) <= {history.stride}


def test_a_history_given_over_capacity_is_thinned_at_once() -> None:
    history = MetricHistory(4, [{"step": step} for step in range(1, 10)])

    assert steps(history) == [1, 5, 9]
    assert history.stride == 4


def test_a_thinned_given_history_goes_on_at_the_same_spacing() -> None:
    history = MetricHistory(4, [{"step": step} for step in range(1, 11)])

    kept = offer(history, 11, 17)

    assert kept == [False, False, True, False, False, False, True]  # 13 and 17: 4 apart, as 1, 5, 9
    assert (steps(history), history.stride) == ([1, 9, 17], 8)


def test_capacity_below_two_is_refused() -> None:
    with pytest.raises(ValueError, match="capacity must be >= 2, got 1"):
        MetricHistory(1)

import datetime

import pytest

from centres.reporting import (
    PROGRESS_BUCKETS,
    Rag,
    bars,
    elapsed_percent,
    histogram,
    percent,
    schedule,
)

START = datetime.date(2026, 9, 1)
END = datetime.date(2027, 9, 1)  # 365 days


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (datetime.date(2026, 8, 1), 0),
        (START, 0),
        (datetime.date(2027, 3, 2), 49),  # 182 of 365 days
        (END, 100),
        (datetime.date(2028, 1, 1), 100),
    ],
)
def test_elapsed_percent(today, expected):
    assert elapsed_percent(START, END, today) == expected


def test_percent_rounds_down_and_survives_zero():
    assert percent(199, 200) == 99
    assert percent(0, 0) == 0


@pytest.mark.parametrize(
    ("met", "rag", "behind"),
    [
        (50, Rag.GREEN, 0),
        (49, Rag.GREEN, 0),
        (48, Rag.AMBER, 1),
        (29, Rag.AMBER, 20),
        (28, Rag.RED, 21),
        (0, Rag.RED, 49),
    ],
)
def test_rag_by_points_behind_schedule(met, rag, behind):
    # 49% of the planned time has passed; `met` of 100 criteria are met.
    s = schedule(met=met, total=100, start=START, planned_end=END, today=datetime.date(2027, 3, 2))
    assert (s.percent_elapsed, s.rag, s.behind_by, s.is_behind) == (49, rag, behind, behind > 0)


def test_histogram_and_bars():
    counts = histogram([0, 5, 25, 100, 100, 61], PROGRESS_BUCKETS)
    assert counts == [
        ("0–19%", 2),
        ("20–39%", 1),
        ("40–59%", 0),
        ("60–79%", 1),
        ("80–99%", 0),
        ("100%", 2),
    ]
    drawn = bars(counts, height=60)
    assert [(b.x, b.width, b.height, b.y) for b in drawn] == [
        (1, 14, 60, 0),
        (17, 14, 30, 30),
        (33, 14, 0, 60),
        (49, 14, 30, 30),
        (65, 14, 0, 60),
        (81, 14, 60, 0),
    ]

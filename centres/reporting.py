"""Pure arithmetic of the centre's reports: schedules, red/amber/green, chart bars.

Nothing here touches the database; `centres.selectors` gathers the numbers and these functions
turn them into what the dashboards show, so the rules are tested on their own. The same rules
are written once more as database expressions (`percent_sql`, `elapsed_percent_sql`,
`rag_sql`, `bucket_sql`), so that a centre of thousands of learners is counted by the database
rather than row by row here; `tests/centres/test_reporting.py` checks the two agree.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Case, F, Func, IntegerField, Value, When
from django.db.models.functions import Greatest
from django.db.models.lookups import (
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
)

# How far behind schedule (in percentage points) a learner may be before the flag turns red.
AMBER_POINTS = 20


class Rag:
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


@dataclass(frozen=True)
class Schedule:
    percent_done: int  # criteria met, of the criteria in the learner's units
    percent_elapsed: int  # share of the planned duration that has passed

    @property
    def behind_by(self) -> int:
        return max(0, self.percent_elapsed - self.percent_done)

    @property
    def is_behind(self) -> bool:
        return self.percent_done < self.percent_elapsed

    @property
    def rag(self) -> str:
        if not self.is_behind:
            return Rag.GREEN
        return Rag.AMBER if self.behind_by <= AMBER_POINTS else Rag.RED


def percent(part: int, whole: int) -> int:
    """Whole-number percentage, rounded down so that 99.6% never reads as done."""
    return (100 * part) // whole if whole else 0


def elapsed_percent(start: datetime.date, planned_end: datetime.date, today: datetime.date) -> int:
    if today <= start:
        return 0
    if planned_end <= start or today >= planned_end:
        return 100
    return percent((today - start).days, (planned_end - start).days)


def schedule(*, met: int, total: int, start, planned_end, today) -> Schedule:
    return Schedule(percent(met, total), elapsed_percent(start, planned_end, today))


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: int = 0  # position and size in the chart's own units (an SVG viewBox of 100 wide)
    width: int = 0
    height: int = 0
    y: int = 0


def histogram(values: list[int], edges: list[tuple[str, int, int]]) -> list[tuple[str, int]]:
    """Counts of values in each [low, high] bucket, labelled."""
    return [(label, sum(1 for v in values if low <= v <= high)) for label, low, high in edges]


def bars(counts: list[tuple[str, int]], *, height: int = 32) -> list[Bar]:
    """Bars of a column chart scaled to a 100 × `height` viewBox (drawn as SVG <rect>s, so the
    page needs no script and no style attribute)."""
    if not counts:
        return []
    top = max(value for _, value in counts) or 1
    slot = 100 // len(counts)
    result = []
    for index, (label, value) in enumerate(counts):
        bar_height = round(height * value / top)
        result.append(
            Bar(
                label=label,
                value=value,
                x=index * slot + 1,
                width=max(slot - 2, 1),
                height=bar_height,
                y=height - bar_height,
            )
        )
    return result


PROGRESS_BUCKETS = [
    ("0–19%", 0, 19),
    ("20–39%", 20, 39),
    ("40–59%", 40, 59),
    ("60–79%", 60, 79),
    ("80–99%", 80, 99),
    ("100%", 100, 100),
]

WAITING_BUCKETS = [
    ("< 1 day", 0, 0),
    ("1–2 days", 1, 2),
    ("3–6 days", 3, 6),
    ("1–2 weeks", 7, 13),
    ("2–4 weeks", 14, 27),
    ("4+ weeks", 28, 10_000),
]


# ---------------------------------------------------------------- the same rules in SQL


class DaysBetween(Func):
    """Whole days from the date `start` to the date `end` (PostgreSQL: date minus date is a
    number of days; SQLite: Julian day numbers)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


def _expr(value):
    if isinstance(value, str):
        return F(value)
    if isinstance(value, int):
        return Value(value)
    return value


def percent_sql(part, whole):
    """`percent` as an expression (field names or expressions)."""
    part, whole = _expr(part), _expr(whole)
    return Case(
        When(GreaterThan(whole, 0), then=Value(100) * part / whole),
        default=Value(0),
        output_field=IntegerField(),
    )


def elapsed_percent_sql(start, planned_end, today: datetime.date):
    """`elapsed_percent` as an expression; `start`, `planned_end`: date fields."""
    start, planned_end = _expr(start), _expr(planned_end)
    today_value = Value(today)
    return Case(
        When(LessThanOrEqual(today_value, start), then=Value(0)),
        When(LessThanOrEqual(planned_end, start), then=Value(100)),
        When(GreaterThanOrEqual(today_value, planned_end), then=Value(100)),
        default=Value(100) * DaysBetween(today_value, start) / DaysBetween(planned_end, start),
        output_field=IntegerField(),
    )


def behind_by_sql(done, elapsed):
    """`Schedule.behind_by` as an expression."""
    return Greatest(_expr(elapsed) - _expr(done), Value(0), output_field=IntegerField())


RAG_ORDER = [Rag.GREEN, Rag.AMBER, Rag.RED]


def rag_sql(done, elapsed):
    """`Schedule.rag` as an expression: its index in RAG_ORDER (0 green, 1 amber, 2 red)."""
    done, elapsed = _expr(done), _expr(elapsed)
    return Case(
        When(GreaterThanOrEqual(done, elapsed), then=Value(0)),
        When(LessThanOrEqual(elapsed - done, Value(AMBER_POINTS)), then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def bucket_sql(value, edges: list[tuple[str, int, int]]):
    """The index in `edges` (contiguous [low, high] buckets, ascending) of the bucket holding
    `value`, or None outside them all, as `histogram` counts."""
    if any(edges[i][2] + 1 != edges[i + 1][1] for i in range(len(edges) - 1)):
        raise ValueError("bucket_sql needs contiguous buckets")
    value = _expr(value)
    return Case(
        When(LessThan(value, Value(edges[0][1])), then=None),
        *[
            When(LessThanOrEqual(value, Value(high)), then=Value(i))
            for i, (_, _, high) in enumerate(edges)
        ],
        default=None,
        output_field=IntegerField(),
    )

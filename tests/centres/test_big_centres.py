"""A centre's report at any size: counted by the database, the learners behind schedule a page
at a time, the counts kept until the next change, and the progress export streamed."""

import csv
import datetime
import io

import pytest
from django.core.cache import cache
from django.db.models import DateField, IntegerField, Value
from django.urls import reverse

from accounts.models import Centre
from audit.chain import chain_head
from centres import selectors
from centres.exports import EXPORT_HEADERS, iter_progress_rows
from centres.reporting import (
    PROGRESS_BUCKETS,
    RAG_ORDER,
    WAITING_BUCKETS,
    behind_by_sql,
    bucket_sql,
    elapsed_percent,
    elapsed_percent_sql,
    histogram,
    percent,
    percent_sql,
    rag_sql,
    schedule,
)
from centres.selectors import centre_report
from tests.centres.test_dashboard import (  # noqa: F401 (hand_built is a fixture used by name)
    TODAY,
    _learner,
    hand_built,
)
from tests.moderation.conftest import (  # noqa: F401 (catalogue is a fixture used by name)
    add_evidence,
    catalogue,
    criteria,
    decide,
    enrol,
)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def five(hand_built, catalogue, centre, tutor, centre_admin):  # noqa: F811
    """The hand-built three, and Fay and Gus with nothing done (as far behind as Erin)."""
    for name in ("fay", "gus"):
        learner = _learner(centre, name)
        enrol(catalogue, centre=centre, learner=learner, tutor=tutor, by=centre_admin)
    return hand_built


def _names(page) -> list[tuple[str, int]]:
    return [(p.enrolment.learner.username, p.schedule.behind_by) for p in page]


# ---------------------------------------------------------------- the SQL agrees with Python


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("met", "total", "start", "end", "today"),
    [
        (0, 0, datetime.date(2026, 1, 5), datetime.date(2026, 12, 18), TODAY),
        (3, 6, datetime.date(2026, 1, 5), datetime.date(2026, 12, 18), TODAY),
        (199, 200, datetime.date(2026, 1, 5), datetime.date(2026, 12, 18), TODAY),
        (6, 6, datetime.date(2026, 1, 5), datetime.date(2026, 12, 18), TODAY),
        (1, 6, datetime.date(2026, 9, 1), datetime.date(2027, 9, 1), datetime.date(2027, 3, 2)),
        (0, 6, datetime.date(2026, 9, 1), datetime.date(2027, 9, 1), datetime.date(2026, 8, 1)),
        (0, 6, datetime.date(2026, 9, 1), datetime.date(2026, 9, 1), datetime.date(2026, 9, 1)),
        (2, 9, datetime.date(2025, 9, 1), datetime.date(2026, 6, 30), TODAY),
        (5, 9, datetime.date(2026, 2, 28), datetime.date(2026, 12, 1), TODAY),
        (4, 9, datetime.date(2026, 2, 28), datetime.date(2026, 12, 1), TODAY),
    ],
)
def test_database_rules_agree_with_the_python_rules(met, total, start, end, today):
    Centre.objects.create(name="Any", centre_number="X1")
    expected = schedule(met=met, total=total, start=start, planned_end=end, today=today)
    row = (
        Centre.objects.annotate(
            met=Value(met, output_field=IntegerField()),
            total=Value(total, output_field=IntegerField()),
            elapsed=elapsed_percent_sql(
                Value(start, output_field=DateField()), Value(end, output_field=DateField()), today
            ),
        )
        .annotate(done=percent_sql("met", "total"))
        .annotate(
            behind=behind_by_sql("done", "elapsed"),
            rag=rag_sql("done", "elapsed"),
            bucket=bucket_sql("done", PROGRESS_BUCKETS),
        )
        .values("done", "elapsed", "behind", "rag", "bucket")
        .get()
    )
    assert row["done"] == percent(met, total) == expected.percent_done
    assert row["elapsed"] == elapsed_percent(start, end, today) == expected.percent_elapsed
    assert row["behind"] == expected.behind_by
    assert RAG_ORDER[row["rag"]] == expected.rag
    counts = [n for _, n in histogram([expected.percent_done], PROGRESS_BUCKETS)]
    assert counts[row["bucket"]] == 1


def test_buckets_must_be_contiguous():
    with pytest.raises(ValueError, match="contiguous"):
        bucket_sql("done", [("low", 0, 9), ("high", 20, 30)])
    assert bucket_sql("days", WAITING_BUCKETS) is not None


# ---------------------------------------------------------------- paging


def test_behind_schedule_is_paged_most_behind_first(five, centre, monkeypatch):
    monkeypatch.setattr(selectors, "BEHIND_PER_PAGE", 2)
    first = centre_report(centre, today=TODAY).behind
    assert (first.paginator.count, first.paginator.num_pages) == (4, 2)
    # Equally behind: by last name, then first name.
    assert _names(first) == [("erin", 51), ("fay", 51)]
    second = centre_report(centre, today=TODAY, page=2).behind
    assert _names(second) == [("gus", 51), ("dora", 1)]
    # Past the end: the last page, as Django's paginator answers.
    assert _names(centre_report(centre, today=TODAY, page=9).behind) == _names(second)
    assert _names(centre_report(centre, today=TODAY, page="x").behind) == _names(first)


def test_dashboard_pages_the_learners_behind(client, five, centre, centre_admin, monkeypatch):
    monkeypatch.setattr(selectors, "BEHIND_PER_PAGE", 2)
    client.force_login(centre_admin)
    dashboard = client.get(reverse("centre_dashboard", args=[centre.pk])).url
    response = client.get(dashboard, {"page": 2})
    # Today (late November 2026 or after) over 90% of the planned time has passed: everyone
    # but Alice (all met) is behind, Dora least.
    report = response.context["report"]
    assert report.rag_counts["green"] == 1
    assert [p.enrolment.learner.username for p in report.behind] == ["gus", "dora"]
    assert response.text.count('data-testid="behind-row"') == 2
    assert 'data-testid="behind-count">4<' in response.text
    assert "Page 2 of 2 · 4 in all" in response.text
    rows = response.text.split('data-testid="behind-row"')[1:]
    assert ["Gus Learner" in rows[0], "Dora Learner" in rows[1]] == [True, True]


# ---------------------------------------------------------------- counts and the cache


def test_counts_follow_every_change(five, centre, tutor, catalogue):  # noqa: F811
    before = centre_report(centre, today=TODAY)
    assert before.rag_counts == {"green": 1, "amber": 1, "red": 3}
    assert [b.value for b in before.progress_bars] == [3, 0, 1, 0, 0, 1]
    # Dora's tutor decides her last three criteria met: the next report counts her green.
    dora = five["dora"]
    rest = (criteria(catalogue.unit_a) + criteria(catalogue.unit_b))[3:]
    decide(dora, tutor, rest, evidence=add_evidence(dora, dora.learner, criteria_list=rest))
    after = centre_report(centre, today=TODAY)
    assert after.rag_counts == {"green": 2, "amber": 0, "red": 3}
    assert after.behind.paginator.count == 3


def test_report_queries_do_not_grow_with_learners(
    hand_built,  # noqa: F811
    catalogue,  # noqa: F811
    centre,
    tutor,
    centre_admin,
    django_assert_max_num_queries,
    django_assert_num_queries,
):
    with django_assert_max_num_queries(30) as cold:
        centre_report(centre, today=TODAY)
    with django_assert_max_num_queries(30) as warm:
        centre_report(centre, today=TODAY)
    at_three = (len(cold.captured_queries), len(warm.captured_queries))
    # Counting is the summary's three queries; from the cache, none of them.
    assert at_three[0] - at_three[1] == 3
    for i in range(27):
        learner = _learner(centre, f"x{i:02d}")
        enrol(catalogue, centre=centre, learner=learner, tutor=tutor, by=centre_admin)
    with django_assert_num_queries(at_three[0]):
        report = centre_report(centre, today=TODAY)
    with django_assert_num_queries(at_three[1]):
        assert centre_report(centre, today=TODAY).active == report.active == 30


def test_centre_without_audit_entries_is_counted_every_time(centre, django_assert_num_queries):
    # Nothing to key a cache on: no entry, no caching (and nothing to count either).
    with django_assert_num_queries(7):
        report = centre_report(centre, today=TODAY)
    assert (report.active, report.waiting_count, report.oldest_wait) == (0, 0, None)
    with django_assert_num_queries(7):
        centre_report(centre, today=TODAY)


# ---------------------------------------------------------------- the export


def test_csv_export_streams_every_row(
    client,
    hand_built,  # noqa: F811 (the fixture)
    centre,
    centre_admin,
    tutor,
):
    client.force_login(centre_admin)
    response = client.get(reverse("progress_export", args=[centre.pk, "csv"]))
    assert response.streaming
    assert response["Content-Type"] == "text/csv"
    lines = [chunk.decode() for chunk in response.streaming_content]
    # One piece per line: a header, six learner-unit rows, a blank row and the chain's head.
    assert len(lines) == 9
    rows = list(csv.reader(io.StringIO("".join(lines))))
    assert rows[0] == EXPORT_HEADERS
    dora = [r for r in rows if r[1] == "dora@example.org"]
    assert [r[4:10] for r in dora] == [
        ["A/100/0001", "Deliver customer service", "3", "4", "75", dora[0][9]],
        ["A/100/0002", "Communicate with customers", "0", "2", "0", dora[0][9]],
    ]
    states = [str(tutor), "not signed", "not sampled", "not sampled"]
    assert [r[10:14] for r in dora] == [states, states]
    seq, digest = chain_head()
    assert rows[-2] == [""] * len(EXPORT_HEADERS)
    assert rows[-1][:3] == ["audit chain head", f"#{seq}", digest]


def test_rows_are_the_same_read_a_chunk_at_a_time(five, centre, django_assert_max_num_queries):
    whole = list(iter_progress_rows(centre))
    assert len(whole) == 10  # five learners, two units each
    with django_assert_max_num_queries(100) as one_chunk:
        assert list(iter_progress_rows(centre, chunk_size=5)) == whole
    with django_assert_max_num_queries(100) as five_chunks:
        assert list(iter_progress_rows(centre, chunk_size=1)) == whole
    # One query reads the learners; each chunk costs the same fixed number.
    per_chunk = len(one_chunk.captured_queries) - 1
    assert len(five_chunks.captured_queries) == 1 + 5 * per_chunk


# ---------------------------------------------------------------- the moderator's dashboard


def test_moderator_dashboard_reads_coverage_from_the_centre_summary(
    client,
    hand_built,  # noqa: F811 (the fixture)
    catalogue,  # noqa: F811
    centre,
    tutor,
    internal_moderator,
    django_assert_max_num_queries,
):
    from accounts.models import Membership
    from moderation.models import SamplingPlan
    from moderation.plans import plan_grids

    plan = SamplingPlan.objects.create(
        centre=centre,
        qualification=catalogue.qualification,
        tutor=tutor,
        learner_rate=34,
        created_by=internal_moderator,
    )
    client.force_login(internal_moderator)
    membership = Membership.objects.get(user=internal_moderator, centre=centre)
    url = reverse("role_dashboard", args=[membership.pk])
    with django_assert_max_num_queries(60) as first:
        response = client.get(url)
    first_count = len(first.captured_queries)
    [grid] = response.context["grids"]
    [built] = plan_grids([plan])
    assert grid.plan == plan
    assert grid.coverage == built.coverage
    assert (grid.coverage.learners_total, grid.coverage.learners_target) == (3, 2)
    assert f'data-testid="plan-{plan.pk}"' in response.text
    # The next view takes the coverage from the cache: no grid is built again.
    with django_assert_max_num_queries(60) as second:
        assert client.get(url).context["grids"][0].coverage == built.coverage
    assert len(second.captured_queries) < first_count


# ---------------------------------------------------------------- the tutor's queue


def test_tutor_queue_is_paged_oldest_first(
    client,
    hand_built,  # noqa: F811 (the fixture)
    centre,
    tutor,
    monkeypatch,
    django_assert_max_num_queries,
):
    from moderation import views as moderation_views

    monkeypatch.setattr(moderation_views, "QUEUE_PER_PAGE", 1)
    erin = hand_built["erin"]
    # Erin's item (from the fixture) waits, and a second one, newer.
    later = add_evidence(erin, erin.learner, criteria_list=criteria(erin.units.first())[:1])
    client.force_login(tutor)
    url = reverse("moderation:tutor_queue")
    with django_assert_max_num_queries(40) as first_page:
        first = client.get(url)
    on_first_page = len(first_page.captured_queries)  # read now: each request empties the log
    second = client.get(url, {"page": 2})
    assert [e.reference for e in first.context["items"]] == ["E001"]
    assert [e.pk for e in second.context["items"]] == [later.pk]
    assert 'data-testid="queue-count">2 items, oldest first<' in second.text
    assert "Page 2 of 2 · 2 in all" in second.text
    # More items waiting cost no more queries.
    for _ in range(3):
        add_evidence(erin, erin.learner, criteria_list=criteria(erin.units.first())[:1])
    with django_assert_max_num_queries(on_first_page):
        client.get(url, {"page": 3})

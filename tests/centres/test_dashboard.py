"""The centre dashboard, the tutor's risk list and the progress export, on a hand-built centre."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from accounts.enums import Role
from accounts.models import Membership
from audit.chain import chain_head
from centres.exports import progress_rows
from centres.selectors import centre_report, tutor_risk_list, with_progress
from portfolios.models import Enrolment
from tests.factories import MembershipFactory, UserFactory
from tests.moderation.conftest import (  # noqa: F401 (catalogue is a fixture used by name)
    add_evidence,
    catalogue,
    criteria,
    decide,
    enrol,
)

# Enrolments run from 2026-01-05 to 2026-12-18 (347 days); on 1 July 177 days (51%) have passed.
TODAY = datetime.date(2026, 7, 1)


def _learner(centre, username):
    user = UserFactory(username=username, first_name=username.title(), last_name="Learner")
    MembershipFactory(user=user, centre=centre, role=Role.LEARNER)
    return user


@pytest.fixture
def hand_built(catalogue, centre, tutor, centre_admin, learner):  # noqa: F811
    """Alice has met all 6 criteria, Dora 3 of 6, Erin none (with one item waiting)."""
    everything = criteria(catalogue.unit_a) + criteria(catalogue.unit_b)
    alice = enrol(catalogue, centre=centre, learner=learner, tutor=tutor, by=centre_admin)
    decide(
        alice, tutor, everything, evidence=add_evidence(alice, learner, criteria_list=everything)
    )
    dora_user = _learner(centre, "dora")
    dora = enrol(catalogue, centre=centre, learner=dora_user, tutor=tutor, by=centre_admin)
    decide(
        dora,
        tutor,
        everything[:3],
        evidence=add_evidence(dora, dora_user, criteria_list=everything[:3]),
    )
    erin_user = _learner(centre, "erin")
    erin = enrol(catalogue, centre=centre, learner=erin_user, tutor=tutor, by=centre_admin)
    add_evidence(erin, erin_user, criteria_list=everything[:1])
    return {"alice": alice, "dora": dora, "erin": erin}


def test_centre_report_exact_figures(hand_built, centre):
    report = centre_report(centre, today=TODAY)
    assert report.by_qualification == [
        ("600/0001/1 Level 2 Diploma in Testing", {"active": 3, "completed": 0, "withdrawn": 0})
    ]
    progress = with_progress(Enrolment.objects.filter(centre=centre), today=TODAY)
    figures = {
        e.learner.username: (e.met, e.total, e.percent_done, e.percent_elapsed, e.behind_by)
        for e in progress
    }
    assert figures == {
        "alice": (6, 6, 100, 51, 0),
        "dora": (3, 6, 50, 51, 1),
        "erin": (0, 6, 0, 51, 51),
    }
    assert report.active == 3
    assert report.rag_counts == {"green": 1, "amber": 1, "red": 1}
    assert [(p.enrolment.learner.username, p.schedule.behind_by) for p in report.behind] == [
        ("erin", 51),
        ("dora", 1),
    ]
    assert report.behind.paginator.count == 2
    assert [(b.label, b.value) for b in report.progress_bars] == [
        ("0–19%", 1),
        ("20–39%", 0),
        ("40–59%", 1),
        ("60–79%", 0),
        ("80–99%", 0),
        ("100%", 1),
    ]
    assert (report.waiting_count, report.oldest_wait) == (1, 0)
    assert [(b.label, b.value) for b in report.waiting_bars] == [
        ("< 1 day", 1),
        ("1–2 days", 0),
        ("3–6 days", 0),
        ("1–2 weeks", 0),
        ("2–4 weeks", 0),
        ("4+ weeks", 0),
    ]
    assert report.referrals == []


def test_tutor_risk_list_puts_most_at_risk_first(hand_built, centre, tutor):
    risk = tutor_risk_list(tutor, centre, today=TODAY)
    assert [(p.enrolment.learner.username, reasons) for p, reasons in risk] == [
        ("erin", ["51 points behind schedule", "1 evidence item waiting"]),
        ("dora", ["1 points behind schedule"]),
        ("alice", []),
    ]


def test_progress_rows_per_learner_and_unit(hand_built, centre, tutor):
    rows = sorted(progress_rows(centre), key=lambda r: (r[1], r[4]))
    assert [(r[1], r[4], r[6], r[7], r[8], r[10], r[11], r[12], r[13]) for r in rows] == [
        (email, unit, met, total, pct, str(tutor), "not signed", "not sampled", "not sampled")
        for email, unit, met, total, pct in [
            ("alice@example.org", "A/100/0001", 4, 4, 100),
            ("alice@example.org", "A/100/0002", 2, 2, 100),
            ("dora@example.org", "A/100/0001", 3, 4, 75),
            ("dora@example.org", "A/100/0002", 0, 2, 0),
            ("erin@example.org", "A/100/0001", 0, 4, 0),
            ("erin@example.org", "A/100/0002", 0, 2, 0),
        ]
    ]


def test_dashboard_shows_the_report(client, hand_built, centre, centre_admin):
    client.force_login(centre_admin)
    response = client.get(reverse("centre_dashboard", args=[centre.pk]), follow=True)
    # Today (late November 2026 or after) over 90% of the planned time has passed.
    assert response.context["report"].rag_counts == {"red": 2, "amber": 0, "green": 1}
    assert 'data-testid="rag-red">2<' in response.text
    assert 'data-testid="progress-table"' in response.text
    assert 'data-testid="waiting-count">1<' in response.text
    assert "Erin Learner" in response.text


def test_tutor_dashboard_lists_learners_by_risk(client, hand_built, centre, tutor):
    client.force_login(tutor)
    membership = Membership.objects.get(user=tutor, centre=centre)
    response = client.get(reverse("role_dashboard", args=[membership.pk]))
    names = [p.enrolment.learner.username for p, _ in response.context["risk"]]
    assert sorted(names) == ["alice", "dora", "erin"]
    assert response.text.count('data-testid="risk-row"') == 3


def test_csv_export_escapes_formulas_and_lists_only_this_centre(
    client, hand_built, centre, centre_admin, learner, outsider, other_centre
):
    learner.first_name = '=HYPERLINK("http://x")'
    learner.save()
    client.force_login(centre_admin)
    response = client.get(reverse("progress_export", args=[centre.pk, "csv"]))
    assert response["Content-Disposition"].startswith('attachment; filename="progress-A0001-')
    assert response.streaming
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[0][:3] == ["learner", "email", "registration_number"]
    alice = [row for row in rows if row[1] == "alice@example.org"]
    assert [row[0][:11] for row in alice] == ["'=HYPERLINK", "'=HYPERLINK"]
    # Six unit rows, then a blank row and the audit chain's head, also in a header.
    seq, digest = chain_head()
    assert len(rows) == 9
    assert rows[-1][:3] == ["audit chain head", f"#{seq}", digest]
    assert response["X-Audit-Chain-Head"] == f"#{seq} {digest}"
    assert seq > 0
    assert "charlie" not in response.getvalue().decode()


def test_xlsx_export(client, hand_built, centre, centre_admin):
    client.force_login(centre_admin)
    response = client.get(reverse("progress_export", args=[centre.pk, "xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][0] == "learner"
    assert len(values) == 9
    assert values[-1][:2] == ("audit chain head", f"#{chain_head()[0]}")


def test_export_refused_to_other_centre_and_wrong_role(client, hand_built, centre, outsider, tutor):
    client.force_login(outsider)
    assert client.get(reverse("progress_export", args=[centre.pk, "csv"])).status_code == 404
    client.force_login(tutor)
    assert client.get(reverse("progress_export", args=[centre.pk, "csv"])).status_code == 403


def _enrol_many(catalogue, centre, tutor, admin, n, start):  # noqa: F811
    for i in range(start, start + n):
        user = _learner(centre, f"many{i:03d}")
        enrol(catalogue, centre=centre, learner=user, tutor=tutor, by=admin)


def test_dashboard_queries_equal_at_3_and_30_learners(
    client,
    hand_built,
    catalogue,  # noqa: F811
    centre,
    tutor,
    centre_admin,
    django_assert_max_num_queries,
    django_assert_num_queries,
):
    client.force_login(centre_admin)
    url = reverse("centre_dashboard", args=[centre.pk])
    dashboard = client.get(url).url
    client.get(dashboard)
    with django_assert_max_num_queries(60) as three:
        client.get(dashboard)
    at_three = len(three.captured_queries)  # read now: each request empties the log
    _enrol_many(catalogue, centre, tutor, centre_admin, 27, 0)
    # The enrolments changed the centre's summary: the first view counts again, the next
    # reads it from the cache, as at three learners.
    client.get(dashboard)
    with django_assert_num_queries(at_three):
        response = client.get(dashboard)
    assert response.context["report"].active == 30

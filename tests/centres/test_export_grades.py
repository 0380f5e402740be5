"""The progress export prints the specification versions each learner is on and their unit
and qualification grades, in CSV and XLSX alike, in a fixed number of queries."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from accounts.enums import Role
from centres.exports import EXPORT_HEADERS, progress_rows
from qualifications.versions import copy_unit
from tests.factories import MembershipFactory, UserFactory
from tests.graded import (
    by_label,
    decide,
    enrol,
    make_graded_qualification,
    make_graded_unit,
    submit_evidence,
)
from tests.portfolios.helpers import make_unit


@pytest.fixture
def graded_centre(db, centre, learner, tutor, centre_admin):
    """Alice on a graded qualification: unit one at Merit, unit two (its version 2) at
    Pass; Dora on an ungraded short course."""
    first = make_graded_unit(code="T/500/0001", title="Investigate systems")
    second = copy_unit(make_graded_unit(code="T/500/0002", title="Design networks"))
    qualification = make_graded_qualification([first, second])
    alice = enrol(
        qualification, [first, second], centre=centre, learner=learner, tutor=tutor, by=centre_admin
    )
    submit_evidence(alice, learner, [*first.criteria.all(), *second.criteria.all()])
    one, two = by_label(first), by_label(second)
    decide(alice, tutor, [one[x] for x in ("P1", "P2", "P3", "M1", "M2")])
    decide(alice, tutor, [two[x] for x in ("P1", "P2", "P3")])

    dora = UserFactory(username="dora", first_name="Dora", last_name="Dunn")
    MembershipFactory(user=dora, centre=centre, role=Role.LEARNER)
    plain = make_unit("A/100/0001", "Deliver customer service")
    enrol(None, [plain], centre=centre, learner=dora, tutor=tutor, by=centre_admin)
    return {"first": first, "second": second, "plain": plain}


GRADED_COLUMNS = (
    "qualification",
    "qualification_version",
    "unit",
    "unit_version",
    "unit_grade",
    "qualification_grade",
    "qualification_points",
)


def columns(record):
    return tuple(record[name] for name in GRADED_COLUMNS)


def test_csv_export_has_versions_and_grades(client, graded_centre, centre, centre_admin):
    client.force_login(centre_admin)
    response = client.get(reverse("progress_export", args=[centre.pk, "csv"]))
    records = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    learners = [r for r in records if "@" in r["email"]]
    # Merit 8 + Pass 7 = 15 points: a pass.
    assert [columns(r) for r in learners] == [
        ("603/0001/1", "1", "T/500/0001", "1", "Merit", "Pass", "15"),
        ("603/0001/1", "1", "T/500/0002", "2", "Pass", "Pass", "15"),
        ("", "", "A/100/0001", "1", "", "", ""),
    ]


def test_xlsx_export_has_the_same_cells(client, graded_centre, centre, centre_admin):
    client.force_login(centre_admin)
    response = client.get(reverse("progress_export", args=[centre.pk, "xlsx"]))
    values = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    header = list(values[0])
    rows = [dict(zip(header, row, strict=True)) for row in values[1:] if "@" in (row[1] or "")]
    assert [columns(r) for r in rows] == [
        ("603/0001/1", 1, "T/500/0001", 1, "Merit", "Pass", 15),
        ("603/0001/1", 1, "T/500/0002", 2, "Pass", "Pass", 15),
        (None, None, "A/100/0001", 1, None, None, None),
    ]


def test_a_graded_unit_without_a_grade_yet_says_not_yet(
    graded_centre, centre, tutor, centre_admin, learner
):
    from portfolios.models import Enrolment

    alice = Enrolment.objects.get(learner=learner)
    p1 = by_label(graded_centre["second"])["P1"]
    decide(alice, tutor, [p1], outcome="not_yet_met")
    rows = [dict(zip(EXPORT_HEADERS, row, strict=True)) for row in progress_rows(centre)]
    alice_rows = [r for r in rows if r["email"] == learner.email]
    assert [(r["unit_grade"], r["qualification_grade"]) for r in alice_rows] == [
        ("Merit", ""),
        ("not yet", ""),
    ]
    assert alice_rows[0]["qualification_points"] == 8


def test_export_queries_do_not_grow_with_learners(
    graded_centre, centre, tutor, centre_admin, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        progress_rows(centre)
    first, second = graded_centre["first"], graded_centre["second"]
    qualification = first.qualifications.get()
    for n in range(10):
        user = UserFactory(username=f"export-learner-{n}")
        MembershipFactory(user=user, centre=centre, role=Role.LEARNER)
        enrolment = enrol(
            qualification,
            [first, second],
            centre=centre,
            learner=user,
            tutor=tutor,
            by=centre_admin,
        )
        submit_evidence(enrolment, user, first.criteria.all())
        decide(enrolment, tutor, list(first.criteria.all())[: n % 3 + 1])
    with django_assert_num_queries(len(few.captured_queries)):
        rows = progress_rows(centre)
    assert len(rows) == 3 + 20

"""A learner's grades on their record: read from the decisions that stand (met, not yet met,
superseded, reopened by a referral), in a fixed number of queries, and shown on the
portfolio with the specification version the learner is on."""

import pytest
from django.urls import reverse

from moderation import services as moderation_services
from moderation.enums import ModeratorKind, SampleOutcome
from moderation.vacs import VACS_ALL_YES
from portfolios import record
from tests.factories import PASSWORD
from tests.graded import (
    by_label,
    decide,
    enrol,
    make_graded_qualification,
    make_graded_unit,
    submit_evidence,
)

ALL_P = ("P1", "P2", "P3")
ALL_M = ("M1", "M2")


@pytest.fixture
def graded(db):
    first = make_graded_unit(code="T/500/0001", title="Investigate systems")
    second = make_graded_unit(code="T/500/0002", title="Design networks")
    qualification = make_graded_qualification([first, second])
    return qualification, first, second


@pytest.fixture
def enrolment(graded, centre, learner, tutor, centre_admin):
    qualification, first, second = graded
    enrolment = enrol(
        qualification, [first, second], centre=centre, learner=learner, tutor=tutor, by=centre_admin
    )
    submit_evidence(enrolment, learner, [*first.criteria.all(), *second.criteria.all()])
    return enrolment


def labelled(unit, *labels):
    criteria = by_label(unit)
    return [criteria[label] for label in labels]


def test_grades_follow_the_standing_decisions(enrolment, graded, tutor):
    _, first, second = graded
    decide(enrolment, tutor, labelled(first, *ALL_P, *ALL_M, "D1"))
    decide(enrolment, tutor, labelled(first, "D2"), outcome="not_yet_met")
    decide(enrolment, tutor, labelled(second, *ALL_P))

    achievement = record.record_achievement(enrolment)
    one, two = achievement.units[first.pk], achievement.units[second.pk]
    assert (one.grade, one.needs) == ("merit", "Distinction needs D2")
    assert (two.grade, two.needs) == ("pass", "Merit needs M1, M2")
    assert achievement.qualification.summary == (
        "Pass, 15 points"  # Merit 8 + Pass 7 = 15: a pass (merit needs 23)
    )
    assert record.unit_grades(enrolment)[first.pk].summary == "Grade: Merit"
    assert record.qualification_grade_of(enrolment).points == 15

    # A newer decision supersedes: D2 met at last makes the unit a Distinction ...
    decide(enrolment, tutor, labelled(first, "D2"))
    assert record.unit_grades(enrolment)[first.pk].grade == "distinction"
    # ... and P1 judged not yet met after all takes every grade away.
    decide(enrolment, tutor, labelled(first, "P1"), outcome="not_yet_met")
    one = record.unit_grades(enrolment)[first.pk]
    assert (one.summary, one.needs) == ("Grade: not yet", "Pass needs P1")
    assert record.qualification_grade_of(enrolment).summary == (
        "Not yet graded: 1 of 2 units achieved, 7 points so far"
    )


def test_a_criterion_reopened_by_a_referral_no_longer_counts(
    enrolment, graded, tutor, internal_moderator
):
    _, first, _ = graded
    decide(enrolment, tutor, labelled(first, *ALL_P, *ALL_M))
    assert record.unit_grades(enrolment)[first.pk].grade == "merit"
    moderation_services.sample_decide(
        enrolment=enrolment,
        unit=first,
        kind=ModeratorKind.INTERNAL,
        vacs=VACS_ALL_YES,
        by=internal_moderator,
        outcome=SampleOutcome.REFERRED,
        comments="Sampled.",
        required_actions="M2 needs a second source.",
        reopen_criteria=labelled(first, "M2"),
        password=PASSWORD,
    )
    one = record.unit_grades(enrolment)[first.pk]
    assert (one.grade, one.needs) == ("pass", "Merit needs M2")
    decide(enrolment, tutor, labelled(first, "M2"))
    assert record.unit_grades(enrolment)[first.pk].grade == "merit"


def test_an_ungraded_qualification_has_no_grade(enrolment, graded, tutor):
    qualification, first, _ = graded
    type(qualification).objects.filter(pk=qualification.pk).update(grading={})
    enrolment.refresh_from_db()
    decide(enrolment, tutor, labelled(first, *ALL_P))
    achievement = record.record_achievement(enrolment)
    assert achievement.qualification is None
    assert achievement.units[first.pk].summary == "Grade: Pass"


def test_grades_cost_the_same_queries_for_one_learner_or_thirty(
    graded, centre, tutor, centre_admin, django_assert_num_queries
):
    from portfolios.models import Enrolment
    from tests.factories import MembershipFactory, UserFactory

    qualification, first, second = graded
    enrolments = []
    for n in range(30):
        learner = UserFactory(username=f"graded-learner-{n}")
        MembershipFactory(user=learner, centre=centre, role="learner")
        enrolment = enrol(
            qualification,
            [first, second],
            centre=centre,
            learner=learner,
            tutor=tutor,
            by=centre_admin,
        )
        submit_evidence(enrolment, learner, first.criteria.all())
        if n % 4:
            decide(enrolment, tutor, labelled(first, *ALL_P[: n % 4]))
        enrolments.append(enrolment)
    with_qualification = Enrolment.objects.select_related("qualification")
    single = list(with_qualification.filter(pk=enrolments[0].pk))
    everyone = list(with_qualification.filter(centre=centre))
    bare = list(Enrolment.objects.filter(centre=centre))
    with django_assert_num_queries(3):
        one = record.achievements_for(single)
    with django_assert_num_queries(3):
        many = record.achievements_for(everyone)
    with django_assert_num_queries(4):  # the points tables read in one more
        record.achievements_for(bare)
    assert one[enrolments[0].pk].units[first.pk].needs == "Pass needs P1, P2, P3"
    assert [many[e.pk].units[first.pk].grade for e in enrolments[:4]] == ["", "", "", "pass"]


def test_portfolio_shows_grades_bands_and_the_version(client, enrolment, graded, tutor, learner):
    _, first, second = graded
    decide(enrolment, tutor, labelled(first, *ALL_P, *ALL_M))
    client.force_login(learner)
    response = client.get(reverse("portfolio", args=[enrolment.pk]))
    page = response.content.decode()
    assert response.status_code == 200

    def testid(name):
        start = page.index(f'data-testid="{name}"')
        return page[page.index(">", start) + 1 : page.index("</", start)].strip()

    assert testid(f"unit-grade-{first.pk}") == "Grade: Merit"
    assert testid(f"unit-needs-{first.pk}") == "Distinction needs D1, D2"
    assert testid(f"unit-grade-{second.pk}") == "Grade: not yet"
    assert testid(f"unit-needs-{second.pk}") == "Pass needs P1, P2, P3"
    assert testid(f"unit-version-{first.pk}") == "version 1"
    assert testid("qualification-spec") == "603/0001/1 version 1"
    assert "Not yet graded: 1 of 2 units achieved, 8 points so far" in page
    assert testid(f"band-{by_label(first)['D1'].pk}") == "Distinction"
    assert '<th scope="row" class="criterion-number ps-3">M2</th>' in page


def test_an_ungraded_portfolio_shows_no_grades(client, centre, learner, tutor, centre_admin):
    from tests.portfolios.helpers import make_unit

    unit = make_unit("A/100/0001", "Deliver customer service")
    qualification = make_graded_qualification([unit], grading={}, number="600/0009/9")
    enrolment = enrol(
        qualification, [unit], centre=centre, learner=learner, tutor=tutor, by=centre_admin
    )
    client.force_login(learner)
    page = client.get(reverse("portfolio", args=[enrolment.pk])).content.decode()
    assert "unit-grade-" not in page
    assert "qualification-grade" not in page
    assert "Grade:" not in page


def test_evidence_pages_name_criteria_by_their_printed_label(client, enrolment, learner):
    from portfolios import services
    from portfolios.models import Evidence

    item = Evidence.objects.get(enrolment=enrolment)
    client.force_login(learner)
    page = client.get(reverse("evidence_detail", args=[item.pk])).content.decode()
    assert '<th scope="row" class="criterion-number ps-3">D2</th>' in page
    assert '<th scope="row" class="criterion-number ps-3">2.3</th>' not in page
    draft = services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title="Draft",
        method=item.method,
        date=item.date,
        text="Notes.",
        criteria=[],
    )
    picker = client.get(reverse("evidence_map", args=[draft.pk])).content.decode()
    assert '<span class="criterion-number fw-semibold">M1</span>' in picker


def test_every_surface_reads_the_same_grades(enrolment, graded, tutor, internal_moderator):
    """Portfolio, assessment record, checklist, export and bundle agree, through a referral."""
    import csv
    import io
    import zipfile

    from centres.exports import EXPORT_HEADERS, progress_rows
    from checklists.bundle import build_bundle
    from checklists.data import filled_for_enrolment
    from checklists.enums import Layout
    from moderation import record as moderation_record
    from portfolios.selectors import portfolio_for

    _, first, second = graded
    decide(enrolment, tutor, labelled(first, *ALL_P, *ALL_M, "D1", "D2"))
    decide(enrolment, tutor, labelled(second, *ALL_P, "M1"))
    moderation_services.sample_decide(
        enrolment=enrolment,
        unit=first,
        kind=ModeratorKind.INTERNAL,
        vacs=VACS_ALL_YES,
        by=internal_moderator,
        outcome=SampleOutcome.REFERRED,
        comments="Sampled.",
        required_actions="D2 needs a conclusion.",
        reopen_criteria=labelled(first, "D2"),
        password=PASSWORD,
    )
    expected = {first.pk: "Merit", second.pk: "Pass"}

    def grades_of(pairs):
        return dict(pairs)

    assert (
        grades_of((u, a.grade_label) for u, a in record.unit_grades(enrolment).items()) == expected
    )
    assert (
        grades_of(
            (row.unit.pk, row.achievement.grade_label) for row in portfolio_for(enrolment).units
        )
        == expected
    )
    assert (
        grades_of(
            (u.unit.pk, u.achievement.grade_label)
            for u in moderation_record.enrolment_record(enrolment)
        )
        == expected
    )
    assert (
        grades_of(
            (block.unit_id, block.grade)
            for block in filled_for_enrolment(enrolment, Layout.ACHIEVEMENT).units
        )
        == expected
    )
    codes = {first.code: first.pk, second.code: second.pk}
    exported = [
        dict(zip(EXPORT_HEADERS, row, strict=True)) for row in progress_rows(enrolment.centre)
    ]
    assert grades_of((codes[r["unit"]], r["unit_grade"]) for r in exported) == expected
    archive = zipfile.ZipFile(build_bundle(enrolment, by=tutor))
    units = csv.DictReader(io.StringIO(archive.read("units.csv").decode("utf-8-sig")))
    assert grades_of((codes[r["Unit"]], r["Grade"]) for r in units) == expected

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.enums import Role
from accounts.models import Membership
from portfolios import services
from portfolios.models import Enrolment, EnrolmentUnit, Evidence, EvidenceCriterion, EvidenceFile
from qualifications.models import EvidenceMethod, Qualification, Unit
from tests.catalogue import load_seed_catalogue
from tests.factories import MembershipFactory, UserFactory
from tests.portfolios.conftest import criteria_of, enrol
from tests.portfolios.helpers import evidence_data, minimal_pdf, shown_text, upload

# ---------------------------------------------------------------- who may open what

OWNER, TUTOR, IQA, EQA, ADMIN = "alice", "bob", "ivy", "eric", "carol"
SAME_CENTRE_STRANGERS = ["dora", "tess"]  # another learner, another tutor: no link → 404
OUTSIDER = "charlie"

READERS = {OWNER: 200, TUTOR: 200, IQA: 200, ADMIN: 200, EQA: 404}
AUTHOR_ONLY = {OWNER: 200, TUTOR: 403, IQA: 403, ADMIN: 403, EQA: 404}
ADDERS = {OWNER: 200, TUTOR: 200, IQA: 403, ADMIN: 403, EQA: 404}
ADMIN_ONLY = {OWNER: 403, TUTOR: 403, IQA: 403, ADMIN: 200, EQA: 404}

PAGES = {
    "portfolio": ("enrolment", READERS),
    "evidence_list": ("enrolment", READERS),
    "evidence_create": ("enrolment", ADDERS),
    "enrolment_submit": ("enrolment", AUTHOR_ONLY),
    "enrolment_update": ("enrolment", ADMIN_ONLY),
    "evidence_detail": ("evidence", READERS),
    "evidence_update": ("evidence", AUTHOR_ONLY),
    "evidence_map": ("evidence", AUTHOR_ONLY),
    "evidence_submit": ("evidence", AUTHOR_ONLY),
    "evidence_file_download": ("file", READERS),
    "evidence_file_preview": ("file", READERS),
}


@pytest.fixture
def world(people, second_learner, second_tutor, outsider, other_enrolment, evidence):
    users = {u.username: u for u in [*people.values(), second_learner, second_tutor, outsider]}
    return {
        "users": users,
        "enrolment": evidence.enrolment,
        "evidence": evidence,
        "file": evidence.files.get(),
    }


def _url(world, name):
    kind, _ = PAGES[name]
    return reverse(name, args=[world[kind].pk])


@pytest.mark.parametrize("name", list(PAGES))
def test_page_access_by_role(client, world, name):
    expected = {**PAGES[name][1], **dict.fromkeys(SAME_CENTRE_STRANGERS, 404), OUTSIDER: 404}
    got = {}
    for username in expected:
        client.force_login(world["users"][username])
        response = client.get(_url(world, name))
        got[username] = response.status_code
        if response.status_code == 404:
            body = b"".join(response) if response.streaming else response.content
            assert b"Complaint log" not in body
            assert b"I dealt with a complaint" not in body
            assert b"%PDF" not in body
    assert got == expected


@pytest.mark.parametrize("name", list(PAGES))
def test_page_anonymous_goes_to_sign_in(client, world, name):
    url = _url(world, name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_centre_pages_by_role(client, world, centre):
    expected_list = {OWNER: 200, TUTOR: 200, IQA: 200, ADMIN: 200, EQA: 403, OUTSIDER: 404}
    expected_enrol = {OWNER: 403, TUTOR: 403, IQA: 403, ADMIN: 200, EQA: 403, OUTSIDER: 404}
    for username in expected_list:
        client.force_login(world["users"][username])
        list_status = client.get(reverse("enrolment_list", args=[centre.pk])).status_code
        enrol_status = client.get(reverse("enrolment_create", args=[centre.pk])).status_code
        assert (username, list_status, enrol_status) == (
            username,
            expected_list[username],
            expected_enrol[username],
        )
    client.logout()
    assert client.get(reverse("enrolment_list", args=[centre.pk])).status_code == 302


def test_outsider_cannot_reach_centre_a_pages_with_data(client, world, centre):
    client.force_login(world["users"][OUTSIDER])
    response = client.get(reverse("enrolment_list", args=[centre.pk]))
    assert response.status_code == 404
    assert world["users"][OWNER].last_name not in response.text


# ---------------------------------------------------------------- lists show only what is yours


def test_tutor_sees_only_their_own_learners(
    client, world, catalogue, centre, second_learner, second_tutor, centre_admin, tutor
):
    enrol(catalogue, centre=centre, learner=second_learner, tutor=second_tutor, by=centre_admin)
    client.force_login(tutor)
    response = client.get(reverse("enrolment_list", args=[centre.pk]))
    assert [e.learner.username for e in response.context["enrolments"]] == ["alice"]
    assert "Dora" not in response.text
    client.force_login(centre_admin)
    response = client.get(reverse("enrolment_list", args=[centre.pk]))
    assert sorted(e.learner.username for e in response.context["enrolments"]) == ["alice", "dora"]


def test_learner_sees_only_their_own_portfolio(
    client, world, catalogue, centre, second_learner, tutor, centre_admin, learner
):
    theirs = enrol(catalogue, centre=centre, learner=second_learner, tutor=tutor, by=centre_admin)
    client.force_login(learner)
    response = client.get(reverse("enrolment_list", args=[centre.pk]))
    assert [e.learner.username for e in response.context["enrolments"]] == ["alice"]
    assert client.get(reverse("portfolio", args=[theirs.pk])).status_code == 404


def test_files_of_another_learner_cannot_be_downloaded_by_guessing_ids(
    client, world, learner, other_enrolment
):
    client.force_login(learner)
    mine = set(
        EvidenceFile.objects.filter(evidence__enrolment__learner=learner).values_list(
            "pk", flat=True
        )
    )
    top = EvidenceFile.objects.order_by("-pk").first().pk
    for pk in range(1, top + 10):
        for name in ("evidence_file_download", "evidence_file_preview"):
            response = client.get(reverse(name, args=[pk]))
            assert response.status_code == (200 if pk in mine else 404), (name, pk)
    theirs = EvidenceFile.objects.get(evidence__enrolment=other_enrolment)
    assert client.get(reverse("evidence_file_download", args=[theirs.pk])).status_code == 404


# ---------------------------------------------------------------- downloads


def test_download_is_an_attachment_with_safe_headers(client, world, learner):
    client.force_login(learner)
    stored = world["file"]
    response = client.get(reverse("evidence_file_download", args=[stored.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == minimal_pdf("Complaint")
    assert response["Content-Disposition"] == 'attachment; filename="complaint.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert "no-store" in response["Cache-Control"]


def test_preview_is_inline_sandboxed_and_frameable_by_us_only(client, world, learner):
    client.force_login(learner)
    response = client.get(reverse("evidence_file_preview", args=[world["file"].pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="complaint.pdf"'
    assert (
        response["Content-Security-Policy"] == "sandbox; default-src 'none'; frame-ancestors 'self'"
    )
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_preview_for_documents_that_are_not_pdf(client, enrolment, learner, method):
    item = services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title="Notes",
        method=method,
        date=datetime.date(2026, 1, 2),
        files=[upload("notes.txt", b"Plain notes\n")],
    )
    client.force_login(learner)
    stored = item.files.get()
    assert client.get(reverse("evidence_file_preview", args=[stored.pk])).status_code == 404
    response = client.get(reverse("evidence_file_download", args=[stored.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'


def test_pages_are_not_frameable_but_the_preview_is(client, world, learner):
    client.force_login(learner)
    page = client.get(reverse("evidence_detail", args=[world["evidence"].pk]))
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert "frame-src 'self'" in page["Content-Security-Policy"]


# ---------------------------------------------------------------- the pages themselves


def test_portfolio_page_shows_status_per_criterion(client, world, learner, enrolment):
    client.force_login(learner)
    response = client.get(reverse("portfolio", args=[enrolment.pk]))
    assert response.status_code == 200
    portfolio = response.context["portfolio"]
    statuses = {
        c.criterion.pk: c.status for u in portfolio.units for o in u.outcomes for c in o.criteria
    }
    linked = set(world["evidence"].links.values_list("criterion_id", flat=True))
    assert {pk for pk, s in statuses.items() if s == "linked"} == linked
    assert len(statuses) == 6 + 6 + 2
    assert portfolio.tally.percent == 0
    assert 'data-testid="overall-percent">0%<' in response.text
    assert "E001" in response.text
    # The one measure, overall and per unit: met / evidenced / to do, with the numbers.
    assert shown_text(response.text, "overall-progress-numbers") == (
        "0 met · 2 evidenced · 12 to do of 14 criteria"
    )
    first = enrolment.units.get(code="A/100/0001")
    assert shown_text(response.text, f"unit-progress-{first.pk}-numbers") == (
        "0 met · 1 evidenced · 5 to do of 6 criteria"
    )
    assert "style=" not in response.text


def test_evidence_list_page(client, world, learner, enrolment):
    client.force_login(learner)
    response = client.get(reverse("evidence_list", args=[enrolment.pk]))
    assert [
        (e.reference, e.file_count, e.criterion_count, e.state) for e in response.context["items"]
    ] == [("E001", 1, 2, "draft")]


def test_evidence_detail_page(client, world, learner):
    client.force_login(learner)
    response = client.get(reverse("evidence_detail", args=[world["evidence"].pk]))
    assert response.status_code == 200
    assert response.context["can_edit"] is True
    assert response.context["can_submit"] is True
    assert [c.number for c in response.context["criteria"]] == ["1.1", "1.1"]
    assert reverse("evidence_file_preview", args=[world["file"].pk]) in response.text
    # The learner sees their work, not the record's machinery.
    assert world["file"].sha256 not in response.text
    assert "application/pdf" not in response.text


def test_tutor_sees_evidence_but_cannot_change_the_learners(client, world, tutor):
    client.force_login(tutor)
    response = client.get(reverse("evidence_detail", args=[world["evidence"].pk]))
    assert response.context["can_edit"] is False
    assert response.context["can_submit"] is False
    assert world["file"].sha256 in response.text
    response = client.post(reverse("evidence_delete", args=[world["evidence"].pk]))
    assert response.status_code == 403
    assert Evidence.objects.filter(pk=world["evidence"].pk).exists()


def test_tutor_adds_an_observation_with_only_tutor_methods(client, enrolment, tutor, observation):
    client.force_login(tutor)
    page = client.get(reverse("evidence_create", args=[enrolment.pk]))
    slugs = {m.slug for m in page.context["form"].fields["method"].queryset}
    assert slugs == {
        "observation",
        "witness-testimony",
        "expert-witness",
        "professional-discussion",
    }
    response = client.post(
        reverse("evidence_create", args=[enrolment.pk]),
        evidence_data(observation, title="Observed at the counter", text="Greeted every customer."),
    )
    assert response.status_code == 302
    assert Evidence.objects.get().created_by == tutor


def test_internal_moderator_cannot_post_evidence(client, enrolment, internal_moderator, method):
    client.force_login(internal_moderator)
    response = client.post(
        reverse("evidence_create", args=[enrolment.pk]), evidence_data(method, text="x")
    )
    assert response.status_code == 403
    assert Evidence.objects.count() == 0


def test_method_choices_follow_the_units(client, learner, centre, tutor, centre_admin, catalogue):
    methods = EvidenceMethod.objects.filter(slug__in=["observation", "questioning"])
    catalogue.short_course.evidence_methods.set(methods)
    short = services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=None,
        units=[catalogue.short_course],
        start_date=datetime.date(2026, 1, 1),
        planned_end_date=datetime.date(2026, 6, 1),
        by=centre_admin,
    )
    client.force_login(learner)
    page = client.get(reverse("evidence_create", args=[short.pk]))
    assert sorted(m.slug for m in page.context["form"].fields["method"].queryset) == [
        "observation",
        "questioning",
    ]


def test_mapping_page_saves_criteria_across_units(client, world, learner, enrolment):
    client.force_login(learner)
    url = reverse("evidence_map", args=[world["evidence"].pk])
    page = client.get(url)
    assert page.status_code == 200
    assert [u.unit.code for u in page.context["picker"].units] == [
        "A/100/0001",
        "A/100/0002",
        "B/100/0003",
    ]
    assert "Give two examples" in page.text  # the criterion's own guidance
    assert "Range for outcome 1: customers, colleagues" in page.text  # the outcome's, for the rest
    first = criteria_of(enrolment.units.get(code="A/100/0001"))
    third = criteria_of(enrolment.units.get(code="B/100/0003"))
    response = client.post(url, {"criteria": [first[2].pk, third[1].pk]})
    assert response.status_code == 302
    assert set(world["evidence"].links.values_list("criterion_id", flat=True)) == {
        first[2].pk,
        third[1].pk,
    }


def test_mapping_refuses_criteria_of_other_units(client, world, learner, catalogue):
    client.force_login(learner)
    outside = criteria_of(catalogue.short_course)[0]
    response = client.post(
        reverse("evidence_map", args=[world["evidence"].pk]), {"criteria": [outside.pk]}
    )
    assert response.status_code == 400
    assert world["evidence"].links.count() == 2


def test_submit_page_records_declaration_and_status_changes(client, world, learner, enrolment):
    client.force_login(learner)
    url = reverse("enrolment_submit", args=[enrolment.pk])
    page = client.get(url)
    assert page.context["form"].selected_ids == {world["evidence"].pk}
    refused = client.post(url, {"evidence": [world["evidence"].pk]})
    assert refused.status_code == 400
    assert "Tick the declaration" in refused.text
    response = client.post(url, {"evidence": [world["evidence"].pk], "confirm": "on"})
    assert response.status_code == 302
    world["evidence"].refresh_from_db()
    assert world["evidence"].submitted_at is not None
    portfolio = client.get(reverse("portfolio", args=[enrolment.pk])).context["portfolio"]
    assert portfolio.tally.counts["submitted"] == 2
    # Submitted evidence can no longer be edited, mapped or deleted by the learner.
    assert client.get(reverse("evidence_update", args=[world["evidence"].pk])).status_code == 403
    assert (
        client.post(
            reverse("evidence_map", args=[world["evidence"].pk]), {"criteria": []}
        ).status_code
        == 403
    )
    assert client.post(reverse("evidence_delete", args=[world["evidence"].pk])).status_code == 403


def test_correction_page_supersedes(client, world, learner, enrolment):
    services.evidence_submit(items=[world["evidence"]], by=learner, declaration_confirmed=True)
    client.force_login(learner)
    url = reverse("evidence_create", args=[enrolment.pk]) + f"?corrects={world['evidence'].pk}"
    page = client.get(url)
    assert page.context["form"].initial["title"] == "Complaint log"
    method = world["evidence"].method
    response = client.post(
        url, evidence_data(method, title="Complaint log, corrected", text="Better.")
    )
    assert response.status_code == 302
    correction = Evidence.objects.get(reference="E002")
    assert correction.supersedes == world["evidence"]
    detail = client.get(reverse("evidence_detail", args=[world["evidence"].pk]))
    # A correction in draft does not supersede yet (portfolios.state); it cannot be started
    # twice.
    assert detail.context["state"] == "submitted"
    assert detail.context["can_correct"] is False
    services.evidence_submit(items=[correction], by=learner, declaration_confirmed=True)
    detail = client.get(reverse("evidence_detail", args=[world["evidence"].pk]))
    assert detail.context["state"] == "superseded"


def test_update_page_edits_a_draft(client, world, learner, method):
    client.force_login(learner)
    url = reverse("evidence_update", args=[world["evidence"].pk])
    assert client.get(url).context["form"].initial["title"] == "Complaint log"
    response = client.post(url, evidence_data(method, title="Complaint log, final", text="Edited"))
    assert response.status_code == 302
    world["evidence"].refresh_from_db()
    assert world["evidence"].title == "Complaint log, final"
    assert world["evidence"].files.count() == 1


def test_delete_draft_via_page(client, world, learner, enrolment):
    client.force_login(learner)
    response = client.post(reverse("evidence_delete", args=[world["evidence"].pk]))
    assert response.status_code == 302
    assert response.url == reverse("evidence_list", args=[enrolment.pk])
    assert not Evidence.objects.filter(pk=world["evidence"].pk).exists()
    assert client.get(reverse("evidence_delete", args=[world["evidence"].pk])).status_code == 405


# ---------------------------------------------------------------- enrolling


def test_enrol_a_learner_in_two_steps(client, catalogue, centre, centre_admin, learner, tutor):
    client.force_login(centre_admin)
    step_one = client.get(reverse("enrolment_create", args=[centre.pk]))
    assert step_one.status_code == 200
    url = (
        reverse("enrolment_create", args=[centre.pk])
        + f"?qualification={catalogue.qualification.pk}"
    )
    step_two = client.get(url)
    assert step_two.status_code == 200
    groups = step_two.context["form"].unit_groups()
    assert [[u["checked"] for u in g["units"]] for g in groups] == [[True, True], [False]]
    data = {
        "learner": learner.pk,
        "tutor": tutor.pk,
        "registration_number": "BIIAB-77",
        "start_date": "2026-02-01",
        "planned_end_date": "2026-11-30",
        "units": [u.pk for u in catalogue.mandatory],
    }
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "Optional units: at least 1 unit; 0 chosen." in refused.text
    response = client.post(
        url, {**data, "units": [u.pk for u in catalogue.mandatory + catalogue.optional]}
    )
    enrolment = Enrolment.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portfolio", args=[enrolment.pk])
    assert enrolment.created_by == centre_admin
    assert enrolment.registration_number == "BIIAB-77"


def test_enrol_form_offers_only_this_centres_people(
    client, catalogue, centre, centre_admin, learner, tutor, outsider
):
    client.force_login(centre_admin)
    url = (
        reverse("enrolment_create", args=[centre.pk])
        + f"?qualification={catalogue.qualification.pk}"
    )
    form = client.get(url).context["form"]
    assert list(form.fields["learner"].queryset) == [learner]
    assert list(form.fields["tutor"].queryset) == [tutor]
    response = client.post(
        url,
        {
            "learner": outsider.pk,
            "tutor": tutor.pk,
            "start_date": "2026-02-01",
            "planned_end_date": "2026-11-30",
            "units": [u.pk for u in catalogue.mandatory + catalogue.optional],
        },
    )
    assert response.status_code == 400
    assert Enrolment.objects.count() == 0


def test_enrol_short_course(client, catalogue, centre, centre_admin, learner, tutor):
    client.force_login(centre_admin)
    url = reverse("enrolment_create", args=[centre.pk]) + f"?unit={catalogue.short_course.pk}"
    response = client.post(
        url,
        {
            "learner": learner.pk,
            "tutor": tutor.pk,
            "start_date": "2026-02-01",
            "planned_end_date": "2026-03-30",
            "units": [catalogue.short_course.pk],
        },
    )
    assert response.status_code == 302
    enrolment = Enrolment.objects.get()
    assert enrolment.qualification is None
    assert list(enrolment.units.all()) == [catalogue.short_course]


def test_enrolment_update_page(client, enrolment, centre_admin, catalogue):
    client.force_login(centre_admin)
    url = reverse("enrolment_update", args=[enrolment.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "tutor": enrolment.tutor_id,
            "registration_number": "NEW-1",
            "start_date": "2026-01-05",
            "planned_end_date": "2026-12-18",
            "status": "completed",
            "units": [u.pk for u in catalogue.mandatory + catalogue.optional],
        },
    )
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert (enrolment.registration_number, enrolment.status) == ("NEW-1", "completed")


def test_the_real_diploma_names_a_missing_mandatory_unit(
    client, centre, centre_admin, learner, tutor
):
    load_seed_catalogue()
    diploma = Qualification.objects.get(number="601/3734/4")
    client.force_login(centre_admin)
    url = reverse("enrolment_create", args=[centre.pk]) + f"?qualification={diploma.pk}"
    mandatory = list(diploma.units.filter(qualification_units__group__is_mandatory=True))
    chosen = [u.pk for u in mandatory if u.code != "A/506/2130"]
    response = client.post(
        url,
        {
            "learner": learner.pk,
            "tutor": tutor.pk,
            "start_date": "2026-02-01",
            "planned_end_date": "2026-11-30",
            "units": chosen,
        },
    )
    assert response.status_code == 400
    assert "Mandatory unit A/506/2130 Deliver customer service is not chosen." in response.text


# ---------------------------------------------------------------- dashboards


def test_learner_dashboard_links_to_portfolio(client, world, learner, enrolment):
    client.force_login(learner)
    membership = Membership.objects.get(user=learner)
    response = client.get(reverse("role_dashboard", args=[membership.pk]))
    assert reverse("portfolio", args=[enrolment.pk]) in response.text
    [row] = response.context["enrolments"]
    assert (
        row.evidence_count,
        row.draft_count,
        row.progress.overall.total,
        row.progress.overall.met,
        row.progress.overall.evidenced,
        row.progress.overall.to_do,
    ) == (1, 1, 14, 0, 2, 12)
    assert shown_text(response.text, "dashboard-progress-numbers") == (
        "0 met · 2 evidenced · 12 to do of 14 criteria"
    )


def test_admin_dashboard_links_to_enrolments(client, world, centre_admin, centre):
    client.force_login(centre_admin)
    membership = Membership.objects.get(user=centre_admin)
    response = client.get(reverse("role_dashboard", args=[membership.pk]))
    assert reverse("enrolment_create", args=[centre.pk]) in response.text
    assert reverse("enrolment_list", args=[centre.pk]) in response.text
    assert response.context["active_enrolments"] == 1


# ---------------------------------------------------------------- query counts


def _count_queries(client, url):
    client.get(url)  # the first visit may store the chosen role in the session
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


RULES_QUERIES = 3


def test_portfolio_page_queries_do_not_grow_with_units(
    client, centre, learner, tutor, centre_admin, django_assert_num_queries
):
    load_seed_catalogue()
    diploma = Qualification.objects.get(number="601/3734/4")
    units = list(diploma.units.all())
    assert len(units) == 39
    method = EvidenceMethod.objects.get(slug="reflective-account")
    full = enrol(
        type("C", (), {"qualification": diploma})(),
        centre=centre,
        learner=learner,
        tutor=tutor,
        by=centre_admin,
        units=units,
    )
    criteria = list(full.units.values_list("criteria", flat=True))
    assert len(criteria) == 535
    for i in range(30):
        services.evidence_create(
            enrolment=full,
            by=learner,
            title=f"Item {i}",
            method=method,
            date=datetime.date(2026, 1, 1),
            text="Account",
            criteria=criteria[i * 17 : i * 17 + 20],
        )
    short = services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=None,
        units=[Unit.objects.get(code="J/507/1557")],
        start_date=datetime.date(2026, 1, 1),
        planned_end_date=datetime.date(2026, 6, 1),
        by=centre_admin,
    )
    services.evidence_create(
        enrolment=short,
        by=learner,
        title="One",
        method=method,
        date=datetime.date(2026, 1, 1),
        text="Account",
        criteria=list(short.units.values_list("criteria", flat=True))[:2],
    )
    client.force_login(learner)
    small = _count_queries(client, reverse("portfolio", args=[short.pk]))
    # An enrolment on a qualification also checks its rules of combination (its units, groups
    # and barred pairs: qualifications.rules); a short course has none.
    with django_assert_num_queries(small + RULES_QUERIES):
        response = client.get(reverse("portfolio", args=[full.pk]))
    assert response.context["portfolio"].tally.total == 535
    assert len(response.context["portfolio"].units) == 39


def _bulk_enrolments(n, *, centre, tutor, unit, prefix):
    enrolments = []
    for i in range(n):
        user = UserFactory(username=f"{prefix}{i}")
        MembershipFactory(user=user, centre=centre, role=Role.LEARNER)
        enrolment = Enrolment.objects.create(
            centre=centre,
            learner=user,
            tutor=tutor,
            qualification=None,
            start_date=datetime.date(2026, 1, 1),
            planned_end_date=datetime.date(2026, 6, 1),
        )
        EnrolmentUnit.objects.create(enrolment=enrolment, unit=unit)
        enrolments.append(enrolment)
    return enrolments


@pytest.mark.parametrize("viewer", ["carol", "bob"])
def test_enrolment_list_queries_do_not_grow(
    client, people, centre, tutor, catalogue, viewer, django_assert_num_queries
):
    user = {u.username: u for u in people.values()}[viewer]
    client.force_login(user)
    url = reverse("enrolment_list", args=[centre.pk])
    _bulk_enrolments(1, centre=centre, tutor=tutor, unit=catalogue.short_course, prefix="one")
    small = _count_queries(client, url)
    _bulk_enrolments(29, centre=centre, tutor=tutor, unit=catalogue.short_course, prefix="many")
    with django_assert_num_queries(small):
        response = client.get(url)
    assert len(response.context["enrolments"]) == 30


def test_admin_dashboard_queries_do_not_grow(
    client, people, centre, tutor, catalogue, django_assert_num_queries
):
    admin = people[Role.CENTRE_ADMIN]
    client.force_login(admin)
    url = reverse("role_dashboard", args=[Membership.objects.get(user=admin).pk])
    _bulk_enrolments(1, centre=centre, tutor=tutor, unit=catalogue.short_course, prefix="one")
    small = _count_queries(client, url)
    _bulk_enrolments(29, centre=centre, tutor=tutor, unit=catalogue.short_course, prefix="many")
    # As for the small count, the second view after the change: the first counts the centre
    # again (its summary is cached until the next change).
    client.get(url)
    with django_assert_num_queries(small):
        client.get(url)


def test_evidence_list_and_learner_dashboard_queries_do_not_grow(
    client,
    enrolment,
    learner,
    method,
    django_assert_num_queries,
    catalogue,
    centre,
    tutor,
    centre_admin,
):
    client.force_login(learner)
    list_url = reverse("evidence_list", args=[enrolment.pk])
    dash_url = reverse("role_dashboard", args=[Membership.objects.get(user=learner).pk])
    criterion = criteria_of(catalogue.mandatory[0])[0]

    def add(n):
        for i in range(n):
            item = services.evidence_create(
                enrolment=enrolment,
                by=learner,
                title=f"Item {i}",
                method=method,
                date=datetime.date(2026, 1, 1),
                files=[upload(f"f{i}.pdf", minimal_pdf(str(i)))],
            )
            EvidenceCriterion.objects.create(evidence=item, criterion=criterion)

    add(1)
    small_list = _count_queries(client, list_url)
    small_dash = _count_queries(client, dash_url)
    add(29)
    for short_unit in [catalogue.short_course]:
        services.enrolment_create(
            centre=centre,
            learner=learner,
            tutor=tutor,
            qualification=None,
            units=[short_unit],
            start_date=datetime.date(2026, 1, 1),
            planned_end_date=datetime.date(2026, 6, 1),
            by=centre_admin,
        )
    with django_assert_num_queries(small_list):
        response = client.get(list_url)
    assert len(response.context["items"]) == 30
    with django_assert_num_queries(small_dash):
        response = client.get(dash_url)
    assert len(response.context["enrolments"]) == 2


# ---------------------------------------------------------------- forged posts

POSTS = [
    ("evidence_update", "evidence", {"title": "Forged", "text": "x", "upload_complete": "1"}),
    ("evidence_map", "evidence", {"criteria": []}),
    ("evidence_submit", "evidence", {"confirm": "on"}),
    ("evidence_delete", "evidence", {}),
    ("enrolment_submit", "enrolment", {"confirm": "on"}),
    ("enrolment_update", "enrolment", {"status": "withdrawn"}),
    ("evidence_create", "enrolment", {"title": "Forged", "text": "x", "upload_complete": "1"}),
]


@pytest.mark.parametrize(("name", "kind", "data"), POSTS)
def test_forged_posts_from_another_centre_change_nothing(client, world, name, kind, data):
    target = world[kind]
    before = (Evidence.objects.count(), world["evidence"].links.count())
    client.force_login(world["users"][OUTSIDER])
    response = client.post(reverse(name, args=[target.pk]), data)
    assert response.status_code == 404
    client.logout()
    anonymous = client.post(reverse(name, args=[target.pk]), data)
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("login"))
    world["evidence"].refresh_from_db()
    world["enrolment"].refresh_from_db()
    assert (Evidence.objects.count(), world["evidence"].links.count()) == before
    assert world["evidence"].submitted_at is None
    assert world["enrolment"].status == "active"


@pytest.mark.parametrize(("name", "kind", "data"), POSTS)
def test_posts_by_the_internal_moderator_are_refused(client, world, name, kind, data):
    client.force_login(world["users"][IQA])
    response = client.post(reverse(name, args=[world[kind].pk]), data)
    assert response.status_code == 403
    world["evidence"].refresh_from_db()
    assert world["evidence"].submitted_at is None
    assert Evidence.objects.count() == 2  # alice's and charlie's, nothing new


def test_enrolment_list_filters_sorts_and_pages(client, people, centre, tutor, catalogue):
    admin = people[Role.CENTRE_ADMIN]
    client.force_login(admin)
    _bulk_enrolments(60, centre=centre, tutor=tutor, unit=catalogue.short_course, prefix="p")
    url = reverse("enrolment_list", args=[centre.pk])
    first = client.get(url)
    assert first.context["page"].paginator.count == 60
    assert len(first.context["enrolments"]) == 50
    second = client.get(url, {"page": 2})
    assert len(second.context["enrolments"]) == 10
    only_tutor = client.get(url, {"tutor": tutor.pk, "qualification": "short", "status": "active"})
    assert only_tutor.context["page"].paginator.count == 60
    nobody = client.get(url, {"q": "no-such-learner"})
    assert nobody.context["page"].paginator.count == 0
    ordered = client.get(url, {"o": "-learner"})
    names = [e.learner.last_name for e in ordered.context["enrolments"]]
    assert names == sorted(names, reverse=True)
    assert names[0] == max(Enrolment.objects.values_list("learner__last_name", flat=True))

"""The learner's view of a judgement: each criterion's outcome with the tutor's feedback on
the evidence page, "Action needed", adding evidence from a criterion, and submission that
names an item covering no criterion."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from moderation import services as moderation_services
from portfolios import services
from portfolios.enums import DecisionOutcome
from portfolios.models import CriterionDecision, Evidence
from tests.portfolios.conftest import criteria_of
from tests.portfolios.helpers import evidence_data, make_unit, minimal_pdf, shown_text, upload

FEEDBACK = "Your account says what you did, not why: add the procedure you followed."


def _decide(enrolment, tutor, item, outcomes: dict, feedback=FEEDBACK):
    """The tutor's decisions on an item: {criterion: outcome}."""
    return moderation_services.criteria_decide(
        enrolment=enrolment,
        by=tutor,
        decided_on=datetime.date(2026, 3, 4),
        requests=[
            moderation_services.DecisionRequest(
                criterion_id=c.pk,
                outcome=outcome,
                feedback=feedback if outcome == DecisionOutcome.NOT_YET_MET else "",
                seen_id=CriterionDecision.objects.filter(enrolment=enrolment, criterion=c)
                .latest()
                .values_list("pk", flat=True)
                .first(),
            )
            for c, outcome in outcomes.items()
        ],
        evidence=item,
    )


def _submitted(enrolment, learner, method, criteria, title="Complaint log"):
    item = services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title=title,
        method=method,
        date=datetime.date(2026, 2, 1),
        text="I dealt with a complaint.",
        files=[upload("complaint.pdf", minimal_pdf("Complaint"))],
        criteria=criteria,
    )
    services.evidence_submit(items=[item], by=learner, declaration_confirmed=True)
    return item


@pytest.fixture
def judged(enrolment, learner, tutor, method):
    """E001 covers 1.1 and 1.2 of the first unit: 1.1 met, 1.2 not yet met with feedback."""
    first, second = criteria_of(enrolment.units.get(code="A/100/0001"))[:2]
    item = _submitted(enrolment, learner, method, [first, second])
    _decide(
        enrolment,
        tutor,
        item,
        {first: DecisionOutcome.MET, second: DecisionOutcome.NOT_YET_MET},
    )
    item.refresh_from_db()
    return item, first, second


def test_evidence_page_shows_each_outcome_with_feedback_date_and_tutor(
    client, learner, tutor, judged
):
    item, met, not_met = judged
    client.force_login(learner)
    response = client.get(reverse("evidence_detail", args=[item.pk]))
    assert response.status_code == 200
    html = response.text
    assert shown_text(html, f"outcome-{met.pk}") == "Met"
    assert shown_text(html, f"outcome-{not_met.pk}") == "Not yet met"
    assert shown_text(html, f"feedback-{not_met.pk}") == FEEDBACK
    assert shown_text(html, f"decided-{not_met.pk}") == "Not yet met: Bob Bobfield, 4 Mar 2026"
    assert shown_text(html, f"decided-{met.pk}") == "Met: Bob Bobfield, 4 Mar 2026"
    # Not a green "Assessed" while something is not yet met.
    assert shown_text(html, "evidence-state") == "Action needed"
    action = shown_text(html, "action-needed")
    assert action.startswith("Action needed: 1 criterion not yet met")
    assert "add evidence for 1.2" in action
    # The way to act pre-ticks the criterion to be met.
    add = reverse("evidence_create", args=[item.enrolment_id]) + f"?criterion={not_met.pk}"
    assert f'href="{add}"' in html


def test_evidence_page_all_met_says_assessed_without_action(
    client, enrolment, learner, tutor, method
):
    first = criteria_of(enrolment.units.get(code="A/100/0001"))[0]
    item = _submitted(enrolment, learner, method, [first])
    _decide(enrolment, tutor, item, {first: DecisionOutcome.MET})
    client.force_login(learner)
    html = client.get(reverse("evidence_detail", args=[item.pk])).text
    assert shown_text(html, "evidence-state") == "Assessed"
    assert 'data-testid="action-needed"' not in html


def test_referred_criterion_needs_action_for_the_learner(
    client, enrolment, learner, tutor, internal_moderator, method, password
):
    unit = enrolment.units.get(code="B/100/0003")
    criteria = criteria_of(unit)
    item = _submitted(enrolment, learner, method, criteria)
    _decide(enrolment, tutor, item, dict.fromkeys(criteria, DecisionOutcome.MET))
    moderation_services.unit_sign_off(
        enrolment=enrolment, unit=unit, by=tutor, comments="All met.", password=password
    )
    moderation_services.sample_decide(
        enrolment=enrolment,
        unit=unit,
        kind="internal",
        by=internal_moderator,
        outcome="referred",
        comments="Thin.",
        required_actions="A second example for 1.1.",
        reopen_criteria=[criteria[0]],
        password=password,
    )
    client.force_login(learner)
    html = client.get(reverse("evidence_detail", args=[item.pk])).text
    assert shown_text(html, "evidence-state") == "Action needed"
    # A reopened decision counts as not yet met (`state.effective_outcome`).
    assert shown_text(html, f"outcome-{criteria[0].pk}") == "Not yet met"
    assert "Referred back by a moderator" in html


def test_hashes_and_file_types_are_not_shown_to_learners(client, learner, tutor, judged):
    item, *_ = judged
    sha = item.files.get().sha256
    client.force_login(learner)
    html = client.get(reverse("evidence_detail", args=[item.pk])).text
    assert sha not in html
    assert "SHA-256" not in html
    assert "application/pdf" not in html
    client.force_login(tutor)
    assert sha in client.get(reverse("evidence_detail", args=[item.pk])).text


def test_evidence_page_queries_do_not_grow_with_criteria(
    client, centre, learner, tutor, centre_admin, method
):
    """An item mapped to 1 criterion and one mapped to 30, every criterion decided: the same
    number of queries."""
    big = make_unit("Z/100/0030", "Thirty criteria", outcomes=3, criteria=10)
    enrolment = services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=None,
        units=[big],
        start_date=datetime.date(2026, 1, 5),
        planned_end_date=datetime.date(2026, 12, 18),
        by=centre_admin,
    )
    criteria = criteria_of(big)
    assert len(criteria) == 30
    one = _submitted(enrolment, learner, method, criteria[:1], title="One")
    thirty = _submitted(enrolment, learner, method, criteria, title="Thirty")
    _decide(enrolment, tutor, one, {criteria[0]: DecisionOutcome.NOT_YET_MET})
    _decide(
        enrolment,
        tutor,
        thirty,
        {
            c: DecisionOutcome.MET if i % 3 else DecisionOutcome.NOT_YET_MET
            for i, c in enumerate(criteria)
        },
    )
    client.force_login(learner)
    counts = {}
    for name, item in (("one", one), ("thirty", thirty)):
        url = reverse("evidence_detail", args=[item.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        counts[name] = len(queries.captured_queries)
        rows = response.context["judgement"].rows
        assert len(rows) == (1 if name == "one" else 30)
        assert all(row.decision is not None for row in rows)
    assert counts["one"] == counts["thirty"]


def test_add_evidence_from_a_criterion_starts_mapped_to_it(
    client, enrolment, learner, method, judged
):
    _, _, not_met = judged
    client.force_login(learner)
    url = reverse("evidence_create", args=[enrolment.pk]) + f"?criterion={not_met.pk}"
    page = client.get(url)
    assert shown_text(page.text, "chosen-criteria") == (
        "This item will cover A/100/0001 1.2. You can change that on the next page."
    )
    response = client.post(
        url,
        evidence_data(method, title="Second example", text="Another time.", criteria=[not_met.pk]),
    )
    assert response.status_code == 302
    new = Evidence.objects.get(title="Second example")
    assert response["Location"] == reverse("evidence_map", args=[new.pk])
    assert set(new.links.values_list("criterion_id", flat=True)) == {not_met.pk}
    mapping = client.get(response["Location"])
    assert not_met.pk in mapping.context["checked"]


def test_add_evidence_refuses_a_criterion_of_another_enrolment(
    client, enrolment, learner, method, catalogue
):
    foreign = criteria_of(catalogue.short_course)[0]
    client.force_login(learner)
    url = reverse("evidence_create", args=[enrolment.pk])
    response = client.post(
        url, evidence_data(method, title="Forged", text="x", criteria=[foreign.pk])
    )
    assert response.status_code == 400
    assert not Evidence.objects.filter(title="Forged").exists()


def test_submitting_refuses_an_item_covering_no_criterion_by_name(
    client, enrolment, learner, method, evidence
):
    bare = services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title="Notes from my shift",
        method=method,
        date=datetime.date(2026, 2, 3),
        text="Notes.",
    )
    client.force_login(learner)
    url = reverse("enrolment_submit", args=[enrolment.pk])
    page = client.get(url)
    # Every draft is ticked: nothing is quietly left behind.
    assert page.context["form"].selected_ids == {evidence.pk, bare.pk}
    response = client.post(url, {"evidence": [evidence.pk, bare.pk], "confirm": "on"})
    assert response.status_code == 400
    assert "E002 Notes from my shift is not mapped to any criterion yet." in response.text
    # Nothing was submitted: not even the item that was ready.
    assert not Evidence.objects.filter(enrolment=enrolment, submitted_at__isnull=False).exists()


def test_dashboard_unit_and_portfolio_show_the_same_measure(
    client, enrolment, learner, tutor, judged
):
    """Met / evidenced / to do, the same numbers on the dashboard, the portfolio and the
    unit page."""
    from accounts.models import Membership

    client.force_login(learner)
    unit = enrolment.units.get(code="A/100/0001")
    dash = client.get(reverse("role_dashboard", args=[Membership.objects.get(user=learner).pk]))
    portfolio = client.get(reverse("portfolio", args=[enrolment.pk]))
    unit_page = client.get(reverse("moderation:unit_record", args=[enrolment.pk, unit.pk]))
    overall = "1 met · 1 evidenced · 12 to do of 14 criteria"
    assert shown_text(dash.text, "dashboard-progress-numbers") == overall
    assert shown_text(portfolio.text, "overall-progress-numbers") == overall
    in_unit = "1 met · 1 evidenced · 4 to do of 6 criteria"
    assert shown_text(portfolio.text, f"unit-progress-{unit.pk}-numbers") == in_unit
    assert shown_text(unit_page.text, "unit-progress-bar-numbers") == in_unit
    # A criterion not met yet offers "Add evidence", starting the item mapped to it.
    add = reverse("evidence_create", args=[enrolment.pk])
    _, _, not_met = judged
    assert f'href="{add}?criterion={not_met.pk}"' in portfolio.text
    record = client.get(reverse("moderation:enrolment_record", args=[enrolment.pk]))
    assert shown_text(record.text, f"record-progress-{unit.pk}-numbers") == in_unit


def test_learner_pages_leave_out_the_trails_machinery(client, enrolment, learner, tutor, judged):
    """No audit sequence numbers or chain hashes for the learner; their tutor sees both."""
    from audit.models import AuditEntry

    entry = AuditEntry.objects.for_enrolment(enrolment.pk).order_by("-seq").first()
    audit = reverse("moderation:enrolment_audit", args=[enrolment.pk])
    client.force_login(learner)
    page = client.get(audit).text
    assert entry.summary in page
    assert entry.hash[:10] not in page
    assert "verify_audit" not in page
    portfolio = client.get(reverse("portfolio", args=[enrolment.pk])).text
    assert "· #" not in portfolio
    client.force_login(tutor)
    assert entry.hash[:10] in client.get(audit).text

"""The internal moderator's screen: the VACS checklist with the decision, the evidence on the
sample page, planned sample dates, the grid's buttons and counts, and a duplicate plan."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.digest import row_digest
from audit.models import AuditEntry
from moderation import plans as moderation_plans
from moderation import services
from moderation.enums import ModeratorKind, SampleOutcome
from moderation.models import PlannedSample, SampleDecision, SamplingPlan
from moderation.vacs import VACS_ALL_YES, VacsChecklist
from tests.factories import PASSWORD
from tests.moderation.conftest import criteria, moderate
from tests.moderation.test_views import url

pytestmark = pytest.mark.django_db

NOT_SUFFICIENT = VacsChecklist(
    valid=True,
    authentic=True,
    current=True,
    sufficient=False,
    notes={"sufficient": "One witness statement for three criteria."},
)


def _decide(world, outcome, vacs, **kwargs):
    referred = outcome == SampleOutcome.REFERRED
    return services.sample_decide(
        enrolment=world["enrolment"],
        unit=world["unit"],
        kind=ModeratorKind.INTERNAL,
        by=world["iqa"],
        outcome=outcome,
        comments="Sampled.",
        required_actions="Add a second witness statement." if referred else "",
        password=PASSWORD,
        vacs=vacs,
        **kwargs,
    )


# ---------------------------------------------------------------- VACS in the service


def test_agreement_needs_every_vacs_answer_yes(world):
    not_current = VacsChecklist(True, True, False, True, notes={"current": "From 2019."})
    with pytest.raises(ValidationError) as caught:
        _decide(world, SampleOutcome.AGREED, not_current)
    assert caught.value.message_dict == {
        "outcome": [
            "The evidence is not current: refer the unit back with the actions the tutor "
            "must take, rather than agree."
        ]
    }
    assert not SampleDecision.objects.exists()


def test_each_vacs_no_needs_a_note(world):
    with pytest.raises(ValidationError) as caught:
        _decide(world, SampleOutcome.REFERRED, VacsChecklist(False, True, True, False))
    assert caught.value.message_dict == {
        "vacs_valid_note": ["Say why the evidence is not valid."],
        "vacs_sufficient_note": ["Say why the evidence is not sufficient."],
    }
    assert not SampleDecision.objects.exists()


def test_internal_decision_without_vacs_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        _decide(world, SampleOutcome.AGREED, None)
    assert caught.value.messages == [
        "Answer the VACS checklist: is the evidence valid, authentic, current and sufficient?"
    ]
    assert not SampleDecision.objects.exists()


def test_vacs_is_stored_and_audited_with_the_referral(world):
    referral = _decide(world, SampleOutcome.REFERRED, NOT_SUFFICIENT)
    referral.refresh_from_db()
    assert referral.vacs == [
        ("Valid", True, ""),
        ("Authentic", True, ""),
        ("Current", True, ""),
        ("Sufficient", False, "One witness statement for three criteria."),
    ]
    entry = AuditEntry.objects.get(action="referral", object_id=str(referral.pk))
    assert entry.data["vacs"] == {
        "valid": True,
        "valid_note": "",
        "authentic": True,
        "authentic_note": "",
        "current": True,
        "current_note": "",
        "sufficient": False,
        "sufficient_note": "One witness statement for three criteria.",
    }
    # The checklist is part of the row the entry digests.
    assert entry.object_digest == row_digest(referral)


def test_a_referral_may_find_the_evidence_sound(world):
    """The tutor's judgement or records may be what is wrong: the actions say so."""
    referral = _decide(world, SampleOutcome.REFERRED, VACS_ALL_YES)
    assert (referral.outcome, referral.vacs[3]) == ("referred", ("Sufficient", True, ""))


def test_external_moderator_does_not_answer_vacs(world):
    with pytest.raises(ValidationError) as caught:
        services.sample_decide(
            enrolment=world["enrolment"],
            unit=world["unit"],
            kind=ModeratorKind.EXTERNAL,
            by=world["eqa"],
            outcome=SampleOutcome.AGREED,
            comments="Verified.",
            password=PASSWORD,
            vacs=VACS_ALL_YES,
        )
    assert caught.value.messages == ["The VACS checklist is the internal moderator's."]


# ---------------------------------------------------------------- the sample page


def test_sample_page_shows_evidence_decisions_and_vacs_on_one_page(client, world):
    client.force_login(world["iqa"])
    response = client.get(url("sample_internal", world))
    assert response.status_code == 200
    page = response.text
    evidence = world["evidence"]
    (pdf,) = evidence.files.all()
    # The evidence, inline: its written account and a preview of its PDF.
    assert f'data-testid="evidence-{evidence.pk}"' in page
    assert "I dealt with a complaint." in page
    assert f'src="{reverse("evidence_file_preview", args=[pdf.pk])}"' in page
    # The other item (unit B only) is not shown on unit A's sample.
    assert f'data-testid="evidence-{world["waiting"].pk}"' not in page
    [shown] = response.context["evidence"]
    assert [c.shown_number for c in shown.criteria] == [
        c.shown_number for c in criteria(world["unit"])
    ]
    # The tutor's decisions, and the four questions with the decision.
    for c in criteria(world["unit"]):
        assert f'data-testid="decision-{c.pk}"' in page
    assert re.findall(r'name="(vacs_[a-z]+)" value="yes"', page) == [
        "vacs_valid",
        "vacs_authentic",
        "vacs_current",
        "vacs_sufficient",
    ]


def test_external_moderators_page_has_no_vacs(client, world):
    client.force_login(world["eqa"])
    response = client.get(url("sample_external", world))
    assert response.status_code == 200
    assert 'data-testid="vacs"' not in response.text


def test_sample_page_refuses_agreement_with_a_no_and_changes_nothing(client, world):
    client.force_login(world["iqa"])
    before = AuditEntry.objects.count()
    response = client.post(
        url("sample_internal", world),
        {
            "outcome": "agreed",
            "comments": "Fine.",
            "password": PASSWORD,
            "seen": "",
            "vacs_valid": "yes",
            "vacs_authentic": "no",
            "vacs_authentic_note": "Two accounts are word for word the same.",
            "vacs_current": "yes",
            "vacs_sufficient": "yes",
        },
    )
    assert response.status_code == 400
    assert (
        "The evidence is not authentic: refer the unit back with the actions the tutor must "
        "take, rather than agree." in response.text
    )
    assert not SampleDecision.objects.exists()
    assert AuditEntry.objects.count() == before


def test_sample_page_asks_each_vacs_question(client, world):
    client.force_login(world["iqa"])
    response = client.post(
        url("sample_internal", world),
        {"outcome": "agreed", "comments": "Fine.", "password": PASSWORD, "seen": ""},
    )
    assert response.status_code == 400
    for label in ("valid", "authentic", "current", "sufficient"):
        assert f"Answer: is the evidence {label}?" in response.text
    assert not SampleDecision.objects.exists()


def test_vacs_shown_in_the_record_to_everyone_who_reads_it(client, world):
    _decide(world, SampleOutcome.REFERRED, NOT_SUFFICIENT)
    for who in ("iqa", "eqa", "tutor", "learner"):
        client.force_login(world[who])
        page = client.get(url("unit_record", world)).text
        assert "Sufficient: no" in page, who
        assert "One witness statement for three criteria." in page, who


# ---------------------------------------------------------------- duplicate plans


def test_a_second_plan_for_the_same_tutor_links_to_the_first(client, world, catalogue):
    client.force_login(world["iqa"])
    response = client.post(
        url("plan_create", world),
        {
            "tutor": world["tutor"].pk,
            "qualification": catalogue.qualification.pk,
            "learner_rate": 50,
            "unit_rate": 50,
            "include_summative": "on",
        },
    )
    assert response.status_code == 400
    assert (
        "Bob Bobfield already has a plan for 600/0001/1 Level 2 Diploma in Testing: change that "
        "plan instead." in response.text
    )
    assert f'href="{world["plan"].get_absolute_url()}" data-testid="existing-plan"' in response.text
    assert "IntegrityError" not in response.text and "already exists" not in response.text
    assert SamplingPlan.objects.count() == 1


def test_changing_a_plan_onto_another_tutors_plan_is_refused(client, world, catalogue):
    tess_plan = services.plan_save(
        centre=world["centre"],
        by=world["iqa"],
        tutor=world["tess"],
        qualification=catalogue.qualification,
        learner_rate=25,
        unit_rate=25,
        include_interim=True,
        include_summative=True,
    )
    client.force_login(world["iqa"])
    response = client.post(
        reverse("moderation:plan_update", args=[tess_plan.pk]),
        {
            "tutor": world["tutor"].pk,
            "qualification": catalogue.qualification.pk,
            "learner_rate": 25,
            "unit_rate": 25,
            "include_interim": "on",
        },
    )
    assert response.status_code == 400
    assert f'href="{world["plan"].get_absolute_url()}"' in response.text
    tess_plan.refresh_from_db()
    assert tess_plan.tutor == world["tess"]


def test_plan_save_refuses_a_duplicate_naming_the_existing_plan(world, catalogue):
    with pytest.raises(services.DuplicatePlan) as caught:
        services.plan_save(
            centre=world["centre"],
            by=world["iqa"],
            tutor=world["tutor"],
            qualification=catalogue.qualification,
            learner_rate=25,
            unit_rate=25,
            include_interim=True,
            include_summative=True,
        )
    assert caught.value.existing == world["plan"]
    assert SamplingPlan.objects.count() == 1


# ---------------------------------------------------------------- planned sample dates


def test_planned_date_is_saved_audited_and_overdue_once_passed(client, world, settings):
    client.force_login(world["iqa"])
    enrolment = world["enrolment"]
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client.post(
        url("plan_detail", world), {f"planned_{enrolment.pk}": yesterday.isoformat()}
    )
    assert response.status_code == 302
    assert list(PlannedSample.objects.values_list("enrolment_id", "planned_on")) == [
        (enrolment.pk, yesterday)
    ]
    entry = AuditEntry.objects.filter(action="plan_saved").latest("seq")
    assert entry.data == {"planned_samples": {"Alice Alicefield": yesterday.isoformat()}}
    page = client.get(url("plan_detail", world))
    (row,) = page.context["grid"].rows
    assert (row.planned_on, row.overdue) == (yesterday, True)
    assert f"Overdue since {yesterday:%-d %b %Y}" in page.text
    assert page.context["grid"].coverage.learners_overdue == 1
    assert "1 planned sample overdue" in page.text
    # Once the sample is done, it is no longer overdue.
    moderate(enrolment, world["unit"], world["iqa"])
    (row,) = client.get(url("plan_detail", world)).context["grid"].rows
    assert (row.planned_on, row.overdue) == (yesterday, False)


def test_a_planned_date_today_or_later_is_not_overdue(client, world):
    client.force_login(world["iqa"])
    today = timezone.localdate()
    client.post(url("plan_detail", world), {f"planned_{world['enrolment'].pk}": str(today)})
    (row,) = client.get(url("plan_detail", world)).context["grid"].rows
    assert (row.planned_on, row.overdue) == (today, False)


def test_overdue_follows_the_centres_time_zone(world, settings, monkeypatch):
    """At 23:30 UTC on 30 June it is already 1 July in London: a sample planned for
    30 June is overdue there, not in UTC."""
    PlannedSample.objects.create(
        plan=world["plan"], enrolment=world["enrolment"], planned_on=datetime.date(2026, 6, 30)
    )
    moment = datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    settings.TIME_ZONE = "Europe/London"
    assert moderation_plans.plan_grids([world["plan"]])[0].rows[0].overdue is True
    settings.TIME_ZONE = "UTC"
    assert moderation_plans.plan_grids([world["plan"]])[0].rows[0].overdue is False


def test_planned_dates_only_for_the_plans_learners(world):
    with pytest.raises(ValidationError) as caught:
        services.planned_samples_save(
            plan=world["plan"], by=world["iqa"], dates={world["tess"].pk + 10_000: None}
        )
    assert caught.value.messages == ["Choose learners of this plan."]


def test_planned_dates_of_another_tutors_learner_are_refused(world, dora_enrolment):
    with pytest.raises(ValidationError):
        services.planned_samples_save(
            plan=world["plan"],
            by=world["iqa"],
            dates={dora_enrolment.pk: datetime.date(2026, 12, 1)},
        )
    assert not PlannedSample.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("tutor", 403), ("charlie", 404), ("eqa", 403)])
def test_only_the_centres_iqa_plans_dates(client, world, who, status):
    client.force_login(world[who])
    response = client.post(url("plan_detail", world), {f"planned_{world['enrolment'].pk}": ""})
    assert response.status_code == status
    assert not PlannedSample.objects.exists()


def test_a_bad_date_is_refused_and_changes_nothing(client, world):
    client.force_login(world["iqa"])
    response = client.post(url("plan_detail", world), {f"planned_{world['enrolment'].pk}": "x"})
    assert response.status_code == 400
    assert "Enter a valid date." in response.text
    assert not PlannedSample.objects.exists()


# ---------------------------------------------------------------- the grid


def test_grid_cells_are_labelled_buttons(client, world):
    client.force_login(world["iqa"])
    page = client.get(url("plan_detail", world)).text
    e, a, b = world["enrolment"].pk, world["unit"], world["unit"]
    sample = reverse("moderation:sample_decide", args=[e, a.pk, "internal"])
    assert re.search(
        rf'<a href="{sample}" class="btn btn-sm [a-z-]+ grid-action" '
        rf'aria-label="Sample unit {re.escape(a.code)} for Alice Alicefield: '
        r'(summative, due|not in the plan\'s sample)">Sample',
        page,
    ), b
    assert ">·<" not in page


def test_coverage_counts_add_up_after_a_referral_outside_the_sample(world, catalogue):
    """The issue: "0 referred · 2 more outside the sample". A referral is counted as one,
    in or outside the sample, and the parts add up to the units moderated."""
    plan = world["plan"]
    plan.learner_rate = 0  # nothing proposed: every decision is outside the sample
    plan.save()
    moderate(world["enrolment"], world["unit"], world["iqa"], SampleOutcome.REFERRED)
    (grid,) = moderation_plans.plan_grids([plan])
    c = grid.coverage
    assert (c.cells_proposed, c.cells_done, c.cells_referred) == (0, 0, 0)
    assert (c.cells_outside_done, c.cells_outside_referred, c.referred_total) == (0, 1, 1)
    assert c.cells_moderated == c.cells_done + c.cells_referred + c.cells_outside == 1


def test_coverage_text_shows_the_sum(client, world):
    moderate(world["enrolment"], world["unit"], world["iqa"], SampleOutcome.REFERRED)
    client.force_login(world["iqa"])
    response = client.get(url("plan_detail", world))
    c = response.context["grid"].coverage
    assert (
        f"<strong>{c.cells_moderated}</strong>: {c.cells_done} agreed in the sample · "
        f"{c.cells_referred} referred in the sample · {c.cells_outside} outside the sample"
        in response.text
    )
    assert c.cells_moderated == 1 and c.referred_total == 1
    assert c.cells_proposed == c.cells_done + c.cells_referred + c.cells_due + c.cells_not_ready


def test_centre_report_counts_a_referral_outside_the_sample(client, world):
    plan = world["plan"]
    plan.learner_rate = 0
    plan.save()
    moderate(world["enrolment"], world["unit"], world["iqa"], SampleOutcome.REFERRED)
    client.force_login(world["admin"])
    membership = world["admin"].memberships.get(centre=world["centre"])
    page = client.get(reverse("role_dashboard", args=[membership.pk])).text
    (row,) = re.findall(r'<tr data-testid="coverage-row">.*?</tr>', page, re.S)
    # Units done of those proposed (none proposed), and the referral, counted.
    assert re.findall(r'<td class="text-end">([^<]*)</td>', row) == ["0 / 0", "1"]


def test_the_database_refuses_agreement_with_a_no_or_a_no_without_a_note(db):
    agreed_invalid = SampleDecision(
        outcome="agreed", stage="interim", comments="c", valid=False, valid_note="Copied."
    )
    with pytest.raises(ValidationError) as caught:
        agreed_invalid.validate_constraints()
    assert "Constraint “agreed_sample_is_vacs” is violated." in caught.value.messages
    unexplained = SampleDecision(
        outcome="referred", stage="interim", comments="c", required_actions="a", current=False
    )
    with pytest.raises(ValidationError) as caught:
        unexplained.validate_constraints()
    assert caught.value.messages == [
        "Constraint “sample_decision_current_no_has_note” is violated."
    ]


def test_sample_page_costs_the_same_for_more_evidence(
    client, world, catalogue, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.moderation.conftest import add_evidence

    client.force_login(world["iqa"])
    # Unit B: work in progress (unit A is signed and takes no new evidence).
    target = reverse(
        "moderation:sample_decide", args=[world["enrolment"].pk, catalogue.unit_b.pk, "internal"]
    )
    client.get(target)  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(target).status_code == 200
    for n in range(3):
        add_evidence(
            world["enrolment"],
            world["learner"],
            criteria_list=criteria(catalogue.unit_b)[1:],
            title=f"Witness statement {n}",
        )
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(target)
    # E001 and E002 before, and the three statements.
    assert [item.evidence.reference for item in response.context["evidence"]] == [
        "E001",
        "E002",
        "E003",
        "E004",
        "E005",
    ]

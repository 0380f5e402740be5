import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Notification
from audit.enums import AuditAction
from audit.models import AuditEntry
from moderation import record as moderation_record
from moderation import services
from moderation.enums import ModeratorKind, ReferralState, SampleOutcome
from moderation.models import SampleDecision
from moderation.vacs import VACS_ALL_YES
from portfolios import record as portfolio_record
from portfolios import services as portfolio_services
from portfolios.enums import DecisionOutcome
from portfolios.models import CriterionDecision, EvidenceCriterion, UnitSignOff
from tests.factories import PASSWORD
from tests.moderation.conftest import (
    add_evidence,
    criteria,
    decide,
    moderate,
    sign,
)

# ---------------------------------------------------------------- decisions


def test_bulk_decision_settles_several_criteria_from_one_item(
    enrolment, evidence, tutor, catalogue
):
    made = decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=evidence)
    assert [d.outcome for d in made] == ["met"] * 4
    assert all(list(d.evidence.all()) == [evidence] for d in made)
    evidence.refresh_from_db()
    assert evidence.assessed_at is not None
    assert portfolio_record.latest_decisions(enrolment) == {
        c.pk: "met" for c in criteria(catalogue.unit_a)
    }
    assert AuditEntry.objects.filter(action=AuditAction.DECISION).count() == 4


def test_met_needs_submitted_evidence(enrolment, learner, tutor, catalogue):
    draft = add_evidence(enrolment, learner, criteria_list=criteria(catalogue.unit_b), submit=False)
    with pytest.raises(ValidationError) as caught:
        decide(enrolment, tutor, criteria(catalogue.unit_b)[:1])
    assert "met needs at least one submitted evidence item" in str(caught.value)
    assert not CriterionDecision.objects.exists()
    assert draft.assessed_at is None


def test_not_yet_met_needs_feedback(enrolment, evidence, tutor, catalogue):
    with pytest.raises(ValidationError) as caught:
        services.criteria_decide(
            enrolment=enrolment,
            by=tutor,
            decided_on=evidence.date,
            requests=[
                services.DecisionRequest(
                    criterion_id=criteria(catalogue.unit_a)[0].pk,
                    outcome=DecisionOutcome.NOT_YET_MET,
                )
            ],
        )
    assert "say what is missing" in str(caught.value)


def test_not_yet_met_without_evidence_is_allowed_and_tells_the_learner(
    enrolment, tutor, learner, catalogue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decide(
            enrolment,
            tutor,
            criteria(catalogue.unit_b)[1:],
            DecisionOutcome.NOT_YET_MET,
            feedback="Bring your witness statement.",
        )
    note = Notification.objects.get(recipient=learner)
    assert note.message == "A/100/0002 1.2 assessed by Bob Bobfield: 1 criterion not yet met (1.2)."
    assert [m.to for m in mail.outbox] == [[learner.email]]


def test_new_decision_supersedes_and_history_stays(enrolment, evidence, tutor, catalogue):
    first_criterion = criteria(catalogue.unit_a)[0]
    (first,) = decide(enrolment, tutor, [first_criterion], DecisionOutcome.NOT_YET_MET)
    (second,) = decide(enrolment, tutor, [first_criterion], evidence=evidence)
    assert second.supersedes == first
    history = portfolio_record.criterion_history(enrolment, first_criterion)
    assert [(d.pk, d.outcome) for d in history] == [(first.pk, "not_yet_met"), (second.pk, "met")]
    assert portfolio_record.latest_decisions(enrolment) == {first_criterion.pk: "met"}


def test_stale_decision_is_refused_and_says_who_and_when(enrolment, evidence, tutor, catalogue):
    criterion = criteria(catalogue.unit_a)[0]
    request = services.DecisionRequest(
        criterion_id=criterion.pk, outcome=DecisionOutcome.MET, seen_id=None
    )
    services.criteria_decide(
        enrolment=enrolment, by=tutor, decided_on=evidence.date, requests=[request]
    )
    with pytest.raises(services.StaleDecision) as caught:
        services.criteria_decide(
            enrolment=enrolment, by=tutor, decided_on=evidence.date, requests=[request]
        )
    message = caught.value.messages[0]
    assert message.startswith(f"{tutor} decided 1.1 at ")
    assert message.endswith("while you were looking; review and decide again.")
    assert CriterionDecision.objects.count() == 1


def test_only_the_learners_tutor_decides(
    enrolment, evidence, second_tutor, internal_moderator, learner, catalogue
):
    for person in (second_tutor, internal_moderator, learner):
        with pytest.raises(ValidationError):
            decide(enrolment, person, criteria(catalogue.unit_a)[:1])
    assert not CriterionDecision.objects.exists()


def test_bulk_decision_refuses_criteria_the_item_is_not_mapped_to(
    enrolment, evidence, tutor, catalogue
):
    with pytest.raises(ValidationError) as caught:
        decide(enrolment, tutor, criteria(catalogue.unit_b)[1:], evidence=evidence)
    assert "E001 is not mapped to it" in str(caught.value)


def test_tutor_adds_criteria_the_learner_did_not_map(enrolment, evidence, tutor, catalogue):
    extra = criteria(catalogue.unit_b)[1]
    assert services.evidence_add_criteria(evidence=evidence, by=tutor, criteria=[extra]) == 1
    assert EvidenceCriterion.objects.filter(evidence=evidence, criterion=extra).exists()
    assert AuditEntry.objects.filter(action=AuditAction.CRITERIA_ADDED).count() == 1
    (made,) = decide(enrolment, tutor, [extra], evidence=evidence)
    assert made.outcome == "met"


def test_learner_cannot_add_criteria_as_tutor(enrolment, evidence, learner, catalogue):
    with pytest.raises(ValidationError):
        services.evidence_add_criteria(
            evidence=evidence, by=learner, criteria=criteria(catalogue.unit_b)[1:]
        )


# ---------------------------------------------------------------- sign-off


def test_sign_off_needs_every_criterion_met(enrolment, evidence, tutor, catalogue):
    decide(enrolment, tutor, criteria(catalogue.unit_a)[:3], evidence=evidence)
    with pytest.raises(ValidationError) as caught:
        sign(enrolment, catalogue.unit_a, tutor)
    assert "not yet: 2.2" in str(caught.value)


def test_sign_off_needs_the_tutors_password(enrolment, evidence, tutor, catalogue):
    decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=evidence)
    with pytest.raises(ValidationError) as caught:
        services.unit_sign_off(
            enrolment=enrolment, unit=catalogue.unit_a, by=tutor, comments="ok", password="wrong"
        )
    assert caught.value.message_dict == {
        "password": ["That is not your password; sign with your own."]
    }
    assert not UnitSignOff.objects.exists()


def test_signed_unit_is_locked(signed_unit, enrolment, evidence, tutor, catalogue):
    assert signed_unit.signature_name == str(tutor)
    with pytest.raises(ValidationError) as caught:
        decide(enrolment, tutor, criteria(catalogue.unit_a)[:1], DecisionOutcome.NOT_YET_MET)
    assert "signed off and locked" in str(caught.value)
    with pytest.raises(ValidationError):
        sign(enrolment, catalogue.unit_a, tutor)
    with pytest.raises(ValidationError):
        services.evidence_add_criteria(
            evidence=evidence, by=tutor, criteria=criteria(catalogue.unit_a)
        )


def test_sign_off_notifies_learner_and_internal_moderators(
    enrolment,
    evidence,
    tutor,
    learner,
    internal_moderator,
    catalogue,
    django_capture_on_commit_callbacks,
):
    decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=evidence)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sign(enrolment, catalogue.unit_a, tutor)
    assert set(
        Notification.objects.filter(kind="signed").values_list("recipient__username", flat=True)
    ) == {"alice", "ivy"}
    assert sorted(m.to[0] for m in mail.outbox) == [learner.email, internal_moderator.email]


def test_learner_acknowledges_once(signed_unit, learner, tutor):
    ack = services.sign_off_acknowledge(sign_off=signed_unit, by=learner, comment="Thanks")
    assert ack.comment == "Thanks"
    with pytest.raises(ValidationError):
        services.sign_off_acknowledge(sign_off=signed_unit, by=learner)
    with pytest.raises(ValidationError):
        services.sign_off_acknowledge(sign_off=signed_unit, by=tutor)


# ---------------------------------------------------------------- moderation


def test_internal_moderator_agrees(signed_unit, enrolment, internal_moderator, catalogue):
    decision = moderate(enrolment, catalogue.unit_a, internal_moderator)
    assert decision.stage == "summative"
    assert decision.sign_off == signed_unit
    assert decision.signature_name == str(internal_moderator)
    assert decision.sample.plan is None
    assert AuditEntry.objects.filter(action=AuditAction.SAMPLE).count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.SAMPLE_DECISION).count() == 1


def test_referral_reopens_unit_until_tutor_fixes_and_moderator_agrees(
    signed_unit, enrolment, evidence, tutor, internal_moderator, catalogue
):
    unit = catalogue.unit_a
    first = criteria(unit)[0]
    referral = moderate(
        enrolment, unit, internal_moderator, SampleOutcome.REFERRED, reopen_criteria=[first]
    )
    assert AuditEntry.objects.filter(action=AuditAction.REFERRAL).count() == 1
    # Reopened: the portfolio reads the criterion as not yet met and the unit is open again.
    assert portfolio_record.latest_decisions(enrolment)[first.pk] == "not_yet_met"
    assert not portfolio_record.unit_is_locked(enrolment, unit.pk)
    (line,) = moderation_record.open_referrals(enrolment.centre)
    assert line.state == ReferralState.OPEN
    with pytest.raises(ValidationError):
        sign(enrolment, unit, tutor)  # the reopened criterion must be decided again first

    decide(enrolment, tutor, [first], evidence=evidence)
    resigned = sign(enrolment, unit, tutor, comments="Feedback expanded.")
    assert resigned.supersedes == signed_unit
    (line,) = moderation_record.open_referrals(enrolment.centre)
    assert line.state == ReferralState.RESUBMITTED

    agreed = moderate(enrolment, unit, internal_moderator)
    assert agreed.supersedes == referral
    assert agreed.sign_off == resigned
    assert moderation_record.open_referrals(enrolment.centre) == []
    assert portfolio_record.unit_is_locked(enrolment, unit.pk)


def test_interim_referral_needs_criteria_to_reopen(
    enrolment, evidence, tutor, internal_moderator, catalogue
):
    decide(enrolment, tutor, criteria(catalogue.unit_a)[:2], evidence=evidence)
    with pytest.raises(ValidationError) as caught:
        moderate(enrolment, catalogue.unit_a, internal_moderator, SampleOutcome.REFERRED)
    assert "reopen_criteria" in caught.value.message_dict
    decision = moderate(
        enrolment,
        catalogue.unit_a,
        internal_moderator,
        SampleOutcome.REFERRED,
        reopen_criteria=criteria(catalogue.unit_a)[:1],
    )
    assert decision.stage == "interim" and decision.sign_off is None


def test_referral_notifies_tutor_and_learner(
    signed_unit, enrolment, internal_moderator, catalogue, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        moderate(enrolment, catalogue.unit_a, internal_moderator, SampleOutcome.REFERRED)
    referred = Notification.objects.filter(kind="referred")
    assert set(referred.values_list("recipient__username", flat=True)) == {"alice", "bob"}
    assert all("Add a second witness statement." in n.message for n in referred)
    assert len(mail.outbox) == 2


def test_internal_moderator_never_samples_own_learners(
    signed_unit, enrolment, tutor, catalogue, centre
):
    from accounts.enums import Role
    from tests.factories import MembershipFactory

    MembershipFactory(user=tutor, centre=centre, role=Role.INTERNAL_MODERATOR)
    with pytest.raises(ValidationError):
        moderate(enrolment, catalogue.unit_a, tutor)


def test_moderator_needs_own_password(signed_unit, enrolment, internal_moderator, catalogue):
    with pytest.raises(ValidationError) as caught:
        services.sample_decide(
            enrolment=enrolment,
            unit=catalogue.unit_a,
            kind=ModeratorKind.INTERNAL,
            vacs=VACS_ALL_YES,
            by=internal_moderator,
            outcome=SampleOutcome.AGREED,
            comments="fine",
            password="not-it",
        )
    assert "password" in caught.value.message_dict
    assert not SampleDecision.objects.exists()


def test_stale_sample_decision_is_refused(signed_unit, enrolment, internal_moderator, catalogue):
    moderate(enrolment, catalogue.unit_a, internal_moderator)
    with pytest.raises(services.StaleDecision):
        services.sample_decide(
            enrolment=enrolment,
            unit=catalogue.unit_a,
            kind=ModeratorKind.INTERNAL,
            vacs=VACS_ALL_YES,
            by=internal_moderator,
            outcome=SampleOutcome.AGREED,
            comments="again",
            password=PASSWORD,
            seen_id=None,
        )


def test_external_moderator_needs_a_grant(
    signed_unit, enrolment, external_moderator, centre_admin, catalogue, centre
):
    with pytest.raises(ValidationError):
        moderate(enrolment, catalogue.unit_a, external_moderator, kind=ModeratorKind.EXTERNAL)
    from tests.moderation.test_permissions import grant

    g = grant(centre, centre_admin, external_moderator, enrolments=[enrolment])
    decision = moderate(
        enrolment, catalogue.unit_a, external_moderator, kind=ModeratorKind.EXTERNAL
    )
    assert decision.sample.grant == g


# ---------------------------------------------------------------- reads for other apps


def test_checklist_helpers_report_the_record(
    signed_unit, enrolment, learner, tutor, internal_moderator, catalogue
):
    services.sign_off_acknowledge(sign_off=signed_unit, by=learner, comment="Pleased")
    moderate(enrolment, catalogue.unit_a, internal_moderator)
    details = portfolio_record.latest_decision_details(enrolment)
    first = criteria(catalogue.unit_a)[0]
    assert details[first.pk].outcome == "met"
    assert details[first.pk].tutor_name == str(tutor)
    assert details[first.pk].is_met
    sign_offs = portfolio_record.unit_sign_offs(enrolment)
    assert sign_offs[catalogue.unit_a.pk].learner_comment == "Pleased"
    assert sign_offs[catalogue.unit_a.pk].acknowledged_at is not None
    assert catalogue.unit_b.pk not in sign_offs
    samples = moderation_record.latest_sample_decisions(enrolment)
    assert samples[catalogue.unit_a.pk]["internal"].name == str(internal_moderator)
    assert samples[catalogue.unit_a.pk]["internal"].outcome_label == "Agreed"
    assert "external" not in samples[catalogue.unit_a.pk]


def test_reads_for_other_apps_cost_one_query_each(
    signed_unit, enrolment, internal_moderator, catalogue, django_assert_num_queries
):
    moderate(enrolment, catalogue.unit_a, internal_moderator)
    for read in (
        portfolio_record.latest_decisions,
        portfolio_record.latest_decision_details,
        portfolio_record.unit_sign_offs,
        moderation_record.latest_sample_decisions,
    ):
        with django_assert_num_queries(1):
            read(enrolment)


def test_submitting_evidence_tells_the_tutor(
    enrolment, learner, tutor, catalogue, django_capture_on_commit_callbacks
):
    items = [
        add_evidence(enrolment, learner, criteria_list=criteria(catalogue.unit_a), submit=False),
        add_evidence(enrolment, learner, criteria_list=criteria(catalogue.unit_b), submit=False),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        portfolio_services.evidence_submit(items=items, by=learner, declaration_confirmed=True)
    # A notice per item, each naming it and opening its assessment; one e-mail.
    notes = Notification.objects.filter(recipient=tutor).order_by("pk")
    assert [(n.message, n.url, n.subject) for n in notes] == [
        (
            f"{item.reference} Complaint log submitted by {learner}",
            reverse("moderation:evidence_assess", args=[item.pk]),
            f"evidence:{item.pk}",
        )
        for item in items
    ]
    assert [m.to for m in mail.outbox] == [[tutor.email]]
    assert mail.outbox[0].subject == (
        f"[Portfolio] E001 Complaint log submitted by {learner} (and 1 more)"
    )


def test_signed_unit_takes_no_new_evidence(enrolment, learner, catalogue, signed_unit):
    draft = add_evidence(enrolment, learner, criteria_list=criteria(catalogue.unit_b), submit=False)
    with pytest.raises(ValidationError) as error:
        portfolio_services.evidence_set_criteria(
            evidence=draft, by=learner, criteria=criteria(catalogue.unit_a)
        )
    assert "A/100/0001 Deliver customer service is signed off and locked" in str(error.value)
    assert set(draft.links.values_list("criterion__unit", flat=True)) == {catalogue.unit_b.pk}
    with pytest.raises(ValidationError):
        add_evidence(enrolment, learner, criteria_list=criteria(catalogue.unit_a)[:1], title="x")

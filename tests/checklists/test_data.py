"""A portfolio taken through assessment and moderation with the real services, then printed:
the tutor's decisions, sign-off, the learner's acknowledgement and both moderators' samples."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from checklists.data import filled_for_enrolment
from checklists.enums import Layout
from checklists.pdf import render_checklist
from moderation import services as moderation_services
from moderation.enums import ModeratorKind, SampleOutcome
from moderation.vacs import VACS_ALL_YES
from portfolios.enums import DecisionOutcome
from portfolios.selectors import get_enrolment_for_user
from tests.checklists.helpers import pdf_text, squash
from tests.factories import PASSWORD

LONDON = zoneinfo.ZoneInfo("Europe/London")


def stamp(moment: datetime.datetime) -> str:
    """A signature's date and time as the forms print it (local time, squashed)."""
    return moment.astimezone(LONDON).strftime("%d/%m/%Y%H:%M")


@pytest.fixture
def named_moderators(internal_moderator, external_moderator):
    for user, first, last in (
        (internal_moderator, "Ivy", "Inman"),
        (external_moderator, "Eric", "Ede"),
    ):
        user.first_name, user.last_name = first, last
        user.save()
    return internal_moderator, external_moderator


@pytest.fixture
def assessed(portfolio, enrolment, catalogue, named_people, named_moderators, centre_admin):
    """Unit B: both criteria met, signed off, acknowledged, sampled by both moderators.
    Unit A: criterion 1.1 not yet met, with feedback; nothing signed."""
    learner, tutor = named_people
    iqa, eqa = named_moderators
    unit_b = catalogue.units[1]
    moderation_services.criteria_decide(
        enrolment=enrolment,
        by=tutor,
        decided_on=datetime.date(2026, 3, 12),
        requests=[
            moderation_services.DecisionRequest(criterion_id=c.pk, outcome=DecisionOutcome.MET)
            for c in catalogue.criteria(1)
        ],
    )
    moderation_services.criteria_decide(
        enrolment=enrolment,
        by=tutor,
        decided_on=datetime.date(2026, 3, 13),
        requests=[
            moderation_services.DecisionRequest(
                criterion_id=catalogue.criteria(0)[0].pk,
                outcome=DecisionOutcome.NOT_YET_MET,
                feedback="Add a witness statement.",
            )
        ],
    )
    sign_off = moderation_services.unit_sign_off(
        enrolment=enrolment,
        unit=unit_b,
        by=tutor,
        comments="Both criteria met with clear evidence.",
        password=PASSWORD,
    )
    acknowledgement = moderation_services.sign_off_acknowledge(
        sign_off=sign_off, by=learner, comment="Thank you for the feedback."
    )
    internal = moderation_services.sample_decide(
        enrolment=enrolment,
        unit=unit_b,
        kind=ModeratorKind.INTERNAL,
        vacs=VACS_ALL_YES,
        by=iqa,
        outcome=SampleOutcome.AGREED,
        comments="Decisions are sound.",
        password=PASSWORD,
    )
    now = timezone.now()
    moderation_services.grant_create(
        centre=enrolment.centre,
        by=centre_admin,
        moderator=eqa,
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(days=7),
        enrolments=[enrolment],
    )
    external = moderation_services.sample_decide(
        enrolment=enrolment,
        unit=unit_b,
        kind=ModeratorKind.EXTERNAL,
        by=eqa,
        outcome=SampleOutcome.AGREED,
        comments="Agreed with the centre's decisions.",
        password=PASSWORD,
    )
    return {
        "sign_off": sign_off,
        "acknowledgement": acknowledgement,
        "internal": internal,
        "external": external,
    }


def document(enrolment, user, layout, unit=None):
    return filled_for_enrolment(get_enrolment_for_user(user, enrolment.pk), layout, unit=unit)


def test_rows_carry_the_latest_decisions(assessed, enrolment, catalogue, centre_admin):
    doc = document(enrolment, centre_admin, Layout.UNIT_ASSESSMENT)
    unit_a, unit_b = doc.units
    first = unit_a.outcomes[0].rows[0]
    assert (first.decision, first.decided_on, first.feedback) == (
        "not_yet_met",
        datetime.date(2026, 3, 13),
        "Add a witness statement.",
    )
    assert [(r.decision, r.decided_on) for o in unit_b.outcomes for r in o.rows] == [
        ("met", datetime.date(2026, 3, 12)),
        ("met", datetime.date(2026, 3, 12)),
    ]
    assert unit_b.tutor.name == "Bob Baker"
    assert unit_b.tutor.signed_at == assessed["sign_off"].signed_at
    assert unit_b.learner.name == "Alice Archer"
    assert unit_b.learner.comment == "Thank you for the feedback."
    assert unit_b.internal_moderator.name == "Ivy Inman"
    assert unit_b.internal_moderator.outcome == "Agreed (summative sample)"
    assert unit_b.external_moderator.name == "Eric Ede"
    # Unit A is neither signed nor sampled: its blocks stay empty for paper.
    assert not unit_a.tutor.is_signed and not unit_a.internal_moderator.is_signed


def test_assessment_form_prints_met_dates_feedback_and_signatures(
    assessed, enrolment, centre_admin
):
    text = pdf_text(render_checklist(document(enrolment, centre_admin, Layout.UNIT_ASSESSMENT)))
    # The seed's columns: the criterion, then Date, then Met.
    assert "12/03/2026Met" in text
    assert "Tutor:Addawitnessstatement.13/03/2026Notyetmet" in text
    assert "Bothcriteriametwithclearevidence." in text
    assert (
        "TutorName,SignatureandDate"
        f"BobBaker,signedelectronically,{stamp(assessed['sign_off'].signed_at)}" in text
    )
    assert "LearnerCommentThankyouforthefeedback." in text
    # The learner's signature line is an option the form lacks, off by default.
    assert "Name:AliceArcher" not in text
    with_extras = filled_for_enrolment(
        get_enrolment_for_user(centre_admin, enrolment.pk),
        Layout.UNIT_ASSESSMENT,
        with_extras=True,
    )
    text = pdf_text(render_checklist(with_extras))
    assert (
        "Name:AliceArcherSignature:signedelectronicallyDate:"
        f"{stamp(assessed['acknowledgement'].acknowledged_at)}" in text
    )
    assert "Portfolioreference" in text


def test_achievement_form_prints_the_moderators_blocks(assessed, enrolment, centre_admin):
    text = pdf_text(render_checklist(document(enrolment, centre_admin, Layout.ACHIEVEMENT)))
    assert "Met12/03/2026" in text
    assert squash("Not yet met 13/03/2026 Add a witness statement.") in text
    assert "Decisionsaresound.Agreed(summativesample)" in text
    assert (
        f"Name:IvyInmanSignature:signedelectronicallyDate:{stamp(assessed['internal'].signed_at)}"
        in text
    )
    assert "Agreedwiththecentre'sdecisions." in text
    assert (
        f"Name:EricEdeSignature:signedelectronicallyDate:{stamp(assessed['external'].signed_at)}"
        in text
    )


def test_record_form_prints_learner_assessor_and_verifier_signatures(
    assessed, enrolment, centre_admin
):
    text = pdf_text(render_checklist(document(enrolment, centre_admin, Layout.OUTCOME_RECORD)))
    assert (
        f"Learnersignature:signedelectronicallybyAliceArcherDate:"
        f"{stamp(assessed['acknowledgement'].acknowledged_at)}" in text
    )
    assert (
        f"Assessorsignature:signedelectronicallybyBobBakerDate:"
        f"{stamp(assessed['sign_off'].signed_at)}" in text
    )
    assert (
        "Internalverifiersignature:(ifsampled)signedelectronicallybyIvyInmanDate:"
        f"{stamp(assessed['internal'].signed_at)}" in text
    )


def test_a_referral_shows_on_the_form(assessed, enrolment, catalogue, named_moderators):
    iqa, _ = named_moderators
    moderation_services.sample_decide(
        enrolment=enrolment,
        unit=catalogue.units[1],
        kind=ModeratorKind.INTERNAL,
        vacs=VACS_ALL_YES,
        by=iqa,
        outcome=SampleOutcome.REFERRED,
        comments="One decision is not supported.",
        required_actions="Observe 1.2 again.",
        password=PASSWORD,
        seen_id=assessed["internal"].pk,
    )
    doc = document(enrolment, iqa, Layout.ACHIEVEMENT)
    block = doc.units[1]
    assert block.internal_moderator.outcome == "Referred back to the tutor (summative sample)"
    assert block.internal_moderator.comment == (
        "One decision is not supported.\nRequired actions: Observe 1.2 again."
    )
    assert block.tutor.outcome == "Referred back by a moderator: to be signed again."
    text = pdf_text(render_checklist(doc))
    assert "RequiredactionsObserve1.2again." in text.replace(":", "")


def test_the_cache_notices_a_new_decision(
    assessed, enrolment, catalogue, named_people, centre_admin
):
    from checklists import services

    _, tutor = named_people
    enrolment = get_enrolment_for_user(centre_admin, enrolment.pk)
    services.enrolment_checklist_print(enrolment=enrolment, layout=Layout.ACHIEVEMENT)
    moderation_services.criteria_decide(
        enrolment=enrolment,
        by=tutor,
        decided_on=datetime.date(2026, 3, 20),
        requests=[
            moderation_services.DecisionRequest(
                criterion_id=catalogue.criteria(0)[1].pk, outcome=DecisionOutcome.MET
            )
        ],
    )
    again = services.enrolment_checklist_print(enrolment=enrolment, layout=Layout.ACHIEVEMENT)
    assert again.from_cache is False
    assert "Met20/03/2026" in pdf_text(again.pdf)

"""The assessment side of the demo (`seed_demo`): decisions, sign-offs, samples, referrals.

Runs after portfolios' demo, on the demo centre's enrolments, through the same services a tutor
and a moderator use (so the audit trail gets real entries). Each portfolio is assessed once: a
portfolio that already has decisions is left as it is, so running it again adds nothing.

Between them the demo learners show every state: criteria met and not yet met, a unit signed
and acknowledged, one signed and waiting for the learner, an internal moderator's agreement,
an open referral, a referral closed after the tutor put it right, and an external moderator
with access to the demo learner.
"""

import datetime
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from moderation import services
from moderation.enums import ModeratorKind, SampleOutcome
from moderation.models import SamplingPlan
from moderation.vacs import VACS_ALL_YES, VacsChecklist
from portfolios import services as portfolio_services
from portfolios.demo import demo_pdf
from portfolios.enums import DecisionOutcome
from portfolios.models import CriterionDecision, Enrolment, EqaGrant, Evidence
from qualifications.models import AssessmentCriterion, EvidenceMethod

NOT_MET_FEEDBACK = [
    "Your account describes what happened but not why you chose to respond that way. Add a "
    "short reflection on the organisation's procedure you followed.",
    "Good start. Please add a second example, ideally with a different type of customer.",
    "The witness statement is not signed or dated. Ask your manager to sign and date it.",
]


def _decide_submitted(enrolment, tutor, rng) -> int:
    """The tutor judges every submitted item: mostly met, now and then not yet met."""
    count = 0
    for item in Evidence.objects.submitted().filter(enrolment=enrolment).order_by("number"):
        requests = []
        for criterion_id in item.links.values_list("criterion_id", flat=True):
            not_met = rng.random() < 0.2
            requests.append(
                services.DecisionRequest(
                    criterion_id=criterion_id,
                    outcome=DecisionOutcome.NOT_YET_MET if not_met else DecisionOutcome.MET,
                    feedback=rng.choice(NOT_MET_FEEDBACK) if not_met else "",
                    seen_id=CriterionDecision.objects.filter(
                        enrolment=enrolment, criterion_id=criterion_id
                    )
                    .latest()
                    .values_list("pk", flat=True)
                    .first(),
                )
            )
        if requests:
            count += len(
                services.criteria_decide(
                    enrolment=enrolment,
                    by=tutor,
                    decided_on=timezone.localdate(),
                    requests=requests,
                    evidence=item,
                )
            )
    return count


def _complete_unit(enrolment, unit, learner, tutor):
    """A learner's evidence covering the whole unit, submitted, and every criterion met."""
    criteria = list(AssessmentCriterion.objects.filter(unit=unit).order_by("sort_key"))
    title = f"Work product covering {unit.code or unit.title}"
    item = portfolio_services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title=title,
        method=EvidenceMethod.objects.get(slug="product-evidence"),
        date=enrolment.start_date + datetime.timedelta(days=30),
        text="A folder of the documents I produced at work for this unit, with my notes.",
        files=[SimpleUploadedFile("unit-folder.pdf", demo_pdf(title))],
        criteria=criteria,
    )
    portfolio_services.evidence_submit(items=[item], by=learner, declaration_confirmed=True)
    latest = dict(
        CriterionDecision.objects.filter(enrolment=enrolment, unit=unit)
        .latest()
        .values_list("criterion_id", "pk")
    )
    services.criteria_decide(
        enrolment=enrolment,
        by=tutor,
        decided_on=timezone.localdate(),
        requests=[
            services.DecisionRequest(
                criterion_id=c.pk, outcome=DecisionOutcome.MET, seen_id=latest.get(c.pk)
            )
            for c in criteria
        ],
        evidence=item,
    )


def _sign(enrolment, unit, tutor, comments):
    return services.unit_sign_off(
        enrolment=enrolment, unit=unit, by=tutor, comments=comments, password=DEMO_PASSWORD
    )


def _moderate(enrolment, unit, iqa, outcome, *, seen=None, reopen=()):
    referred = outcome == SampleOutcome.REFERRED
    return services.sample_decide(
        enrolment=enrolment,
        unit=unit,
        kind=ModeratorKind.INTERNAL,
        by=iqa,
        outcome=outcome,
        comments="Sampled the evidence against the criteria and the tutor's feedback."
        if not referred
        else "The evidence for outcome 1 is thin and the tutor's feedback does not say why "
        "it is sufficient.",
        required_actions="Ask the learner for a second example for the reopened criteria and "
        "record your reasons in the feedback."
        if referred
        else "",
        reopen_criteria=reopen,
        vacs=VacsChecklist(
            valid=True,
            authentic=True,
            current=True,
            sufficient=False,
            notes={"sufficient": "One example for outcome 1; the criteria ask for two."},
        )
        if referred
        else VACS_ALL_YES,
        password=DEMO_PASSWORD,
        seen_id=seen.pk if seen else None,
    )


def _item(enrolment, learner, criteria, title, *, submit=True, slug="reflective-account"):
    item = portfolio_services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title=title,
        method=EvidenceMethod.objects.get(slug=slug),
        date=enrolment.start_date + datetime.timedelta(days=45),
        text="What I did, why I did it that way, and what I would do differently next time.",
        criteria=criteria,
    )
    if submit:
        portfolio_services.evidence_submit(items=[item], by=learner, declaration_confirmed=True)
    return item


def _showcase(enrolment, learner, tutor, iqa) -> None:
    """The demo learner's portfolio shows every state a newcomer should meet: besides the
    unit signed and waiting for them, a not yet met with the tutor's feedback, a unit referred
    back by the internal moderator, items waiting in the tutor's queue, and a draft."""
    units = list(enrolment.units.order_by("enrolment_units__position")[1:5])
    if len(units) < 4:
        return
    judged, referred, queued, drafted = (
        list(AssessmentCriterion.objects.filter(unit=u).order_by("sort_key")) for u in units
    )
    # A not yet met, with feedback saying what is missing.
    item = _item(enrolment, learner, judged[:3], "Reflective account of a difficult call")
    services.criteria_decide(
        enrolment=enrolment,
        by=tutor,
        decided_on=timezone.localdate(),
        requests=[
            services.DecisionRequest(
                criterion_id=c.pk,
                outcome=DecisionOutcome.NOT_YET_MET if i == 2 else DecisionOutcome.MET,
                feedback=NOT_MET_FEEDBACK[0] if i == 2 else "",
            )
            for i, c in enumerate(judged[:3])
        ],
        evidence=item,
    )
    # A unit signed, then referred back with one criterion reopened.
    _complete_unit(enrolment, units[1], learner, tutor)
    _sign(enrolment, units[1], tutor, "Every criterion met with valid evidence.")
    _moderate(enrolment, units[1], iqa, SampleOutcome.REFERRED, reopen=[referred[0]])
    # Work waiting for the tutor: two items submitted and not yet assessed.
    _item(enrolment, learner, queued[:2], "Witness statement from my supervisor")
    _item(enrolment, learner, queued[2:4] or queued[:1], "Photos of the display I set up")
    # A draft the learner has not submitted yet.
    _item(enrolment, learner, drafted[:2], "Notes on the team meeting", submit=False)


def seed_demo_moderation(demo) -> list[str]:
    centre = demo.centre
    tutor, iqa, eqa = demo.users["tutor"], demo.users["iqa"], demo.users["eqa"]
    enrolments = list(
        Enrolment.objects.filter(centre=centre, tutor=tutor)
        .select_related("learner", "qualification")
        .order_by("learner__username")
    )
    if not enrolments:
        return ["No demo enrolments: no assessment demo."]
    decided = signed = 0
    scenario = 0
    for enrolment in enrolments:
        if CriterionDecision.objects.filter(enrolment=enrolment).exists():
            continue
        rng = random.Random(enrolment.pk)
        learner = enrolment.learner
        decided += _decide_submitted(enrolment, tutor, rng)
        unit = enrolment.units.order_by("enrolment_units__position").first()
        if unit is None:
            continue
        _complete_unit(enrolment, unit, learner, tutor)
        sign_off = _sign(
            enrolment,
            unit,
            tutor,
            "All criteria met with sufficient, valid "
            "evidence. Well organised portfolio for this unit.",
        )
        signed += 1
        if learner.pk == demo.users["learner"].pk:
            step = 3  # the demo learner has a sign-off to acknowledge when they sign in
        else:
            step = scenario % 4
            scenario += 1
        if step == 0:
            # Signed, acknowledged, and agreed by the internal moderator.
            services.sign_off_acknowledge(
                sign_off=sign_off, by=learner, comment="Thank you, I am pleased with this unit."
            )
            _moderate(enrolment, unit, iqa, SampleOutcome.AGREED)
        elif step == 1:
            # Referred back: the unit is open again, one criterion reopened.
            first = AssessmentCriterion.objects.filter(unit=unit).order_by("sort_key").first()
            _moderate(enrolment, unit, iqa, SampleOutcome.REFERRED, reopen=[first])
        elif step == 2:
            # Referred, put right by the tutor, and agreed: a closed referral.
            services.sign_off_acknowledge(sign_off=sign_off, by=learner)
            referral = _moderate(enrolment, unit, iqa, SampleOutcome.REFERRED)
            _sign(
                enrolment,
                unit,
                tutor,
                "Feedback expanded as the moderator asked; the evidence meets every criterion.",
            )
            _moderate(enrolment, unit, iqa, SampleOutcome.AGREED, seen=referral)
        # step 3: signed and waiting for the learner's acknowledgement.
        if learner.pk == demo.users["learner"].pk:
            _showcase(enrolment, learner, tutor, iqa)

    qualification = enrolments[0].qualification
    if qualification and not SamplingPlan.objects.filter(centre=centre, tutor=tutor).exists():
        services.plan_save(
            centre=centre,
            by=iqa,
            tutor=tutor,
            qualification=qualification,
            learner_rate=50,
            unit_rate=25,
            include_interim=True,
            include_summative=True,
            risk_methods=list(EvidenceMethod.objects.filter(slug="witness-testimony")),
        )
    demo_learner = next((e for e in enrolments if e.learner_id == demo.users["learner"].pk), None)
    if (
        demo_learner
        and not EqaGrant.objects.filter(centre=centre, moderator=eqa).current().exists()
    ):
        now = timezone.now()
        services.grant_create(
            centre=centre,
            by=demo.users["centreadmin"],
            moderator=eqa,
            starts_at=now,
            ends_at=now + datetime.timedelta(days=30),
            enrolments=[demo_learner],
            note="Standards verification visit (demo).",
        )
    return [
        f"Assessment demo: {decided} decisions on submitted evidence, {signed} unit(s) signed, "
        "samples, referrals and an external moderator's access."
    ]

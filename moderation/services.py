"""Writes to the assessment record.

Each function checks who is acting and the state of the record, locks the enrolment row
(SELECT … FOR UPDATE) so that two people acting on the same portfolio take turns, writes
append-only rows after full_clean(), writes the audit entry in the same transaction, and
notifies the people concerned (e-mail once the transaction commits).

Signing (a unit, a moderator's decision) asks for the signer's password again: with the
request, through `authenticate`, so django-axes counts and throttles wrong passwords. A signer
who has set up an authenticator app also gives its current code (`accounts.twofactor`).
"""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.enums import NotificationKind, Role
from accounts.models import Centre, Notification, User
from accounts.notifications import clear as clear_notices
from accounts.permissions import has_role
from accounts.signature import signature_confirm
from audit.chain import audit_record
from audit.enums import AuditAction
from audit.models import AccessLogEntry
from moderation import notifications, permissions
from moderation.enums import ModeratorKind, SampleOutcome, SampleStage
from moderation.models import PlannedSample, Sample, SampleDecision, SamplingPlan
from moderation.vacs import VacsChecklist
from portfolios import permissions as portfolio_permissions
from portfolios import record as portfolio_record
from portfolios import services as portfolio_services
from portfolios.enums import DecisionOutcome
from portfolios.models import (
    CriterionDecision,
    DecisionEvidence,
    Enrolment,
    EnrolmentUnit,
    EqaGrant,
    Evidence,
    EvidenceCriterion,
    SignOffAcknowledgement,
    UnitSignOff,
)
from portfolios.notifications import clear_evidence_notices
from portfolios.state import current_evidence_q
from qualifications.models import AssessmentCriterion, Qualification, Unit
from qualifications.permissions import may_use


class StaleDecision(ValidationError):
    """Someone else decided while this person was looking; nothing was saved."""


def _lock(enrolment: Enrolment) -> Enrolment:
    # Everything that changes a portfolio's record locks its enrolment row first, then (in
    # audit_record) the audit head: always in that order, so writers never deadlock.
    return Enrolment.objects.select_for_update().get(pk=enrolment.pk)


def _confirm_password(user: User, password: str, request=None, code: str = "") -> None:
    """The e-signature (`accounts.signature`): refuses before anything is written."""
    signature_confirm(user, password, request, code)


def _at(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M on %d %b %Y")


def _unit_label(unit: Unit) -> str:
    return f"{unit.code} {unit.title}" if unit.code else unit.title


def _criteria_of(enrolment, ids) -> dict:
    """These criteria, each in one of the enrolment's units; any other id is refused."""
    found = {
        c.pk: c
        for c in AssessmentCriterion.objects.filter(
            pk__in=ids, unit__enrolment_units__enrolment=enrolment
        ).select_related("unit")
    }
    if len(found) != len(ids):
        raise ValidationError("Some of the criteria are not in this learner's units.")
    return found


def _submitted_evidence(enrolment, criterion_ids) -> dict[int, list[int]]:
    """criterion → current evidence mapped to it (what a *met* can rest on)."""
    result = defaultdict(list)
    for criterion_id, evidence_id in EvidenceCriterion.objects.filter(
        current_evidence_q("evidence__"),
        evidence__enrolment=enrolment,
        criterion_id__in=criterion_ids,
    ).values_list("criterion_id", "evidence_id"):
        result[criterion_id].append(evidence_id)
    return result


# ---------------------------------------------------------------- tutors' decisions


@dataclass(frozen=True)
class DecisionRequest:
    criterion_id: int
    outcome: str
    feedback: str = ""
    # The id of the latest decision the tutor saw when they opened the form (None: none).
    seen_id: int | None = None


def criteria_decide(
    *,
    enrolment: Enrolment,
    by: User,
    decided_on: datetime.date,
    requests: Sequence[DecisionRequest],
    evidence: Evidence | None = None,
) -> list[CriterionDecision]:
    """Record the tutor's decision on one or several criteria at once.

    With `evidence`, every decision rests on that item (the bulk decision from an evidence
    item); without, on all the submitted evidence mapped to each criterion. A decision
    supersedes the one the tutor saw; if another has been recorded since, nothing is saved
    and StaleDecision says who decided, and when.
    """
    if not requests:
        raise ValidationError("Choose at least one criterion and a decision.")
    if not permissions.can_assess(by, enrolment):
        raise ValidationError("Only the learner's tutor assesses this portfolio.")
    if decided_on > timezone.localdate():
        raise ValidationError({"decided_on": "The date of a decision cannot be in the future."})
    ids = [r.criterion_id for r in requests]
    if len(set(ids)) != len(ids):
        raise ValidationError("Each criterion can be decided once at a time.")
    with transaction.atomic():
        _lock(enrolment)
        criteria = _criteria_of(enrolment, ids)
        latest = {
            d.criterion_id: d
            for d in CriterionDecision.objects.filter(enrolment=enrolment, criterion_id__in=ids)
            .latest()
            .select_related("decided_by")
        }
        stale = []
        for r in requests:
            current = latest.get(r.criterion_id)
            if current is not None and current.pk != r.seen_id:
                stale.append(
                    f"{current.decided_by} decided {criteria[r.criterion_id].shown_number} at "
                    f"{_at(current.decided_at)} while you were looking; review and decide again."
                )
        if stale:
            raise StaleDecision(stale)
        locked_units = portfolio_record.locked_unit_ids(
            enrolment, {c.unit_id for c in criteria.values()}
        )
        submitted = _submitted_evidence(enrolment, ids)
        if evidence is not None:
            evidence = Evidence.objects.current().filter(pk=evidence.pk).first()
            if evidence is None or evidence.enrolment_id != enrolment.pk:
                raise ValidationError(
                    "Decisions rest on current evidence: submitted, and not superseded by a "
                    "submitted correction."
                )
            mapped = set(evidence.links.values_list("criterion_id", flat=True))
        problems = []
        for r in requests:
            c = criteria[r.criterion_id]
            if r.outcome not in DecisionOutcome.values:
                problems.append(f"{c.shown_number}: choose met or not yet met.")
            if c.unit_id in locked_units:
                problems.append(
                    f"{c.shown_number}: {_unit_label(c.unit)} is signed off and locked."
                )
            if evidence is not None and c.pk not in mapped:
                problems.append(f"{c.shown_number}: {evidence.reference} is not mapped to it.")
            if r.outcome == DecisionOutcome.MET and not submitted.get(c.pk):
                problems.append(
                    f"{c.shown_number}: met needs at least one submitted evidence item mapped "
                    "to it."
                )
            if r.outcome == DecisionOutcome.NOT_YET_MET and not r.feedback.strip():
                problems.append(
                    f"{c.shown_number}: say what is missing (feedback for the learner)."
                )
        if problems:
            raise ValidationError(problems)

        now = timezone.now()
        made, assessed = [], set()
        for r in requests:
            c = criteria[r.criterion_id]
            decision = CriterionDecision(
                enrolment=enrolment,
                criterion=c,
                outcome=r.outcome,
                decided_on=decided_on,
                feedback=r.feedback.strip(),
                decided_by=by,
                decided_at=now,
                supersedes=latest.get(c.pk),
            )
            decision.full_clean()
            decision.save()
            evidence_ids = [evidence.pk] if evidence is not None else submitted.get(c.pk, [])
            DecisionEvidence.objects.bulk_create(
                [DecisionEvidence(decision=decision, evidence_id=eid) for eid in evidence_ids]
            )
            assessed.update(evidence_ids)
            audit_record(
                action=AuditAction.DECISION,
                actor=by,
                enrolment=enrolment,
                obj=decision,
                summary=f"{_unit_label(c.unit)} {c.shown_number}: {decision.get_outcome_display()}",
                data={
                    "criterion": c.number,
                    "unit": c.unit.code or c.unit.slug,
                    "outcome": decision.outcome,
                    "decided_on": decided_on,
                    "feedback": decision.feedback,
                    "supersedes": decision.supersedes_id,
                    "evidence": sorted(evidence_ids),
                },
            )
            made.append(decision)
        # The first decision on an item marks it assessed; it is then kept for good.
        Evidence.objects.filter(pk__in=assessed, assessed_at__isnull=True).update(assessed_at=now)
        # The tutor's notices of these items are acted on; the learner's older notice of the
        # item gives way to the one about these decisions.
        clear_evidence_notices(assessed, kinds=[NotificationKind.EVIDENCE_SUBMITTED])
        if evidence is not None:
            clear_evidence_notices([evidence], kinds=[NotificationKind.DECIDED])
        notifications.notify_decided(enrolment=enrolment, decisions=made, evidence=evidence)
    return made


def evidence_add_criteria(*, evidence: Evidence, by: User, criteria: Sequence) -> int:
    """The tutor maps a submitted item to criteria the learner did not choose."""
    enrolment = evidence.enrolment
    if not permissions.can_assess(by, enrolment):
        raise ValidationError("Only the learner's tutor assesses this portfolio.")
    ids = sorted({getattr(c, "pk", c) for c in criteria})
    if not ids:
        raise ValidationError("Choose the criteria to add.")
    with transaction.atomic():
        _lock(enrolment)
        evidence = Evidence.objects.get(pk=evidence.pk)
        if not evidence.is_submitted or Evidence.objects.filter(supersedes=evidence).exists():
            raise ValidationError("Only submitted, uncorrected evidence can be mapped further.")
        found = _criteria_of(enrolment, ids)
        locked = portfolio_record.locked_unit_ids(enrolment, {c.unit_id for c in found.values()})
        if any(c.unit_id in locked for c in found.values()):
            raise ValidationError("A signed-off unit is locked; its criteria cannot be added.")
        already = set(evidence.links.values_list("criterion_id", flat=True))
        new = [found[i] for i in ids if i not in already]
        EvidenceCriterion.objects.bulk_create(
            [EvidenceCriterion(evidence=evidence, criterion=c) for c in new]
        )
        if new:
            audit_record(
                action=AuditAction.CRITERIA_ADDED,
                actor=by,
                enrolment=enrolment,
                obj=evidence,
                summary=f"{evidence.reference} mapped by the tutor to "
                + ", ".join(f"{c.unit.code or c.unit.title} {c.number}" for c in new),
                data={"evidence": evidence.reference, "criteria": [c.pk for c in new]},
            )
    return len(new)


# ---------------------------------------------------------------- sign-off


def unit_sign_off(
    *,
    enrolment: Enrolment,
    unit: Unit,
    by: User,
    comments: str,
    password: str,
    code: str = "",
    request=None,
) -> UnitSignOff:
    """The tutor's e-signature on a unit whose every criterion is met; the unit then locks."""
    if not permissions.can_assess(by, enrolment):
        raise ValidationError("Only the learner's tutor signs off units.")
    if not comments.strip():
        raise ValidationError({"comments": "Add your comments on the unit."})
    _confirm_password(by, password, request, code)
    with transaction.atomic():
        _lock(enrolment)
        if not EnrolmentUnit.objects.current().filter(enrolment=enrolment, unit=unit).exists():
            raise ValidationError("This unit is not part of the learner's programme.")
        criteria = dict(AssessmentCriterion.objects.filter(unit=unit).values_list("pk", "number"))
        met = set(
            CriterionDecision.objects.filter(enrolment=enrolment, unit=unit)
            .met()
            .values_list("criterion_id", flat=True)
        )
        missing = [number for pk, number in criteria.items() if pk not in met]
        if not criteria or missing:
            raise ValidationError(
                "Every criterion of the unit must be met before it is signed off; not yet: "
                + ", ".join(missing)
                if missing
                else "This unit has no criteria to sign off."
            )
        previous = (
            UnitSignOff.objects.filter(enrolment=enrolment, unit=unit)
            .latest()
            .with_referral()
            .first()
        )
        if previous is not None and not previous.is_referred:
            raise ValidationError(
                f"{_unit_label(unit)} was already signed off by {previous.signature_name} at "
                f"{_at(previous.signed_at)}."
            )
        sign_off = UnitSignOff(
            enrolment=enrolment,
            unit=unit,
            signed_by=by,
            signature_name=str(by),
            signed_at=timezone.now(),
            comments=comments.strip(),
            supersedes=previous,
        )
        sign_off.full_clean()
        sign_off.save()
        audit_record(
            action=AuditAction.SIGN_OFF,
            actor=by,
            enrolment=enrolment,
            obj=sign_off,
            summary=f"{_unit_label(unit)} signed off by {sign_off.signature_name}"
            + (" again after a referral" if previous else ""),
            data={
                "unit": unit.code or unit.slug,
                "comments": sign_off.comments,
                "signature": sign_off.signature_name,
                "supersedes": sign_off.supersedes_id,
                "criteria_met": len(criteria),
            },
        )
        # Signing again is the tutor's answer to a referral of the unit.
        clear_notices(
            notifications.unit_subject(enrolment.pk, unit.pk),
            recipient=by,
            kinds=[NotificationKind.REFERRED],
        )
        notifications.notify_signed(sign_off)
    return sign_off


def sign_off_acknowledge(
    *, sign_off: UnitSignOff, by: User, comment: str = ""
) -> SignOffAcknowledgement:
    """The learner adds their comment to a signed unit and acknowledges it."""
    enrolment = sign_off.enrolment
    if not permissions.can_acknowledge(by, enrolment):
        raise ValidationError("Only the learner acknowledges their sign-off.")
    with transaction.atomic():
        _lock(enrolment)
        current = (
            UnitSignOff.objects.filter(enrolment=enrolment, unit_id=sign_off.unit_id)
            .latest()
            .first()
        )
        if current is None or current.pk != sign_off.pk:
            raise ValidationError("This sign-off has been replaced; acknowledge the new one.")
        if SignOffAcknowledgement.objects.filter(sign_off=sign_off).exists():
            raise ValidationError("You have already acknowledged this sign-off.")
        acknowledgement = SignOffAcknowledgement(
            sign_off=sign_off, learner=by, comment=comment.strip(), acknowledged_at=timezone.now()
        )
        acknowledgement.full_clean()
        acknowledgement.save()
        audit_record(
            action=AuditAction.ACKNOWLEDGEMENT,
            actor=by,
            enrolment=enrolment,
            obj=acknowledgement,
            summary=f"{by} acknowledged the sign-off of {_unit_label(sign_off.unit)}",
            data={"sign_off": sign_off.pk, "comment": acknowledgement.comment},
        )
        clear_notices(
            notifications.unit_subject(enrolment.pk, sign_off.unit_id),
            recipient=by,
            kinds=[NotificationKind.SIGNED],
        )
        notifications.notify_acknowledged(acknowledgement)
    return acknowledgement


# ---------------------------------------------------------------- moderators' samples


def sample_decide(
    *,
    enrolment: Enrolment,
    unit: Unit,
    kind: ModeratorKind,
    by: User,
    outcome: SampleOutcome,
    comments: str,
    required_actions: str = "",
    reopen_criteria: Sequence = (),
    password: str,
    code: str = "",
    seen_id: int | None = None,
    vacs: VacsChecklist | None = None,
    request=None,
) -> SampleDecision:
    """A moderator's signed decision on one unit of one learner: agree, or refer back.

    A referral reopens the criteria it names (the tutor must decide them again) and, when the
    unit is signed off, the unit (the tutor signs it again). It stays open until the same
    kind of moderator decides on the unit again. `seen_id` is the sample decision the
    moderator saw, so that two moderators cannot overwrite each other unseen. `vacs`: the
    internal moderator's checklist, required of them (rules in `moderation/vacs.py`).
    """
    if kind == ModeratorKind.INTERNAL:
        allowed = permissions.can_sample_internally(by, enrolment)
    else:
        allowed = permissions.can_sample_externally(by, enrolment, unit)
    if not allowed:
        raise ValidationError("You cannot moderate this learner's work.")
    if outcome not in SampleOutcome.values:
        raise ValidationError({"outcome": "Choose agree or refer back."})
    if not comments.strip():
        raise ValidationError({"comments": "Add your comments."})
    if outcome == SampleOutcome.REFERRED and not required_actions.strip():
        raise ValidationError({"required_actions": "Say what the tutor must do."})
    if kind == ModeratorKind.INTERNAL:
        if vacs is None:
            raise ValidationError(
                "Answer the VACS checklist: is the evidence valid, authentic, current and "
                "sufficient?"
            )
        if problems := vacs.problems(outcome):
            raise ValidationError(problems)
    elif vacs is not None:
        raise ValidationError("The VACS checklist is the internal moderator's.")
    reopen_ids = sorted({getattr(c, "pk", c) for c in reopen_criteria})
    if reopen_ids and outcome != SampleOutcome.REFERRED:
        raise ValidationError("Only a referral reopens criteria.")
    _confirm_password(by, password, request, code)
    with transaction.atomic():
        _lock(enrolment)
        if not EnrolmentUnit.objects.current().filter(enrolment=enrolment, unit=unit).exists():
            raise ValidationError("This unit is not part of the learner's programme.")
        sample = Sample.objects.filter(enrolment=enrolment, unit=unit, kind=kind).first()
        if sample is None:
            plan = grant = None
            if kind == ModeratorKind.INTERNAL and enrolment.qualification_id:
                plan = SamplingPlan.objects.filter(
                    centre_id=enrolment.centre_id,
                    qualification_id=enrolment.qualification_id,
                    tutor_id=enrolment.tutor_id,
                ).first()
            if kind == ModeratorKind.EXTERNAL:
                grant = next(
                    iter(portfolio_permissions.eqa_grants_covering(by, enrolment, unit)), None
                )
            sample = Sample(
                enrolment=enrolment,
                unit=unit,
                kind=kind,
                plan=plan,
                grant=grant,
                opened_by=by,
                opened_at=timezone.now(),
            )
            sample.full_clean()
            sample.save()
            audit_record(
                action=AuditAction.SAMPLE,
                actor=by,
                enrolment=enrolment,
                obj=sample,
                summary=f"{sample.get_kind_display()} sample of {_unit_label(unit)} opened",
                data={
                    "unit": unit.code or unit.slug,
                    "kind": kind,
                    "plan": sample.plan_id,
                    "grant": sample.grant_id,
                },
            )
        previous = (
            SampleDecision.objects.filter(sample=sample)
            .latest()
            .select_related("decided_by")
            .first()
        )
        if previous is not None and previous.pk != seen_id:
            raise StaleDecision(
                f"{previous.decided_by} decided on this unit at {_at(previous.signed_at)} while "
                "you were looking; review and decide again."
            )
        sign_off = UnitSignOff.objects.filter(enrolment=enrolment, unit=unit).standing().first()
        reopened = []
        if reopen_ids:
            reopened = list(
                CriterionDecision.objects.filter(
                    enrolment=enrolment, unit=unit, criterion_id__in=reopen_ids
                )
                .latest()
                .select_related("criterion")
            )
            if len(reopened) != len(reopen_ids):
                raise ValidationError(
                    "Only criteria of this unit that the tutor has decided can be reopened."
                )
        if outcome == SampleOutcome.REFERRED and sign_off is None and not reopened:
            raise ValidationError(
                {
                    "reopen_criteria": "The unit is not signed off: choose the criteria the tutor "
                    "must look at again."
                }
            )
        is_referral = outcome == SampleOutcome.REFERRED
        if previous is not None and previous.reopening_id:
            portfolio_services.reopening_close(reopening=previous.reopening, by=by)
        reopening = None
        if is_referral:
            reopening = portfolio_services.unit_reopen(
                enrolment=enrolment,
                unit=unit,
                sign_off=sign_off,
                decisions=reopened,
                by=by,
                reason=required_actions.strip(),
            )
        decision = SampleDecision(
            sample=sample,
            reopening=reopening,
            stage=SampleStage.SUMMATIVE if sign_off else SampleStage.INTERIM,
            sign_off=sign_off,
            outcome=outcome,
            comments=comments.strip(),
            required_actions=required_actions.strip(),
            decided_by=by,
            signature_name=str(by),
            signed_at=timezone.now(),
            supersedes=previous,
            **(vacs.fields() if vacs is not None else {}),
        )
        decision.full_clean()
        decision.save()
        audit_record(
            action=AuditAction.REFERRAL if is_referral else AuditAction.SAMPLE_DECISION,
            actor=by,
            enrolment=enrolment,
            obj=decision,
            summary=f"{sample.get_kind_display()} {decision.get_stage_display().lower()} sample "
            f"of {_unit_label(unit)}: {decision.get_outcome_display()}"
            + (" (referral closed)" if previous and previous.is_referral else ""),
            data={
                "unit": unit.code or unit.slug,
                "kind": kind,
                "stage": decision.stage,
                "outcome": outcome,
                "comments": decision.comments,
                "required_actions": decision.required_actions,
                "sign_off": decision.sign_off_id,
                "reopened_criteria": [d.criterion.number for d in reopened],
                "supersedes": decision.supersedes_id,
                "signature": decision.signature_name,
                **({"vacs": vacs.fields()} if vacs is not None else {}),
            },
        )
        # The moderator has looked at the signed unit; a referral of it is closed or renewed.
        subject = notifications.unit_subject(enrolment.pk, unit.pk)
        clear_notices(subject, recipient=by, kinds=[NotificationKind.SIGNED])
        clear_notices(subject, kinds=[NotificationKind.REFERRED])
        notifications.notify_sample_decided(decision)
    return decision


# ---------------------------------------------------------------- sampling plans


def plan_save(
    *,
    centre: Centre,
    by: User,
    tutor: User,
    qualification: Qualification,
    learner_rate: int,
    unit_rate: int,
    include_interim: bool,
    include_summative: bool,
    new_tutor: bool = False,
    new_units: Sequence[Unit] = (),
    risk_methods: Sequence = (),
    risk_learners: Sequence[User] = (),
    risk_locations: str = "",
    plan: SamplingPlan | None = None,
) -> SamplingPlan:
    """Create or change an internal moderator's sampling plan for one tutor's learners."""
    if not permissions.can_plan_sampling(by, centre):
        raise ValidationError("Only the centre's internal moderators plan sampling.")
    if tutor.pk == by.pk:
        raise ValidationError({"tutor": "You cannot plan the sampling of your own assessments."})
    if not has_role(tutor, centre, Role.TUTOR):
        raise ValidationError({"tutor": f"{tutor} is not a tutor at {centre.name}."})
    if not (include_interim or include_summative):
        raise ValidationError("Sample interim work, summative work, or both.")
    if not may_use(centre, qualification):
        raise ValidationError(
            {"qualification": f"{qualification.number} is not in {centre.name}'s catalogue."}
        )
    in_qualification = set(qualification.units.values_list("pk", flat=True))
    if any(u.pk not in in_qualification for u in new_units):
        raise ValidationError({"new_units": "Choose units of the qualification."})
    if existing := existing_plan(
        centre=centre, tutor=tutor, qualification=qualification, plan=plan
    ):
        raise DuplicatePlan(existing)
    try:
        return _plan_write(
            centre=centre,
            by=by,
            plan=plan,
            tutor=tutor,
            qualification=qualification,
            learner_rate=learner_rate,
            unit_rate=unit_rate,
            include_interim=include_interim,
            include_summative=include_summative,
            new_tutor=new_tutor,
            new_units=new_units,
            risk_methods=risk_methods,
            risk_learners=risk_learners,
            risk_locations=risk_locations,
        )
    except IntegrityError:
        # Another moderator saved the same plan a moment ago.
        existing = existing_plan(centre=centre, tutor=tutor, qualification=qualification, plan=plan)
        if existing is None:
            raise
        raise DuplicatePlan(existing) from None


class DuplicatePlan(ValidationError):
    """A tutor has one sampling plan per qualification; `existing` is it."""

    def __init__(self, existing: SamplingPlan):
        self.existing = existing
        super().__init__(
            f"{existing.tutor} already has a plan for {existing.qualification.number} "
            f"{existing.qualification.title}: change that plan instead."
        )


def existing_plan(*, centre, tutor, qualification, plan=None) -> SamplingPlan | None:
    """The other plan for this tutor and qualification at the centre, if there is one."""
    others = SamplingPlan.objects.filter(centre=centre, tutor=tutor, qualification=qualification)
    if plan is not None:
        others = others.exclude(pk=plan.pk)
    return others.select_related("tutor", "qualification").first()


def _plan_write(
    *,
    centre,
    by,
    plan,
    tutor,
    qualification,
    learner_rate,
    unit_rate,
    include_interim,
    include_summative,
    new_tutor,
    new_units,
    risk_methods,
    risk_learners,
    risk_locations,
) -> SamplingPlan:
    with transaction.atomic():
        if plan is None:
            plan = SamplingPlan(centre=centre, created_by=by)
        else:
            plan = SamplingPlan.objects.select_for_update().get(pk=plan.pk)
        plan.tutor = tutor
        plan.qualification = qualification
        plan.learner_rate = learner_rate
        plan.unit_rate = unit_rate
        plan.include_interim = include_interim
        plan.include_summative = include_summative
        plan.new_tutor = new_tutor
        plan.risk_locations = risk_locations.strip()
        plan.full_clean()
        plan.save()
        plan.new_units.set(new_units)
        plan.risk_methods.set(risk_methods)
        plan.risk_learners.set(risk_learners)
        audit_record(
            action=AuditAction.PLAN_SAVED,
            actor=by,
            centre=centre,
            obj=plan,
            summary=f"Sampling plan for {tutor} on {qualification.number}: learners "
            f"{learner_rate}%, units {unit_rate}%",
            data={
                "tutor": tutor.pk,
                "qualification": qualification.number,
                "learner_rate": learner_rate,
                "unit_rate": unit_rate,
                "interim": include_interim,
                "summative": include_summative,
                "new_tutor": new_tutor,
                "new_units": sorted(u.pk for u in new_units),
                "risk_methods": sorted(getattr(m, "pk", m) for m in risk_methods),
                "risk_learners": sorted(u.pk for u in risk_learners),
                "risk_locations": plan.location_words,
            },
        )
    return plan


def planned_samples_save(
    *, plan: SamplingPlan, by: User, dates: dict[int, datetime.date | None]
) -> list[PlannedSample]:
    """Set (or clear, with None) the planned sample date of learners of the plan, by
    enrolment id. Only the plan's own learners; the dates are the centre's calendar days."""
    if not permissions.can_plan_sampling(by, plan.centre):
        raise ValidationError("Only the centre's internal moderators plan sampling.")
    if plan.tutor_id == by.pk:
        raise ValidationError("You cannot plan the sampling of your own assessments.")
    with transaction.atomic():
        plan = SamplingPlan.objects.select_for_update().get(pk=plan.pk)
        learners = {
            e.pk: e
            for e in Enrolment.objects.filter(
                pk__in=list(dates),
                centre_id=plan.centre_id,
                tutor_id=plan.tutor_id,
                qualification_id=plan.qualification_id,
            ).select_related("learner")
        }
        if set(dates) - set(learners):
            raise ValidationError("Choose learners of this plan.")
        current = {p.enrolment_id: p for p in plan.planned.filter(enrolment_id__in=list(dates))}
        changed = {}
        for enrolment_id, planned_on in dates.items():
            row = current.get(enrolment_id)
            if planned_on is None:
                if row is not None:
                    row.delete()
                    changed[str(learners[enrolment_id].learner)] = None
                continue
            if row is not None and row.planned_on == planned_on:
                continue
            row = row or PlannedSample(plan=plan, enrolment_id=enrolment_id)
            row.planned_on = planned_on
            row.full_clean()
            row.save()
            changed[str(learners[enrolment_id].learner)] = planned_on.isoformat()
        if changed:
            audit_record(
                action=AuditAction.PLAN_SAVED,
                actor=by,
                centre=plan.centre,
                obj=plan,
                summary=f"Planned sample dates for {plan.tutor} on {plan.qualification.number}: "
                + ", ".join(f"{name} {day or 'cleared'}" for name, day in sorted(changed.items())),
                data={"planned_samples": changed},
            )
    return list(plan.planned.select_related("enrolment__learner"))


# ---------------------------------------------------------------- external moderators' access


def grant_create(
    *,
    centre: Centre,
    by: User,
    moderator: User,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    enrolments: Sequence[Enrolment] = (),
    units: Sequence[Unit] = (),
    note: str = "",
) -> EqaGrant:
    """Open chosen learners or units of the centre to an external moderator for a period."""
    if not permissions.can_grant_eqa(by, centre):
        raise ValidationError("Only the centre's admins grant external moderators access.")
    if not has_role(moderator, centre, Role.EXTERNAL_MODERATOR):
        raise ValidationError(
            {"moderator": f"{moderator} is not an external moderator at {centre.name}."}
        )
    if not enrolments and not units:
        raise ValidationError("Choose the learners, the units, or both.")
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "The access must end after it starts."})
    if ends_at <= timezone.now():
        raise ValidationError({"ends_at": "The access would already have ended."})
    if any(e.centre_id != centre.pk for e in enrolments):
        raise ValidationError({"enrolments": "Choose learners of this centre."})
    if any(not may_use(centre, u) for u in units):
        raise ValidationError({"units": f"Choose units in {centre.name}'s catalogue."})
    with transaction.atomic():
        grant = EqaGrant(
            centre=centre,
            moderator=moderator,
            starts_at=starts_at,
            ends_at=ends_at,
            note=note.strip(),
            granted_by=by,
        )
        grant.full_clean()
        grant.save()
        grant.enrolments.set(enrolments)
        grant.units.set(units)
        audit_record(
            action=AuditAction.GRANT,
            actor=by,
            centre=centre,
            obj=grant,
            summary=f"{moderator} may see {len(enrolments) or 'all'} learner(s)"
            + (f", {len(units)} unit(s)" if units else "")
            + f" from {_at(starts_at)} to {_at(ends_at)}",
            data={
                "moderator": moderator.pk,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "enrolments": sorted(e.pk for e in enrolments),
                "units": sorted(u.pk for u in units),
                "note": grant.note,
            },
        )
        notifications.notify_granted(grant)
    portfolio_permissions.forget_grants(moderator)
    return grant


def grant_revoke(*, grant: EqaGrant, by: User) -> EqaGrant:
    """End an external moderator's access now (it also ends by itself at its end time)."""
    if not permissions.can_grant_eqa(by, grant.centre):
        raise ValidationError("Only the centre's admins change access.")
    with transaction.atomic():
        grant = EqaGrant.objects.select_for_update().get(pk=grant.pk)
        if grant.revoked_at is not None or grant.ends_at <= timezone.now():
            raise ValidationError("This access has already ended.")
        grant.revoked_at = timezone.now()
        grant.revoked_by = by
        grant.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            action=AuditAction.GRANT_REVOKED,
            actor=by,
            centre=grant.centre,
            obj=grant,
            summary=f"Access of {grant.moderator} ended early",
            data={"revoked_at": grant.revoked_at},
        )
    portfolio_permissions.forget_grants(grant.moderator)
    return grant


def access_log_record(
    *, user: User, method: str, path: str, view_name: str, object_ids: dict, enrolment_id=None
) -> AccessLogEntry:
    entry = AccessLogEntry(
        user=user,
        method=method[:8],
        path=path[:500],
        view_name=view_name[:100],
        object_ids=object_ids,
        enrolment_id=enrolment_id,
    )
    entry.save()
    return entry


# ---------------------------------------------------------------- notifications


def notification_mark_read(*, notification: Notification, by: User) -> None:
    if notification.recipient_id != by.pk:
        raise ValidationError("Not your notification.")
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_mark_all_read(*, by: User) -> int:
    return Notification.objects.unread().filter(recipient=by).update(read_at=timezone.now())

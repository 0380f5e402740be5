"""Decisions and sign-offs: read by whoever may read the assessment record (an external
moderator's unit grant opens only those units, as on the record pages), decisions written by
the learner's tutor through `moderation.services.criteria_decide`."""

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch
from ninja import Router, Status
from ninja.pagination import paginate

from api.auth import writer
from api.common import READ_ERRORS, WRITE_ERRORS, Id, Pages, Rows
from api.schemas import DecisionOut, DecisionsIn, SignOffOut
from moderation.access import get_enrolment_for_moderation
from moderation.services import DecisionRequest, criteria_decide
from portfolios import permissions
from portfolios.models import (
    CriterionDecision,
    DecisionEvidence,
    Evidence,
    UnitSignOff,
)
from portfolios.state import is_met

router = Router(tags=["assessment"])


def _decisions(user, enrolment):
    rows = CriterionDecision.objects.filter(enrolment=enrolment)
    unit_ids = permissions.granted_unit_ids(user, enrolment)
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=unit_ids)
    return (
        rows.with_reopened()
        .annotate(is_latest=~Exists(CriterionDecision.objects.filter(supersedes=OuterRef("pk"))))
        .select_related("criterion", "decided_by")
        .prefetch_related(
            Prefetch("evidence_links", queryset=DecisionEvidence.objects.order_by("evidence_id"))
        )
        .order_by("-decided_at", "-pk")
    )


def _decision_row(d) -> dict:
    standing = d.is_latest and not d.reopened
    return {
        "id": d.pk,
        "enrolment_id": d.enrolment_id,
        "criterion_id": d.criterion_id,
        "criterion": d.criterion.shown_number,
        "unit_id": d.unit_id,
        "outcome": d.outcome,
        "decided_on": d.decided_on,
        "decided_at": d.decided_at,
        "decided_by": str(d.decided_by),
        "feedback": d.feedback,
        "supersedes_id": d.supersedes_id,
        "latest": d.is_latest,
        "standing": standing,
        "met": d.is_latest and is_met(d.outcome, reopened=d.reopened),
        "evidence": [link.evidence_id for link in d.evidence_links.all()],
    }


@router.get("/enrolments/{pk}/decisions", response={200: list[DecisionOut], **READ_ERRORS})
@paginate(Pages)
def decision_list(request, pk: Id):
    """Every decision on the enrolment's criteria, newest first (append-only: a later one
    supersedes an earlier one), with what the record counts (`portfolios.state`)."""
    enrolment = get_enrolment_for_moderation(request.user, pk)
    return Rows(_decisions(request.user, enrolment), lambda page: [_decision_row(d) for d in page])


@router.post(
    "/enrolments/{pk}/decisions",
    response={201: list[DecisionOut], 409: READ_ERRORS[403], **WRITE_ERRORS},
    summary="Record the tutor's decisions",
)
def decisions_record(request, pk: Id, payload: DecisionsIn):
    """The learner's tutor decides one or more criteria at once (met needs current evidence
    mapped to it; not yet met needs feedback). `seen` guards against deciding over someone
    else's newer decision: then nothing is saved (409)."""
    user = writer(request)
    enrolment = get_enrolment_for_moderation(user, pk, action="assess")
    evidence = None
    if payload.evidence is not None:
        evidence = Evidence.objects.filter(pk=payload.evidence, enrolment=enrolment).first()
        if evidence is None:
            raise ValidationError("No such evidence in this portfolio.")
    made = criteria_decide(
        enrolment=enrolment,
        by=user,
        decided_on=payload.decided_on,
        evidence=evidence,
        requests=[
            DecisionRequest(
                criterion_id=item.criterion,
                outcome=item.outcome,
                feedback=item.feedback,
                seen_id=item.seen,
            )
            for item in payload.decisions
        ],
    )
    rows = _decisions(user, enrolment).filter(pk__in=[d.pk for d in made])
    return Status(201, [_decision_row(d) for d in rows])


def _acknowledged_at(sign_off):
    acknowledgement = getattr(sign_off, "acknowledgement", None)
    return acknowledgement.acknowledged_at if acknowledgement else None


@router.get("/enrolments/{pk}/sign-offs", response={200: list[SignOffOut], **READ_ERRORS})
@paginate(Pages)
def sign_off_list(request, pk: Id):
    """The tutor's unit sign-offs, newest first; `standing` ones lock their unit."""
    user = request.user
    enrolment = get_enrolment_for_moderation(user, pk)
    rows = UnitSignOff.objects.filter(enrolment=enrolment)
    unit_ids = permissions.granted_unit_ids(user, enrolment)
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=unit_ids)
    rows = (
        rows.with_referral()
        .annotate(is_latest=~Exists(UnitSignOff.objects.filter(supersedes=OuterRef("pk"))))
        .select_related("acknowledgement")
        .order_by("-signed_at", "-pk")
    )

    def to_rows(page):
        return [
            {
                "id": s.pk,
                "enrolment_id": s.enrolment_id,
                "unit_id": s.unit_id,
                "signature_name": s.signature_name,
                "signed_at": s.signed_at,
                "comments": s.comments,
                "supersedes_id": s.supersedes_id,
                "standing": s.is_latest and not s.is_referred,
                "acknowledged_at": _acknowledged_at(s),
            }
            for s in page
        ]

    return Rows(rows, to_rows)

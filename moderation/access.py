"""The access helpers of moderation's pages: one per kind of object, answering 404 when the
person has no link to it and 403 when they have a link but not the right.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404

from accounts.models import Notification
from accounts.permissions import is_member
from moderation import permissions
from moderation.enums import ModeratorKind
from moderation.models import SamplingPlan
from portfolios import permissions as portfolio_permissions
from portfolios import selectors as portfolio_selectors
from portfolios.models import Enrolment, EqaGrant, Evidence, UnitSignOff
from qualifications.models import AssessmentCriterion, QualificationUnit, Unit

# ---------------------------------------------------------------- access


def get_enrolment_for_moderation(user, pk: int, *, action: str = "view") -> Enrolment:
    """The enrolment (404 without a link, a unit grant counting as one), then this app's
    right (403): "view" the record, "assess" as its tutor, "bundle" to download the EQA
    bundle."""
    enrolment = (
        Enrolment.objects.select_related("centre", "learner", "tutor", "qualification")
        .filter(pk=pk)
        .first()
    )
    # A grant of some units links an external moderator to those units' records only; the
    # portfolio pages (which show every unit) stay closed to them.
    if enrolment is None or not (
        portfolio_permissions.can_view_enrolment(user, enrolment)
        or portfolio_permissions.eqa_grant_covers(user, enrolment)
    ):
        raise Http404("No such portfolio, or nothing you have access to.")
    allowed = {
        "view": permissions.can_view_record,
        "assess": permissions.can_assess,
        "bundle": permissions.can_download_bundle,
    }[action](user, enrolment)
    if not allowed:
        raise PermissionDenied(
            {
                "assess": "Only the learner's tutor assesses this portfolio.",
                "bundle": "The bundle is for external moderators and the centre's staff.",
            }.get(action, "Not allowed.")
        )
    portfolio_selectors.log_if_granted(user, enrolment, "assessment record", enrolment.pk)
    return enrolment


def get_unit_for_user(user, enrolment, unit_pk: int) -> Unit:
    """A unit of the enrolment this person may see the record of (404 otherwise: an external
    moderator's grant may open only some units)."""
    unit = (
        Unit.objects.filter(pk=unit_pk, enrolment_units__enrolment=enrolment)
        .annotate(
            is_mandatory=Exists(
                QualificationUnit.objects.filter(
                    qualification_id=enrolment.qualification_id,
                    unit=OuterRef("pk"),
                    group__is_mandatory=True,
                )
            )
        )
        .first()
    )
    if unit is None or not permissions.can_view_record(user, enrolment, unit):
        raise Http404("No such unit in this portfolio, or nothing you have access to.")
    portfolio_selectors.log_if_granted(user, enrolment, "unit record", unit.pk)
    return unit


def get_evidence_for_assessment(user, pk: int) -> Evidence:
    evidence = portfolio_selectors.get_evidence_for_user(user, pk)
    if not permissions.can_assess(user, evidence.enrolment):
        raise PermissionDenied("Only the learner's tutor assesses evidence.")
    if not evidence.is_submitted:
        raise Http404("This evidence has not been submitted yet.")
    return evidence


def get_criterion_for_user(user, enrolment, criterion_pk: int) -> AssessmentCriterion:
    criterion = (
        AssessmentCriterion.objects.filter(
            pk=criterion_pk, unit__enrolment_units__enrolment=enrolment
        )
        .select_related("unit", "outcome")
        .first()
    )
    if criterion is None or not permissions.can_view_record(user, enrolment, criterion.unit):
        raise Http404("No such criterion in this portfolio.")
    portfolio_selectors.log_if_granted(user, enrolment, "criterion", criterion.pk)
    return criterion


def get_plan_for_user(user, pk: int, *, action: str = "view") -> SamplingPlan:
    """A plan of the person's centre: its internal moderators see and change it, its
    admins see it ("view"); anyone else of the centre 403, of another centre 404."""
    plan = (
        SamplingPlan.objects.select_related("centre", "qualification", "tutor")
        .filter(pk=pk)
        .first()
    )
    if plan is None or not is_member(user, plan.centre_id):
        raise Http404("No such sampling plan.")
    allowed = permissions.can_view_sampling if action == "view" else permissions.can_plan_sampling
    if not allowed(user, plan.centre):
        raise PermissionDenied("Sampling plans are for the centre's internal moderators.")
    return plan


def get_grant_for_user(user, pk: int, *, manage: bool = False) -> EqaGrant:
    """Centre admins see their centre's grants; an external moderator sees their own (view)."""
    grant = EqaGrant.objects.select_related("centre", "moderator").filter(pk=pk).first()
    if grant is None or not (is_member(user, grant.centre_id) or grant.moderator_id == user.pk):
        raise Http404("No such access.")
    if not permissions.can_grant_eqa(user, grant.centre) and (
        manage or grant.moderator_id != user.pk
    ):
        raise PermissionDenied("Only the centre's admins see and change access.")
    return grant


def get_notification_for_user(user, pk: int) -> Notification:
    notification = Notification.objects.filter(pk=pk, recipient=user).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


def get_sign_off_to_acknowledge(enrolment, unit) -> UnitSignOff:
    """The unit's newest sign-off (404 when it has none)."""
    sign_off = UnitSignOff.objects.filter(enrolment=enrolment, unit=unit).latest().first()
    if sign_off is None:
        raise Http404("This unit is not signed off.")
    return sign_off


def get_sample_kind_for_user(user, enrolment, unit, kind: str) -> ModeratorKind:
    """The kind of moderator the person samples this unit as (404 for no such kind, 403 when
    they are not that moderator of this learner's unit)."""
    if kind not in ModeratorKind.values:
        raise Http404("No such kind of moderator.")
    kind = ModeratorKind(kind)
    allowed = (
        permissions.can_sample_internally(user, enrolment)
        if kind == ModeratorKind.INTERNAL
        else permissions.can_sample_externally(user, enrolment, unit)
    )
    if not allowed:
        raise PermissionDenied(f"You are not this unit's {kind.label.lower()}.")
    return kind

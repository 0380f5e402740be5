"""What each role's dashboard shows of assessment and moderation: the tutor's queue, the
learner's next steps, the internal and external moderators' overviews, notifications.
Each costs a fixed number of queries whatever the centre's size.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Notification
from accounts.permissions import has_role
from audit.models import AccessLogEntry
from moderation.enums import ModeratorKind, SampleOutcome
from moderation.models import SampleDecision
from moderation.plans import plan_grids, plans_for
from moderation.record import open_referrals
from moderation.sampling import Grid
from portfolios import permissions as portfolio_permissions
from portfolios.enums import DecisionOutcome, EnrolmentStatus
from portfolios.models import (
    CriterionDecision,
    Enrolment,
    EnrolmentUnit,
    EqaGrant,
    Evidence,
    UnitSignOff,
)
from portfolios.state import current_evidence_q
from qualifications.models import Unit

# ---------------------------------------------------------------- tutors


def tutor_queue(user, centre):
    """Current evidence of this tutor's learners at the centre waiting for a first decision,
    oldest first (`portfolios.state`: an item whose correction is submitted has given way to
    it)."""
    return (
        Evidence.objects.awaiting_assessment()
        .filter(
            enrolment__centre=centre,
            enrolment__tutor=user,
            enrolment__status=EnrolmentStatus.ACTIVE,
        )
        .select_related("enrolment__learner", "method")
        .annotate(criterion_count=Count("links", distinct=True))
        .order_by("submitted_at", "pk")
    )


def tutor_queue_for(user, centres):
    """The tutor's queue across every centre they tutor at, oldest first, as one queryset
    (for paging)."""
    return (
        Evidence.objects.awaiting_assessment()
        .filter(
            enrolment__centre__in=list(centres),
            enrolment__tutor=user,
            enrolment__status=EnrolmentStatus.ACTIVE,
        )
        .select_related("enrolment__learner", "method")
        .annotate(criterion_count=Count("links", distinct=True))
        .order_by("submitted_at", "pk")
    )


def unit_progress(enrolment_ids) -> dict[tuple[int, int], dict]:
    """Per (enrolment, unit): criteria, criteria met, whether signed. Three queries."""
    totals = (
        EnrolmentUnit.objects.current()
        .filter(enrolment_id__in=enrolment_ids)
        .annotate(n=Count("unit__criteria", distinct=True))
        .values_list("enrolment_id", "unit_id", "n")
    )
    progress = {(e, u): {"total": n, "met": 0, "signed": False} for e, u, n in totals}
    met = (
        CriterionDecision.objects.filter(enrolment_id__in=enrolment_ids)
        .met()
        .values("enrolment_id", "unit_id")
        .annotate(n=Count("pk"))
        .values_list("enrolment_id", "unit_id", "n")
    )
    for e, u, n in met:
        if (e, u) in progress:
            progress[(e, u)]["met"] = n
    signed = (
        UnitSignOff.objects.filter(enrolment_id__in=enrolment_ids)
        .standing()
        .values_list("enrolment_id", "unit_id")
    )
    for key in signed:
        if key in progress:
            progress[key]["signed"] = True
    return progress


def next_in_queue(user, centres, *, after: int):
    """The oldest item in the tutor's queue other than item `after`, or None."""
    return tutor_queue_for(user, centres).exclude(pk=after).first()


def units_ready_to_sign(enrolments) -> list:
    """(enrolment, unit) for every unit of these enrolments whose criteria are all met and
    which is not signed yet. Sets units_total, units_signed and units_ready on each enrolment.
    Four queries, however many enrolments."""
    progress = unit_progress([e.pk for e in enrolments])
    units = {u.pk: u for u in Unit.objects.filter(pk__in={u for _, u in progress})}
    ready = []
    for e in enrolments:
        e.units_signed = e.units_ready = e.units_total = 0
        for (eid, uid), p in progress.items():
            if eid != e.pk:
                continue
            e.units_total += 1
            e.units_signed += p["signed"]
            if not p["signed"] and p["total"] and p["met"] == p["total"]:
                e.units_ready += 1
                ready.append((e, units[uid]))
    return ready


def tutor_ready_at(user, centres) -> list:
    """Units of the tutor's active learners, at these centres, ready to sign off."""
    enrolments = list(
        Enrolment.objects.filter(centre__in=centres, tutor=user, status=EnrolmentStatus.ACTIVE)
        .select_related("learner")
        .order_by("learner__last_name", "learner__first_name", "pk")
    )
    return units_ready_to_sign(enrolments)


def tutor_overview(user, centre, *, queue_size: int = 10) -> dict:
    """What a tutor's dashboard shows (a fixed number of queries)."""
    queue = tutor_queue(user, centre)
    enrolments = list(
        Enrolment.objects.filter(centre=centre, tutor=user, status=EnrolmentStatus.ACTIVE)
        .select_related("learner", "qualification")
        .annotate(
            waiting=Count(
                "evidence",
                filter=current_evidence_q("evidence__") & Q(evidence__assessed_at__isnull=True),
                distinct=True,
            )
        )
        .order_by("learner__last_name", "learner__first_name", "pk")
    )
    ready = units_ready_to_sign(enrolments)
    referrals = open_referrals(centre, tutor=user)
    return {
        "queue": list(queue[:queue_size]),
        "queue_count": queue.count(),
        "my_enrolments": enrolments,
        "ready_to_sign": ready,
        "open_referrals": referrals,
        "now": timezone.now(),
    }


# ---------------------------------------------------------------- learners


def learner_next_steps(user, centre) -> dict:
    """What a learner has to do after their tutor's or a moderator's decision: criteria not
    yet met (with the feedback), referrals, sign-offs to acknowledge. Five queries."""
    enrolments = Enrolment.objects.filter(centre=centre, learner=user)
    not_met = list(
        CriterionDecision.objects.filter(enrolment__in=enrolments)
        .latest()
        .filter(outcome=DecisionOutcome.NOT_YET_MET)
        .select_related("criterion__unit", "decided_by")
        .order_by("-decided_at", "-pk")
    )
    reopened = list(
        CriterionDecision.objects.filter(enrolment__in=enrolments, outcome=DecisionOutcome.MET)
        .latest()
        .with_reopened()
        .filter(reopened=True)
        .select_related("criterion__unit")
    )
    referrals = list(
        SampleDecision.objects.latest()
        .filter(outcome=SampleOutcome.REFERRED, sample__enrolment__in=enrolments)
        .select_related("sample__unit", "sample__enrolment")
        .order_by("-signed_at")
    )
    to_acknowledge = list(
        UnitSignOff.objects.filter(enrolment__in=enrolments, acknowledgement__isnull=True)
        .standing()
        .select_related("unit")
        .order_by("signed_at")
    )
    return {
        "not_met": not_met,
        "reopened": reopened,
        "referrals": referrals,
        "to_acknowledge": to_acknowledge,
        "has_steps": bool(not_met or reopened or referrals or to_acknowledge),
    }


# ---------------------------------------------------------------- internal moderators


def iqa_overview(user, centre, *, coverage: dict | None = None) -> dict:
    """`coverage`: {plan id: Coverage} already worked out (the centre's cached summary); the
    plans' cards need no more, so their grids are not built again."""
    plans = list(plans_for(user, centre))
    if coverage is not None and all(p.pk in coverage for p in plans):
        grids = [Grid(plan=p, units=[], rows=[], coverage=coverage[p.pk]) for p in plans]
    else:
        grids = plan_grids(plans)
    signed_recently = list(
        UnitSignOff.objects.filter(enrolment__centre=centre)
        .standing()
        .exclude(
            Exists(
                SampleDecision.objects.filter(
                    sign_off=OuterRef("pk"), sample__kind=ModeratorKind.INTERNAL
                )
            )
        )
        .exclude(enrolment__tutor=user)
        .select_related("enrolment__learner", "unit")
        .order_by("-signed_at", "-pk")[:10]
    )
    return {
        "grids": grids,
        "open_referrals": open_referrals(centre, kind=ModeratorKind.INTERNAL),
        "signed_not_sampled": signed_recently,
    }


# ---------------------------------------------------------------- external moderators


@dataclass
class GrantedEnrolment:
    enrolment: Enrolment
    units: list  # the units the grant opens (all of the enrolment's when it names none)


@dataclass
class GrantView:
    grant: EqaGrant
    enrolments: list[GrantedEnrolment]


def eqa_overview(user, centre=None) -> list[GrantView]:
    """The person's current grants (at one centre, or all) with the learners and units each
    opens. Five queries."""
    grants = [
        g
        for g in portfolio_permissions.current_grants(user)
        if g.is_current() and (centre is None or g.centre_id == getattr(centre, "pk", centre))
    ]
    grants = [g for g in grants if has_role(user, g.centre_id, Role.EXTERNAL_MODERATOR)]
    if not grants:
        return []
    condition = Q(pk__in=[])
    for g in grants:
        scope = Q(centre_id=g.centre_id)
        if g.enrolment_ids:
            scope &= Q(pk__in=g.enrolment_ids)
        if g.unit_ids:
            scope &= Q(enrolment_units__unit_id__in=g.unit_ids)
        condition |= scope
    enrolments = list(
        Enrolment.objects.filter(condition)
        .distinct()
        .select_related("learner", "qualification", "tutor", "centre")
        .order_by("learner__last_name", "learner__first_name", "pk")
    )
    unit_rows = (
        EnrolmentUnit.objects.current()
        .filter(enrolment__in=[e.pk for e in enrolments])
        .select_related("unit")
        .order_by("position", "pk")
    )
    units_by_enrolment = defaultdict(list)
    for row in unit_rows:
        units_by_enrolment[row.enrolment_id].append(row.unit)
    views = []
    for g in grants:
        covered = []
        for e in enrolments:
            if e.centre_id != g.centre_id or (g.enrolment_ids and e.pk not in g.enrolment_ids):
                continue
            units = [u for u in units_by_enrolment[e.pk] if not g.unit_ids or u.pk in g.unit_ids]
            if units:
                covered.append(GrantedEnrolment(e, units))
        views.append(GrantView(g, covered))
    return views


def grants_at(centre):
    return (
        EqaGrant.objects.filter(centre=centre)
        .select_related("moderator", "granted_by", "revoked_by")
        .annotate(
            learner_count=Count("enrolments", distinct=True),
            unit_count=Count("units", distinct=True),
        )
        .order_by("-starts_at", "-pk")
    )


def grant_page(grant) -> dict:
    """What the grant's page shows: whom and what it opens, and what was opened."""
    return {
        "grant": grant,
        "enrolments": list(grant.enrolments.select_related("learner", "qualification")),
        "units": list(grant.units.all()),
        "log": access_log_for(grant),
    }


def access_log_for(grant, *, limit: int = 500):
    """What the grant's moderator opened at the grant's centre during the grant's period."""
    ends = grant.revoked_at or grant.ends_at
    at_centre = Enrolment.objects.filter(centre_id=grant.centre_id).values("pk")
    entries = list(
        AccessLogEntry.objects.filter(
            user_id=grant.moderator_id, opened_at__gte=grant.starts_at, opened_at__lt=ends
        )
        .filter(Q(enrolment_id__in=at_centre) | Q(enrolment_id__isnull=True))
        .order_by("-opened_at", "-pk")[:limit]
    )
    enrolments = Enrolment.objects.select_related("learner").in_bulk(
        {e.enrolment_id for e in entries if e.enrolment_id}
    )
    for entry in entries:
        entry.enrolment = enrolments.get(entry.enrolment_id)
    return entries


# ---------------------------------------------------------------- notifications


# ---------------------------------------------------------------- notifications and audit


def notifications_for(user, *, limit: int = 100):
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")[:limit]


def unread_count(user) -> int:
    return Notification.objects.unread().filter(recipient=user).count()

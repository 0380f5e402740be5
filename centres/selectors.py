"""The numbers behind a centre's dashboard and its tutors' risk lists, and its people.

Every function reads a whole centre in a fixed number of queries, however many learners it has.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Membership, User
from audit.models import AuditEntry
from centres.models import IntakeUpload
from centres.reporting import (
    PROGRESS_BUCKETS,
    RAG_ORDER,
    WAITING_BUCKETS,
    Rag,
    Schedule,
    bars,
    behind_by_sql,
    bucket_sql,
    elapsed_percent_sql,
    percent_sql,
    rag_sql,
    schedule,
)
from moderation import dashboards as moderation_dashboards
from moderation import plans as moderation_plans
from moderation import record as moderation_record
from moderation.models import SamplingPlan
from moderation.sampling import Coverage, Grid
from portfolios.enums import EnrolmentStatus
from portfolios.models import (
    CriterionDecision,
    Enrolment,
    EnrolmentUnit,
    Evidence,
)
from qualifications import permissions as catalogue
from qualifications.models import AssessmentCriterion, Qualification

# A learner with no evidence or decision for this long is "inactive" on the tutor's list.
INACTIVE_DAYS = 21


@dataclass
class LearnerProgress:
    enrolment: Enrolment
    met: int
    total: int
    schedule: Schedule
    last_activity: datetime.datetime | None
    waiting: int = 0  # submitted evidence items not yet assessed
    units_signed: int = 0
    units_total: int = 0

    @property
    def percent(self) -> int:
        return self.schedule.percent_done

    def inactive_days(self, now) -> int | None:
        since = self.last_activity or timezone.make_aware(
            datetime.datetime.combine(self.enrolment.start_date, datetime.time())
        )
        return max(0, (now - since).days)


def last_activity_of(enrolment_ids) -> dict[int, datetime.datetime]:
    """The latest evidence change or tutor decision per enrolment (two queries)."""
    latest = dict(
        Evidence.objects.filter(enrolment_id__in=enrolment_ids)
        .values("enrolment_id")
        .annotate(at=Max("updated_at"))
        .values_list("enrolment_id", "at")
    )
    for enrolment_id, at in (
        CriterionDecision.objects.filter(enrolment_id__in=enrolment_ids)
        .values("enrolment_id")
        .annotate(at=Max("decided_at"))
        .values_list("enrolment_id", "at")
    ):
        if at and (latest.get(enrolment_id) is None or at > latest[enrolment_id]):
            latest[enrolment_id] = at
    return latest


def _waiting(enrolment_ids) -> Counter:
    return Counter(
        Evidence.objects.awaiting_assessment()
        .filter(enrolment_id__in=enrolment_ids)
        .values_list("enrolment_id", flat=True)
    )


def learner_progress(enrolments, *, today=None) -> list[LearnerProgress]:
    """Progress and schedule of each enrolment (about eight queries in all)."""
    today = today or timezone.localdate()
    enrolments = list(enrolments)
    ids = [e.pk for e in enrolments]
    units = moderation_dashboards.unit_progress(ids)
    activity = last_activity_of(ids)
    waiting = _waiting(ids)
    per_enrolment = defaultdict(lambda: {"met": 0, "total": 0, "signed": 0, "units": 0})
    for (enrolment_id, _unit_id), p in units.items():
        row = per_enrolment[enrolment_id]
        row["met"] += p["met"]
        row["total"] += p["total"]
        row["signed"] += p["signed"]
        row["units"] += 1
    result = []
    for e in enrolments:
        p = per_enrolment[e.pk]
        result.append(
            LearnerProgress(
                enrolment=e,
                met=p["met"],
                total=p["total"],
                schedule=schedule(
                    met=p["met"],
                    total=p["total"],
                    start=e.start_date,
                    planned_end=e.planned_end_date,
                    today=today,
                ),
                last_activity=activity.get(e.pk),
                waiting=waiting.get(e.pk, 0),
                units_signed=p["signed"],
                units_total=p["units"],
            )
        )
    return result


# ---------------------------------------------------------------- the centre's report

BEHIND_PER_PAGE = 50
# A centre's summary is kept this long at most (it is also replaced at the next change).
SUMMARY_SECONDS = 24 * 60 * 60


def _met_count():
    """Criteria met (`portfolios.state`) in the current units of the outer enrolment."""
    current_unit = EnrolmentUnit.objects.current().filter(
        enrolment=OuterRef("enrolment_id"), unit=OuterRef("unit_id")
    )
    return Subquery(
        CriterionDecision.objects.met()
        .filter(Exists(current_unit), enrolment=OuterRef("pk"))
        .order_by()
        .values("enrolment")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )


def _criteria_count():
    """Criteria in the current units of the outer enrolment."""
    return Subquery(
        AssessmentCriterion.objects.filter(
            unit__enrolment_units__enrolment=OuterRef("pk"),
            unit__enrolment_units__withdrawn_at__isnull=True,
        )
        .order_by()
        .values("unit__enrolment_units__enrolment")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )


def with_progress(enrolments, *, today):
    """Each enrolment with `met`, `total` (criteria of its current units), `percent_done`,
    `percent_elapsed` and `behind_by`, computed by the database by the rules of
    `centres.reporting`."""
    return (
        enrolments.annotate(
            met=Coalesce(_met_count(), 0),
            total=Coalesce(_criteria_count(), 0),
            percent_elapsed=elapsed_percent_sql("start_date", "planned_end_date", today),
        )
        .annotate(percent_done=percent_sql("met", "total"))
        .annotate(behind_by=behind_by_sql("percent_done", "percent_elapsed"))
    )


@dataclass(frozen=True)
class ProgressSummary:
    """What the centre's report counts over all its active learners (kept in the cache)."""

    active: int
    rag_counts: dict[str, int]
    progress_counts: list[int]  # per PROGRESS_BUCKETS
    behind: list[tuple[int, int, int]]  # (enrolment, % done, % elapsed), most behind first
    coverage: list[tuple[int, Coverage]]  # (sampling plan, its coverage)


def _progress_summary(centre, today) -> ProgressSummary:
    """Three queries for the counts and the order of who is behind, and the sampling plans'
    grids (their own fixed number)."""
    active = Enrolment.objects.filter(centre=centre, status=EnrolmentStatus.ACTIVE)
    rows = active.annotate(
        met=Coalesce(_met_count(), 0),
        total=Coalesce(_criteria_count(), 0),
        percent_elapsed=elapsed_percent_sql("start_date", "planned_end_date", today),
    )
    done = percent_sql("met", "total")
    rag = rag_sql(done, "percent_elapsed")
    bucket = bucket_sql(done, PROGRESS_BUCKETS)
    counts = rows.distinct().aggregate(
        # DISTINCT (a no-op: the primary key is selected) keeps the rows a subquery of their
        # own, so the database counts each learner's criteria once, not once per use.
        active=Count("pk"),
        **{f"rag_{i}": Count("pk", filter=Q(Exact(rag, i))) for i in range(len(RAG_ORDER))},
        **{
            f"bucket_{i}": Count("pk", filter=Q(Exact(bucket, i)))
            for i in range(len(PROGRESS_BUCKETS))
        },
    )
    behind = list(
        with_progress(active, today=today)
        .filter(behind_by__gt=0)
        .order_by("-behind_by", "learner__last_name", "learner__first_name", "pk")
        .values_list("pk", "percent_done", "percent_elapsed")
    )
    plans = SamplingPlan.objects.filter(centre=centre).select_related("tutor", "qualification")
    return ProgressSummary(
        active=counts["active"],
        rag_counts={rag: counts[f"rag_{i}"] for i, rag in enumerate(RAG_ORDER)},
        progress_counts=[counts[f"bucket_{i}"] for i in range(len(PROGRESS_BUCKETS))],
        behind=behind,
        coverage=[(g.plan.pk, g.coverage) for g in moderation_plans.plan_grids(list(plans))],
    )


def progress_summary(centre, *, today) -> ProgressSummary:
    """The centre's summary, from the cache while nothing at the centre has changed.

    Every change to the record is written with an audit entry naming its centre in the same
    transaction (`audit`), so the centre's last entry (its number and chained hash, unique
    to this trail) says whether anything the summary counts has changed; the day is part of
    the key because the share of time passed moves with it. A centre without entries is
    never cached.
    """
    last = (
        AuditEntry.objects.filter(centre_id=centre.pk)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    if last is None:
        return _progress_summary(centre, today)
    key = f"centre-progress:{centre.pk}:{today.isoformat()}:{last[0]}:{last[1][:32]}"
    summary = cache.get(key)
    if summary is None:
        summary = _progress_summary(centre, today)
        cache.set(key, summary, SUMMARY_SECONDS)
    return summary


def plan_coverage(centre, *, today=None) -> dict[int, Coverage]:
    """{sampling plan id: its coverage} of the centre's plans, from its summary."""
    today = today or timezone.localdate()
    return dict(progress_summary(centre, today=today).coverage)


def _waiting_at(centre, now) -> tuple[int, int | None, list[int]]:
    """Evidence waiting for assessment at the centre: how many, the oldest wait in days, and
    how many waited for each of WAITING_BUCKETS' days (one query)."""
    counts = (
        Evidence.objects.awaiting_assessment()
        .filter(enrolment__centre=centre)
        .aggregate(
            n=Count("pk"),
            oldest=Min("submitted_at"),
            **{
                f"bucket_{i}": Count(
                    "pk",
                    filter=Q(
                        submitted_at__gt=now - datetime.timedelta(days=high + 1),
                        submitted_at__lte=now - datetime.timedelta(days=low),
                    ),
                )
                for i, (_, low, high) in enumerate(WAITING_BUCKETS)
            },
        )
    )
    oldest = (now - counts["oldest"]).days if counts["oldest"] else None
    return counts["n"], oldest, [counts[f"bucket_{i}"] for i in range(len(WAITING_BUCKETS))]


def _by_qualification(centre) -> list[tuple[str, dict[str, int]]]:
    rows = (
        Enrolment.objects.filter(centre=centre)
        .order_by()
        .values("qualification__number", "qualification__title")
        .annotate(
            **{status: Count("pk", filter=Q(status=status)) for status in EnrolmentStatus.values}
        )
    )
    return sorted(
        (
            f"{row['qualification__number']} {row['qualification__title']}"
            if row["qualification__number"]
            else "Short courses (single unit)",
            {status: row[status] for status in EnrolmentStatus.values},
        )
        for row in rows
    )


@dataclass
class CentreReport:
    by_qualification: list[tuple[str, dict[str, int]]]
    active: int
    rag_counts: dict[str, int]
    progress_bars: list
    waiting_count: int
    oldest_wait: int | None
    waiting_bars: list
    behind: Page  # of LearnerProgress, most behind first
    coverage: list = field(default_factory=list)  # moderation Grids (coverage only)
    referrals: list = field(default_factory=list)


def _behind_page(summary: ProgressSummary, page_number, today) -> Page:
    page = Paginator(summary.behind, BEHIND_PER_PAGE).get_page(page_number)
    ids = [pk for pk, _, _ in page.object_list]
    enrolments = Enrolment.objects.select_related("learner", "tutor", "qualification").in_bulk(ids)
    activity = last_activity_of(ids)
    page.object_list = [
        LearnerProgress(
            enrolment=enrolments[pk],
            met=0,
            total=0,
            schedule=Schedule(percent_done=done, percent_elapsed=elapsed),
            last_activity=activity.get(pk),
        )
        for pk, done, elapsed in page.object_list
        if pk in enrolments
    ]
    return page


def _bars(edges, counts):
    return bars([(label, n) for (label, _, _), n in zip(edges, counts, strict=True)])


def centre_report(centre, *, today=None, page=None) -> CentreReport:
    """The centre's report: counts made by the database, the learners behind schedule one
    page (`page`) at a time. A fixed number of queries whatever the number of learners."""
    today = today or timezone.localdate()
    now = timezone.now()
    summary = progress_summary(centre, today=today)
    waiting_count, oldest_wait, waiting_counts = _waiting_at(centre, now)
    plans = SamplingPlan.objects.filter(centre=centre).select_related("tutor", "qualification")
    plans = plans.in_bulk([pk for pk, _ in summary.coverage])
    return CentreReport(
        by_qualification=_by_qualification(centre),
        active=summary.active,
        rag_counts=summary.rag_counts,
        progress_bars=_bars(PROGRESS_BUCKETS, summary.progress_counts),
        waiting_count=waiting_count,
        oldest_wait=oldest_wait,
        waiting_bars=_bars(WAITING_BUCKETS, waiting_counts),
        behind=_behind_page(summary, page, today),
        coverage=[
            Grid(plan=plans[pk], units=[], rows=[], coverage=coverage)
            for pk, coverage in summary.coverage
            if pk in plans
        ],
        referrals=moderation_record.open_referrals(centre),
    )


def tutor_risk_list(tutor, centre, *, today=None) -> list[tuple[LearnerProgress, list[str]]]:
    """The tutor's active learners, most at risk first, each with the reasons."""
    now = timezone.now()
    enrolments = (
        Enrolment.objects.filter(centre=centre, tutor=tutor, status=EnrolmentStatus.ACTIVE)
        .select_related("learner", "qualification")
        .order_by("pk")
    )
    rows = []
    for p in learner_progress(enrolments, today=today):
        reasons, score = [], 0
        if p.schedule.is_behind:
            reasons.append(f"{p.schedule.behind_by} points behind schedule")
            score += p.schedule.behind_by * (2 if p.schedule.rag == Rag.RED else 1)
        idle = p.inactive_days(now)
        if idle is not None and idle >= INACTIVE_DAYS:
            reasons.append(f"inactive for {idle} days")
            score += idle
        if p.waiting:
            reasons.append(f"{p.waiting} evidence item{'s' if p.waiting != 1 else ''} waiting")
            score += 10 * p.waiting
        rows.append((score, str(p.enrolment.learner), p, reasons))
    rows.sort(key=lambda row: (-row[0], row[1]))
    return [(p, reasons) for _, _, p, reasons in rows]


# ---------------------------------------------------------------- the centre's people


def people_of(centre):
    """Everyone with a role at the centre, past or present, with `roles_here`."""
    roles_here = Membership.objects.filter(centre=centre).order_by("role")
    return (
        User.objects.filter(memberships__centre=centre)
        .distinct()
        .prefetch_related(Prefetch("memberships", queryset=roles_here, to_attr="roles_here"))
        .order_by("last_name", "first_name", "username")
    )


def get_person_at(centre, person_pk: int):
    """A person with any role, past or present, at the centre; anyone else is 404."""
    return get_object_or_404(people_of(centre), pk=person_pk)


def person_page(centre, person) -> dict:
    """A person's page at the centre: their roles here, and what they learn or tutor."""
    held = {m.role: m for m in person.roles_here}
    return {
        "centre": centre,
        "person": person,
        "roles": [(role, held.get(role)) for role in Role],
        "enrolments": Enrolment.objects.filter(centre=centre, learner=person)
        .select_related("qualification", "tutor")
        .order_by("-start_date"),
        "tutoring": Enrolment.objects.filter(centre=centre, tutor=person).count(),
        "is_active_here": any(m.is_active for m in person.roles_here),
    }


def recent_intakes(centre, *, count: int = 5) -> list:
    """The centre's last imported class lists."""
    return list(IntakeUpload.objects.filter(centre=centre, imported_at__isnull=False)[:count])


def get_qualification_for_centre(user, centre, pk: int):
    """A qualification version the person may see and the centre could use (404 otherwise:
    another centre's own qualification is not revealed)."""
    found = catalogue.visible(Qualification.objects.filter(pk=pk), user).first()
    if found is None or found.centre_id not in (None, centre.pk):
        raise Http404("No such qualification.")
    return found


def enrolments_on_versions(centre, qualification):
    """The centre's enrolments on any version of `qualification`, with their learners and
    versions, in the order of the learners' names."""
    return (
        Enrolment.objects.filter(
            centre=centre,
            qualification__number=qualification.number,
            qualification__centre=qualification.centre_id,
        )
        .select_related("learner", "tutor", "qualification", "centre")
        .order_by("learner__last_name", "learner__first_name", "pk")
    )

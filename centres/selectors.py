"""The numbers behind a centre's dashboard, its tutors' risk lists and its progress exports.

Every function reads a whole centre in a fixed number of queries, however many learners it has.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Max, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Membership, User
from centres.models import IntakeUpload
from centres.reporting import (
    PROGRESS_BUCKETS,
    WAITING_BUCKETS,
    Rag,
    Schedule,
    bars,
    histogram,
    percent,
    schedule,
)
from moderation import dashboards as moderation_dashboards
from moderation import plans as moderation_plans
from moderation import record as moderation_record
from moderation.enums import ModeratorKind, SampleOutcome
from moderation.models import SampleDecision, SamplingPlan
from portfolios import record as portfolio_record
from portfolios.enums import EnrolmentStatus
from portfolios.models import CriterionDecision, Enrolment, Evidence, UnitSignOff
from qualifications import permissions as catalogue
from qualifications.models import Qualification, Unit

RAGS = [Rag.RED, Rag.AMBER, Rag.GREEN]

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


def _last_activity(enrolment_ids) -> dict[int, datetime.datetime]:
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
    activity = _last_activity(ids)
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


@dataclass
class CentreReport:
    by_qualification: list[tuple[str, dict[str, int]]]
    learners: list[LearnerProgress]
    rag_counts: dict[str, int]
    progress_bars: list
    waiting_days: list[int]
    waiting_bars: list
    coverage: list = field(default_factory=list)  # moderation Grids, one per sampling plan
    referrals: list = field(default_factory=list)

    @property
    def behind(self) -> list[LearnerProgress]:
        return sorted(
            (p for p in self.learners if p.schedule.is_behind),
            key=lambda p: (-p.schedule.behind_by, str(p.enrolment.learner)),
        )

    @property
    def oldest_wait(self) -> int | None:
        return max(self.waiting_days) if self.waiting_days else None


def centre_report(centre, *, today=None) -> CentreReport:
    now = timezone.now()
    enrolments = list(
        Enrolment.objects.filter(centre=centre)
        .select_related("learner", "tutor", "qualification")
        .order_by("learner__last_name", "learner__first_name", "pk")
    )
    by_qualification = defaultdict(lambda: dict.fromkeys(EnrolmentStatus.values, 0))
    for e in enrolments:
        label = (
            f"{e.qualification.number} {e.qualification.title}"
            if e.qualification
            else ("Short courses (single unit)")
        )
        by_qualification[label][e.status] += 1
    active = [e for e in enrolments if e.status == EnrolmentStatus.ACTIVE]
    learners = learner_progress(active, today=today)
    waiting_days = [
        (now - submitted).days
        for submitted in Evidence.objects.awaiting_assessment()
        .filter(enrolment__centre=centre)
        .values_list("submitted_at", flat=True)
    ]
    plans = SamplingPlan.objects.filter(centre=centre).select_related("tutor", "qualification")
    return CentreReport(
        by_qualification=sorted(by_qualification.items()),
        learners=learners,
        rag_counts={rag: sum(p.schedule.rag == rag for p in learners) for rag in RAGS},
        progress_bars=bars(histogram([p.percent for p in learners], PROGRESS_BUCKETS)),
        waiting_days=sorted(waiting_days, reverse=True),
        waiting_bars=bars(histogram(waiting_days, WAITING_BUCKETS)),
        coverage=moderation_plans.plan_grids(list(plans)),
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


# ---------------------------------------------------------------- progress export

EXPORT_HEADERS = [
    "learner",
    "email",
    "registration_number",
    "qualification",
    "unit",
    "unit_title",
    "criteria_met",
    "criteria_total",
    "percent",
    "last_activity",
    "tutor",
    "sign_off",
    "internal_moderation",
    "external_moderation",
    # The specification versions the learner is on (a unit is versioned apart from its
    # qualification) and the grades; last, so the older columns keep their places.
    "qualification_version",
    "unit_version",
    "unit_grade",
    "qualification_grade",
    "qualification_points",
]


def _moderation_states(enrolment_ids) -> dict[tuple[int, int, str], str]:
    states = {}
    for enrolment_id, unit_id, kind, outcome in (
        SampleDecision.objects.latest()
        .filter(sample__enrolment_id__in=enrolment_ids)
        .values_list("sample__enrolment_id", "sample__unit_id", "sample__kind", "outcome")
    ):
        states[(enrolment_id, unit_id, kind)] = (
            "referred back" if outcome == SampleOutcome.REFERRED else "agreed"
        )
    return states


def _sign_off_dates(enrolment_ids) -> dict[tuple[int, int], datetime.datetime]:
    return {
        (e, u): at
        for e, u, at in UnitSignOff.objects.latest()
        .filter(enrolment_id__in=enrolment_ids)
        .values_list("enrolment_id", "unit_id", "signed_at")
    }


def progress_rows(centre) -> list[list]:
    """One row per learner and unit, for the centre's progress export (a fixed number of
    queries), with the specification versions the learner is on and their grades
    (`portfolios.record.achievements_for`)."""
    enrolments = list(
        Enrolment.objects.filter(centre=centre)
        .select_related("learner", "tutor", "qualification")
        .order_by("learner__last_name", "learner__first_name", "pk")
    )
    ids = [e.pk for e in enrolments]
    units = moderation_dashboards.unit_progress(ids)
    unit_rows = {u.pk: u for u in Unit.objects.filter(pk__in={u for _, u in units})}
    activity = _last_activity(ids)
    signed = _sign_off_dates(ids)
    moderated = _moderation_states(ids)
    achievements = portfolio_record.achievements_for(enrolments)
    rows = []
    for e in enrolments:
        last = activity.get(e.pk)
        achievement = achievements[e.pk]
        qualification_grade = achievement.qualification
        for (enrolment_id, unit_id), p in sorted(
            ((k, v) for k, v in units.items() if k[0] == e.pk),
            key=lambda item: unit_rows[item[0][1]].code or unit_rows[item[0][1]].title,
        ):
            unit = unit_rows[unit_id]
            if p["signed"]:
                sign_off = f"signed {timezone.localtime(signed[(enrolment_id, unit_id)]):%Y-%m-%d}"
            elif (enrolment_id, unit_id) in signed:
                sign_off = "referred back"
            else:
                sign_off = "not signed"
            unit_grade = achievement.units.get(unit_id)
            rows.append(
                [
                    str(e.learner),
                    e.learner.email,
                    e.registration_number,
                    e.qualification.number if e.qualification else "",
                    unit.code,
                    unit.title,
                    p["met"],
                    p["total"],
                    percent(p["met"], p["total"]),
                    timezone.localtime(last).strftime("%Y-%m-%d %H:%M") if last else "",
                    str(e.tutor),
                    sign_off,
                    moderated.get((enrolment_id, unit_id, ModeratorKind.INTERNAL), "not sampled"),
                    moderated.get((enrolment_id, unit_id, ModeratorKind.EXTERNAL), "not sampled"),
                    e.qualification.version if e.qualification else "",
                    unit.version,
                    unit_grade.grade_text if unit_grade else "",
                    qualification_grade.grade_label if qualification_grade else "",
                    qualification_grade.points if qualification_grade else "",
                ]
            )
    return rows


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

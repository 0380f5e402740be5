"""Reads of the assessment record that depend on who is asking or span apps.

Every read of a whole enrolment here costs a fixed number of queries, whatever the number of
units, criteria, decisions or samples (a 39-unit diploma costs what one unit costs).

Helpers for other apps (documented in moderation/README.md):
- `latest_decisions(enrolment)`: {criterion_id: "met" | "not_yet_met"} for the portfolio page.
- `latest_decision_details(enrolment)`, `unit_sign_offs(enrolment)`,
  `latest_sample_decisions(enrolment)`: what the printed checklists show.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from accounts.enums import Role
from accounts.permissions import centres_where, has_role, is_member
from moderation import permissions
from moderation.enums import (
    ModeratorKind,
    Outcome,
    ReferralState,
    SampleOutcome,
)
from moderation.models import (
    AccessLogEntry,
    AuditEntry,
    CriterionDecision,
    DecisionEvidence,
    EqaGrant,
    Notification,
    ReopenedCriterion,
    Sample,
    SampleDecision,
    SamplingPlan,
    SignOffAcknowledgement,
    UnitSignOff,
)
from moderation.sampling import Grid, build_grid

# A module import: portfolios.selectors imports this module too (for `latest_decisions`).
from portfolios import permissions as portfolio_permissions
from portfolios import selectors as portfolio_selectors
from portfolios.enums import EnrolmentStatus
from portfolios.models import Enrolment, EnrolmentUnit, Evidence, EvidenceCriterion
from qualifications.models import AssessmentCriterion, LearningOutcome, QualificationUnit, Unit

# ---------------------------------------------------------------- building blocks


def _open_reopening():
    """Reopenings whose referral is still open (no later decision on that sample)."""
    return ReopenedCriterion.objects.filter(
        decision=OuterRef("pk"), referral__superseded_by__isnull=True
    )


def _latest_decisions_qs(enrolment):
    return (
        CriterionDecision.objects.filter(enrolment=enrolment)
        .latest()
        .annotate(reopened=Exists(_open_reopening()))
    )


def _open_referral_of_sign_off():
    return SampleDecision.objects.filter(
        sign_off=OuterRef("pk"),
        outcome=SampleOutcome.REFERRED,
        superseded_by__isnull=True,
    )


def _latest_sign_offs_qs(enrolment):
    return (
        UnitSignOff.objects.filter(enrolment=enrolment)
        .latest()
        .annotate(is_referred=Exists(_open_referral_of_sign_off()))
        .select_related("signed_by", "acknowledgement__learner")
    )


# ---------------------------------------------------------------- for other apps


def latest_decisions(enrolment) -> dict[int, str]:
    """The tutor's latest decision on each criterion of the enrolment: {criterion_id: "met" |
    "not_yet_met"}; criteria without one are left out. A criterion that a moderator's open
    referral reopened reads as not yet met until the tutor decides it again. One query."""
    return {
        criterion_id: Outcome.NOT_YET_MET.value if reopened else outcome
        for criterion_id, outcome, reopened in _latest_decisions_qs(enrolment).values_list(
            "criterion_id", "outcome", "reopened"
        )
    }


@dataclass(frozen=True)
class DecisionSummary:
    criterion_id: int
    outcome: str  # "met" | "not_yet_met": the tutor's decision as recorded
    outcome_label: str
    decided_on: datetime.date
    decided_at: datetime.datetime
    tutor_name: str
    feedback: str
    # A moderator's open referral reopened it: the tutor has to decide it again.
    reopened: bool

    @property
    def is_met(self) -> bool:
        return self.outcome == Outcome.MET and not self.reopened


def latest_decision_details(enrolment) -> dict[int, DecisionSummary]:
    """{criterion_id: DecisionSummary} of the newest decision per criterion. One query."""
    rows = _latest_decisions_qs(enrolment).select_related("decided_by")
    return {
        d.criterion_id: DecisionSummary(
            criterion_id=d.criterion_id,
            outcome=d.outcome,
            outcome_label=d.get_outcome_display(),
            decided_on=d.decided_on,
            decided_at=d.decided_at,
            tutor_name=str(d.decided_by),
            feedback=d.feedback,
            reopened=d.reopened,
        )
        for d in rows
    }


@dataclass(frozen=True)
class SignOffSummary:
    unit_id: int
    tutor_name: str
    signed_at: datetime.datetime
    comments: str
    learner_name: str  # "" until the learner acknowledges
    learner_comment: str
    acknowledged_at: datetime.datetime | None
    # A moderator referred this sign-off back; the unit is open again until re-signed.
    is_referred: bool


def unit_sign_offs(enrolment) -> dict[int, SignOffSummary]:
    """{unit_id: SignOffSummary} of each unit's newest sign-off. One query."""
    result = {}
    for s in _latest_sign_offs_qs(enrolment):
        ack = getattr(s, "acknowledgement", None)
        result[s.unit_id] = SignOffSummary(
            unit_id=s.unit_id,
            tutor_name=s.signature_name,
            signed_at=s.signed_at,
            comments=s.comments,
            learner_name=str(ack.learner) if ack else "",
            learner_comment=ack.comment if ack else "",
            acknowledged_at=ack.acknowledged_at if ack else None,
            is_referred=s.is_referred,
        )
    return result


@dataclass(frozen=True)
class SampleSummary:
    unit_id: int
    kind: str  # "internal" | "external"
    name: str
    signed_at: datetime.datetime
    comments: str
    outcome: str  # "agreed" | "referred"
    outcome_label: str
    stage: str  # "interim" | "summative"
    required_actions: str


def latest_sample_decisions(enrolment) -> dict[int, dict[str, SampleSummary]]:
    """{unit_id: {"internal": SampleSummary, "external": SampleSummary}} with the newest
    decision of each kind of moderator (a kind is absent when that unit was not sampled by
    it). One query."""
    rows = (
        SampleDecision.objects.filter(sample__enrolment=enrolment).latest().select_related("sample")
    )
    result: dict[int, dict[str, SampleSummary]] = defaultdict(dict)
    for d in rows:
        result[d.sample.unit_id][d.sample.kind] = SampleSummary(
            unit_id=d.sample.unit_id,
            kind=d.sample.kind,
            name=d.signature_name,
            signed_at=d.signed_at,
            comments=d.comments,
            outcome=d.outcome,
            outcome_label=d.get_outcome_display(),
            stage=d.stage,
            required_actions=d.required_actions,
        )
    return dict(result)


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
        or permissions.eqa_grant_covers(user, enrolment)
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
    return unit


def granted_unit_ids(user, enrolment) -> set[int] | None:
    """The units of the enrolment this person may see: None for all of them (everyone who
    sees it by role, or a grant that names no units), else the units their grants name."""
    if permissions.sees_whole_enrolment(user, enrolment):
        return None
    units = set()
    for grant in permissions.eqa_grants_covering(user, enrolment):
        if not grant.unit_ids:
            return None
        units |= grant.unit_ids
    return units


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
    return criterion


def get_plan_for_user(user, pk: int) -> SamplingPlan:
    plan = (
        SamplingPlan.objects.select_related("centre", "qualification", "tutor")
        .filter(pk=pk)
        .first()
    )
    if plan is None or not is_member(user, plan.centre_id):
        raise Http404("No such sampling plan.")
    if not permissions.can_plan_sampling(user, plan.centre):
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


# ---------------------------------------------------------------- the record of one enrolment


@dataclass
class CriterionLine:
    criterion: object
    decision: CriterionDecision | None
    reopened: bool
    evidence: list  # submitted, not superseded Evidence mapped to it
    history: list = field(default_factory=list)  # every decision, oldest first

    @property
    def is_met(self) -> bool:
        return bool(self.decision and self.decision.is_met and not self.reopened)

    @property
    def status(self) -> str:
        if self.decision is None:
            return ""
        return Outcome.NOT_YET_MET.value if self.reopened else self.decision.outcome


@dataclass
class OutcomeLines:
    outcome: object
    lines: list[CriterionLine]


@dataclass
class SampleLine:
    sample: Sample
    decisions: list[SampleDecision]  # oldest first

    @property
    def latest(self):
        return self.decisions[-1] if self.decisions else None


@dataclass
class UnitRecord:
    unit: object
    is_mandatory: bool
    outcomes: list[OutcomeLines]
    sign_offs: list[UnitSignOff]  # oldest first, each with .acknowledgement_row
    samples: dict[str, SampleLine]

    @property
    def lines(self) -> list[CriterionLine]:
        return [line for o in self.outcomes for line in o.lines]

    @property
    def total(self) -> int:
        return len(self.lines)

    @property
    def met(self) -> int:
        return sum(line.is_met for line in self.lines)

    @property
    def not_yet_met(self) -> int:
        return sum(line.status == Outcome.NOT_YET_MET for line in self.lines)

    @property
    def percent(self) -> int:
        return self.met * 100 // self.total if self.total else 0

    @property
    def all_met(self) -> bool:
        return self.total > 0 and self.met == self.total

    @property
    def sign_off(self) -> UnitSignOff | None:
        return self.sign_offs[-1] if self.sign_offs else None

    @property
    def is_signed(self) -> bool:
        """Signed and not referred back: the unit is locked."""
        return self.sign_off is not None and not self.sign_off.is_referred

    @property
    def ready_to_sign(self) -> bool:
        return self.all_met and not self.is_signed

    @property
    def awaiting_acknowledgement(self) -> bool:
        return self.is_signed and self.sign_off.acknowledgement_row is None

    @property
    def internal(self) -> SampleLine | None:
        return self.samples.get(ModeratorKind.INTERNAL)

    @property
    def external(self) -> SampleLine | None:
        return self.samples.get(ModeratorKind.EXTERNAL)

    @property
    def open_referrals(self) -> list[SampleDecision]:
        return [s.latest for s in self.samples.values() if s.latest and s.latest.is_referral]


def enrolment_record(enrolment, *, unit_ids=None) -> list[UnitRecord]:
    """The assessment record of the enrolment's units (or of some of them): criteria with
    their decisions and histories, sign-offs with acknowledgements, samples with their
    decisions. Nine queries, whatever the size."""
    links = EnrolmentUnit.objects.filter(enrolment=enrolment)
    if unit_ids is not None:
        links = links.filter(unit_id__in=unit_ids)
    mandatory = QualificationUnit.objects.filter(
        qualification_id=enrolment.qualification_id,
        unit_id=OuterRef("unit_id"),
        group__is_mandatory=True,
    )
    links = list(
        links.select_related("unit")
        .annotate(is_mandatory=Exists(mandatory))
        .order_by("position", "pk")
    )
    wanted = [link.unit_id for link in links]
    outcomes = list(
        LearningOutcome.objects.filter(unit_id__in=wanted).order_by("unit_id", "sort_key")
    )
    criteria = list(
        AssessmentCriterion.objects.filter(unit_id__in=wanted).order_by("unit_id", "sort_key")
    )
    decisions = list(
        CriterionDecision.objects.filter(enrolment=enrolment, unit_id__in=wanted)
        .select_related("decided_by")
        .annotate(
            reopened=Exists(_open_reopening()),
            is_latest=~Exists(CriterionDecision.objects.filter(supersedes=OuterRef("pk"))),
        )
        .order_by("decided_at", "pk")
    )
    evidence_links = list(
        EvidenceCriterion.objects.filter(
            evidence__enrolment=enrolment,
            evidence__submitted_at__isnull=False,
            evidence__superseded_by__isnull=True,
            criterion__unit_id__in=wanted,
        )
        .select_related("evidence")
        .order_by("evidence__number")
    )
    sign_offs = list(
        UnitSignOff.objects.filter(enrolment=enrolment, unit_id__in=wanted)
        .annotate(is_referred=Exists(_open_referral_of_sign_off()))
        .select_related("signed_by")
        .order_by("signed_at", "pk")
    )
    acks = {
        a.sign_off_id: a
        for a in SignOffAcknowledgement.objects.filter(
            sign_off__enrolment=enrolment, sign_off__unit_id__in=wanted
        ).select_related("learner")
    }
    samples = list(
        Sample.objects.filter(enrolment=enrolment, unit_id__in=wanted).select_related("opened_by")
    )
    sample_decisions = (
        list(
            SampleDecision.objects.filter(sample__in=[s.pk for s in samples])
            .select_related("decided_by")
            .prefetch_related("reopened__decision__criterion")
            .order_by("signed_at", "pk")
        )
        if samples
        else []
    )

    history = defaultdict(list)
    latest = {}
    for d in decisions:
        history[d.criterion_id].append(d)
        if d.is_latest:
            latest[d.criterion_id] = d
    evidence_by_criterion = defaultdict(list)
    for link in evidence_links:
        evidence_by_criterion[link.criterion_id].append(link.evidence)
    lines_by_outcome = defaultdict(list)
    for c in criteria:
        decision = latest.get(c.pk)
        lines_by_outcome[c.outcome_id].append(
            CriterionLine(
                criterion=c,
                decision=decision,
                reopened=bool(decision and decision.reopened),
                evidence=evidence_by_criterion[c.pk],
                history=history[c.pk],
            )
        )
    outcomes_by_unit = defaultdict(list)
    for o in outcomes:
        outcomes_by_unit[o.unit_id].append(OutcomeLines(o, lines_by_outcome[o.pk]))
    sign_offs_by_unit = defaultdict(list)
    for s in sign_offs:
        s.acknowledgement_row = acks.get(s.pk)
        sign_offs_by_unit[s.unit_id].append(s)
    decisions_by_sample = defaultdict(list)
    for d in sample_decisions:
        decisions_by_sample[d.sample_id].append(d)
    samples_by_unit = defaultdict(dict)
    for s in samples:
        chain = decisions_by_sample[s.pk]
        for d in chain:
            d.sample = s
            # Every decision but the newest was superseded: a referral among them is closed.
            d.is_closed = d is not chain[-1]
        samples_by_unit[s.unit_id][s.kind] = SampleLine(s, chain)
    for chain in sign_offs_by_unit.values():
        for s in chain:
            s.is_replaced = s is not chain[-1]

    return [
        UnitRecord(
            unit=link.unit,
            is_mandatory=link.is_mandatory,
            outcomes=outcomes_by_unit[link.unit_id],
            sign_offs=sign_offs_by_unit[link.unit_id],
            samples=samples_by_unit[link.unit_id],
        )
        for link in links
    ]


def criterion_history(enrolment, criterion) -> list[CriterionDecision]:
    """Every decision on the criterion, oldest first, with its evidence and reopenings."""
    return list(
        CriterionDecision.objects.filter(enrolment=enrolment, criterion=criterion)
        .select_related("decided_by")
        .prefetch_related("evidence", "reopenings__referral__sample")
        .annotate(reopened=Exists(_open_reopening()))
        .order_by("decided_at", "pk")
    )


def submitted_evidence_for(enrolment, criterion) -> list[Evidence]:
    return list(
        Evidence.objects.filter(
            enrolment=enrolment,
            links__criterion=criterion,
            submitted_at__isnull=False,
            superseded_by__isnull=True,
        )
        .select_related("method")
        .order_by("number")
    )


def locked_unit_ids(enrolment, unit_ids=None) -> set[int]:
    """Units of the enrolment (or of these units) whose newest sign-off stands, not referred
    back: they are locked. One query."""
    sign_offs = UnitSignOff.objects.filter(enrolment=enrolment).latest()
    if unit_ids is not None:
        sign_offs = sign_offs.filter(unit_id__in=unit_ids)
    return set(
        sign_offs.exclude(Exists(_open_referral_of_sign_off())).values_list("unit_id", flat=True)
    )


def unit_is_locked(enrolment, unit_id) -> bool:
    return unit_id in locked_unit_ids(enrolment, [unit_id])


# ---------------------------------------------------------------- assessing evidence


@dataclass
class EvidenceCriterionRow:
    criterion: object
    decision: CriterionDecision | None
    reopened: bool
    locked: bool  # its unit is signed off


def evidence_assessment(evidence) -> tuple[list[EvidenceCriterionRow], list]:
    """The criteria the item is mapped to, each with its latest decision and whether its unit
    is locked; and the enrolment's other criteria the tutor may add. Four queries."""
    enrolment = evidence.enrolment
    unit_ids = list(
        EnrolmentUnit.objects.filter(enrolment=enrolment)
        .order_by("position")
        .values_list("unit_id", flat=True)
    )
    criteria = list(
        AssessmentCriterion.objects.filter(unit_id__in=unit_ids)
        .select_related("unit")
        .order_by("unit_id", "sort_key")
    )
    mapped = set(evidence.links.values_list("criterion_id", flat=True))
    latest = {
        d.criterion_id: d for d in _latest_decisions_qs(enrolment).select_related("decided_by")
    }
    locked_units = {s.unit_id for s in _latest_sign_offs_qs(enrolment) if not s.is_referred}
    position = {uid: i for i, uid in enumerate(unit_ids)}
    criteria.sort(key=lambda c: (position.get(c.unit_id, 0), c.sort_key))
    rows, others = [], []
    for c in criteria:
        if c.pk in mapped:
            d = latest.get(c.pk)
            rows.append(
                EvidenceCriterionRow(
                    criterion=c,
                    decision=d,
                    reopened=bool(d and d.reopened),
                    locked=c.unit_id in locked_units,
                )
            )
        elif c.unit_id not in locked_units:
            others.append(c)
    return rows, others


# ---------------------------------------------------------------- tutors


def tutor_queue(user, centre):
    """Submitted evidence of this tutor's learners at the centre, waiting for a first
    decision, oldest first. Corrected (superseded) items are left out: the correction is
    what is judged."""
    return (
        Evidence.objects.awaiting_assessment()
        .filter(
            enrolment__centre=centre,
            enrolment__tutor=user,
            enrolment__status=EnrolmentStatus.ACTIVE,
            superseded_by__isnull=True,
        )
        .select_related("enrolment__learner", "method")
        .annotate(criterion_count=Count("links", distinct=True))
        .order_by("submitted_at", "pk")
    )


def unit_progress(enrolment_ids) -> dict[tuple[int, int], dict]:
    """Per (enrolment, unit): criteria, criteria met, whether signed. Three queries."""
    totals = (
        EnrolmentUnit.objects.filter(enrolment_id__in=enrolment_ids)
        .annotate(n=Count("unit__criteria", distinct=True))
        .values_list("enrolment_id", "unit_id", "n")
    )
    progress = {(e, u): {"total": n, "met": 0, "signed": False} for e, u, n in totals}
    met = (
        CriterionDecision.objects.filter(enrolment_id__in=enrolment_ids, outcome=Outcome.MET)
        .latest()
        .exclude(
            Exists(
                ReopenedCriterion.objects.filter(
                    decision=OuterRef("pk"), referral__superseded_by__isnull=True
                )
            )
        )
        .values("enrolment_id", "unit_id")
        .annotate(n=Count("pk"))
        .values_list("enrolment_id", "unit_id", "n")
    )
    for e, u, n in met:
        if (e, u) in progress:
            progress[(e, u)]["met"] = n
    signed = (
        UnitSignOff.objects.filter(enrolment_id__in=enrolment_ids)
        .latest()
        .exclude(Exists(_open_referral_of_sign_off()))
        .values_list("enrolment_id", "unit_id")
    )
    for key in signed:
        if key in progress:
            progress[key]["signed"] = True
    return progress


def tutor_overview(user, centre, *, queue_size: int = 10) -> dict:
    """What a tutor's dashboard shows (a fixed number of queries)."""
    queue = tutor_queue(user, centre)
    enrolments = list(
        Enrolment.objects.filter(centre=centre, tutor=user, status=EnrolmentStatus.ACTIVE)
        .select_related("learner", "qualification")
        .annotate(
            waiting=Count(
                "evidence",
                filter=Q(
                    evidence__submitted_at__isnull=False,
                    evidence__assessed_at__isnull=True,
                    evidence__superseded_by__isnull=True,
                ),
                distinct=True,
            )
        )
        .order_by("learner__last_name", "learner__first_name", "pk")
    )
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
    referrals = open_referrals(centre, tutor=user)
    return {
        "queue": list(queue[:queue_size]),
        "queue_count": queue.count(),
        "my_enrolments": enrolments,
        "ready_to_sign": ready,
        "open_referrals": referrals,
        "now": timezone.now(),
    }


# ---------------------------------------------------------------- referrals


@dataclass
class ReferralLine:
    decision: SampleDecision
    state: ReferralState


def open_referrals(centre, *, tutor=None, enrolment=None, kind=None) -> list[ReferralLine]:
    """Referrals not yet closed by a later decision on their sample, with whether the tutor
    has acted (signed the unit again, or decided every reopened criterion again). Four
    queries."""
    referrals = SampleDecision.objects.latest().filter(
        outcome=SampleOutcome.REFERRED, sample__enrolment__centre=centre
    )
    if tutor is not None:
        referrals = referrals.filter(sample__enrolment__tutor=tutor)
    if enrolment is not None:
        referrals = referrals.filter(sample__enrolment=enrolment)
    if kind is not None:
        referrals = referrals.filter(sample__kind=kind)
    referrals = list(
        referrals.select_related(
            "sample__enrolment__learner", "sample__enrolment__tutor", "sample__unit", "decided_by"
        )
        .annotate(
            sign_off_replaced=Exists(UnitSignOff.objects.filter(supersedes=OuterRef("sign_off")))
        )
        .prefetch_related("reopened__decision")
        .order_by("signed_at", "pk")
    )
    reopened_ids = {r.decision_id for d in referrals for r in d.reopened.all()}
    redecided = set(
        CriterionDecision.objects.filter(supersedes_id__in=reopened_ids).values_list(
            "supersedes_id", flat=True
        )
    )
    lines = []
    for d in referrals:
        reopened = [r.decision_id for r in d.reopened.all()]
        if d.sign_off_id:
            acted = d.sign_off_replaced
        else:
            acted = bool(reopened) and all(pk in redecided for pk in reopened)
        lines.append(ReferralLine(d, ReferralState.RESUBMITTED if acted else ReferralState.OPEN))
    return lines


def referral_history(centre, *, limit: int = 50) -> list[SampleDecision]:
    """Closed referrals (the decision that closed each is its `superseded_by`)."""
    return list(
        SampleDecision.objects.filter(
            outcome=SampleOutcome.REFERRED,
            sample__enrolment__centre=centre,
            superseded_by__isnull=False,
        )
        .select_related(
            "sample__enrolment__learner", "sample__unit", "superseded_by__decided_by", "decided_by"
        )
        .order_by("-signed_at", "-pk")[:limit]
    )


# ---------------------------------------------------------------- learners


def learner_next_steps(user, centre) -> dict:
    """What a learner has to do after their tutor's or a moderator's decision: criteria not
    yet met (with the feedback), referrals, sign-offs to acknowledge. Five queries."""
    enrolments = Enrolment.objects.filter(centre=centre, learner=user)
    not_met = list(
        CriterionDecision.objects.filter(enrolment__in=enrolments)
        .latest()
        .filter(outcome=Outcome.NOT_YET_MET)
        .select_related("criterion__unit", "decided_by")
        .order_by("-decided_at", "-pk")
    )
    reopened = list(
        CriterionDecision.objects.filter(enrolment__in=enrolments, outcome=Outcome.MET)
        .latest()
        .filter(Exists(_open_reopening()))
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
        .latest()
        .exclude(Exists(_open_referral_of_sign_off()))
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


# ---------------------------------------------------------------- sampling plans


def plans_for(user, centre):
    return (
        SamplingPlan.objects.filter(centre=centre)
        .select_related("qualification", "tutor", "centre")
        .order_by("tutor__last_name", "tutor__first_name", "qualification__title", "pk")
    )


def plan_grids(plans) -> list[Grid]:
    """The proposed sample of each plan with its state and coverage. A fixed number of
    queries for any number of plans, learners and units."""
    plans = list(plans)
    if not plans:
        return []
    plan_ids = [p.pk for p in plans]
    new_units = defaultdict(set)
    for plan_id, unit_id in SamplingPlan.new_units.through.objects.filter(
        samplingplan_id__in=plan_ids
    ).values_list("samplingplan_id", "unit_id"):
        new_units[plan_id].add(unit_id)
    risk_methods = defaultdict(set)
    for plan_id, method_id in SamplingPlan.risk_methods.through.objects.filter(
        samplingplan_id__in=plan_ids
    ).values_list("samplingplan_id", "evidencemethod_id"):
        risk_methods[plan_id].add(method_id)
    risk_learners = defaultdict(set)
    for plan_id, user_id in SamplingPlan.risk_learners.through.objects.filter(
        samplingplan_id__in=plan_ids
    ).values_list("samplingplan_id", "user_id"):
        risk_learners[plan_id].add(user_id)

    pairs = Q(pk__in=[])
    for p in plans:
        pairs |= Q(centre_id=p.centre_id, tutor_id=p.tutor_id, qualification_id=p.qualification_id)
    enrolments = list(
        Enrolment.objects.filter(pairs)
        .exclude(status=EnrolmentStatus.WITHDRAWN)
        .select_related("learner")
        .order_by("learner__last_name", "learner__first_name", "pk")
    )
    enrolment_ids = [e.pk for e in enrolments]
    units_by_enrolment = defaultdict(list)
    for eid, uid in (
        EnrolmentUnit.objects.filter(enrolment_id__in=enrolment_ids)
        .order_by("position", "pk")
        .values_list("enrolment_id", "unit_id")
    ):
        units_by_enrolment[eid].append(uid)
    qualification_ids = {p.qualification_id for p in plans}
    unit_order = {}
    units = {}
    for qu in (
        QualificationUnit.objects.filter(qualification_id__in=qualification_ids)
        .select_related("unit")
        .order_by("position")
    ):
        unit_order[(qu.qualification_id, qu.unit_id)] = qu.position
        units[qu.unit_id] = qu.unit
    decided = set(
        CriterionDecision.objects.filter(enrolment_id__in=enrolment_ids)
        .values_list("enrolment_id", "unit_id")
        .distinct()
    )
    signed = {
        (s.enrolment_id, s.unit_id): s.pk
        for s in UnitSignOff.objects.filter(enrolment_id__in=enrolment_ids)
        .latest()
        .exclude(Exists(_open_referral_of_sign_off()))
        .only("pk", "enrolment_id", "unit_id")
    }
    moderated = {
        (d.sample.enrolment_id, d.sample.unit_id): d
        for d in SampleDecision.objects.latest()
        .filter(sample__enrolment_id__in=enrolment_ids, sample__kind=ModeratorKind.INTERNAL)
        .select_related("sample")
    }
    # Evidence that raises the risk: of a watched method, or kept at a watched location.
    watched_methods = set().union(*risk_methods.values()) if risk_methods else set()
    any_locations = any(p.location_words for p in plans)
    risky_evidence = []
    if watched_methods or any_locations:
        condition = Q(evidence__method_id__in=watched_methods)
        if any_locations:
            condition |= ~Q(evidence__workplace_location="")
        risky_evidence = list(
            EvidenceCriterion.objects.filter(
                condition,
                evidence__enrolment_id__in=enrolment_ids,
                evidence__submitted_at__isnull=False,
            )
            .values_list(
                "evidence__enrolment_id",
                "criterion__unit_id",
                "evidence__method_id",
                "evidence__workplace_location",
                "evidence__reference",
            )
            .distinct()
        )

    grids = []
    for plan in plans:
        mine = [
            e
            for e in enrolments
            if e.centre_id == plan.centre_id
            and e.tutor_id == plan.tutor_id
            and e.qualification_id == plan.qualification_id
        ]
        grids.append(
            build_grid(
                plan=plan,
                enrolments=mine,
                units_by_enrolment=units_by_enrolment,
                unit_order={
                    uid: pos
                    for (qid, uid), pos in unit_order.items()
                    if qid == plan.qualification_id
                },
                units=units,
                new_units=new_units[plan.pk],
                risk_methods=risk_methods[plan.pk],
                risk_learners=risk_learners[plan.pk],
                risky_evidence=risky_evidence,
                decided=decided,
                signed=signed,
                moderated=moderated,
            )
        )
    return grids


# ---------------------------------------------------------------- internal moderators


def iqa_overview(user, centre) -> dict:
    plans = list(plans_for(user, centre))
    signed_recently = list(
        UnitSignOff.objects.filter(enrolment__centre=centre)
        .latest()
        .exclude(Exists(_open_referral_of_sign_off()))
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
        "grids": plan_grids(plans),
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
        for g in permissions.current_grants(user)
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
        EnrolmentUnit.objects.filter(enrolment__in=[e.pk for e in enrolments])
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


def access_log_for(grant, *, limit: int = 500):
    """What the grant's moderator opened at the grant's centre during the grant's period."""
    ends = grant.revoked_at or grant.ends_at
    return (
        AccessLogEntry.objects.filter(
            user_id=grant.moderator_id, opened_at__gte=grant.starts_at, opened_at__lt=ends
        )
        .filter(Q(enrolment__centre_id=grant.centre_id) | Q(enrolment__isnull=True))
        .select_related("enrolment__learner")
        .order_by("-opened_at", "-pk")[:limit]
    )


# ---------------------------------------------------------------- notifications and audit


def notifications_for(user, *, limit: int = 100):
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")[:limit]


def unread_count(user) -> int:
    return Notification.objects.unread().filter(recipient=user).count()


def audit_entries_for_enrolment(enrolment):
    return AuditEntry.objects.filter(enrolment=enrolment).select_related("actor").order_by("-seq")


def audit_entries_for_centre(centre, *, limit: int = 200):
    return AuditEntry.objects.filter(centre=centre).order_by("-seq")[:limit]


def decision_evidence_ids(decision_ids) -> dict[int, list[int]]:
    result = defaultdict(list)
    for did, eid in DecisionEvidence.objects.filter(decision_id__in=decision_ids).values_list(
        "decision_id", "evidence_id"
    ):
        result[did].append(eid)
    return result


def centres_where_iqa(user):
    return centres_where(user, Role.INTERNAL_MODERATOR)

"""The assessed record of one enrolment as moderation shows it: criteria with their decisions
and histories, sign-offs, samples and referrals, and the audit trail. Every meaning is read
from `portfolios.state`; every read costs a fixed number of queries whatever the size.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef

from audit.models import AuditEntry
from moderation.enums import ModeratorKind, ReferralState, SampleOutcome
from moderation.models import Sample, SampleDecision
from portfolios import permissions as portfolio_permissions
from portfolios.achievement import GradedCriterion, UnitAchievement, unit_achievements
from portfolios.enums import DecisionOutcome
from portfolios.models import (
    CriterionDecision,
    EnrolmentUnit,
    Evidence,
    EvidenceCriterion,
    SignOffAcknowledgement,
    UnitSignOff,
)
from portfolios.state import current_evidence_q
from portfolios.validators import PREVIEW_KINDS
from qualifications.models import AssessmentCriterion, LearningOutcome, QualificationUnit

# ---------------------------------------------------------------- samples


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
        return DecisionOutcome.NOT_YET_MET.value if self.reopened else self.decision.outcome


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
        return sum(line.status == DecisionOutcome.NOT_YET_MET for line in self.lines)

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

    @property
    def achievement(self) -> UnitAchievement:
        """The unit's grade and what its next grade needs (`portfolios.achievement`), from
        the criteria met as this record reads them."""
        lines = self.lines
        return unit_achievements(
            [GradedCriterion.of(line.criterion) for line in lines],
            {line.criterion.pk for line in lines if line.is_met},
            unit_ids=[self.unit.pk],
        )[self.unit.pk]


def record_for_user(user, enrolment) -> tuple[list[UnitRecord], list["ReferralLine"]]:
    """The record's units and open referrals this person may see: all of them, or only the
    units an external moderator's grants open."""
    unit_ids = portfolio_permissions.granted_unit_ids(user, enrolment)
    return (
        enrolment_record(enrolment, unit_ids=unit_ids),
        open_referrals(enrolment.centre, enrolment=enrolment, unit_ids=unit_ids),
    )


def enrolment_record(enrolment, *, unit_ids=None) -> list[UnitRecord]:
    """The assessment record of the enrolment's units (or of some of them): criteria with
    their decisions and histories, sign-offs with acknowledgements, samples with their
    decisions. Nine queries, whatever the size."""
    links = EnrolmentUnit.objects.current().filter(enrolment=enrolment)
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
        .with_reopened()
        .select_related("decided_by")
        .annotate(
            is_latest=~Exists(CriterionDecision.objects.filter(supersedes=OuterRef("pk"))),
        )
        .order_by("decided_at", "pk")
    )
    evidence_links = list(
        EvidenceCriterion.objects.filter(
            current_evidence_q("evidence__"),
            evidence__enrolment=enrolment,
            criterion__unit_id__in=wanted,
        )
        .select_related("evidence")
        .order_by("evidence__number")
    )
    sign_offs = list(
        UnitSignOff.objects.filter(enrolment=enrolment, unit_id__in=wanted)
        .with_referral()
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
            .prefetch_related("reopening__reopened_criteria__decision__criterion")
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


# ---------------------------------------------------------------- referrals


@dataclass
class ReferralLine:
    decision: SampleDecision
    state: ReferralState


def open_referrals(
    centre, *, tutor=None, enrolment=None, kind=None, unit_ids=None
) -> list[ReferralLine]:
    """Referrals not yet closed by a later decision on their sample, with whether the tutor
    has acted (signed the unit again, or decided every reopened criterion again); only those
    of `unit_ids` when given (an external moderator's unit-only grant). Four queries."""
    referrals = SampleDecision.objects.latest().filter(
        outcome=SampleOutcome.REFERRED, sample__enrolment__centre=centre
    )
    if tutor is not None:
        referrals = referrals.filter(sample__enrolment__tutor=tutor)
    if enrolment is not None:
        referrals = referrals.filter(sample__enrolment=enrolment)
    if kind is not None:
        referrals = referrals.filter(sample__kind=kind)
    if unit_ids is not None:
        referrals = referrals.filter(sample__unit_id__in=unit_ids)
    referrals = list(
        referrals.select_related(
            "sample__enrolment__learner", "sample__enrolment__tutor", "sample__unit", "decided_by"
        )
        .annotate(
            sign_off_replaced=Exists(UnitSignOff.objects.filter(supersedes=OuterRef("sign_off")))
        )
        .prefetch_related("reopening__reopened_criteria__decision")
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


# ---------------------------------------------------------------- audit trail


def audit_entries_for_enrolment(enrolment):
    return AuditEntry.objects.for_enrolment(enrolment.pk).select_related("actor").order_by("-seq")


def audit_entries_for_centre(centre, *, limit: int = 200):
    return AuditEntry.objects.filter(centre=centre).order_by("-seq")[:limit]


@dataclass
class SampledEvidence:
    """An item of current evidence behind the sampled unit, as the moderator reads it."""

    evidence: Evidence
    files: list  # each with `preview_kind` (image, pdf, audio, video or None)
    criteria: list  # the unit's criteria it is mapped to


@dataclass
class SamplePage:
    record: UnitRecord
    latest: SampleDecision | None
    decided: object  # the unit's decided criteria, a queryset for the form's choices
    evidence: list[SampledEvidence]

    def context(self) -> dict:
        return {"record": self.record, "latest": self.latest, "evidence": self.evidence}


def sampled_evidence(record: UnitRecord) -> list[SampledEvidence]:
    """The current evidence mapped to the unit's criteria, in reference order, with its files
    (two queries whatever the number of items)."""
    covers = defaultdict(list)
    for line in record.lines:
        for item in line.evidence:
            covers[item.pk].append(line.criterion)
    items = (
        Evidence.objects.filter(pk__in=list(covers))
        .select_related("method")
        .prefetch_related("files")
        .order_by("number", "pk")
    )
    result = []
    for item in items:
        files = list(item.files.all())
        for f in files:
            f.preview_kind = PREVIEW_KINDS.get(f.content_type)
        result.append(SampledEvidence(item, files, covers[item.pk]))
    return result


def sample_page(enrolment, unit, kind) -> SamplePage:
    record = enrolment_record(enrolment, unit_ids=[unit.pk])[0]
    line = record.samples.get(kind)
    decided = [line.criterion.pk for line in record.lines if line.decision]
    return SamplePage(
        record=record,
        latest=line.latest if line else None,
        decided=AssessmentCriterion.objects.filter(pk__in=decided).order_by("sort_key"),
        evidence=sampled_evidence(record),
    )

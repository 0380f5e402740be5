"""What a checklist prints, as plain data, and how it is read from the database.

A layout renders from a `ChecklistDocument` alone: units → outcomes → one row per criterion, plus
the signature blocks of each unit. A blank form is the same tree with empty rows and unsigned
blocks, so the three layouts have one template each for paper and for a filled-in portfolio.

Every builder here reads with a fixed number of queries, whatever the number of units, criteria
or evidence items: a 39-unit diploma costs what a single unit costs.
"""

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from django.db.models import Exists, OuterRef, Prefetch
from django.utils.timezone import localdate

from checklists.enums import Layout
from moderation.enums import ModeratorKind
from moderation.record import latest_sample_decisions
from portfolios.models import EnrolmentUnit, EvidenceCriterion
from portfolios.record import latest_decision_details, unit_sign_offs
from portfolios.state import current_evidence_q
from qualifications.models import (
    AssessmentCriterion,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
)

# Bump when a template or the stylesheet changes what a PDF looks like: cached PDFs built by an
# older version are then built again.
TEMPLATE_VERSION = "1"


@dataclass(frozen=True)
class EvidenceItem:
    reference: str
    title: str
    method: str
    date: date
    submitted_on: date | None = None


@dataclass
class CriterionRow:
    number: str
    text: str
    evidence: list[EvidenceItem] = field(default_factory=list)
    # The tutor's latest decision: "" (none yet), "met" or "not_yet_met", with its date.
    decision: str = ""
    decided_on: date | None = None
    feedback: str = ""

    @property
    def references(self) -> str:
        return ", ".join(item.reference for item in self.evidence)

    @property
    def methods(self) -> str:
        return ", ".join(dict.fromkeys(item.method for item in self.evidence))

    @property
    def date_completed(self) -> date | None:
        """When the latest evidence for the criterion was done."""
        return max((item.date for item in self.evidence), default=None)

    @property
    def date_submitted(self) -> date | None:
        return max((item.submitted_on for item in self.evidence if item.submitted_on), default=None)

    @property
    def is_met(self) -> bool:
        return self.decision == "met"


@dataclass
class OutcomeBlock:
    number: str
    title: str
    rows: list[CriterionRow] = field(default_factory=list)


@dataclass
class Signature:
    """A person's comment and e-signature on a unit; empty on a blank form."""

    name: str = ""
    signed_at: datetime | None = None
    comment: str = ""
    # A moderator's decision on the sample, e.g. "Agreed" or "Referred back to the tutor".
    outcome: str = ""

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


@dataclass
class UnitBlock:
    code: str
    title: str
    is_mandatory: bool = False
    level: int | None = None
    credit_value: int | None = None
    glh: int | None = None
    outcomes: list[OutcomeBlock] = field(default_factory=list)
    tutor: Signature = field(default_factory=Signature)
    learner: Signature = field(default_factory=Signature)
    internal_moderator: Signature = field(default_factory=Signature)
    external_moderator: Signature = field(default_factory=Signature)

    @property
    def criteria_count(self) -> int:
        return sum(len(outcome.rows) for outcome in self.outcomes)


@dataclass
class ChecklistDocument:
    layout: Layout
    units: list[UnitBlock]
    qualification_number: str = ""
    qualification_title: str = ""
    centre_name: str = ""
    learner_name: str = ""
    registration_number: str = ""
    is_blank: bool = True

    @property
    def title(self) -> str:
        """The PDF's document title, as a file list or a reader's tab shows it."""
        subject = self.qualification_title
        if len(self.units) == 1:
            unit = self.units[0]
            subject = f"{unit.code} {unit.title}".strip()
        who = "blank form" if self.is_blank else self.learner_name
        return f"{self.layout.label}: {subject} ({who})"

    @property
    def criteria_count(self) -> int:
        return sum(unit.criteria_count for unit in self.units)

    def fingerprint(self) -> str:
        """A digest of everything the PDF would print, with the template version.

        Two documents with the same fingerprint print the same PDF, so a cached one can be
        served again. Hashing the content (rather than trusting "last changed" timestamps) also
        notices deleted links, renamed people and catalogue corrections.
        """
        payload = repr((TEMPLATE_VERSION, asdict(self)))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# Reading the catalogue ------------------------------------------------------------------------


def _outcomes_by_unit(
    unit_ids: list[int],
) -> tuple[dict[int, list[OutcomeBlock]], dict[int, CriterionRow]]:
    """The units' outcomes with one empty row per criterion, and the rows by criterion id.

    Two queries, whatever the number of units.
    """
    criteria = AssessmentCriterion.objects.only("outcome_id", "number", "text").order_by("sort_key")
    outcomes = (
        LearningOutcome.objects.filter(unit_id__in=unit_ids)
        .only("unit_id", "number", "title")
        .order_by("unit_id", "sort_key")
        .prefetch_related(Prefetch("criteria", queryset=criteria))
    )
    by_unit: dict[int, list[OutcomeBlock]] = {}
    rows: dict[int, CriterionRow] = {}
    for outcome in outcomes:
        block = OutcomeBlock(number=outcome.number, title=outcome.title)
        for criterion in outcome.criteria.all():
            row = CriterionRow(number=criterion.number, text=criterion.text)
            block.rows.append(row)
            rows[criterion.pk] = row
        by_unit.setdefault(outcome.unit_id, []).append(block)
    return by_unit, rows


def _unit_block(unit: Unit, outcomes: list[OutcomeBlock], *, is_mandatory: bool) -> UnitBlock:
    return UnitBlock(
        code=unit.code,
        title=unit.title,
        is_mandatory=is_mandatory,
        level=unit.level,
        credit_value=unit.credit_value,
        glh=unit.glh,
        outcomes=outcomes,
    )


def blank_for_qualification(qualification: Qualification, layout: Layout) -> ChecklistDocument:
    """Every unit of the qualification in its order, mandatory ones marked (three queries)."""
    links = list(
        QualificationUnit.objects.filter(qualification=qualification)
        .select_related("unit", "group")
        .order_by("position")
    )
    outcomes, _ = _outcomes_by_unit([link.unit_id for link in links])
    return ChecklistDocument(
        layout=layout,
        qualification_number=qualification.number,
        qualification_title=qualification.title,
        units=[
            _unit_block(link.unit, outcomes.get(link.unit_id, []), is_mandatory=link.is_mandatory)
            for link in links
        ],
    )


def blank_for_unit(unit: Unit, layout: Layout) -> ChecklistDocument:
    """One unit; its qualification is named when the unit belongs to exactly one (three queries)."""
    links = list(
        QualificationUnit.objects.filter(unit=unit).select_related("qualification", "group")[:2]
    )
    only = links[0] if len(links) == 1 else None
    outcomes, _ = _outcomes_by_unit([unit.pk])
    return ChecklistDocument(
        layout=layout,
        qualification_number=only.qualification.number if only else "",
        qualification_title=only.qualification.title if only else "",
        units=[
            _unit_block(
                unit, outcomes.get(unit.pk, []), is_mandatory=bool(only and only.is_mandatory)
            )
        ],
    )


# Reading a learner's portfolio ------------------------------------------------------------------


def _printed_links(enrolment, unit_ids: list[int]):
    """The links of the enrolment's evidence to the units' criteria that a checklist prints.

    Only current evidence counts (`portfolios.state`): a draft is not yet part of the
    portfolio a tutor or a moderator judges, and an item gives way to its correction once the
    correction is submitted.
    """
    return (
        EvidenceCriterion.objects.filter(
            current_evidence_q("evidence__"),
            evidence__enrolment=enrolment,
            criterion__unit_id__in=unit_ids,
        )
        .select_related("evidence__method")
        .only(
            "criterion_id",
            "evidence__reference",
            "evidence__title",
            "evidence__date",
            "evidence__submitted_at",
            "evidence__method__name",
        )
        .order_by("evidence__number")
    )


def filled_for_enrolment(
    enrolment, layout: Layout, *, unit: Unit | None = None
) -> ChecklistDocument:
    """A learner's checklist: every unit they take, or only `unit`, filled in from their portfolio.

    `enrolment` comes from `portfolios.selectors.get_enrolment_for_user` (learner, centre and
    qualification already joined). Seven queries, whatever the number of units, evidence,
    decisions and samples.
    """
    unit_rows = EnrolmentUnit.objects.current().filter(enrolment=enrolment).select_related("unit")
    if unit is not None:
        unit_rows = unit_rows.filter(unit=unit)
    mandatory = QualificationUnit.objects.filter(
        qualification_id=enrolment.qualification_id,
        unit_id=OuterRef("unit_id"),
        group__is_mandatory=True,
    )
    unit_rows = list(unit_rows.annotate(is_mandatory=Exists(mandatory)).order_by("position", "pk"))
    unit_ids = [row.unit_id for row in unit_rows]
    outcomes, rows = _outcomes_by_unit(unit_ids)

    for link in _printed_links(enrolment, unit_ids):
        item = link.evidence
        rows[link.criterion_id].evidence.append(
            EvidenceItem(
                reference=item.reference,
                title=item.title,
                method=item.method.name,
                date=item.date,
                submitted_on=localdate(item.submitted_at),
            )
        )

    units = {
        row.unit_id: _unit_block(
            row.unit, outcomes.get(row.unit_id, []), is_mandatory=row.is_mandatory
        )
        for row in unit_rows
    }
    _fill_assessment(enrolment, units, rows)

    qualification = enrolment.qualification
    return ChecklistDocument(
        layout=layout,
        qualification_number=qualification.number if qualification else "",
        qualification_title=qualification.title if qualification else "Short course",
        centre_name=enrolment.centre.name,
        learner_name=str(enrolment.learner),
        registration_number=enrolment.registration_number,
        is_blank=False,
        units=list(units.values()),
    )


def _fill_assessment(enrolment, units: dict[int, UnitBlock], rows: dict[int, CriterionRow]):
    """The tutor's decisions and sign-offs, the learner's acknowledgements and the moderators'
    sampling decisions, as the moderation app records them (three queries)."""
    for criterion_id, decision in latest_decision_details(enrolment).items():
        row = rows.get(criterion_id)
        if row is None:
            continue
        row.decided_on = decision.decided_on
        row.feedback = decision.feedback
        row.decision = decision.effective_outcome
        if decision.reopened:
            row.feedback = " ".join(
                filter(None, [decision.feedback, "Reopened by a moderator's referral."])
            )

    for unit_id, sign_off in unit_sign_offs(enrolment).items():
        block = units.get(unit_id)
        if block is None:
            continue
        block.tutor = Signature(
            name=sign_off.tutor_name,
            signed_at=sign_off.signed_at,
            comment=sign_off.comments,
            outcome="Referred back by a moderator: to be signed again."
            if sign_off.is_referred
            else "",
        )
        if sign_off.acknowledged_at is not None:
            block.learner = Signature(
                name=sign_off.learner_name,
                signed_at=sign_off.acknowledged_at,
                comment=sign_off.learner_comment,
            )

    for unit_id, kinds in latest_sample_decisions(enrolment).items():
        block = units.get(unit_id)
        if block is None:
            continue
        for kind, sample in kinds.items():
            signature = Signature(
                name=sample.name,
                signed_at=sample.signed_at,
                comment="\n".join(
                    filter(
                        None,
                        [
                            sample.comments,
                            f"Required actions: {sample.required_actions}"
                            if sample.required_actions
                            else "",
                        ],
                    )
                ),
                outcome=f"{sample.outcome_label} ({sample.stage} sample)",
            )
            if kind == ModeratorKind.INTERNAL:
                block.internal_moderator = signature
            else:
                block.external_moderator = signature

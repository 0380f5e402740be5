"""What a checklist prints, as plain data, and how it is read from the database.

A layout renders from a `ChecklistDocument` alone: units → outcomes → one row per criterion, plus
the signature blocks of each unit. A blank form is the same tree with empty rows and unsigned
blocks, so the three layouts have one template each for paper and for a filled-in portfolio.

Every builder here reads with a fixed number of queries, whatever the number of units, criteria
or evidence items: a 39-unit diploma costs what a single unit costs.
"""

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.db.models import Exists, OuterRef
from django.utils.timezone import get_current_timezone

from checklists.enums import Layout
from moderation.enums import ModeratorKind
from moderation.record import latest_sample_decisions
from portfolios.achievement import GradedCriterion, spec_label, unit_achievements
from portfolios.models import EnrolmentUnit, Evidence, EvidenceCriterion
from portfolios.record import latest_decision_rows, unit_sign_offs
from portfolios.state import current_evidence_q, effective_outcome, met_criterion_ids
from qualifications.grading import band_label
from qualifications.models import (
    AssessmentCriterion,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
)

# Bump when a template or the stylesheet changes what a PDF looks like: cached PDFs built by an
# older version are then built again.
TEMPLATE_VERSION = "3"

_DOUBLE_QUOTES = re.compile(r'"([^"]*)"')
_SINGLE_QUOTES = re.compile(r"(?<![\w'])'([^']*?)'(?!\w)")


def curly_quotes(text: str) -> str:
    """Typographic quotes, as the awarding bodies print them: ‘equality’, “needs”, learner’s.

    The catalogue keeps what its importer read, often straight quotes from a text export.
    """
    if "'" not in text and '"' not in text:
        return text
    text = _DOUBLE_QUOTES.sub("\u201c\\1\u201d", text)
    text = _SINGLE_QUOTES.sub("\u2018\\1\u2019", text)
    return text.replace("'", "\u2019")


# The titles the awarding bodies' forms print (seeds 000, 003 and 004).
FORM_TITLES = {
    Layout.UNIT_ASSESSMENT: "Unit Assessment Checklist",
    Layout.ACHIEVEMENT: "Learner Unit Achievement Checklist",
    Layout.OUTCOME_RECORD: "Learning outcomes and assessment criteria",
}


@dataclass(frozen=True)
class EvidenceItem:
    reference: str
    title: str
    method: str
    date: date
    submitted_on: date | None = None


@dataclass
class CriterionRow:
    number: str  # as the awarding body prints it: 1.1, or P1 in a graded unit
    text: str
    band: str = ""  # a graded unit's band: "Pass", "Merit", "Distinction"
    evidence: list[EvidenceItem] = field(default_factory=list)
    # The tutor's latest decision: "" (none yet), "met" or "not_yet_met", with its date.
    decision: str = ""
    decided_on: date | None = None
    feedback: str = ""

    @property
    def references(self) -> str:
        return ", ".join(item.reference for item in self.evidence)

    @property
    def titles(self) -> str:
        """The evidence titles, one a line (the references have a column of their own)."""
        return "\n".join(item.title for item in self.evidence)

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

    @property
    def ac_label(self) -> str:
        """The unit assessment checklist's row heading: "AC 1.1", or a grade label as is."""
        return f"AC {self.number}" if self.number[:1].isdigit() else self.number


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
    unit_id: int | None = None
    is_mandatory: bool = False
    level: int | None = None
    credit_value: int | None = None
    glh: int | None = None
    version: int | None = None  # the unit's specification version
    outcomes: list[OutcomeBlock] = field(default_factory=list)
    # A graded unit: its grade on a filled checklist ("Merit", or "" not yet) and what its
    # next grade needs (`portfolios.achievement`).
    is_graded: bool = False
    grade: str = ""
    grade_needs: str = ""
    tutor: Signature = field(default_factory=Signature)
    learner: Signature = field(default_factory=Signature)
    internal_moderator: Signature = field(default_factory=Signature)
    external_moderator: Signature = field(default_factory=Signature)
    # The first unit of a print carries the form's title block (seed 003 prints it once).
    opens_document: bool = False

    @property
    def criteria_count(self) -> int:
        return sum(len(outcome.rows) for outcome in self.outcomes)

    @property
    def reference(self) -> str:
        """The unit's code and version as printed: "J/507/1557 version 2"."""
        return spec_label(self.code, self.version)


@dataclass
class ChecklistDocument:
    layout: Layout
    units: list[UnitBlock]
    qualification_number: str = ""
    qualification_title: str = ""
    qualification_version: int | None = None
    centre_name: str = ""
    learner_name: str = ""
    is_blank: bool = True
    # The unit assessment checklist's portfolio reference column and learner signature line,
    # which the awarding body's form (seed 000) lacks: printed only when asked for.
    with_extras: bool = False

    @property
    def form_title(self) -> str:
        return FORM_TITLES[self.layout]

    @property
    def title(self) -> str:
        """The PDF's document title, as a file list or a reader's tab shows it."""
        subject = self.qualification_title
        if len(self.units) == 1:
            unit = self.units[0]
            subject = f"{unit.code} {unit.title}".strip()
        who = "blank form" if self.is_blank else self.learner_name
        return f"{self.form_title}: {subject} ({who})"

    @property
    def criteria_count(self) -> int:
        return sum(unit.criteria_count for unit in self.units)

    @property
    def qualification_reference(self) -> str:
        """The qualification's number and version as printed: "601/3734/4 version 1"."""
        return spec_label(self.qualification_number, self.qualification_version)

    def _head(self) -> tuple:
        """What every unit's pages print besides the unit itself."""
        return (
            TEMPLATE_VERSION,
            self.layout.value,
            self.qualification_number,
            self.qualification_title,
            self.qualification_version,
            self.centre_name,
            self.learner_name,
            self.is_blank,
            self.with_extras,
        )

    def unit_fingerprint(self, index: int) -> str:
        """A digest of everything unit `index`'s pages print, with the template version.

        Learner, centre, layout, the unit's catalogue text, its evidence, decisions, sign-off
        and moderation: a change to any of them gives another digest, so the unit is printed
        again while the other units' PDFs are served from the cache. Hashing the content
        (rather than "last changed" timestamps) also notices deleted links, renamed people and
        catalogue corrections. Dataclass reprs are used because they are several times faster
        than `asdict` and print every field.
        """
        payload = repr((self._head(), self.units[index]))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def fingerprint(self) -> str:
        """A digest of the whole document: two documents with the same one print the same PDF."""
        units = "".join(self.unit_fingerprint(i) for i in range(len(self.units)))
        return hashlib.sha256(f"{len(self.units)}:{units}".encode()).hexdigest()

    def single(self, index: int) -> "ChecklistDocument":
        """The document of unit `index` alone, as its own PDF prints it."""
        return replace(self, units=[self.units[index]])


# Reading the catalogue ------------------------------------------------------------------------


def _outcomes_by_unit(
    unit_ids: list[int],
) -> tuple[dict[int, list[OutcomeBlock]], dict[int, CriterionRow], list[GradedCriterion]]:
    """The units' outcomes with one empty row per criterion, the rows by criterion id, and
    the criteria as grading reads them.

    Two queries, whatever the number of units. Plain value tuples rather than model instances:
    the cached print of a diploma reads 535 criteria just to fingerprint them.
    """
    outcomes = (
        LearningOutcome.objects.filter(unit_id__in=unit_ids)
        .order_by("unit_id", "sort_key")
        .values_list("pk", "unit_id", "number", "title")
    )
    by_unit: dict[int, list[OutcomeBlock]] = {}
    blocks: dict[int, OutcomeBlock] = {}
    for pk, unit_id, number, title in outcomes:
        block = blocks[pk] = OutcomeBlock(number=number, title=curly_quotes(title))
        by_unit.setdefault(unit_id, []).append(block)
    criteria = (
        AssessmentCriterion.objects.filter(outcome_id__in=list(blocks))
        .order_by("sort_key")
        .values_list("pk", "outcome_id", "unit_id", "number", "label", "grade", "text")
    )
    rows: dict[int, CriterionRow] = {}
    graded: list[GradedCriterion] = []
    for pk, outcome_id, unit_id, number, label, grade, text in criteria:
        shown = label or number
        row = rows[pk] = CriterionRow(number=shown, text=curly_quotes(text), band=band_label(grade))
        blocks[outcome_id].rows.append(row)
        graded.append(GradedCriterion(pk, unit_id, grade, shown))
    return by_unit, rows, graded


def _unit_block(unit: Unit, outcomes: list[OutcomeBlock], *, is_mandatory: bool) -> UnitBlock:
    return UnitBlock(
        unit_id=unit.pk,
        code=unit.code,
        title=curly_quotes(unit.title),
        is_mandatory=is_mandatory,
        level=unit.level,
        credit_value=unit.credit_value,
        glh=unit.glh,
        version=unit.version,
        outcomes=outcomes,
        is_graded=any(row.band for outcome in outcomes for row in outcome.rows),
    )


def _opening(units: list[UnitBlock]) -> list[UnitBlock]:
    if units:
        units[0].opens_document = True
    return units


def blank_for_qualification(
    qualification: Qualification, layout: Layout, *, with_extras: bool = False
) -> ChecklistDocument:
    """Every unit of the qualification, the mandatory ones first, each group in its order
    (three queries)."""
    links = sorted(
        QualificationUnit.objects.filter(qualification=qualification)
        .select_related("unit", "group")
        .order_by("position"),
        key=lambda link: not link.is_mandatory,
    )
    outcomes, _, _ = _outcomes_by_unit([link.unit_id for link in links])
    return ChecklistDocument(
        layout=layout,
        qualification_number=qualification.number,
        qualification_title=qualification.title,
        qualification_version=qualification.version,
        with_extras=with_extras,
        units=_opening(
            [
                _unit_block(
                    link.unit, outcomes.get(link.unit_id, []), is_mandatory=link.is_mandatory
                )
                for link in links
            ]
        ),
    )


def blank_for_unit(unit: Unit, layout: Layout, *, with_extras: bool = False) -> ChecklistDocument:
    """One unit; its qualification is named when the unit belongs to exactly one (three queries)."""
    links = list(
        QualificationUnit.objects.filter(unit=unit).select_related("qualification", "group")[:2]
    )
    only = links[0] if len(links) == 1 else None
    outcomes, _, _ = _outcomes_by_unit([unit.pk])
    return ChecklistDocument(
        layout=layout,
        qualification_number=only.qualification.number if only else "",
        qualification_title=only.qualification.title if only else "",
        qualification_version=only.qualification.version if only else None,
        with_extras=with_extras,
        units=_opening(
            [
                _unit_block(
                    unit, outcomes.get(unit.pk, []), is_mandatory=bool(only and only.is_mandatory)
                )
            ]
        ),
    )


# Reading a learner's portfolio ------------------------------------------------------------------


def _printed_links(enrolment, unit_ids: list[int]) -> list[tuple[int, "EvidenceItem"]]:
    """The links of the enrolment's evidence to the units' criteria that a checklist prints,
    as (criterion id, item), in the order of the evidence numbers. Two queries: the links as
    pairs of ids, then each linked item once. A diploma has hundreds of links to a few hundred
    items, and the cached print reads them all to fingerprint them, so an item's columns (and
    its dates, which SQLite hands over as text) are read and converted once, not once a link.

    Only current evidence counts (`portfolios.state`): a draft is not yet part of the
    portfolio a tutor or a moderator judges, and an item gives way to its correction once the
    correction is submitted.
    """
    links = list(
        EvidenceCriterion.objects.filter(
            current_evidence_q("evidence__"),
            evidence__enrolment=enrolment,
            criterion__unit_id__in=unit_ids,
        )
        .order_by("evidence__number", "pk")
        .values_list("criterion_id", "evidence_id")
    )
    if not links:
        return []
    zone = get_current_timezone()
    items = {
        pk: EvidenceItem(
            reference=reference,
            title=title,
            method=method,
            date=day,
            submitted_on=submitted_at.astimezone(zone).date() if submitted_at else None,
        )
        for pk, reference, title, method, day, submitted_at in Evidence.objects.filter(
            pk__in={evidence_id for _, evidence_id in links}
        ).values_list("pk", "reference", "title", "method__name", "date", "submitted_at")
    }
    return [(criterion_id, items[evidence_id]) for criterion_id, evidence_id in links]


def filled_for_enrolment(
    enrolment, layout: Layout, *, unit: Unit | None = None, with_extras: bool = False
) -> ChecklistDocument:
    """A learner's checklist: every unit they take, or only `unit`, filled in from their portfolio.

    `enrolment` comes from `portfolios.selectors.get_enrolment_for_user` (learner, centre and
    qualification already joined). Eight queries, whatever the number of units, evidence,
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
    outcomes, rows, graded = _outcomes_by_unit(unit_ids)

    for criterion_id, item in _printed_links(enrolment, unit_ids):
        rows[criterion_id].evidence.append(item)

    units = {
        row.unit_id: _unit_block(
            row.unit, outcomes.get(row.unit_id, []), is_mandatory=row.is_mandatory
        )
        for row in unit_rows
    }
    _fill_assessment(enrolment, units, rows, graded)

    qualification = enrolment.qualification
    return ChecklistDocument(
        layout=layout,
        qualification_number=qualification.number if qualification else "",
        qualification_title=qualification.title if qualification else "Short course",
        qualification_version=qualification.version if qualification else None,
        centre_name=enrolment.centre.name,
        learner_name=str(enrolment.learner),
        is_blank=False,
        with_extras=with_extras,
        units=_opening(list(units.values())),
    )


def _fill_assessment(enrolment, units: dict[int, UnitBlock], rows: dict[int, CriterionRow], graded):
    """The tutor's decisions and sign-offs, the learner's acknowledgements and the moderators'
    sampling decisions, as the moderation app records them, and the graded units' grades
    (three queries)."""
    decisions = latest_decision_rows(enrolment)
    achievements = unit_achievements(
        graded,
        met_criterion_ids(
            {
                pk: effective_outcome(outcome, reopened=reopened)
                for pk, (outcome, reopened, _, _) in decisions.items()
            }
        ),
        unit_ids=list(units),
    )
    for unit_id, block in units.items():
        if block.is_graded:
            block.grade = achievements[unit_id].grade_label
            block.grade_needs = achievements[unit_id].needs
    for criterion_id, (outcome, reopened, decided_on, feedback) in decisions.items():
        row = rows.get(criterion_id)
        if row is None:
            continue
        row.decided_on = decided_on
        row.feedback = feedback
        row.decision = effective_outcome(outcome, reopened=reopened)
        if reopened:
            row.feedback = " ".join(filter(None, [feedback, "Reopened by a moderator's referral."]))

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

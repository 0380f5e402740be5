"""Versions of units and qualifications: when one is in use, how to make the next, and what
changed between two.

A version that any enrolment (or anything else outside the catalogue) uses is immutable. A
change to it is made on a copy, the next version, and learners stay on theirs until a centre
admin moves them (`portfolios.moves`). What "in use", "latest" and "changed" mean is defined
here and read from here.
"""

import re
from dataclasses import dataclass, field, replace

from django.db.models import Max

from qualifications.models import (
    AssessmentCriterion,
    BarredCombination,
    Qualification,
    QualificationUnit,
    Unit,
    UnitCode,
)

# Metadata a unit version carries besides its outcomes and criteria, in the order a diff
# lists them.
UNIT_FIELDS = (
    "code",
    "title",
    "level",
    "credit_value",
    "glh",
    "tqt",
    "assessment_guidance",
    "additional_information",
    "notes",
)
OUTCOME_FIELDS = ("title", "kind", "guidance", "content", "evidence_guidance")
CRITERION_FIELDS = ("label", "grade", "text", "guidance")


# --- in use -------------------------------------------------------------------------------


def in_use(obj) -> bool:
    """Whether anything outside the catalogue (an enrolment, a decision, a grant…) refers to
    this unit or qualification version: then it never changes again."""
    for relation in obj._meta.related_objects:
        if relation.related_model._meta.app_label == "qualifications":
            continue
        if relation.related_model._default_manager.filter(**{relation.field.name: obj}).exists():
            return True
    return False


def criteria_in_use(criteria) -> set[str]:
    """Numbers of these criteria that anything outside the catalogue refers to."""
    criteria = list(criteria)
    if not criteria:
        return set()
    used = set()
    for relation in AssessmentCriterion._meta.related_objects:
        if relation.related_model._meta.app_label == "qualifications":
            continue
        lookup = f"{relation.field.name}__in"
        rows = relation.related_model._default_manager.filter(**{lookup: criteria})
        used.update(rows.values_list(f"{relation.field.name}__number", flat=True))
    return used


# --- latest ---------------------------------------------------------------------------------


def latest_unit(lineage: str) -> Unit | None:
    return Unit.objects.filter(lineage=lineage).order_by("-version").first()


def latest_qualification(number: str, *, centre=None) -> Qualification | None:
    return Qualification.objects.filter(number=number, centre=centre).order_by("-version").first()


def unit_versions(unit: Unit):
    return Unit.objects.filter(lineage=unit.lineage).order_by("version")


def qualification_versions(qualification: Qualification):
    return Qualification.objects.filter(
        number=qualification.number, centre=qualification.centre_id
    ).order_by("version")


def is_latest(obj) -> bool:
    if isinstance(obj, Unit):
        return not Unit.objects.filter(lineage=obj.lineage, version__gt=obj.version).exists()
    return not qualification_versions(obj).filter(version__gt=obj.version).exists()


# --- the next version ---------------------------------------------------------------------------


def _next_unit_version(lineage: str) -> int:
    return (Unit.objects.filter(lineage=lineage).aggregate(v=Max("version"))["v"] or 0) + 1


def copy_unit(unit: Unit) -> Unit:
    """A new version of `unit` with the same content: the caller changes the copy and writes
    the audit entry. The copy is shared or owned exactly as the original."""
    version = _next_unit_version(unit.lineage)
    methods = list(unit.evidence_methods.all())
    outcomes = list(unit.outcomes.prefetch_related("criteria").order_by("sort_key"))
    codes = list(unit.other_codes.all())
    new = Unit.objects.get(pk=unit.pk)
    new.pk = None
    new.version = version
    new.slug = f"{unit.lineage}-v{version}"[:120]
    new.save()
    new.evidence_methods.set(methods)
    for code in codes:
        UnitCode.objects.create(unit=new, scheme=code.scheme, code=code.code)
    for outcome in outcomes:
        criteria = list(outcome.criteria.all())
        outcome.pk = None
        outcome.unit = new
        outcome.save()
        for criterion in criteria:
            criterion.pk = None
            criterion.outcome = outcome
            criterion.save()
    return new


def copy_qualification(qualification: Qualification, *, swap: dict | None = None):
    """A new version of `qualification` with the same structure (groups, units, barred
    combinations, grading), with units replaced as `swap` ({old unit pk: new Unit}) says."""
    swap = swap or {}
    groups = list(qualification.unit_groups.order_by("position"))
    links = list(qualification.qualification_units.order_by("position"))
    barred = list(qualification.barred_combinations.all())
    version = (qualification_versions(qualification).aggregate(v=Max("version"))["v"] or 0) + 1
    new = Qualification.objects.get(pk=qualification.pk)
    new.pk = None
    new.version = version
    new.save()
    group_map = {}
    for group in groups:
        old_pk = group.pk
        group.pk = None
        group.qualification = new
        group.save()
        group_map[old_pk] = group
    for link in links:
        QualificationUnit.objects.create(
            qualification=new,
            unit=swap.get(link.unit_id, link.unit),
            group=group_map[link.group_id],
            position=link.position,
        )
    for bar in barred:
        BarredCombination.objects.create(
            qualification=new,
            unit=swap.get(bar.unit_id, bar.unit),
            barred=swap.get(bar.barred_id, bar.barred),
        )
    return new


def draft_unit(unit: Unit) -> tuple[Unit, bool]:
    """The version of `unit` that may be changed: itself when nothing uses it, else the
    latest version when nothing uses that, else a new copy. Returns (unit, made_new)."""
    if not in_use(unit):
        return unit, False
    latest = latest_unit(unit.lineage)
    if latest.pk != unit.pk and not in_use(latest):
        return latest, False
    return copy_unit(latest), True


def draft_qualification(qualification: Qualification) -> tuple[Qualification, bool]:
    """As `draft_unit`, for a qualification."""
    if not in_use(qualification):
        return qualification, False
    latest = qualification_versions(qualification).last()
    if latest.pk != qualification.pk and not in_use(latest):
        return latest, False
    return copy_qualification(latest), True


# --- what changed -----------------------------------------------------------------------------


def _same_text(a: str, b: str) -> bool:
    return re.sub(r"\s+", " ", a or "").strip() == re.sub(r"\s+", " ", b or "").strip()


@dataclass(frozen=True)
class CriterionOutline:
    number: str
    text: str
    outcome: str = ""
    label: str = ""
    grade: str = ""
    guidance: str = ""


@dataclass
class UnitOutline:
    """What a unit version says, whether it is saved (`outline_of`) or only read from a
    document (the importer's preview builds one from its reading)."""

    fields: dict = field(default_factory=dict)
    outcomes: dict = field(default_factory=dict)  # number -> {field: value}
    criteria: list[CriterionOutline] = field(default_factory=list)


def outline_of(unit: Unit) -> UnitOutline:
    outcomes = list(unit.outcomes.prefetch_related("criteria").order_by("sort_key"))
    return UnitOutline(
        fields={name: getattr(unit, name) for name in UNIT_FIELDS},
        outcomes={o.number: {name: getattr(o, name) for name in OUTCOME_FIELDS} for o in outcomes},
        criteria=[
            CriterionOutline(
                number=c.number,
                text=c.text,
                outcome=o.number,
                label=c.label,
                grade=c.grade,
                guidance=c.guidance,
            )
            for o in outcomes
            for c in sorted(o.criteria.all(), key=lambda c: c.sort_key)
        ],
    )


@dataclass(frozen=True)
class CriterionChange:
    """One criterion's fate between two versions.

    kind: "unchanged" (same number, same text), "renumbered" (same text, new number),
    "reworded" (same number, new text), "removed" (old only), "added" (new only).
    Evidence and decisions carry over where the text is unchanged (unchanged, renumbered).
    """

    kind: str
    old: str = ""  # old number
    new: str = ""  # new number
    old_text: str = ""
    new_text: str = ""

    @property
    def carries(self) -> bool:
        return self.kind in ("unchanged", "renumbered")


@dataclass
class UnitDiff:
    changes: list[CriterionChange] = field(default_factory=list)
    fields: dict = field(default_factory=dict)  # name -> (old, new)
    outcomes: dict = field(default_factory=dict)  # number -> {field: (old, new)}
    # Band and guidance changes of criteria whose text stayed (they still carry over).
    details: dict = field(default_factory=dict)  # new number -> {field: (old, new)}

    def of(self, kind: str) -> list[CriterionChange]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def is_empty(self) -> bool:
        return (
            all(c.kind == "unchanged" for c in self.changes)
            and not self.fields
            and not self.outcomes
            and not self.details
        )

    def counts(self) -> dict[str, int]:
        kinds = ("added", "removed", "renumbered", "reworded", "unchanged")
        return {kind: len(self.of(kind)) for kind in kinds}


def pair_criteria(old: list[CriterionOutline], new: list[CriterionOutline]):
    """Map each old criterion to a new one: [CriterionChange], old order then new ones.

    Text decides first (a criterion whose words are unchanged is the same criterion, whatever
    its number), then the number (same number, new words: reworded)."""
    new_by_text = {}
    for c in new:
        new_by_text.setdefault(re.sub(r"\s+", " ", c.text).strip().lower(), []).append(c)
    new_by_number = {c.number: c for c in new}
    taken: set[str] = set()
    pairs: dict[str, CriterionOutline | None] = {}
    # Pass 1: identical number and text.
    for c in old:
        match = new_by_number.get(c.number)
        if match and _same_text(match.text, c.text):
            pairs[c.number] = match
            taken.add(match.number)
    # Pass 2: same text under another number.
    for c in old:
        if c.number in pairs:
            continue
        key = re.sub(r"\s+", " ", c.text).strip().lower()
        match = next((m for m in new_by_text.get(key, []) if m.number not in taken), None)
        if match:
            pairs[c.number] = match
            taken.add(match.number)
    # Pass 3: same number, new words.
    for c in old:
        if c.number in pairs:
            continue
        match = new_by_number.get(c.number)
        if match and match.number not in taken:
            pairs[c.number] = match
            taken.add(match.number)
    changes = []
    for c in old:
        match = pairs.get(c.number)
        if match is None:
            changes.append(CriterionChange("removed", old=c.number, old_text=c.text))
        elif _same_text(match.text, c.text):
            kind = "unchanged" if match.number == c.number else "renumbered"
            changes.append(CriterionChange(kind, c.number, match.number, c.text, match.text))
        else:
            changes.append(CriterionChange("reworded", c.number, match.number, c.text, match.text))
    for c in new:
        if c.number not in taken:
            changes.append(CriterionChange("added", new=c.number, new_text=c.text))
    return changes


def diff_outlines(old: UnitOutline, new: UnitOutline) -> UnitDiff:
    diff = UnitDiff(changes=pair_criteria(old.criteria, new.criteria))
    for name in UNIT_FIELDS:
        before, after = old.fields.get(name), new.fields.get(name)
        if name in new.fields and (before or None) != (after or None):
            diff.fields[name] = (before, after)
    for number, values in new.outcomes.items():
        before = old.outcomes.get(number, {})
        changed = {
            name: (before.get(name), value)
            for name, value in values.items()
            if (before.get(name) or None) != (value or None)
        }
        if changed:
            diff.outcomes[number] = changed
    old_by_number = {c.number: c for c in old.criteria}
    for change in diff.changes:
        if not change.carries:
            continue
        before, after = (
            old_by_number[change.old],
            next(c for c in new.criteria if c.number == change.new),
        )
        changed = {
            name: (getattr(before, name), getattr(after, name))
            for name in ("label", "grade", "guidance")
            if (getattr(before, name) or None) != (getattr(after, name) or None)
        }
        if changed:
            diff.details[change.new] = changed
    return diff


def outline_from_parsed(
    parsed,
    *,
    base: UnitOutline | None = None,
    fields: dict | None = None,
    complete: bool = True,
) -> UnitOutline:
    """What a unit version would say once an importer's reading (`ParsedUnit`) is written over
    `base` (the version it updates; None for a new unit), by the importer's own rules: a value
    the document leaves blank keeps the one there; a complete document replaces the outcomes'
    criteria, a supplement (`complete=False`) only adds guidance to criteria that exist.
    `fields` are the unit's values decided besides the reading (code and title asked for in the
    preview, a level from the qualification)."""
    base = base or UnitOutline(fields=dict.fromkeys(UNIT_FIELDS))
    unit_fields = dict(base.fields)
    for name, value in (fields or {}).items():
        if value not in (None, ""):
            unit_fields[name] = value
    names = ("level", "credit_value", "glh", "assessment_guidance", "additional_information")
    for name in (*names, "notes"):
        value = getattr(parsed, name, None)
        if value not in (None, "") and (complete or name == "notes"):
            unit_fields[name] = value
    if not complete:
        old = {c.number: c for c in base.criteria}
        criteria = list(base.criteria)
        for c in parsed.criteria:
            if c.number in old and c.guidance:
                index = criteria.index(old[c.number])
                criteria[index] = replace(old[c.number], guidance=c.guidance)
        outcomes = {number: dict(values) for number, values in base.outcomes.items()}
        for parsed_outcome in parsed.outcomes:
            values = outcomes.get(parsed_outcome.number)
            if values is None:
                values = outcomes[parsed_outcome.number] = _blank_outcome()
            _merge_outcome(values, parsed_outcome)
        return UnitOutline(fields=unit_fields, outcomes=outcomes, criteria=criteria)

    old = {c.number: c for c in base.criteria}
    outcomes, criteria = {}, []
    for parsed_outcome in parsed.outcomes:
        values = dict(base.outcomes.get(parsed_outcome.number) or _blank_outcome())
        _merge_outcome(values, parsed_outcome)
        outcomes[parsed_outcome.number] = values
        for c in parsed_outcome.criteria:
            before = old.get(c.number)
            criteria.append(
                CriterionOutline(
                    number=c.number,
                    text=c.text,
                    outcome=parsed_outcome.number,
                    label=criterion_label(c),
                    grade=c.grade or "",
                    guidance=c.guidance or (before.guidance if before else ""),
                )
            )
    # Outcomes left without criteria go, as the importer deletes them.
    kept = {c.outcome for c in criteria}
    outcomes = {n: v for n, v in outcomes.items() if n in kept}
    return UnitOutline(fields=unit_fields, outcomes=outcomes, criteria=criteria)


def criterion_label(parsed_criterion) -> str:
    """The criterion's number as printed: the reading's label, or a number that is not plain
    digits (a grading grid's P1, M2, D1)."""
    if parsed_criterion.label:
        return parsed_criterion.label
    number = parsed_criterion.number
    return number if re.match(r"^[A-Za-z]", number) else ""


def _blank_outcome() -> dict:
    return dict.fromkeys(OUTCOME_FIELDS, "")


def _merge_outcome(values: dict, parsed_outcome) -> None:
    """An outcome's values after the importer writes `parsed_outcome` over them."""
    if parsed_outcome.title:
        values["title"] = parsed_outcome.title
    if parsed_outcome.kind:
        values["kind"] = parsed_outcome.kind
    if parsed_outcome.guidance:
        values["guidance"] = parsed_outcome.guidance
    if parsed_outcome.content:
        values["content"] = parsed_outcome.content
    if parsed_outcome.evidence_methods:
        values["evidence_guidance"] = "\n".join(parsed_outcome.evidence_methods)

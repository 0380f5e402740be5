"""Writing the catalogue: importing awarding-body specifications.

An import is one transaction: it either saves everything the documents say or nothing. A unit
that learners' evidence already uses may be updated (texts, guidance) but never loses or
renumbers a criterion that is in use.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.text import slugify

from audit.chain import audit_record
from audit.enums import AuditAction
from qualifications.enums import OutcomeKind
from qualifications.importer import ParsedUnit, ParseResult, criteria_match_score
from qualifications.models import (
    AssessmentCriterion,
    AwardingBody,
    EvidenceMethod,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
    UnitCode,
    UnitGroup,
    number_sort_key,
)
from qualifications.versions import criteria_in_use, in_use

# Below this, a code-less document is not taken to describe an existing unit.
MATCH_THRESHOLD = 0.8

# Layouts that only add to a unit that exists already; every other layout describes its units
# completely (criteria missing from it are removed, when no evidence uses them).
SUPPLEMENT_LAYOUTS = {"guidance"}

AWARDING_BODY_NAMES = {
    "BIIAB": "BIIAB (British Institute of Innkeeping Awarding Body)",
    "LASER": "LASER Learning Awards",
}

# Words in "Evidence may be supplied by" lists, and the standard method each one is.
METHOD_WORDS = [
    ("observation", "observation"),
    ("expert witness", "expert-witness"),
    ("witness", "witness-testimony"),
    ("professional discussion", "professional-discussion"),
    ("question", "questioning"),
    ("reflective", "reflective-account"),
    ("assignment", "written-assignment"),
    ("case study", "case-study"),
    ("simulation", "simulation"),
    ("prior learning", "rpl"),
    ("rpl", "rpl"),
]


class SpecImportError(Exception):
    """The import was refused; nothing was saved. The message says why."""


@dataclass
class UnitPlan:
    """What an import will do with one parsed unit (shown in the preview, then carried out)."""

    index: int
    parsed: ParsedUnit
    unit: Unit | None
    action: str  # "create", "update" or "add guidance"
    code: str
    title: str
    problems: list[str] = field(default_factory=list)

    @property
    def needs_title(self) -> bool:
        return self.unit is None and not self.title

    @property
    def needs_code(self) -> bool:
        return not self.code and (self.unit is None or not self.unit.code)


@dataclass
class ImportReport:
    plans: list[UnitPlan]
    qualification: Qualification | None = None
    warnings: list[str] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)


# What the catalogue's columns hold is checked before a row is saved (here and in resources).
# PostgreSQL refuses a NUL character anywhere in text, a string longer than its column and a
# number out of its column's range, each with an error (a 500); SQLite keeps all three. The
# checks below say the same on both. Integer ranges are Django's portable ones: SQLite's
# backend would allow 64 bits where PostgreSQL's smallint holds 32767.
INTEGER_RANGES = BaseDatabaseOperations.integer_field_ranges


def column_problems(instance) -> dict[str, str]:
    """What the database could not store of this unsaved row: field name → words for people."""
    problems = {}
    for column in instance._meta.concrete_fields:
        value = getattr(instance, column.attname)
        if column.name == "sort_key" and hasattr(instance, "number"):
            value = number_sort_key(instance.number)  # what save() will store
        label = column.verbose_name
        if isinstance(value, str):
            if "\x00" in value:
                problems[column.name] = f"The {label} holds a NUL character (binary data)."
            elif column.max_length and len(value) > column.max_length:
                problems[column.name] = (
                    f"The {label} is {len(value)} characters long; at most {column.max_length} fit."
                )
        elif isinstance(value, int) and not isinstance(value, bool):
            low, high = INTEGER_RANGES.get(column.get_internal_type(), (None, None))
            if low is None or low <= value <= high:
                continue
            if column.name == "sort_key":
                problems.setdefault("number", f"The number {instance.number} is too large.")
            else:
                problems[column.name] = f"The {label} {value} is not between {low} and {high}."
    return problems


def _matching_unit(parsed: ParsedUnit) -> Unit | None:
    """The existing unit whose criteria this code-less document describes, if one clearly is."""
    count = parsed.criteria_count
    candidates = (
        Unit.objects.filter(criteria__isnull=False)
        .prefetch_related("criteria")
        .distinct()
        .order_by("pk")
    )
    best, best_score = None, 0.0
    for unit in candidates:
        criteria = {c.number: c.text for c in unit.criteria.all()}
        if abs(len(criteria) - count) > max(2, count // 4):
            continue
        score = criteria_match_score(parsed, criteria)
        if score > best_score:
            best, best_score = unit, score
    return best if best_score >= MATCH_THRESHOLD else None


def _find_unit(parsed: ParsedUnit, code: str) -> Unit | None:
    if code:
        unit = Unit.objects.filter(code=code).order_by("-version").first()
        if unit:
            return unit
    for scheme, other in parsed.other_codes.items():
        unit_code = (
            UnitCode.objects.filter(scheme=scheme, code=other).select_related("unit").first()
        )
        if unit_code:
            return unit_code.unit
    if not code:
        return _matching_unit(parsed)
    return None


def spec_plan(*, result: ParseResult, details: dict[int, dict] | None = None) -> ImportReport:
    """Work out, without saving, what importing `result` would do to each unit."""
    details = details or {}
    plans = []
    for index, parsed in enumerate(result.units):
        given = details.get(index, {})
        code = (given.get("code") or parsed.code or "").strip().upper()
        title = (given.get("title") or parsed.title or "").strip()
        unit = _find_unit(parsed, code)
        if result.layout in SUPPLEMENT_LAYOUTS:
            action = "add guidance"
        else:
            action = "update" if unit else "create"
        plan = UnitPlan(
            index=index, parsed=parsed, unit=unit, action=action, code=code, title=title
        )
        if action == "add guidance" and unit is None:
            plan.problems.append(
                "This document adds guidance to a unit, but no unit in the catalogue has these "
                "criteria. Import the unit first, or give its code."
            )
        elif plan.needs_title:
            plan.problems.append("The document gives no title for this unit: please give one.")
        if code and not Unit._meta.get_field("code").max_length >= len(code):
            plan.problems.append(f"'{code}' is too long for a unit code.")
        longest = Unit._meta.get_field("title").max_length
        if len(title) > longest:
            plan.problems.append(
                f"The title is {len(title)} characters long; at most {longest} fit. "
                "Give a shorter one."
            )
        plans.append(plan)
    return ImportReport(plans=plans, warnings=list(result.warnings))


_criteria_in_use = criteria_in_use
_in_use = in_use


def _may_change(by, obj) -> bool:
    """Until the catalogue has owners, a unit or qualification that learners use is changed by
    the site's staff only (`by` None: the site's own command line)."""
    return by is None or getattr(by, "is_staff", False) or not _in_use(obj)


def _methods_named(items: list[str]) -> set[str]:
    slugs = set()
    for item in items:
        lowered = item.lower()
        for word, slug in METHOD_WORDS:
            if word in lowered:
                slugs.add(slug)
                break
        else:
            # Documents, records and materials the learner produced are product evidence.
            slugs.add("product-evidence")
    return slugs


def _unique_slug(base: str, *, exclude_pk=None) -> str:
    slug = base[:110] or "unit"
    candidate, n = slug, 2
    while Unit.objects.filter(slug=candidate).exclude(pk=exclude_pk).exists():
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def _save(instance):
    problems = column_problems(instance)
    name = f"{instance._meta.verbose_name} {str(instance)[:60]}".replace("\x00", "")
    if problems:
        raise SpecImportError(f"{name.capitalize()}: {' '.join(problems.values())}")
    try:
        instance.full_clean()
    except ValidationError as error:
        raise SpecImportError(f"{name.capitalize()}: {' '.join(error.messages)}") from error
    instance.save()
    return instance


def _write_unit(plan: UnitPlan, *, level_default: int | None) -> Unit:
    parsed = plan.parsed
    unit = plan.unit or Unit()
    if plan.code:
        unit.code = plan.code
    if not unit.slug:
        base = (
            slugify(plan.code.replace("/", "-"))
            if plan.code
            else f"provisional-{slugify(plan.title)}"
        )
        unit.slug = _unique_slug(base, exclude_pk=unit.pk)
    if plan.title:
        unit.title = plan.title
        unit.title_is_provisional = not parsed.title and bool(unit.title)
    unit.needs_code = not unit.code
    for name in ("level", "credit_value", "glh"):
        value = getattr(parsed, name)
        if value is not None:
            setattr(unit, name, value)
    if unit.level is None and level_default is not None:
        unit.level = level_default
    for name in ("assessment_guidance", "additional_information", "notes"):
        value = getattr(parsed, name)
        if value:
            setattr(unit, name, value)
    _save(unit)
    for scheme, other in parsed.other_codes.items():
        existing = UnitCode.objects.filter(scheme=scheme, code=other).select_related("unit").first()
        if existing and existing.unit.lineage != unit.lineage:
            raise SpecImportError(
                f"{scheme} code {other} already belongs to unit {existing.unit}; "
                f"it cannot also be {unit}."
            )
        if not UnitCode.objects.filter(unit=unit, scheme=scheme).exists():
            _save(UnitCode(unit=unit, scheme=scheme, code=other))
    return unit


def _write_outcomes(unit: Unit, parsed: ParsedUnit, *, complete: bool, warnings: list[str]):
    outcomes = {o.number: o for o in unit.outcomes.all()}
    criteria = {c.number: c for c in AssessmentCriterion.objects.filter(unit=unit)}
    parsed_numbers = {c.number for o in parsed.outcomes for c in o.criteria}

    if complete:
        gone = [criteria[n] for n in criteria if n not in parsed_numbers]
        in_use = _criteria_in_use(gone)
        if in_use:
            listed = ", ".join(
                sorted(in_use, key=lambda n: [int(p) for p in n.split(".") if p.isdigit()])
            )
            raise SpecImportError(
                f"Unit {unit.code or unit.title} is in use: learners' evidence is mapped to "
                f"criteria {listed}, which this document removes or renumbers. Nothing was "
                "saved. Import the new version as a new unit instead."
            )
        for criterion in gone:
            criterion.delete()
            del criteria[criterion.number]

    for parsed_outcome in parsed.outcomes:
        outcome = outcomes.get(parsed_outcome.number) or LearningOutcome(
            unit=unit, number=parsed_outcome.number
        )
        if parsed_outcome.title:
            outcome.title = parsed_outcome.title
        if parsed_outcome.kind:
            outcome.kind = parsed_outcome.kind
        elif not outcome.kind:
            outcome.kind = OutcomeKind.UNSPECIFIED
        if parsed_outcome.guidance:
            outcome.guidance = parsed_outcome.guidance
        if parsed_outcome.content:
            outcome.content = parsed_outcome.content
        if parsed_outcome.evidence_methods:
            outcome.evidence_guidance = "\n".join(parsed_outcome.evidence_methods)
        _save(outcome)
        outcomes[outcome.number] = outcome
        for parsed_criterion in parsed_outcome.criteria:
            criterion = criteria.get(parsed_criterion.number)
            if criterion is None:
                if not complete:
                    warnings.append(
                        f"Line {parsed_criterion.line}: criterion {parsed_criterion.number} is "
                        f"not in unit {unit.code or unit.title}; its guidance was not added."
                    )
                    continue
                criterion = AssessmentCriterion(outcome=outcome, number=parsed_criterion.number)
            elif (
                complete
                and criterion.text != parsed_criterion.text
                and _criteria_in_use([criterion])
            ):
                warnings.append(
                    f"Criterion {criterion.number} of {unit.code or unit.title} is in use and "
                    "its wording changed."
                )
            if complete:
                criterion.text = parsed_criterion.text
                criterion.outcome = outcome
            if parsed_criterion.guidance:
                criterion.guidance = parsed_criterion.guidance
            _save(criterion)

    if complete:
        # Outcomes left without criteria by a new version of the unit go too.
        LearningOutcome.objects.filter(unit=unit, criteria__isnull=True).delete()


def _write_qualification(
    result: ParseResult, units: list[Unit], warnings: list[str]
) -> Qualification:
    parsed = result.qualification
    short = parsed.awarding_body or "Unknown"
    body = AwardingBody.objects.filter(short_name=short).first() or _save(
        AwardingBody(short_name=short, name=AWARDING_BODY_NAMES.get(short, short))
    )
    qualification = Qualification.objects.filter(number=parsed.number).order_by(
        "-version"
    ).first() or Qualification(number=parsed.number)
    qualification.title = parsed.title or qualification.title
    qualification.awarding_body = body
    if parsed.level is not None:
        qualification.level = parsed.level
    _save(qualification)

    groups = {}
    for position, (name, mandatory) in enumerate(
        [("Mandatory units", True), ("Optional units", False)]
    ):
        group = UnitGroup.objects.filter(qualification=qualification, name=name).first()
        group = group or UnitGroup(qualification=qualification, name=name)
        group.is_mandatory, group.position = mandatory, position
        groups[mandatory] = _save(group)

    kept = []
    for position, (unit, parsed_unit) in enumerate(zip(units, result.units, strict=True)):
        link = QualificationUnit.objects.filter(qualification=qualification, unit=unit).first()
        link = link or QualificationUnit(qualification=qualification, unit=unit)
        link.group = groups[bool(parsed_unit.mandatory)]
        link.position = position
        kept.append(_save(link).pk)
    missing = QualificationUnit.objects.filter(qualification=qualification).exclude(pk__in=kept)
    if _in_use(qualification):
        # Learners are enrolled on those units: a document that leaves them out never takes
        # them out of the qualification (their records, samples and checklists need them).
        names = ", ".join(str(link.unit) for link in missing.select_related("unit"))
        if names:
            warnings.append(
                f"{qualification.number} keeps {names}: learners are enrolled on the "
                "qualification, so units the document leaves out are not removed."
            )
    else:
        missing.delete()
    # A group with no units left says nothing about the qualification.
    UnitGroup.objects.filter(qualification=qualification, members__isnull=True).delete()
    return qualification


@transaction.atomic
def spec_import(
    *, result: ParseResult, details: dict[int, dict] | None = None, by=None
) -> ImportReport:
    """Save what `result` describes, each unit and the qualification with its audit entry.

    Raises SpecImportError (and saves nothing) when refused: a unit or qualification that
    learners use is changed only by the site's staff (`by` None is the command line).
    """
    report = spec_plan(result=result, details=details)
    problems = [
        f"Unit {plan.index + 1} ({plan.code or plan.title[:60] or 'untitled'}): {problem}"
        for plan in report.plans
        for problem in plan.problems
    ]
    problems += [
        f"Unit {plan.unit.code or plan.unit.title} is used by enrolled learners: only the "
        "site's staff can change it."
        for plan in report.plans
        if plan.unit is not None and not _may_change(by, plan.unit)
    ]
    number = result.qualification.number if result.qualification else ""
    existing = (
        Qualification.objects.filter(number=number).order_by("-version").first() if number else None
    )
    if existing is not None and not _may_change(by, existing):
        problems.append(
            f"Qualification {number} has enrolled learners: only the site's staff can change it."
        )
    if problems:
        raise SpecImportError(" ".join(problems))

    level_default = result.qualification.level if result.qualification else None
    for plan in report.plans:
        if plan.action == "add guidance":
            unit = plan.unit
            for name in ("notes",):
                value = getattr(plan.parsed, name)
                if value:
                    setattr(unit, name, value)
            _save(unit)
            _write_outcomes(unit, plan.parsed, complete=False, warnings=report.warnings)
        else:
            unit = _write_unit(plan, level_default=level_default)
            _write_outcomes(unit, plan.parsed, complete=True, warnings=report.warnings)
        items = [m for o in plan.parsed.outcomes for m in o.evidence_methods]
        if items:
            slugs = _methods_named(items)
            unit.evidence_methods.add(*EvidenceMethod.objects.filter(slug__in=slugs))
        report.units.append(unit)
        audit_record(
            action=AuditAction.SPEC_IMPORTED,
            actor=by,
            obj=unit,
            summary=f"{unit} {'updated' if plan.unit else 'added'} from a specification",
            data={
                "action": plan.action,
                "criteria": sorted(
                    AssessmentCriterion.objects.filter(unit=unit).values_list("number", flat=True)
                ),
            },
        )

    if result.qualification and result.qualification.number:
        report.qualification = _write_qualification(result, report.units, report.warnings)
        audit_record(
            action=AuditAction.CATALOGUE_CHANGED,
            actor=by,
            obj=report.qualification,
            summary=f"{report.qualification} imported from a specification",
            data={"units": [u.code or u.slug for u in report.units]},
        )
    return report

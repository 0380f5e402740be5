"""Writing the catalogue: importing awarding-body specifications.

An import is one transaction: it either saves everything the documents say or nothing. Each
unit read is compared with the latest version of it the importer may see (`versions`):

- `created`: no such unit yet: version 1;
- `unchanged`: the document says what that version says: nothing is written, no audit entry;
- `updated`: it differs and nothing uses that version: it is changed in place;
- `new_version`: it differs and the version is in use (enrolments, evidence, decisions): the
  next version is made and changed; learners stay on theirs until a centre admin moves them.

The qualification the document names is compared the same way (title, level, units and their
groups), and a new version of a unit goes into the latest version of every other qualification
that lists it (a copy, when that one is in use). Who may change what is
`permissions.may_change`.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Q
from django.utils.text import slugify

from audit.chain import audit_record
from audit.enums import AuditAction
from qualifications.enums import OutcomeKind
from qualifications.importer import ParsedUnit, ParseResult, criteria_match_score
from qualifications.models import (
    AssessmentCriterion,
    AwardingBody,
    BarredCombination,
    EvidenceMethod,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
    UnitCode,
    UnitGroup,
    number_sort_key,
)
from qualifications.permissions import may_change
from qualifications.versions import (
    UnitDiff,
    copy_qualification,
    copy_unit,
    criteria_in_use,
    criterion_label,
    diff_outlines,
    in_use,
    is_latest,
    latest_qualification,
    latest_unit,
    outline_from_parsed,
    outline_of,
)

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


# What an import does to a unit or qualification, as the command's --json reports it.
CREATED, UNCHANGED, UPDATED, NEW_VERSION = "created", "unchanged", "updated", "new_version"


@dataclass
class UnitPlan:
    """What an import will do with one parsed unit (shown in the preview, then carried out)."""

    index: int
    parsed: ParsedUnit
    unit: Unit | None  # the latest version the importer may see, when there is one
    action: str  # "create", "update" or "add guidance"
    code: str
    title: str
    problems: list[str] = field(default_factory=list)
    status: str = CREATED
    diff: UnitDiff | None = None
    in_use: bool = False
    saved: Unit | None = None  # the version written (or left unchanged)

    @property
    def needs_title(self) -> bool:
        return self.unit is None and not self.title

    @property
    def needs_code(self) -> bool:
        return not self.code and (self.unit is None or not self.unit.code)

    @property
    def version(self) -> int:
        """The version the unit is on after the import."""
        if self.unit is None:
            return 1
        return self.unit.version + (1 if self.status == NEW_VERSION else 0)


@dataclass
class QualificationPlan:
    """What an import will do with the qualification a document names."""

    number: str
    existing: Qualification | None
    status: str = CREATED
    changes: list[str] = field(default_factory=list)
    in_use: bool = False
    saved: Qualification | None = None

    @property
    def version(self) -> int:
        if self.existing is None:
            return 1
        return self.existing.version + (1 if self.status == NEW_VERSION else 0)


@dataclass
class ImportReport:
    plans: list[UnitPlan]
    qualification: Qualification | None = None
    warnings: list[str] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    qualification_plan: QualificationPlan | None = None
    # Other qualifications that took a new unit version: (qualification version, status).
    carried: list[tuple[Qualification, str]] = field(default_factory=list)

    def as_json(self) -> dict:
        """Each unit's and the qualification's version and status (`import_spec --json`)."""
        data = {
            "units": [
                {
                    "code": plan.saved.code,
                    "title": plan.saved.title,
                    "slug": plan.saved.slug,
                    "version": plan.saved.version,
                    "status": plan.status,
                    "criteria": plan.saved.criteria.count(),
                }
                for plan in self.plans
            ],
            "qualification": None,
            "warnings": list(self.warnings),
        }
        if self.qualification is not None:
            data["qualification"] = {
                "number": self.qualification.number,
                "title": self.qualification.title,
                "version": self.qualification.version,
                "status": self.qualification_plan.status,
            }
        if self.carried:
            data["other_qualifications"] = [
                {"number": q.number, "version": q.version, "status": status}
                for q, status in self.carried
            ]
        return data


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


def _scope(queryset, centre, prefix: str = ""):
    """What an importer for `centre` (None: the shared catalogue) compares with: the shared
    catalogue and that centre's own."""
    shared = Q(**{f"{prefix}centre__isnull": True})
    if centre is None:
        return queryset.filter(shared)
    return queryset.filter(shared | Q(**{f"{prefix}centre": centre}))


def _own_first(units, centre):
    """The centre's own unit before a shared one of the same code."""
    units = list(units)
    return next((u for u in units if centre is not None and u.centre_id == centre.pk), None) or (
        units[0] if units else None
    )


def _matching_unit(parsed: ParsedUnit, centre) -> Unit | None:
    """The existing unit whose criteria this code-less document describes, if one clearly is."""
    count = parsed.criteria_count
    candidates = (
        _scope(Unit.objects.filter(criteria__isnull=False), centre)
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


def _find_unit(parsed: ParsedUnit, code: str, centre=None) -> Unit | None:
    """The latest version of the unit this reading describes, among the shared catalogue and
    `centre`'s own: by its code, another body's code, or its criteria."""
    found = None
    if code:
        found = _own_first(_scope(Unit.objects.filter(code=code), centre), centre)
    if found is None:
        for scheme, other in parsed.other_codes.items():
            rows = _scope(UnitCode.objects.filter(scheme=scheme, code=other), centre, "unit__")
            found = _own_first((row.unit for row in rows.select_related("unit")), centre)
            if found:
                break
    if found is None and not code:
        found = _matching_unit(parsed, centre)
    return latest_unit(found.lineage) if found else None


def _unit_in_use(unit: Unit) -> bool:
    return in_use(unit) or bool(criteria_in_use(unit.criteria.all()))


def _new_other_codes(parsed: ParsedUnit, unit: Unit) -> dict:
    have = {c.scheme: c.code for c in unit.other_codes.all()}
    return {s: c for s, c in parsed.other_codes.items() if s not in have}


def _plan_unit(plan: UnitPlan, *, complete: bool, level_default: int | None) -> None:
    """Compare the reading with the unit's latest version: set the plan's status and diff."""
    unit = plan.unit
    if unit is None:
        plan.status = CREATED
        return
    fields = {"code": plan.code, "title": plan.title if complete else ""}
    if complete and unit.level is None and plan.parsed.level is None:
        fields["level"] = level_default
    current = outline_of(unit)
    target = outline_from_parsed(plan.parsed, base=current, fields=fields, complete=complete)
    plan.diff = diff_outlines(current, target)
    if plan.diff.is_empty and not _new_other_codes(plan.parsed, unit):
        plan.status = UNCHANGED
        return
    plan.in_use = _unit_in_use(unit)
    plan.status = NEW_VERSION if plan.in_use else UPDATED


def _group_name(mandatory) -> str:
    return "Mandatory units" if mandatory else "Optional units"


def _plan_qualification(result: ParseResult, plans: list[UnitPlan], centre) -> QualificationPlan:
    """Compare the qualification a document names with its latest version."""
    parsed = result.qualification
    existing = None
    if centre is not None:
        existing = latest_qualification(parsed.number, centre=centre)
    existing = existing or latest_qualification(parsed.number)
    plan = QualificationPlan(number=parsed.number, existing=existing)
    if existing is None:
        return plan
    changes = []
    if parsed.title and parsed.title != existing.title:
        changes.append(f"title: {existing.title} → {parsed.title}")
    if parsed.level is not None and parsed.level != existing.level:
        changes.append(f"level: {existing.level or '—'} → {parsed.level}")
    body = parsed.awarding_body or "Unknown"
    if body != existing.awarding_body.short_name:
        changes.append(f"awarding body: {existing.awarding_body.short_name} → {body}")
    links = list(existing.qualification_units.select_related("unit", "group"))
    have = {link.unit.lineage: link for link in links}
    wanted = {}
    for unit_plan in plans:
        lineage = unit_plan.unit.lineage if unit_plan.unit else None
        wanted[lineage or f"new-{unit_plan.index}"] = unit_plan
    for key, unit_plan in wanted.items():
        name = unit_plan.code or unit_plan.title
        link = have.get(key)
        if link is None:
            changes.append(f"unit added: {name}")
            continue
        if link.unit_id != unit_plan.unit.pk or unit_plan.status == NEW_VERSION:
            changes.append(f"{name} at version {unit_plan.version}")
        if link.group.is_mandatory != bool(unit_plan.parsed.mandatory):
            changes.append(f"{name} now {_group_name(unit_plan.parsed.mandatory).lower()}")
    for key, link in have.items():
        if key not in wanted:
            changes.append(f"unit removed: {link.unit}")
    order = [link.unit.lineage for link in sorted(links, key=lambda link: link.position)]
    if not changes and order != list(wanted):
        changes.append("units in a new order")
    plan.changes = changes
    if not changes:
        plan.status = UNCHANGED
        return plan
    plan.in_use = in_use(existing)
    plan.status = NEW_VERSION if plan.in_use else UPDATED
    return plan


def spec_plan(
    *, result: ParseResult, details: dict[int, dict] | None = None, centre=None
) -> ImportReport:
    """Work out, without saving, what importing `result` would do to each unit and to the
    qualification (for `centre`'s own catalogue, or the shared one)."""
    details = details or {}
    supplement = result.layout in SUPPLEMENT_LAYOUTS
    level_default = result.qualification.level if result.qualification else None
    plans = []
    for index, parsed in enumerate(result.units):
        given = details.get(index, {})
        code = (given.get("code") or parsed.code or "").strip().upper()
        title = (given.get("title") or parsed.title or "").strip()
        unit = _find_unit(parsed, code, centre)
        action = "add guidance" if supplement else "update" if unit else "create"
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
        if not plan.problems:
            _plan_unit(plan, complete=not supplement, level_default=level_default)
        plans.append(plan)
    report = ImportReport(plans=plans, warnings=list(result.warnings))
    if result.qualification and result.qualification.number and not supplement:
        report.qualification_plan = _plan_qualification(result, plans, centre)
    return report


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


def _write_unit(unit: Unit, plan: UnitPlan, *, level_default: int | None) -> Unit:
    parsed = plan.parsed
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
    _write_other_codes(unit, parsed)
    return unit


def _write_other_codes(unit: Unit, parsed: ParsedUnit) -> None:
    for scheme, other in parsed.other_codes.items():
        existing = UnitCode.objects.filter(scheme=scheme, code=other).select_related("unit")
        existing = next((row for row in existing if row.unit.lineage != unit.lineage), None)
        if existing and existing.unit.centre_id in (None, unit.centre_id):
            raise SpecImportError(
                f"{scheme} code {other} already belongs to unit {existing.unit}; "
                f"it cannot also be {unit}."
            )
        if not UnitCode.objects.filter(unit=unit, scheme=scheme).exists():
            _save(UnitCode(unit=unit, scheme=scheme, code=other))


def _write_outcomes(unit: Unit, parsed: ParsedUnit, *, complete: bool, warnings: list[str]):
    """Write the reading's outcomes and criteria over `unit`, a version nothing uses."""
    outcomes = {o.number: o for o in unit.outcomes.all()}
    criteria = {c.number: c for c in AssessmentCriterion.objects.filter(unit=unit)}
    parsed_numbers = {c.number for o in parsed.outcomes for c in o.criteria}

    if complete:
        for number in [n for n in criteria if n not in parsed_numbers]:
            criteria.pop(number).delete()

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
            if complete:
                criterion.text = parsed_criterion.text
                criterion.outcome = outcome
                criterion.label = criterion_label(parsed_criterion)
                criterion.grade = parsed_criterion.grade or ""
            if parsed_criterion.guidance:
                criterion.guidance = parsed_criterion.guidance
            _save(criterion)
            criteria[criterion.number] = criterion

    if complete:
        # Outcomes left without criteria by a new version of the unit go too.
        LearningOutcome.objects.filter(unit=unit, criteria__isnull=True).delete()


def _may_change(by, obj, centre) -> bool:
    """An import for a centre changes that centre's own catalogue only, whoever runs it."""
    if centre is not None and obj.centre_id != centre.pk:
        return False
    return may_change(by, obj)


def _refusals(report: ImportReport, *, by, centre) -> list[str]:
    """Why `by` may not save this import (empty: they may)."""
    problems = [
        f"Unit {plan.index + 1} ({plan.code or plan.title[:60] or 'untitled'}): {problem}"
        for plan in report.plans
        for problem in plan.problems
    ]
    if centre is not None and not may_change(by, Unit(centre=centre)):
        problems.append(f"Only {centre}'s admins can add to its own catalogue.")
    for plan in report.plans:
        changing = plan.unit is not None and plan.status != UNCHANGED
        if changing and not _may_change(by, plan.unit, centre):
            problems.append(_owner_words(plan.unit, "Unit", plan.unit.code or plan.unit.title))
    q_plan = report.qualification_plan
    changing = q_plan and q_plan.existing and q_plan.status != UNCHANGED
    if changing and not _may_change(by, q_plan.existing, centre):
        problems.append(_owner_words(q_plan.existing, "Qualification", q_plan.number))
    return problems


def _owner_words(obj, kind: str, name: str) -> str:
    if obj.centre_id is None:
        return (
            f"{kind} {name} is in the shared catalogue: only the site's staff or a catalogue "
            "editor can change it."
        )
    return f"{kind} {name} belongs to {obj.centre}: only its admins can change it."


def _unit_summary(unit: Unit, plan: UnitPlan) -> str:
    if plan.status == CREATED:
        return f"{unit} added from a specification"
    if plan.status == NEW_VERSION:
        return (
            f"{unit} version {unit.version} made from a specification "
            f"(version {plan.unit.version} is in use)"
        )
    return f"{unit} updated from a specification"


def _import_unit(plan: UnitPlan, *, by, centre, complete: bool, level_default, warnings):
    if plan.status == UNCHANGED:
        return plan.unit
    if plan.status == CREATED:
        unit = Unit(centre=centre)
    elif plan.status == NEW_VERSION:
        unit = copy_unit(plan.unit)
    else:
        unit = plan.unit
    if complete:
        _write_unit(unit, plan, level_default=level_default)
    else:
        if plan.parsed.notes:
            unit.notes = plan.parsed.notes
        _save(unit)
        _write_other_codes(unit, plan.parsed)
    _write_outcomes(unit, plan.parsed, complete=complete, warnings=warnings)
    items = [m for o in plan.parsed.outcomes for m in o.evidence_methods]
    if items:
        slugs = _methods_named(items)
        unit.evidence_methods.add(*EvidenceMethod.objects.filter(slug__in=slugs))
    data = {
        "action": plan.action,
        "status": plan.status,
        "version": unit.version,
        "criteria": sorted(
            AssessmentCriterion.objects.filter(unit=unit).values_list("number", flat=True)
        ),
    }
    if plan.diff is not None:
        data["changes"] = {k: v for k, v in plan.diff.counts().items() if v}
        if plan.status == NEW_VERSION:
            data["previous"] = plan.unit.slug
    audit_record(
        action=AuditAction.SPEC_IMPORTED,
        actor=by,
        obj=unit,
        summary=_unit_summary(unit, plan),
        data=data,
    )
    return unit


def _swap_unit(qualification: Qualification, old: Unit, new: Unit) -> None:
    """In a qualification version nothing uses: list `new` where `old` was."""
    QualificationUnit.objects.filter(qualification=qualification, unit=old).update(unit=new)
    BarredCombination.objects.filter(qualification=qualification, unit=old).update(unit=new)
    BarredCombination.objects.filter(qualification=qualification, barred=old).update(barred=new)


def _carry_new_version(old: Unit, new: Unit, *, by, centre, skip: Qualification | None, report):
    """Put a new unit version into the latest version of each qualification that lists the
    old one, so a qualification always names exact unit versions (a copy when in use)."""
    links = QualificationUnit.objects.filter(unit=old).select_related("qualification")
    for qualification in [link.qualification for link in links]:
        if skip is not None and (qualification.number, qualification.centre_id) == (
            skip.number,
            skip.centre_id,
        ):
            continue
        if not is_latest(qualification):
            continue
        if not _may_change(by, qualification, centre):
            words = _owner_words(qualification, "Qualification", qualification.number)
            raise SpecImportError(words)
        if in_use(qualification):
            draft, status = copy_qualification(qualification, swap={old.pk: new}), NEW_VERSION
        else:
            _swap_unit(qualification, old, new)
            draft, status = qualification, UPDATED
        audit_record(
            action=AuditAction.CATALOGUE_CHANGED,
            actor=by,
            obj=draft,
            summary=f"{draft} lists {new} version {new.version}",
            data={"status": status, "version": draft.version, "unit": new.slug},
        )
        report.carried.append((draft, status))


def _write_qualification(
    result: ParseResult, plan: QualificationPlan, units: list[Unit], *, centre, swap: dict
) -> Qualification:
    parsed = result.qualification
    short = parsed.awarding_body or "Unknown"
    body = AwardingBody.objects.filter(short_name=short).first() or _save(
        AwardingBody(short_name=short, name=AWARDING_BODY_NAMES.get(short, short))
    )
    if plan.status == CREATED:
        qualification = Qualification(number=parsed.number, centre=centre)
    elif plan.status == NEW_VERSION:
        qualification = copy_qualification(plan.existing, swap=swap)
    else:
        qualification = plan.existing
    qualification.title = parsed.title or qualification.title
    qualification.awarding_body = body
    if parsed.level is not None:
        qualification.level = parsed.level
    _save(qualification)

    links = {
        link.unit.lineage: link
        for link in qualification.qualification_units.select_related("unit", "group")
    }
    groups = {}

    def default_group(mandatory: bool) -> UnitGroup:
        if mandatory not in groups:
            name = _group_name(mandatory)
            group = UnitGroup.objects.filter(qualification=qualification, name=name).first()
            group = group or UnitGroup(
                qualification=qualification, name=name, position=0 if mandatory else 1
            )
            group.is_mandatory = mandatory
            groups[mandatory] = _save(group)
        return groups[mandatory]

    kept = []
    for position, (unit, parsed_unit) in enumerate(zip(units, result.units, strict=True)):
        mandatory = bool(parsed_unit.mandatory)
        link = links.get(unit.lineage) or QualificationUnit(qualification=qualification)
        if link.pk and link.unit_id != unit.pk:
            BarredCombination.objects.filter(qualification=qualification, unit=link.unit).update(
                unit=unit
            )
            BarredCombination.objects.filter(qualification=qualification, barred=link.unit).update(
                barred=unit
            )
        link.unit = unit
        # A group the rules editor made keeps its units while their kind stays the same.
        if not link.group_id or link.group.is_mandatory != mandatory:
            link.group = default_group(mandatory)
        link.position = position
        kept.append(_save(link).pk)
    gone = QualificationUnit.objects.filter(qualification=qualification).exclude(pk__in=kept)
    gone_units = list(gone.values_list("unit", flat=True))
    BarredCombination.objects.filter(qualification=qualification).filter(
        Q(unit__in=gone_units) | Q(barred__in=gone_units)
    ).delete()
    gone.delete()
    # A group with no units left says nothing about the qualification.
    UnitGroup.objects.filter(qualification=qualification, members__isnull=True).delete()
    return qualification


@transaction.atomic
def spec_import(
    *, result: ParseResult, details: dict[int, dict] | None = None, by=None, centre=None
) -> ImportReport:
    """Save what `result` describes: each unit and the qualification as a new, updated or
    unchanged version, each change with its audit entry.

    `centre`: what is created belongs to that centre, and the import compares with the shared
    catalogue and that centre's own; None: the shared catalogue. `by` None is the site's own
    command line. Raises SpecImportError (and saves nothing) when refused: a reading that
    differs from a version `by` may not change (`permissions.may_change`), or a reading in
    doubt.
    """
    report = spec_plan(result=result, details=details, centre=centre)
    problems = _refusals(report, by=by, centre=centre)
    if problems:
        raise SpecImportError(" ".join(problems))

    complete = result.layout not in SUPPLEMENT_LAYOUTS
    level_default = result.qualification.level if result.qualification else None
    q_plan = report.qualification_plan
    skip = None
    if q_plan is not None:
        skip = q_plan.existing or Qualification(number=q_plan.number, centre=centre)
    swap = {}
    for plan in report.plans:
        unit = _import_unit(
            plan,
            by=by,
            centre=centre,
            complete=complete,
            level_default=level_default,
            warnings=report.warnings,
        )
        plan.saved = unit
        report.units.append(unit)
        if plan.status == NEW_VERSION:
            swap[plan.unit.pk] = unit
            _carry_new_version(plan.unit, unit, by=by, centre=centre, skip=skip, report=report)

    if q_plan is not None:
        if q_plan.status == UNCHANGED:
            qualification = q_plan.existing
        else:
            qualification = _write_qualification(
                result, q_plan, report.units, centre=centre, swap=swap
            )
            audit_record(
                action=AuditAction.CATALOGUE_CHANGED,
                actor=by,
                obj=qualification,
                summary=_qualification_summary(qualification, q_plan),
                data={
                    "status": q_plan.status,
                    "version": qualification.version,
                    "units": [u.slug for u in report.units],
                    "changes": q_plan.changes,
                },
            )
        q_plan.saved = report.qualification = qualification
    return report


def _qualification_summary(qualification: Qualification, plan: QualificationPlan) -> str:
    if plan.status == CREATED:
        return f"{qualification} imported from a specification"
    if plan.status == NEW_VERSION:
        return (
            f"{qualification} version {qualification.version} made from a specification "
            f"(version {plan.existing.version} is in use)"
        )
    return f"{qualification} updated from a specification"

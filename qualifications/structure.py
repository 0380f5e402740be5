"""A qualification's whole structure as one JSON document, out and in.

One document holds one version of a qualification: its metadata and grading points table, its
groups with their rules of combination, its units in order (each with outcomes, criteria, grade
bands and guidance) and its barred combinations. A document whose `qualification` is null holds
units that belong to no qualification. `docs/qualification.schema.json` publishes the format;
every import is checked against it, and against what the schema cannot say (names that must
be unique, groups and units that must exist, the points table), before anything is saved.

Importing follows the version rules of `qualifications.versions`: the same structure again
changes nothing; a changed one is written to the version that may change (an unused version in
place, else a new version copied from the latest), and who may change what is
`qualifications.permissions.may_change`. The whole import is one transaction with its audit
entries.
"""

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jsonschema
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q

from audit.chain import audit_record
from audit.enums import AuditAction
from qualifications.grading import SchemeError, validate_scheme
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
)
from qualifications.permissions import may_change
from qualifications.services import column_problems
from qualifications.versions import (
    CRITERION_FIELDS,
    OUTCOME_FIELDS,
    copy_unit,
    criteria_in_use,
    diff_outlines,
    draft_qualification,
    draft_unit,
    latest_unit,
    outline_of,
)

FORMAT_VERSION = 1
SCHEMA_PATH = Path(settings.BASE_DIR) / "docs" / "qualification.schema.json"
# At most this many faults are listed; the rest are counted.
MAX_PROBLEMS = 20

UNIT_VALUES = (
    "code",
    "title",
    "title_is_provisional",
    "needs_code",
    "level",
    "credit_value",
    "glh",
    "tqt",
    "assessment_guidance",
    "additional_information",
    "notes",
)
# An outcome's and a criterion's values are those a version's diff compares.
OUTCOME_VALUES = OUTCOME_FIELDS
CRITERION_VALUES = CRITERION_FIELDS
QUALIFICATION_VALUES = (
    "title",
    "level",
    "min_credits",
    "min_credits_at_level",
    "at_level",
    "notes",
)
GROUP_VALUES = ("min_units", "max_units", "min_credits", "max_credits")
# What a document may leave out, and what that means.
UNIT_DEFAULTS = {
    "group": None,
    "lineage": "",
    "code": "",
    "title_is_provisional": False,
    "needs_code": False,
    "level": None,
    "credit_value": None,
    "glh": None,
    "tqt": None,
    "assessment_guidance": "",
    "additional_information": "",
    "notes": "",
    "other_codes": [],
    "evidence_methods": [],
}
OUTCOME_DEFAULTS = {"title": "", "kind": "", "guidance": "", "content": "", "evidence_guidance": ""}
CRITERION_DEFAULTS = {"label": "", "grade": "", "guidance": ""}
QUALIFICATION_DEFAULTS = {
    "level": None,
    "min_credits": None,
    "min_credits_at_level": None,
    "at_level": None,
    "grading": {},
    "notes": "",
}
GROUP_DEFAULTS = {"min_units": None, "max_units": None, "min_credits": None, "max_credits": None}


class StructureError(Exception):
    """The document was refused and nothing was saved; `problems` says why, each naming the
    place in the document ("units[3].outcomes[0].criteria[2].grade: …")."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        shown = self.problems[:MAX_PROBLEMS]
        more = len(self.problems) - len(shown)
        super().__init__(" ".join(shown) + (f" (and {more} more)" if more else ""))


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- out


def _units_with_content():
    return Unit.objects.prefetch_related(
        Prefetch(
            "outcomes",
            queryset=LearningOutcome.objects.order_by("sort_key").prefetch_related(
                Prefetch("criteria", queryset=AssessmentCriterion.objects.order_by("sort_key"))
            ),
        ),
        Prefetch("other_codes", queryset=UnitCode.objects.order_by("scheme")),
        "evidence_methods",
    )


def unit_document(unit: Unit, *, group: str | None = None) -> dict:
    """One unit version as the document holds it (its outcomes and criteria prefetched or not)."""
    return {
        "group": group,
        "slug": unit.slug,
        "lineage": unit.lineage,
        "version": unit.version,
        **{name: getattr(unit, name) for name in UNIT_VALUES},
        "other_codes": [
            {"scheme": c.scheme, "code": c.code}
            for c in sorted(unit.other_codes.all(), key=lambda c: c.scheme)
        ],
        "evidence_methods": sorted(m.slug for m in unit.evidence_methods.all()),
        "outcomes": [
            {
                "number": outcome.number,
                **{name: getattr(outcome, name) for name in OUTCOME_VALUES},
                "criteria": [
                    {"number": c.number, **{name: getattr(c, name) for name in CRITERION_VALUES}}
                    for c in sorted(outcome.criteria.all(), key=lambda c: c.sort_key)
                ],
            }
            for outcome in sorted(unit.outcomes.all(), key=lambda o: o.sort_key)
        ],
    }


def _qualification_section(qualification: Qualification) -> dict:
    body = qualification.awarding_body
    return {
        "number": qualification.number,
        "version": qualification.version,
        "title": qualification.title,
        "awarding_body": {"short_name": body.short_name, "name": body.name},
        **{name: getattr(qualification, name) for name in QUALIFICATION_VALUES if name != "title"},
        "grading": qualification.grading or {},
    }


def _group_section(group: UnitGroup) -> dict:
    return {
        "name": group.name,
        "mandatory": group.is_mandatory,
        **{name: getattr(group, name) for name in GROUP_VALUES},
        "position": group.position,
    }


def export_structure(qualification: Qualification) -> dict:
    """The whole structure of this qualification version as one document (the schema's form)."""
    links = list(
        QualificationUnit.objects.filter(qualification=qualification)
        .select_related("group")
        .prefetch_related(Prefetch("unit", queryset=_units_with_content()))
        .order_by("position", "pk")
    )
    barred = qualification.barred_combinations.select_related("unit", "barred").order_by(
        "unit__slug", "barred__slug"
    )
    return {
        "format_version": FORMAT_VERSION,
        "qualification": _qualification_section(qualification),
        "groups": [
            _group_section(g) for g in qualification.unit_groups.order_by("position", "name")
        ],
        "units": [unit_document(link.unit, group=link.group.name) for link in links],
        "barred": [{"unit": b.unit.slug, "barred": b.barred.slug} for b in barred],
    }


def export_units(units) -> dict:
    """Units that belong to no qualification, as one document (`qualification` null)."""
    units = _units_with_content().filter(pk__in=[u.pk for u in units]).order_by("slug")
    return {
        "format_version": FORMAT_VERSION,
        "qualification": None,
        "groups": [],
        "units": [unit_document(unit) for unit in units],
        "barred": [],
    }


def dumps(document: dict) -> str:
    """The document as text: stable key order, UTF-8, one trailing newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- checking a document


def _path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(the document)"


def _schema_problems(document) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    problems = []
    for error in errors:
        if error.validator == "oneOf" and error.context:
            # "null or a qualification": name what is wrong inside the qualification.
            inner = [e for e in error.context if e.relative_schema_path[0] != 0]
            error = max(inner or error.context, key=lambda e: len(e.absolute_path))
        problems.append(f"{_path(error.absolute_path)}: {error.message}")
    return problems


def _normal(document: dict) -> dict:
    """The document with everything it may leave out filled in, as export writes it."""
    qualification = document.get("qualification")
    if qualification is not None:
        qualification = {**QUALIFICATION_DEFAULTS, **qualification}
    units = []
    for unit in document.get("units", []):
        unit = {**UNIT_DEFAULTS, **unit}
        unit["lineage"] = unit["lineage"] or unit["slug"]
        unit["other_codes"] = sorted(unit["other_codes"], key=lambda c: c["scheme"])
        unit["evidence_methods"] = sorted(unit["evidence_methods"])
        unit["outcomes"] = [
            {
                **OUTCOME_DEFAULTS,
                **outcome,
                "criteria": [{**CRITERION_DEFAULTS, **c} for c in outcome.get("criteria", [])],
            }
            for outcome in unit["outcomes"]
        ]
        units.append(unit)
    groups = [
        {**GROUP_DEFAULTS, "position": index, **group}
        for index, group in enumerate(document.get("groups", []))
    ]
    return {
        "format_version": document.get("format_version"),
        "qualification": qualification,
        "groups": groups,
        "units": units,
        "barred": list(document.get("barred", [])),
    }


def _repeated(values) -> set:
    seen, repeated = set(), set()
    for value in values:
        (repeated if value in seen else seen).add(value)
    return repeated


def _meaning_problems(doc: dict) -> list[str]:
    """What the schema cannot say: names unique, references that exist, sensible ranges."""
    problems = []
    qualification = doc["qualification"]
    if qualification is not None:
        try:
            validate_scheme(qualification["grading"])
        except SchemeError as error:
            problems.append(f"qualification.grading: {error}")
        if qualification["min_credits_at_level"] is not None and qualification["at_level"] is None:
            problems.append(
                "qualification.at_level: minimum credits at or above a level need the level."
            )
    elif doc["groups"] or doc["barred"]:
        problems.append("qualification: groups and barred combinations need a qualification.")
    group_names = [g["name"] for g in doc["groups"]]
    for index, group in enumerate(doc["groups"]):
        if group["name"] in _repeated(group_names):
            problems.append(f"groups[{index}].name: '{group['name']}' is named twice.")
        for low, high in (("min_units", "max_units"), ("min_credits", "max_credits")):
            if None not in (group[low], group[high]) and group[high] < group[low]:
                problems.append(f"groups[{index}].{high}: {group[high]} is less than {low}.")
    slugs = _repeated(u["slug"] for u in doc["units"])
    codes = _repeated(u["code"] for u in doc["units"] if u["code"])
    known_methods = set(EvidenceMethod.objects.values_list("slug", flat=True))
    for index, unit in enumerate(doc["units"]):
        where = f"units[{index}]"
        if unit["slug"] in slugs:
            problems.append(f"{where}.slug: '{unit['slug']}' is used by two units.")
        if unit["code"] in codes:
            problems.append(f"{where}.code: '{unit['code']}' is used by two units.")
        if qualification is not None and unit["group"] not in group_names:
            problems.append(
                f"{where}.group: {json.dumps(unit['group'])} is not one of the document's groups."
            )
        if qualification is None and unit["group"] is not None:
            problems.append(f"{where}.group: a unit without a qualification has no group.")
        for m, method in enumerate(unit["evidence_methods"]):
            if method not in known_methods:
                problems.append(
                    f"{where}.evidence_methods[{m}]: '{method}' is not an evidence method here."
                )
        schemes = _repeated(c["scheme"] for c in unit["other_codes"])
        if schemes:
            problems.append(f"{where}.other_codes: one code per scheme ({', '.join(schemes)}).")
        outcomes = _repeated(o["number"] for o in unit["outcomes"])
        criteria = _repeated(c["number"] for o in unit["outcomes"] for c in o["criteria"])
        for o, outcome in enumerate(unit["outcomes"]):
            if outcome["number"] in outcomes:
                problems.append(
                    f"{where}.outcomes[{o}].number: outcome {outcome['number']} is given twice."
                )
            for c, criterion in enumerate(outcome["criteria"]):
                if criterion["number"] in criteria:
                    problems.append(
                        f"{where}.outcomes[{o}].criteria[{c}].number: criterion "
                        f"{criterion['number']} is given twice in the unit."
                    )
    names = {u["slug"] for u in doc["units"]} | {u["code"] for u in doc["units"] if u["code"]}
    for index, bar in enumerate(doc["barred"]):
        for side in ("unit", "barred"):
            if bar[side] not in names:
                problems.append(
                    f"barred[{index}].{side}: '{bar[side]}' is not a unit of this document."
                )
        if bar["unit"] == bar["barred"]:
            problems.append(f"barred[{index}]: a unit cannot bar itself.")
    return problems


def check_document(document) -> dict:
    """The document, checked and with its defaults filled in; raises StructureError naming
    every fault found."""
    problems = _schema_problems(document)
    if problems:
        raise StructureError(problems)
    doc = _normal(document)
    problems = _meaning_problems(doc)
    if problems:
        raise StructureError(problems)
    if doc["qualification"] is not None:
        # As it is stored, so that the same table written another way is the same table.
        doc["qualification"]["grading"] = validate_scheme(doc["qualification"]["grading"])
    return doc


def load_document(text: str | bytes) -> dict:
    """Parse a document's text; StructureError when it is not JSON."""
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise StructureError([f"(the document): not JSON ({error})."]) from error


# ---------------------------------------------------------------- in


@dataclass
class StructureItem:
    """What an import did (or, in a dry run, would do) to one unit or the qualification."""

    kind: str  # "qualification" or "unit"
    key: str  # the qualification number, or the unit's code (its slug when it has none)
    title: str
    version: int
    action: str  # "created", "unchanged", "updated" (an unused version) or "new_version"
    previous_version: int | None = None
    # Criteria changes of a unit compared with the version it was made from:
    # {"added": n, "removed": n, "renumbered": n, "reworded": n, "unchanged": n}.
    changes: dict = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)

    @property
    def change_summary(self) -> str:
        """'1 removed, 2 reworded': the criteria changes, in words."""
        return ", ".join(
            f"{n} {kind}" for kind, n in self.changes.items() if n and kind != "unchanged"
        )

    def to_json(self) -> dict:
        data = {"kind": self.kind, "key": self.key, "version": self.version, "action": self.action}
        if self.previous_version is not None:
            data["previous_version"] = self.previous_version
        if self.changes:
            data["changes"] = self.changes
        return data


@dataclass
class StructureReport:
    items: list[StructureItem] = field(default_factory=list)
    dry_run: bool = False
    qualification_pk: int | None = None

    @property
    def qualification(self) -> StructureItem | None:
        return next((i for i in self.items if i.kind == "qualification"), None)

    @property
    def units(self) -> list[StructureItem]:
        return [i for i in self.items if i.kind == "unit"]

    @property
    def changed(self) -> bool:
        return any(i.action != "unchanged" for i in self.items)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.action] = counts.get(item.action, 0) + 1
        return counts

    def to_json(self) -> dict:
        q = self.qualification
        return {
            "dry_run": self.dry_run,
            "qualification": q.to_json() if q else None,
            "units": [item.to_json() for item in self.units],
        }


def _save(instance, where: str):
    problems = column_problems(instance)
    if problems:
        raise StructureError([f"{where}: {' '.join(problems.values())}"])
    try:
        instance.full_clean()
    except ValidationError as error:
        raise StructureError([f"{where}: {' '.join(error.messages)}"]) from error
    instance.save()
    return instance


def _content(unit_doc: dict) -> dict:
    """What makes two unit versions the same: everything but their names and group."""
    return {k: v for k, v in unit_doc.items() if k not in ("group", "slug", "lineage", "version")}


def _scopes(centre) -> list[Q]:
    """Where an import looks for what a document names: the centre's own catalogue first,
    then the shared one."""
    shared = Q(centre__isnull=True)
    return [Q(centre=centre), shared] if centre is not None else [shared]


def _unit_lineage(data: dict, centre) -> str | None:
    """The lineage this document's unit belongs to here: by its lineage, else its Ofqual
    code, else another body's code for it; None when it is new here."""
    for scope in _scopes(centre):
        if Unit.objects.filter(scope, lineage=data["lineage"]).exists():
            return data["lineage"]
        if data["code"]:
            found = Unit.objects.filter(scope, code=data["code"]).order_by("-version").first()
            if found:
                return found.lineage
        for other in data["other_codes"]:
            found = (
                Unit.objects.filter(scope, other_codes__scheme=other["scheme"])
                .filter(other_codes__code=other["code"])
                .order_by("-version")
                .first()
            )
            if found:
                return found.lineage
    return None


def _refuse_change(obj, label: str, by, centre, where: str):
    if centre is not None and obj.centre_id != centre.pk:
        raise StructureError(
            [
                f"{where}: {label} is in the shared catalogue and this document changes it; "
                "only the site's staff or catalogue editors can change it. Nothing was saved."
            ]
        )
    if not may_change(by, obj):
        owner = "the shared catalogue" if obj.centre_id is None else "another centre"
        raise StructureError(
            [f"{where}: {label} belongs to {owner}; you may not change it. Nothing was saved."]
        )


def _write_unit(unit: Unit, data: dict, where: str) -> Unit:
    for name in UNIT_VALUES:
        setattr(unit, name, data[name])
    _save(unit, where)
    wanted = {c["scheme"]: c["code"] for c in data["other_codes"]}
    for code in list(unit.other_codes.all()):
        if wanted.get(code.scheme) != code.code:
            code.delete()
    have = set(unit.other_codes.values_list("scheme", flat=True))
    for scheme, code in wanted.items():
        if scheme not in have:
            # Within the catalogue the unit is in (shared, or its centre's and the shared):
            # another centre's codes neither block it nor show.
            taken = (
                UnitCode.objects.filter(scheme=scheme, code=code)
                .filter(Q(unit__centre__isnull=True) | Q(unit__centre=unit.centre_id))
                .exclude(unit__lineage=unit.lineage)
            )
            if taken.exists():
                raise StructureError(
                    [f"{where}.other_codes: {scheme} {code} already belongs to another unit."]
                )
            _save(UnitCode(unit=unit, scheme=scheme, code=code), f"{where}.other_codes")
    unit.evidence_methods.set(EvidenceMethod.objects.filter(slug__in=data["evidence_methods"]))

    outcomes = {o.number: o for o in unit.outcomes.all()}
    criteria = {c.number: c for c in AssessmentCriterion.objects.filter(unit=unit)}
    numbers = {c["number"] for o in data["outcomes"] for c in o["criteria"]}
    for number in set(criteria) - numbers:
        criteria.pop(number).delete()
    for o, outcome_data in enumerate(data["outcomes"]):
        outcome = outcomes.pop(outcome_data["number"], None) or LearningOutcome(
            unit=unit, number=outcome_data["number"]
        )
        for name in OUTCOME_VALUES:
            setattr(outcome, name, outcome_data[name])
        _save(outcome, f"{where}.outcomes[{o}]")
        for c, criterion_data in enumerate(outcome_data["criteria"]):
            criterion = criteria.get(criterion_data["number"]) or AssessmentCriterion(
                number=criterion_data["number"]
            )
            criterion.outcome = outcome
            criterion.unit = unit
            for name in CRITERION_VALUES:
                setattr(criterion, name, criterion_data[name])
            _save(criterion, f"{where}.outcomes[{o}].criteria[{c}]")
    for outcome in outcomes.values():  # outcomes the document no longer has (criteria moved)
        outcome.delete()
    return unit


def _import_unit(data: dict, index: int, *, by, centre, report: StructureReport) -> Unit:
    where = f"units[{index}]"
    key = data["code"] or data["slug"]
    lineage = _unit_lineage(data, centre)
    if lineage is None:
        taken = Unit.objects.filter(lineage=data["lineage"]).exists()
        slug = data["slug"]
        if taken or Unit.objects.filter(slug=slug).exists():
            # Another centre's unit holds these names here: this one starts its own lineage.
            base, n = slug[:110], 2
            while Unit.objects.filter(Q(slug=slug) | Q(lineage=slug)).exists():
                slug, n = f"{base}-{n}", n + 1
        unit = Unit(
            slug=slug,
            lineage=slug if taken else data["lineage"],
            version=1 if taken else data["version"],
            centre=centre,
        )
        _write_unit(unit, data, where)
        report.items.append(StructureItem("unit", key, unit.title, unit.version, "created"))
        return unit

    versions = Unit.objects.filter(lineage=lineage).prefetch_related(
        Prefetch("outcomes", queryset=LearningOutcome.objects.prefetch_related("criteria")),
        "other_codes",
        "evidence_methods",
    )
    named = versions.filter(version=data["version"]).first()
    latest = latest_unit(lineage)
    wanted = _content(data)
    for candidate in (named, latest):
        if candidate is not None and _content(unit_document(candidate)) == wanted:
            report.items.append(
                StructureItem("unit", key, candidate.title, candidate.version, "unchanged")
            )
            return candidate
    base = named or latest
    _refuse_change(base, f"unit {key}", by, centre, where)
    before = outline_of(base)
    unit, made_new = draft_unit(base)
    kept = [c["number"] for o in data["outcomes"] for c in o["criteria"]]
    if not made_new and criteria_in_use(unit.criteria.exclude(number__in=kept)):
        # Something outside the catalogue holds a criterion the document drops: keep it.
        unit, made_new = copy_unit(latest_unit(lineage)), True
    _write_unit(unit, data, where)
    diff = diff_outlines(before, outline_of(unit))
    report.items.append(
        StructureItem(
            "unit",
            key,
            unit.title,
            unit.version,
            "new_version" if made_new else "updated",
            previous_version=base.version,
            changes=diff.counts(),
            fields=sorted(diff.fields),
        )
    )
    return unit


def _structure_of(qualification: Qualification) -> dict:
    """What makes two qualification versions the same, with units as row pks."""
    section = _qualification_section(qualification)
    section.pop("version")
    links = qualification.qualification_units.select_related("group").order_by("position", "pk")
    return {
        "qualification": section,
        "groups": sorted(
            (_group_section(g) for g in qualification.unit_groups.all()),
            key=lambda g: (g["position"], g["name"]),
        ),
        "units": [(link.unit_id, link.group.name) for link in links],
        "barred": sorted(qualification.barred_combinations.values_list("unit_id", "barred_id")),
    }


def _wanted_structure(doc: dict, units: dict[str, Unit]) -> dict:
    section = dict(doc["qualification"])
    section.pop("version")
    return {
        "qualification": section,
        "groups": sorted(doc["groups"], key=lambda g: (g["position"], g["name"])),
        "units": [(units[u["slug"]].pk, u["group"]) for u in doc["units"]],
        "barred": sorted((units[b["unit"]].pk, units[b["barred"]].pk) for b in doc["barred"]),
    }


def _awarding_body(data: dict, by) -> AwardingBody:
    body = AwardingBody.objects.filter(short_name=data["short_name"]).first()
    if body is None:
        body = _save(
            AwardingBody(short_name=data["short_name"], name=data["name"]),
            "qualification.awarding_body",
        )
        audit_record(
            action=AuditAction.CATALOGUE_CHANGED,
            actor=by,
            obj=body,
            summary=f"Awarding body {body} added from a qualification structure",
        )
    return body


def _write_qualification(qualification: Qualification, doc: dict, units: dict, by):
    data = doc["qualification"]
    for name in QUALIFICATION_VALUES:
        setattr(qualification, name, data[name])
    qualification.grading = validate_scheme(data["grading"])
    qualification.awarding_body = _awarding_body(data["awarding_body"], by)
    _save(qualification, "qualification")
    # The structure is written again whole: only an unused version is ever written.
    qualification.barred_combinations.all().delete()
    qualification.qualification_units.all().delete()
    existing = {g.name: g for g in qualification.unit_groups.all()}
    groups = {}
    for index, group_data in enumerate(doc["groups"]):
        group = existing.pop(group_data["name"], None) or UnitGroup(
            qualification=qualification, name=group_data["name"]
        )
        group.is_mandatory = group_data["mandatory"]
        group.position = group_data["position"]
        for name in GROUP_VALUES:
            setattr(group, name, group_data[name])
        groups[group.name] = _save(group, f"groups[{index}]")
    for group in existing.values():  # groups the document no longer has
        group.delete()
    for position, unit_data in enumerate(doc["units"]):
        QualificationUnit.objects.create(
            qualification=qualification,
            unit=units[unit_data["slug"]],
            group=groups[unit_data["group"]],
            position=position,
        )
    for bar in doc["barred"]:
        BarredCombination.objects.create(
            qualification=qualification, unit=units[bar["unit"]], barred=units[bar["barred"]]
        )


def _import_qualification(doc: dict, units: dict, *, by, centre, report: StructureReport):
    data = doc["qualification"]
    number = data["number"]
    family = None
    for scope in _scopes(centre):
        family = Qualification.objects.filter(scope, number=number).order_by("-version")
        if family.exists():
            break
        family = None
    if family is None:
        qualification = Qualification(number=number, version=data["version"], centre=centre)
        _write_qualification(qualification, doc, units, by)
        action, previous = "created", None
    else:
        named = family.filter(version=data["version"]).first()
        latest = family.first()
        wanted = _wanted_structure(doc, units)
        for candidate in (named, latest):
            if candidate is not None and _structure_of(candidate) == wanted:
                report.items.append(
                    StructureItem(
                        "qualification", number, candidate.title, candidate.version, "unchanged"
                    )
                )
                report.qualification_pk = candidate.pk
                return candidate
        base = named or latest
        _refuse_change(base, f"qualification {number}", by, centre, "qualification")
        qualification, made_new = draft_qualification(base)
        _write_qualification(qualification, doc, units, by)
        action = "new_version" if made_new else "updated"
        previous = base.version
    audit_record(
        action=AuditAction.CATALOGUE_CHANGED,
        actor=by,
        obj=qualification,
        centre=centre,
        summary=f"{qualification} {action.replace('_', ' ')} from a qualification structure",
        data={
            "action": action,
            "version": qualification.version,
            "units": [units[u["slug"]].slug for u in doc["units"]],
        },
    )
    report.items.append(
        StructureItem(
            "qualification",
            number,
            qualification.title,
            qualification.version,
            action,
            previous_version=previous,
        )
    )
    report.qualification_pk = qualification.pk
    return qualification


def _may_add(by, centre) -> bool:
    """Whether `by` may add rows to this centre's own catalogue (None: the shared one)."""

    class _Place:
        centre_id = getattr(centre, "pk", None)

    return may_change(by, _Place())


def import_structure(
    document: dict, *, by=None, centre=None, dry_run: bool = False
) -> StructureReport:
    """Save what the document describes, following the version rules; returns what was done.

    `by`: who imports (None: the site's own command line); `centre`: rows made belong to that
    centre's own catalogue (None: the shared one). Raises StructureError, saving nothing, when
    the document fails the schema or its meaning checks, or changes what `by` may not. A dry
    run does everything, reports it, and rolls it back.
    """
    doc = check_document(document)
    if not _may_add(by, centre):
        place = "the shared catalogue" if centre is None else f"{centre}'s catalogue"
        raise StructureError([f"You may not import into {place}. Nothing was saved."])
    report = StructureReport(dry_run=dry_run)
    with transaction.atomic():
        units = {}
        for index, unit_data in enumerate(doc["units"]):
            unit = _import_unit(unit_data, index, by=by, centre=centre, report=report)
            if report.units[-1].action != "unchanged":
                audit_record(
                    action=AuditAction.CATALOGUE_CHANGED,
                    actor=by,
                    obj=unit,
                    centre=centre,
                    summary=f"{unit} (v{unit.version}) {report.units[-1].action.replace('_', ' ')}"
                    " from a qualification structure",
                    data={"action": report.units[-1].action, "version": unit.version},
                )
            units[unit_data["slug"]] = unit
            if unit_data["code"]:
                units.setdefault(unit_data["code"], unit)
        if doc["qualification"] is not None:
            _import_qualification(doc, units, by=by, centre=centre, report=report)
        if dry_run:
            transaction.set_rollback(True)
    if dry_run:
        report.qualification_pk = None
    return report

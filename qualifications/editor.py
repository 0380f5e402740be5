"""Writing a qualification's rules of combination: the rules editor's one service.

What it changes: the minimum credits, the level rule, the groups (name, mandatory, minimum and
maximum units and credits) and which group each unit is in, each unit's credits, GLH and TQT,
the barred combinations, and the grading points table. It checks everything first and saves
everything or nothing, in one transaction with its audit entries.

A version that any enrolment uses never changes (`versions.in_use`): the change is saved into
the next version (`versions.draft_qualification`), and a unit whose credits change while it is
in use becomes a new unit version (`versions.draft_unit`) swapped into that draft. Learners stay
on their version until a centre admin moves them.

The change is written in version-neutral terms (groups by their current name, units by
lineage), so it applies to whichever version is the draft.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from audit.chain import audit_record
from audit.enums import AuditAction
from qualifications import versions
from qualifications.grading import SchemeError, validate_scheme
from qualifications.models import BarredCombination, Qualification, QualificationUnit, UnitGroup
from qualifications.permissions import may_change
from qualifications.rules import unit_label

UNIT_NUMBERS = ("credit_value", "glh", "tqt")
GROUP_NUMBERS = ("min_units", "max_units", "min_credits", "max_credits")


@dataclass(frozen=True)
class GroupRow:
    key: str  # the group's name now; "" for a new group
    name: str
    is_mandatory: bool = False
    min_units: int | None = None
    max_units: int | None = None
    min_credits: int | None = None
    max_credits: int | None = None
    delete: bool = False


@dataclass(frozen=True)
class UnitRow:
    lineage: str
    group: str  # the key (name now) of the group the unit goes in
    credit_value: int | None = None
    glh: int | None = None
    tqt: int | None = None


@dataclass(frozen=True)
class RulesChange:
    min_credits: int | None = None
    min_credits_at_level: int | None = None
    at_level: int | None = None
    grading: dict = field(default_factory=dict)
    groups: tuple[GroupRow, ...] = ()
    units: tuple[UnitRow, ...] = ()
    barred: tuple[tuple[str, str], ...] = ()  # (unit lineage, barred unit lineage)


@dataclass
class RulesSaved:
    qualification: Qualification  # the version the rules were saved into
    previous: Qualification  # the version the editor was opened on
    changed: bool = True
    made_new: bool = False
    new_units: list = field(default_factory=list)

    @property
    def message(self) -> str:
        if not self.changed:
            return "Nothing changed."
        if self.made_new:
            return (
                f"Saved as version {self.qualification.version}. Learners stay on version "
                f"{self.previous.version} until a centre admin moves them."
            )
        if self.qualification.pk != self.previous.pk:
            return (
                f"Saved into version {self.qualification.version}, which no learner uses yet. "
                f"Learners stay on version {self.previous.version} until a centre admin moves "
                "them."
            )
        return "The rules are saved."


def _links(qualification):
    return list(
        QualificationUnit.objects.filter(qualification=qualification)
        .select_related("unit", "group")
        .order_by("group__position", "position")
    )


def rules_of(qualification: Qualification) -> RulesChange:
    """The rules as they are now, in the terms a change is written in."""
    groups = list(UnitGroup.objects.filter(qualification=qualification).order_by("position"))
    barred = BarredCombination.objects.filter(qualification=qualification).select_related(
        "unit", "barred"
    )
    return RulesChange(
        min_credits=qualification.min_credits,
        min_credits_at_level=qualification.min_credits_at_level,
        at_level=qualification.at_level,
        grading=qualification.grading or {},
        groups=tuple(
            GroupRow(
                key=g.name,
                name=g.name,
                is_mandatory=g.is_mandatory,
                **{name: getattr(g, name) for name in GROUP_NUMBERS},
            )
            for g in groups
        ),
        units=tuple(
            UnitRow(
                lineage=link.unit.lineage,
                group=link.group.name,
                **{name: getattr(link.unit, name) for name in UNIT_NUMBERS},
            )
            for link in _links(qualification)
        ),
        barred=tuple((b.unit.lineage, b.barred.lineage) for b in barred),
    )


def _normal(change: RulesChange) -> RulesChange:
    """The change with unchanged groups' rows as `rules_of` writes them, for comparing."""
    groups = tuple(g for g in change.groups if not (g.delete and not g.key))
    barred = tuple(sorted(set(change.barred)))
    return RulesChange(
        min_credits=change.min_credits,
        min_credits_at_level=change.min_credits_at_level,
        at_level=change.at_level,
        grading=change.grading or {},
        groups=groups,
        units=tuple(sorted(change.units, key=lambda u: u.lineage)),
        barred=barred,
    )


def _check(qualification, change: RulesChange, links, by) -> tuple[list[str], dict]:
    """Every fault of the change, in words; and the checked grading table."""
    problems = []
    by_lineage = {link.unit.lineage: link.unit for link in links}
    kept = [g for g in change.groups if not g.delete]
    names = [g.name.strip() for g in kept]
    if any(not n for n in names):
        problems.append("Each group needs a name.")
    for name in sorted({n for n in names if n and names.count(n) > 1}):
        problems.append(f"Two groups are called “{name}”: each needs its own name.")
    current = set(
        UnitGroup.objects.filter(qualification=qualification).values_list("name", flat=True)
    )
    for group in change.groups:
        if group.key and group.key not in current:
            problems.append(f"There is no group “{group.key}” in this qualification.")
    for group in kept:
        for what, low, high in (
            ("units", group.min_units, group.max_units),
            ("credits", group.min_credits, group.max_credits),
        ):
            if low is not None and high is not None and low > high:
                problems.append(
                    f"{group.name}: the minimum of {low} {what} is more than the maximum of {high}."
                )
    kept_keys = {g.key for g in kept if g.key}
    members: dict[str, int] = {}
    for row in change.units:
        unit = by_lineage.get(row.lineage)
        if unit is None:
            problems.append(f"Unit {row.lineage} is not part of {qualification.number}.")
            continue
        if row.group not in kept_keys:
            problems.append(f"Unit {unit_label(unit)} is in no group: choose its group.")
        members[row.group] = members.get(row.group, 0) + 1
        changes_numbers = any(getattr(row, n) != getattr(unit, n) for n in UNIT_NUMBERS)
        if changes_numbers and not may_change(by, unit):
            problems.append(
                f"Unit {unit_label(unit)} belongs to the shared catalogue: its credits, GLH "
                "and TQT are changed by the catalogue's editors."
            )
    for group in kept:
        count = members.get(group.key, 0) if group.key else 0
        if not group.is_mandatory and group.min_units and group.min_units > count:
            problems.append(
                f"{group.name}: at least {group.min_units} units, but the group has {count}."
            )
    if (change.min_credits_at_level is None) != (change.at_level is None):
        problems.append("The level rule needs both the minimum credits and the level (or neither).")
    for unit_lineage, barred_lineage in change.barred:
        if unit_lineage == barred_lineage:
            unit = by_lineage.get(unit_lineage)
            name = unit_label(unit) if unit else unit_lineage
            problems.append(f"Unit {name} cannot be barred from itself.")
            continue
        for lineage in (unit_lineage, barred_lineage):
            if lineage not in by_lineage:
                problems.append(
                    f"A barred combination names unit {lineage}, which is not part of "
                    f"{qualification.number}."
                )
    try:
        grading = validate_scheme(change.grading or {})
    except SchemeError as error:
        problems.append(f"Grading points table: {error}")
        grading = {}
    return problems, grading


def _audit(*, by, obj, summary, data):
    audit_record(
        action=AuditAction.CATALOGUE_CHANGED, actor=by, obj=obj, summary=summary, data=data
    )


def qualification_rules_save(
    *, qualification: Qualification, change: RulesChange, by
) -> RulesSaved:
    """Save the rules of combination (and the units' credits, GLH, TQT and the grading table)
    of `qualification`, into a new version when this one is in use. Raises PermissionDenied
    when `by` may not change it, ValidationError naming every fault (nothing saved)."""
    if not may_change(by, qualification):
        raise PermissionDenied("Only the catalogue's editors may change this qualification.")
    links = _links(qualification)
    problems, grading = _check(qualification, change, links, by)
    if problems:
        raise ValidationError(problems)
    change = RulesChange(**{**change.__dict__, "grading": grading})
    if _normal(change) == _normal(rules_of(qualification)):
        return RulesSaved(qualification=qualification, previous=qualification, changed=False)

    with transaction.atomic():
        draft, made_new = versions.draft_qualification(qualification)
        if made_new:
            _audit(
                by=by,
                obj=draft,
                summary=f"{draft} made from version {qualification.version} to change its rules",
                data={"from_version": qualification.version, "what": "new version"},
            )
        saved = RulesSaved(qualification=draft, previous=qualification, made_new=made_new)
        draft_links = {link.unit.lineage: link for link in _links(draft)}
        missing = [row.lineage for row in change.units if row.lineage not in draft_links]
        if missing:
            raise ValidationError(
                f"Version {draft.version} no longer holds unit(s) {', '.join(missing)}: "
                "open the editor again."
            )
        groups, removed = _save_groups(draft, change, by=by)
        _save_units(draft, change, draft_links, groups, saved, by=by)
        _remove_groups(draft, removed, by=by)
        _save_barred(draft, change, by=by)
        for name in ("min_credits", "min_credits_at_level", "at_level"):
            setattr(draft, name, getattr(change, name))
        draft.grading = grading
        draft.full_clean()
        draft.save()
        _audit(
            by=by,
            obj=draft,
            summary=f"Rules of combination of {draft} changed",
            data={
                "what": "rules",
                "min_credits": draft.min_credits,
                "min_credits_at_level": draft.min_credits_at_level,
                "at_level": draft.at_level,
                "grading": grading,
                "groups": [g.name for g in groups.values()],
                "barred": [list(pair) for pair in sorted(set(change.barred))],
            },
        )
    return saved


def _save_groups(draft, change: RulesChange, *, by) -> tuple[dict[str, UnitGroup], list]:
    """Groups made and changed; returns {key: group} of those kept (new ones keyed by their
    name) and the groups to remove once their units have moved."""
    current = {g.name: g for g in UnitGroup.objects.filter(qualification=draft)}
    kept = [g for g in change.groups if not g.delete]
    removed = [(current[g.key], g.key) for g in change.groups if g.delete and g.key in current]
    # Names are unique per qualification: move renamed and removed groups aside first, so
    # that two groups may swap names or one take a removed one's name.
    for row in change.groups:
        if row.key in current and (row.delete or row.key != row.name.strip()):
            group = current[row.key]
            group.name = f"~{group.pk}"
            group.save(update_fields=["name"])
    result = {}
    for position, row in enumerate(kept):
        group = current.get(row.key) if row.key else None
        group = group or UnitGroup(qualification=draft)
        before = {n: getattr(group, n) for n in ("name", "is_mandatory", *GROUP_NUMBERS)}
        group.name = row.name.strip()
        group.is_mandatory = row.is_mandatory
        for name in GROUP_NUMBERS:
            setattr(group, name, getattr(row, name))
        group.position = position
        after = {n: getattr(group, n) for n in ("name", "is_mandatory", *GROUP_NUMBERS)}
        made = group.pk is None
        group.full_clean()
        group.save()
        if made or before != after:
            _audit(
                by=by,
                obj=group,
                summary=f"{draft.number} v{draft.version}: group {group.name} "
                + ("added" if made else "changed"),
                data={"what": "group", **after},
            )
        result[row.key or row.name.strip()] = group
    return result, removed


def _save_units(draft, change, draft_links, groups, saved: RulesSaved, *, by) -> None:
    for row in change.units:
        link = draft_links[row.lineage]
        unit = link.unit
        numbers = {name: getattr(row, name) for name in UNIT_NUMBERS}
        if any(getattr(unit, n) != v for n, v in numbers.items()):
            before = {n: getattr(unit, n) for n in UNIT_NUMBERS}
            new, made = versions.draft_unit(unit)
            if made:
                saved.new_units.append(new)
                _audit(
                    by=by,
                    obj=new,
                    summary=f"{new} version {new.version} made to change its credits",
                    data={"from_version": unit.version, "what": "new unit version"},
                )
            for name, value in numbers.items():
                setattr(new, name, value)
            new.full_clean()
            new.save()
            _audit(
                by=by,
                obj=new,
                summary=f"{new} (v{new.version}): credits, GLH or TQT changed",
                data={"what": "unit", "before": before, "after": numbers},
            )
            if new.pk != unit.pk:
                _swap_unit(draft, unit, new)
                link.unit = new
        group = groups[row.group]
        if link.group_id != group.pk:
            link.group = group
            link.save(update_fields=["group", "unit"])


def _remove_groups(draft, removed, *, by) -> None:
    for group, name in removed:
        if group.members.exists():
            raise ValidationError(f"The group {name} still holds units: move them first.")
        audit_record(
            action=AuditAction.CATALOGUE_CHANGED,
            actor=by,
            obj=group,
            summary=f"{draft.number} v{draft.version}: group {name} removed",
            data={"what": "group removed"},
            deleted=True,
        )
        group.delete()


def _swap_unit(draft, old, new) -> None:
    QualificationUnit.objects.filter(qualification=draft, unit=old).update(unit=new)
    BarredCombination.objects.filter(qualification=draft, unit=old).update(unit=new)
    BarredCombination.objects.filter(qualification=draft, barred=old).update(barred=new)


def _save_barred(draft, change: RulesChange, *, by) -> None:
    units = {link.unit.lineage: link.unit for link in _links(draft)}
    wanted = set()
    for unit_lineage, barred_lineage in change.barred:
        if (barred_lineage, unit_lineage) not in wanted:
            wanted.add((unit_lineage, barred_lineage))
    have = {
        (b.unit.lineage, b.barred.lineage): b
        for b in BarredCombination.objects.filter(qualification=draft).select_related(
            "unit", "barred"
        )
    }
    for pair, bar in have.items():
        if pair not in wanted and pair[::-1] not in wanted:
            audit_record(
                action=AuditAction.CATALOGUE_CHANGED,
                actor=by,
                obj=bar,
                summary=f"{draft.number} v{draft.version}: barred combination removed: {bar}",
                data={"what": "barred removed", "pair": list(pair)},
                deleted=True,
            )
            bar.delete()
    for pair in sorted(wanted):
        if pair in have or pair[::-1] in have:
            continue
        bar = BarredCombination(qualification=draft, unit=units[pair[0]], barred=units[pair[1]])
        bar.full_clean()
        bar.save()
        _audit(
            by=by,
            obj=bar,
            summary=f"{draft.number} v{draft.version}: {bar}",
            data={"what": "barred", "pair": list(pair)},
        )

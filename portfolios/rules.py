"""A qualification's rules of combination, checked against the units a learner is to take."""

from dataclasses import dataclass, field

from qualifications.models import QualificationUnit, UnitGroup


def unit_label(unit) -> str:
    return f"{unit.code} {unit.title}" if unit.code else unit.title


def _units(n: int) -> str:
    return f"{n} unit{'s' if n != 1 else ''}"


@dataclass
class CombinationCheck:
    problems: list[str] = field(default_factory=list)
    # Rules that could not be checked (units without credit values); said, never hidden.
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _credit_rule(minimum, units, *, what: str, check: CombinationCheck) -> None:
    if not minimum:
        return
    known = sum(u.credit_value for u in units if u.credit_value is not None)
    unknown = [u for u in units if u.credit_value is None]
    if known >= minimum:
        return
    if unknown:
        check.notes.append(
            f"The minimum of {minimum} credits for {what} was not checked: "
            f"{_units(len(unknown))} chosen have no credit value in the catalogue."
        )
        return
    check.problems.append(
        f"{what[0].upper()}{what[1:]} needs at least {minimum} credits; "
        f"the chosen units give {known}."
    )


def check_unit_choice(qualification, units) -> CombinationCheck:
    """What is missing from `units` for `qualification`, in words an admin can act on."""
    check = CombinationCheck()
    chosen = {u.pk: u for u in units}
    if not chosen:
        check.problems.append("Choose the units the learner will take.")
        return check
    members = list(
        QualificationUnit.objects.filter(qualification=qualification)
        .select_related("unit", "group")
        .order_by("group__position", "position")
    )
    in_qualification = {m.unit_id for m in members}
    for unit in chosen.values():
        if unit.pk not in in_qualification:
            check.problems.append(f"Unit {unit_label(unit)} is not part of {qualification.number}.")

    groups: dict[int, tuple[UnitGroup, list]] = {}
    for member in members:
        groups.setdefault(member.group_id, (member.group, []))[1].append(member.unit)
    for group, group_units in groups.values():
        picked = [u for u in group_units if u.pk in chosen]
        if group.is_mandatory:
            for unit in group_units:
                if unit.pk not in chosen:
                    check.problems.append(f"Mandatory unit {unit_label(unit)} is not chosen.")
            continue
        if group.min_units and len(picked) < group.min_units:
            check.problems.append(
                f"{group.name}: choose at least {_units(group.min_units)}; {len(picked)} chosen."
            )
        _credit_rule(group.min_credits, picked, what=f"the group {group.name}", check=check)

    _credit_rule(
        qualification.min_credits,
        [u for u in chosen.values() if u.pk in in_qualification],
        what=f"the qualification {qualification.number}",
        check=check,
    )
    return check

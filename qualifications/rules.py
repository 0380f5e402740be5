"""A qualification version's rules of combination, checked against the units a learner is to
take. The one place that says whether a choice of units fits: the enrolment form (live and on
saving), the enrolment and class-list services, and the portfolio's "on track" all read it.

The rules a qualification can record:
- per unit: credit value, GLH and TQT (on the Unit version);
- groups (mandatory; optional group A, B…), each with minimum and maximum units and credits;
- minimum total credits (`Qualification.min_credits`) and minimum credits at or above a level
  (`min_credits_at_level` + `at_level`);
- barred combinations (`BarredCombination`: unit X excludes unit Y).

A credit rule that units without a credit value (or level) leave undecided is said to be
unchecked, never decided on an invented number.
"""

from dataclasses import dataclass, field

from qualifications.models import BarredCombination, QualificationUnit, UnitGroup

NO_RULES = (
    "No rules of combination are recorded for this qualification: any choice of its units is "
    "accepted."
)
ONLY_MANDATORY = (
    "No rules of combination are recorded for this qualification beyond its mandatory units "
    "(no minimum credits, no optional-group rule): any choice of its other units is accepted."
)


def unit_label(unit) -> str:
    return f"{unit.code} {unit.title}" if unit.code else unit.title


def _units(n: int) -> str:
    return f"{n} unit{'s' if n != 1 else ''}"


def _credits(n: int) -> str:
    return f"{n} credit{'s' if n != 1 else ''}"


def _unknown(n: int, what: str = "credit value") -> str:
    verb = "has" if n == 1 else "have"
    return f"{_units(n)} chosen {verb} no {what} in the catalogue"


@dataclass
class GroupTotal:
    """The running total of one group: what is chosen against what it allows."""

    group: UnitGroup
    units_total: int = 0
    units_chosen: int = 0
    credits_chosen: int = 0  # of the chosen units with a credit value
    without_credits: int = 0  # chosen units with no credit value
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.group.name

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def has_rule(self) -> bool:
        g = self.group
        return bool(
            g.is_mandatory
            or g.min_units
            or g.max_units is not None
            or g.min_credits
            or g.max_credits is not None
        )

    @property
    def rule(self) -> str:
        """The group's rule in words ("all 5 units", "2–3 units, at least 12 credits")."""
        g = self.group
        if g.is_mandatory:
            return f"all {_units(self.units_total)}"
        parts = [
            _range(g.min_units, g.max_units, _units),
            _range(g.min_credits, g.max_credits, _credits),
        ]
        return ", ".join(p for p in parts if p) or "no rule recorded"


def _range(low, high, word) -> str:
    if low and high is not None:
        return word(low) if low == high else f"{low}–{word(high)}"
    if low:
        return f"at least {word(low)}"
    if high is not None:
        return f"at most {word(high)}"
    return ""


@dataclass
class CombinationCheck:
    problems: list[str] = field(default_factory=list)
    # Rules that could not be checked (units without credit values) and rules never recorded;
    # said, never hidden.
    notes: list[str] = field(default_factory=list)
    groups: list[GroupTotal] = field(default_factory=list)
    credits_chosen: int = 0  # of the chosen units in the qualification with a credit value
    without_credits: int = 0
    units_chosen: int = 0
    min_credits: int | None = None
    level_credits: int | None = None  # chosen credits at or above `at_level`
    has_rules: bool = True

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def on_track(self) -> bool:
        """Every rule met, and the credit total known to reach the minimum."""
        return self.ok and not (self.min_credits and self.credits_chosen < self.min_credits)

    @property
    def summary(self) -> str:
        """One line: "On track: 37 of 37 credits chosen." or what is missing."""
        if self.problems:
            missing = len(self.problems)
            return (
                f"Not on track: {missing} rule{'s' if missing != 1 else ''} of combination not met."
            )
        if self.min_credits and self.credits_chosen < self.min_credits:
            # Only possible when units without a credit value left the rule unchecked.
            return (
                f"Not checked: {self.credits_chosen} of {self.min_credits} credits known; "
                f"{_unknown(self.without_credits)}."
            )
        if self.min_credits:
            return f"On track: {self.credits_chosen} of {self.min_credits} credits chosen."
        if self.credits_chosen and not self.without_credits:
            return f"On track: {self.credits_chosen} credits chosen."
        return f"On track: {_units(self.units_chosen)} chosen."


def _credit_rules(check, *, label, low, high, known, unknown, unknown_what="credit value"):
    """Min/max credit rules over a set of units: a problem named by `label`, a note when units
    without a value leave it undecided. Returns the problems found."""
    found = []
    if low and known < low:
        if unknown:
            check.notes.append(
                f"{label}: at least {_credits(low)} was not checked; "
                f"{_unknown(unknown, unknown_what)}."
            )
        else:
            found.append(f"{label}: at least {_credits(low)}; {known} chosen.")
    if high is not None:
        if known > high:
            found.append(f"{label}: at most {_credits(high)}; {known} chosen.")
        elif unknown:
            check.notes.append(
                f"{label}: at most {_credits(high)} was not checked; "
                f"{_unknown(unknown, unknown_what)}."
            )
    return found


def _members(qualification):
    return list(
        QualificationUnit.objects.filter(qualification=qualification)
        .select_related("unit", "group")
        .order_by("group__position", "position")
    )


def check_unit_choice(qualification, units) -> CombinationCheck:
    """What `units` (the learner's choice) lacks for `qualification` (one version), in words
    an admin can act on, with the running totals per group and overall."""
    check = CombinationCheck(min_credits=qualification.min_credits)
    chosen_ids = {u.pk for u in units}
    members = _members(qualification)
    groups = {
        g.pk: GroupTotal(g)
        for g in UnitGroup.objects.filter(qualification=qualification).order_by("position")
    }
    barred = list(
        BarredCombination.objects.filter(qualification=qualification).select_related(
            "unit", "barred"
        )
    )
    in_qualification = {m.unit_id: m.unit for m in members}
    check.has_rules = bool(
        qualification.min_credits
        or qualification.min_credits_at_level
        or barred
        or any(t.has_rule for t in groups.values())
    )

    if not chosen_ids:
        check.problems.append("Choose the units the learner will take.")
    for unit in units:
        if unit.pk not in in_qualification:
            check.problems.append(f"Unit {unit_label(unit)} is not part of {qualification.number}.")

    chosen = [in_qualification[pk] for pk in chosen_ids if pk in in_qualification]
    check.units_chosen = len(chosen)
    check.credits_chosen = sum(u.credit_value or 0 for u in chosen)
    check.without_credits = sum(1 for u in chosen if u.credit_value is None)

    for member in members:
        total = groups[member.group_id]
        total.units_total += 1
        if member.unit_id in chosen_ids:
            total.units_chosen += 1
            if member.unit.credit_value is None:
                total.without_credits += 1
            else:
                total.credits_chosen += member.unit.credit_value
        elif total.group.is_mandatory:
            total.problems.append(f"Mandatory unit {unit_label(member.unit)} is not chosen.")
    for total in groups.values():
        g = total.group
        if g.min_units and total.units_chosen < g.min_units:
            total.problems.append(
                f"{g.name}: at least {_units(g.min_units)}; {total.units_chosen} chosen."
            )
        if g.max_units is not None and total.units_chosen > g.max_units:
            total.problems.append(
                f"{g.name}: at most {_units(g.max_units)}; {total.units_chosen} chosen."
            )
        total.problems += _credit_rules(
            check,
            label=g.name,
            low=g.min_credits,
            high=g.max_credits,
            known=total.credits_chosen,
            unknown=total.without_credits,
        )
        check.problems += total.problems
    check.groups = list(groups.values())

    for bar in barred:
        if bar.unit_id in chosen_ids and bar.barred_id in chosen_ids:
            check.problems.append(
                f"Unit {unit_label(bar.unit)} cannot be taken with unit {unit_label(bar.barred)} "
                "(barred combination)."
            )

    check.problems += _credit_rules(
        check,
        label="In total",
        low=qualification.min_credits,
        high=None,
        known=check.credits_chosen,
        unknown=check.without_credits,
    )
    if qualification.min_credits_at_level and qualification.at_level:
        _level_rule(check, qualification, chosen)

    if chosen_ids and not check.has_rules:
        check.notes.append(NO_RULES)
    elif chosen_ids and _only_mandatory(qualification, groups, barred):
        check.notes.append(ONLY_MANDATORY)
    return check


def _only_mandatory(qualification, groups, barred) -> bool:
    optional = [t for t in groups.values() if not t.group.is_mandatory and t.units_total]
    return bool(
        optional
        and not qualification.min_credits
        and not qualification.min_credits_at_level
        and not barred
        and not any(t.has_rule for t in optional)
    )


def _level_rule(check, qualification, chosen) -> None:
    level, minimum = qualification.at_level, qualification.min_credits_at_level
    counted = [u for u in chosen if u.level is not None and u.level >= level]
    known = sum(u.credit_value for u in counted if u.credit_value is not None)
    # A unit with no level might be at the level; a counted unit with no credits adds unknown.
    unknown = sum(1 for u in chosen if u.level is None) + sum(
        1 for u in counted if u.credit_value is None
    )
    check.level_credits = known
    if known >= minimum:
        return
    rule = f"At least {_credits(minimum)} at level {level} or above"
    if unknown:
        check.notes.append(f"{rule} was not checked; {_unknown(unknown, 'level or credit value')}.")
    else:
        check.problems.append(f"{rule}; {known} chosen.")

"""Setting up an intake from a class list: all rows or none."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import services as people
from accounts.enums import Role
from accounts.models import Centre, Membership, User
from accounts.permissions import forget_memberships
from centres.intake import IntakeRow, parse_date, row_problems, split_names, split_units, text
from centres.models import IntakeUpload
from portfolios.models import Enrolment
from portfolios.services import enrolment_create, enrolment_update
from qualifications.models import Qualification, QualificationUnit, Unit


@dataclass
class RowResult:
    number: int
    name: str
    email: str
    actions: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class IntakeResult:
    rows: list[RowResult]
    saved: bool
    invited: list[User] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return sum(len(r.errors) for r in self.rows)

    def summary(self) -> str:
        counts = {}
        for row in self.rows:
            for action in row.actions:
                counts[action] = counts.get(action, 0) + 1
        parts = [f"{n} {action}" for action, n in sorted(counts.items())]
        return f"{len(self.rows)} rows: " + (", ".join(parts) or "nothing to change")


class _RowError(Exception):
    def __init__(self, column, message):
        super().__init__(message)
        self.column, self.message = column, message


class _Lookups:
    """What every row may name, read once for the whole file."""

    def __init__(self, centre: Centre):
        self.tutors = {
            m.user.email.lower(): m.user
            for m in Membership.objects.active()
            .filter(centre=centre, role=Role.TUTOR)
            .select_related("user")
            if m.user.email
        }
        self.qualifications = {q.number: q for q in Qualification.objects.all()}
        self.units = {u.code: u for u in Unit.objects.exclude(code="")}
        self.members = {}
        for link in QualificationUnit.objects.select_related("group", "unit"):
            self.members.setdefault(link.qualification_id, []).append(link)


def _tutor(lookups, values) -> User:
    email = text(values.get("tutor_email")).lower()
    tutor = lookups.tutors.get(email)
    if tutor is None:
        raise _RowError("tutor_email", f"No tutor with the e-mail '{email}' at this centre.")
    return tutor


def _programme(lookups, values) -> tuple[Qualification | None, list[Unit]]:
    number = text(values.get("qualification_number"))
    codes = split_units(values.get("units"))
    qualification = None
    if number:
        qualification = lookups.qualifications.get(number)
        if qualification is None:
            raise _RowError("qualification_number", f"No qualification {number} in the catalogue.")
    unknown = [c for c in codes if c not in lookups.units]
    if unknown:
        raise _RowError("units", "No unit " + ", ".join(unknown) + " in the catalogue.")
    units = [lookups.units[c] for c in codes]
    if qualification is None:
        if len(units) != 1:
            raise _RowError(
                "qualification_number",
                "Give a qualification number, or exactly one unit for a short course.",
            )
        return None, units
    links = lookups.members.get(qualification.pk, [])
    in_qualification = {link.unit_id for link in links}
    outside = [u.code for u in units if u.pk not in in_qualification]
    if outside:
        raise _RowError("units", f"{', '.join(outside)} is not a unit of {qualification.number}.")
    if not units:  # no units named: the mandatory ones
        units = [link.unit for link in links if link.group.is_mandatory]
    return qualification, units


def _learner(*, centre, values, by, result: RowResult) -> tuple[User, bool]:
    email = text(values.get("email")).lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise _RowError("email", f"'{email}' is not an e-mail address.") from error
    first, last = split_names(values)
    if not first:
        raise _RowError("name", "The learner's name is missing.")
    person = people.person_find_by_email(email)
    created = person is None
    if created:
        person, _ = people.person_add(
            centre=centre,
            first_name=first,
            last_name=last,
            email=email,
            roles=[Role.LEARNER],
            by=by,
        )
        result.actions.append("new learner")
    else:
        changed = (person.first_name, person.last_name) != (first, last)
        if changed:
            person.first_name, person.last_name = first, last
            person.full_clean()
            person.save(update_fields=["first_name", "last_name"])
            result.actions.append("name updated")
        people.role_give(centre=centre, person=person, role=Role.LEARNER, by=by)
    forget_memberships(person)
    return person, created


def _enrol(*, centre, learner, tutor, qualification, units, values, by, result: RowResult):
    start = _date(values, "start_date")
    end = _date(values, "planned_end_date")
    if end < start:
        raise _RowError("planned_end_date", "The planned end date is before the start date.")
    registration = text(values.get("registration_number"))
    existing = Enrolment.objects.filter(centre=centre, learner=learner, qualification=qualification)
    if qualification is None:
        existing = existing.filter(units=units[0])
    enrolment = existing.first()
    try:
        if enrolment is None:
            enrolment_create(
                centre=centre,
                learner=learner,
                tutor=tutor,
                qualification=qualification,
                units=units,
                registration_number=registration,
                start_date=start,
                planned_end_date=end,
                by=by,
            )
            result.actions.append("new enrolment")
            return
        before = _enrolment_state(enrolment)
        enrolment_update(
            enrolment=enrolment,
            tutor=tutor,
            units=units,
            registration_number=registration,
            start_date=start,
            planned_end_date=end,
            status=enrolment.status,
            by=by,
        )
        enrolment.refresh_from_db()
        if _enrolment_state(enrolment) != before:
            result.actions.append("enrolment updated")
        elif not result.actions:
            result.actions.append("unchanged")
    except ValidationError as error:
        message = " ".join(error.messages)
        column = "tutor_email" if "not a tutor" in message else "units"
        raise _RowError(column, message) from error


def _enrolment_state(enrolment):
    return (
        enrolment.tutor_id,
        enrolment.registration_number,
        enrolment.start_date,
        enrolment.planned_end_date,
        tuple(sorted(enrolment.units.values_list("pk", flat=True))),
    )


def _date(values, column):
    try:
        return parse_date(values.get(column))
    except ValueError as error:
        raise _RowError(column, str(error)) from error


def _import_row(*, centre, row: IntakeRow, lookups, by) -> tuple[RowResult, User | None]:
    values = row.values
    first, last = split_names(values)
    result = RowResult(
        number=row.number, name=f"{first} {last}".strip(), email=text(values.get("email"))
    )
    try:
        # Check what needs no writing first, so a bad row reports every column it can.
        problems = row_problems(values)
        for check in (lambda: _tutor(lookups, values), lambda: _programme(lookups, values)):
            try:
                check()
            except _RowError as error:
                problems.append((error.column, error.message))
        for column in ("start_date", "planned_end_date"):
            try:
                _date(values, column)
            except _RowError as error:
                problems.append((error.column, error.message))
        if problems:
            result.errors.extend(problems)
            return result, None
        tutor = _tutor(lookups, values)
        qualification, units = _programme(lookups, values)
        with transaction.atomic():  # a savepoint: a failed row leaves nothing behind
            learner, created = _learner(centre=centre, values=values, by=by, result=result)
            _enrol(
                centre=centre,
                learner=learner,
                tutor=tutor,
                qualification=qualification,
                units=units,
                values=values,
                by=by,
                result=result,
            )
        return result, learner if created else None
    except _RowError as error:
        result.errors.append((error.column, error.message))
    except (ValidationError, IntegrityError) as error:
        messages = getattr(error, "messages", [str(error)])
        result.errors.append(("", " ".join(messages)))
    result.actions.clear()
    return result, None


def intake_import(
    *, upload: IntakeUpload, rows: list[IntakeRow], by: User, commit: bool, base_url: str = ""
) -> IntakeResult:
    """Import every row, or (on any error, or when not committing) none of them."""
    centre = upload.centre
    with transaction.atomic():
        lookups = _Lookups(centre)
        results, invited = [], []
        seen = {}
        for row in rows:
            email = text(row.values.get("email")).lower()
            key = (email, text(row.values.get("qualification_number")))
            if key in seen:
                result = RowResult(number=row.number, name="", email=email)
                result.errors.append(
                    ("email", f"The same learner and qualification as row {seen[key]}.")
                )
                results.append(result)
                continue
            seen[key] = row.number
            result, new_person = _import_row(centre=centre, row=row, lookups=lookups, by=by)
            results.append(result)
            if new_person is not None:
                invited.append(new_person)
        outcome = IntakeResult(rows=results, saved=False)
        if outcome.error_count or not commit:
            transaction.set_rollback(True)
            return outcome
        upload.imported_at = timezone.now()
        upload.summary = outcome.summary()[:300]
        upload.save(update_fields=["imported_at", "summary"])
        outcome.saved, outcome.invited = True, invited
        for person in invited:
            transaction.on_commit(
                lambda person=person: people.invitation_send(
                    person=person, centre=centre, base_url=base_url
                )
            )
    return outcome

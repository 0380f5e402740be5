"""Setting up an intake from a class list: all rows or none, and only ever adding.

A row names a person by e-mail. Someone already at the centre is found; a new address gets an
account with the learner role; an address whose account is elsewhere is *invited*, and nothing
on that account changes until its owner signs in and accepts (its enrolment is made then). The
preview says the same for a new address and an invited account, so a class list reveals no
account's existence. An enrolment the centre has already is never cut back: the list may add
units to it, and everything else about it stays as it is (the preview says what stays).
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts import services as people
from accounts.enums import Role
from accounts.models import Centre, Invitation, Membership, User
from audit.chain import audit_record
from audit.enums import AuditAction
from centres.intake import (
    IntakeRow,
    parse_date,
    read_rows,
    row_problems,
    split_names,
    split_units,
    text,
)
from centres.models import IntakeUpload
from portfolios.models import Enrolment, EnrolmentUnit
from portfolios.services import enrolment_create, enrolment_units_add
from qualifications.models import Qualification, QualificationUnit, Unit
from qualifications.permissions import usable_q
from qualifications.rules import check_unit_choice

# What a row does, as the preview's badges and the summary count it.
NEW_PERSON = "new person"
ROLE_GIVEN = "learner role given"
NEW_ENROLMENT = "new enrolment"
UNITS_ADDED = "units added"
UNCHANGED = "unchanged"


@dataclass
class RowResult:
    number: int
    name: str
    email: str
    actions: list[str] = field(default_factory=list)  # NEW_PERSON, NEW_ENROLMENT, …
    details: list[str] = field(default_factory=list)  # what will change, in words
    kept: list[str] = field(default_factory=list)  # what the list differs on but stays
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changes(self) -> list[tuple[str, str]]:
        return list(zip(self.actions, self.details, strict=True))

    def did(self, action: str, detail: str) -> None:
        self.actions.append(action)
        self.details.append(detail)


@dataclass
class IntakeResult:
    rows: list[RowResult]
    saved: bool
    invited: list[User] = field(default_factory=list)  # new accounts: a link to set a password
    invitations: list[Invitation] = field(default_factory=list)  # accounts from elsewhere

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
        # Only the shared catalogue and the centre's own (another centre's is "not in the
        # catalogue"); where a number or code has several versions, the latest, and of two
        # alike the centre's own.
        usable = usable_q(centre)
        order = ("version", F("centre_id").asc(nulls_first=True))
        qualifications = Qualification.objects.filter(usable).order_by(*order)
        self.qualifications = {q.number: q for q in qualifications}
        units = Unit.objects.filter(usable).exclude(code="").order_by(*order)
        self.units = {u.code: u for u in units}
        self.members = {}
        links = QualificationUnit.objects.filter(usable_q(centre, "qualification__"))
        for link in links.select_related("group", "unit"):
            self.members.setdefault(link.qualification_id, []).append(link)


def _tutor(lookups, values) -> User:
    email = text(values.get("tutor_email")).lower()
    tutor = lookups.tutors.get(email)
    if tutor is None:
        raise _RowError("tutor_email", f"No tutor with the e-mail '{email}' at this centre.")
    return tutor


def _programme(lookups, values) -> tuple[Qualification | None, list[Unit], bool]:
    """(qualification, units, named): `named` is False when the cell was empty and the units
    are the qualification's mandatory ones."""
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
        return None, units, True
    links = lookups.members.get(qualification.pk, [])
    in_qualification = {link.unit_id for link in links}
    outside = [u.code for u in units if u.pk not in in_qualification]
    if outside:
        raise _RowError("units", f"{', '.join(outside)} is not a unit of {qualification.number}.")
    if not units:  # no units named: the mandatory ones
        return qualification, [link.unit for link in links if link.group.is_mandatory], False
    return qualification, units, True


def _codes(units) -> str:
    return ", ".join(u.code or u.title for u in units)


def _programme_label(qualification, units) -> str:
    return qualification.number if qualification else f"short course {_codes(units)}"


@dataclass
class _Learner:
    person: User | None  # None: an account from elsewhere, invited (`account` holds it)
    created: bool
    account: User | None = None


def _learner(*, centre, values, by, result: RowResult) -> _Learner:
    email = text(values.get("email")).lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise _RowError("email", f"'{email}' is not an e-mail address.") from error
    first, last = split_names(values)
    if not first:
        raise _RowError("name", "The learner's name is missing.")
    person = people.person_find_by_email(email)
    if person is None:
        person = people.person_create(first_name=first, last_name=last, email=email, by=by)
        people.role_give(centre=centre, person=person, role=Role.LEARNER, by=by)
        result.did(NEW_PERSON, "new to the centre: invited as learner")
        return _Learner(person, True)
    if not people.is_known_at(person, centre):
        # Another centre's person, or nobody's: the same words as a new address.
        result.did(NEW_PERSON, "new to the centre: invited as learner")
        return _Learner(None, False, account=person)
    # Someone the centre knows. Their name and e-mail are theirs: the list never changes them.
    if (person.first_name, person.last_name) != (first, last):
        result.kept.append(f"name stays {person.get_full_name()} (the list says {first} {last})")
    active = Membership.objects.active().filter(user=person, centre=centre, role=Role.LEARNER)
    if not active.exists():
        people.role_give(centre=centre, person=person, role=Role.LEARNER, by=by)
        result.did(ROLE_GIVEN, "learner role given")
    return _Learner(person, False)


def _dates(values):
    start = _date(values, "start_date")
    end = _date(values, "planned_end_date")
    if end < start:
        raise _RowError("planned_end_date", "The planned end date is before the start date.")
    return start, end


def _check_new_enrolment(qualification, units) -> None:
    """The checks `enrolment_create` makes of the units, for an enrolment made later."""
    if qualification is not None:
        problems = check_unit_choice(qualification, units).problems
        if problems:
            raise _RowError("units", " ".join(problems))


def _enrol(*, centre, learner: _Learner, tutor, programme, values, by, result: RowResult):
    qualification, units, named = programme
    start, end = _dates(values)
    registration = text(values.get("registration_number"))
    new_detail = (
        f"new enrolment on {_programme_label(qualification, units)}"
        f" with {len(units)} unit{'s' if len(units) != 1 else ''}: {_codes(units)}"
    )
    if learner.person is None:
        # Made when the invited person accepts; checked now, so the list fails now if it would.
        _check_new_enrolment(qualification, units)
        result.did(NEW_ENROLMENT, new_detail)
        return {
            "qualification": getattr(qualification, "pk", None),
            "units": [u.pk for u in units],
            "tutor": tutor.pk,
            "registration_number": registration,
            "start_date": start.isoformat(),
            "planned_end_date": end.isoformat(),
        }
    existing = Enrolment.objects.filter(
        centre=centre, learner=learner.person, qualification=qualification
    )
    if qualification is None:
        existing = existing.filter(units=units[0])
    enrolment = existing.select_related("tutor").first()
    try:
        if enrolment is None:
            enrolment_create(
                centre=centre,
                learner=learner.person,
                tutor=tutor,
                qualification=qualification,
                units=units,
                registration_number=registration,
                start_date=start,
                planned_end_date=end,
                by=by,
            )
            result.did(NEW_ENROLMENT, new_detail)
            return None
        _add_to_enrolment(enrolment, tutor, units, named, start, end, registration, by, result)
    except ValidationError as error:
        message = " ".join(error.messages)
        column = "tutor_email" if "not a tutor" in message else "units"
        raise _RowError(column, message) from error
    return None


def _add_to_enrolment(enrolment, tutor, units, named, start, end, registration, by, result):
    """Add the units the enrolment lacks; say what stays (an import never takes away)."""
    rows = {
        row.unit_id: row
        for row in EnrolmentUnit.objects.filter(enrolment=enrolment).select_related("unit")
    }
    withdrawn = [u for u in units if u.pk in rows and rows[u.pk].is_withdrawn]
    added = enrolment_units_add(
        enrolment=enrolment, units=[u for u in units if u.pk not in rows], by=by
    )
    if added:
        result.did(UNITS_ADDED, f"units added to {enrolment.programme_label}: {_codes(added)}")
    if withdrawn:
        result.kept.append(
            f"{_codes(withdrawn)} stay{'s' if len(withdrawn) == 1 else ''} withdrawn (restore "
            "from the enrolment's page)"
        )
    listed = {u.pk for u in units}
    others = [r.unit for r in rows.values() if not r.is_withdrawn and r.unit_id not in listed]
    if others:
        why = "" if named else " (the units cell is empty: mandatory units only)"
        result.kept.append(f"units not in the list stay{why}: {_codes(others)}")
    for label, now, listed_value in (
        ("tutor", enrolment.tutor, tutor),
        ("registration number", enrolment.registration_number, registration),
        ("start date", enrolment.start_date, start),
        ("planned end date", enrolment.planned_end_date, end),
    ):
        if listed_value and now != listed_value:
            result.kept.append(
                f"{label} stays {now or '(none)'} (the list says {listed_value}); change it "
                "on the enrolment's page"
            )
    if not result.actions:
        result.did(UNCHANGED, "already enrolled; nothing to add")


def _date(values, column):
    try:
        return parse_date(values.get(column))
    except ValueError as error:
        raise _RowError(column, str(error)) from error


def _import_row(*, centre, row: IntakeRow, lookups, by) -> tuple[RowResult, _Learner | None, dict]:
    values = row.values
    first, last = split_names(values)
    result = RowResult(
        number=row.number, name=f"{first} {last}".strip(), email=text(values.get("email"))
    )
    try:
        # Check what needs no writing first, so a bad row reports every column it can.
        problems = row_problems(values)
        for check in (
            lambda: _tutor(lookups, values),
            lambda: _programme(lookups, values),
            lambda: _date(values, "start_date"),
            lambda: _date(values, "planned_end_date"),
        ):
            try:
                check()
            except _RowError as error:
                problems.append((error.column, error.message))
        if problems:
            result.errors.extend(problems)
            return result, None, {}
        tutor = _tutor(lookups, values)
        programme = _programme(lookups, values)
        with transaction.atomic():  # a savepoint: a failed row leaves nothing behind
            learner = _learner(centre=centre, values=values, by=by, result=result)
            pending = _enrol(
                centre=centre,
                learner=learner,
                tutor=tutor,
                programme=programme,
                values=values,
                by=by,
                result=result,
            )
        return result, learner, pending or {}
    except _RowError as error:
        result.errors.append((error.column, error.message))
    except (ValidationError, IntegrityError) as error:
        messages = getattr(error, "messages", [str(error)])
        result.errors.append(("", " ".join(messages)))
    result.actions.clear()
    result.details.clear()
    result.kept.clear()
    return result, None, {}


def intake_import(
    *, upload: IntakeUpload, rows: list[IntakeRow], by: User, commit: bool, base_url: str = ""
) -> IntakeResult:
    """Import every row, or (on any error, or when not committing) none of them."""
    centre = upload.centre
    with transaction.atomic():
        lookups = _Lookups(centre)
        results, invited, invitations = [], [], []
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
            result, learner, pending = _import_row(centre=centre, row=row, lookups=lookups, by=by)
            results.append(result)
            if learner is not None and learner.created:
                invited.append(learner.person)
            if learner is not None and learner.account is not None:
                invitations.append(
                    people.invitation_create(
                        centre=centre,
                        person=learner.account,
                        email=result.email,
                        roles=[Role.LEARNER],
                        by=by,
                        enrolment=pending,
                    )
                )
        outcome = IntakeResult(rows=results, saved=False)
        if outcome.error_count or not commit:
            transaction.set_rollback(True)
            return outcome
        upload.imported_at = timezone.now()
        upload.summary = outcome.summary()[:300]
        upload.save(update_fields=["imported_at", "summary"])
        audit_record(
            action=AuditAction.INTAKE,
            actor=by,
            centre=centre,
            obj=upload,
            summary=f"Class list {upload.file_name} imported: {outcome.summary()}",
            data={"sha256": upload.sha256, "rows": len(results)},
        )
        outcome.saved, outcome.invited, outcome.invitations = True, invited, invitations
        for person in invited:
            transaction.on_commit(
                lambda person=person: people.invitation_send(
                    person=person, centre=centre, base_url=base_url
                )
            )
        for invitation in invitations:
            transaction.on_commit(
                lambda invitation=invitation: people.invitation_notice_send(
                    invitation=invitation, base_url=base_url
                )
            )
    return outcome


def intake_preview(*, centre: Centre, file_name: str, content: bytes, by: User):
    """Keep an uploaded class list (for `INTAKE_PREVIEW_DAYS` at most, unless imported) and try
    every row in a dry run: (the upload, what importing it would change). Raises
    IntakeFileError, keeping nothing, when the file cannot be read."""
    rows = read_rows(file_name, content)
    upload = IntakeUpload.objects.create(
        centre=centre, file_name=file_name[:255], content=content, uploaded_by=by
    )
    return upload, intake_import(upload=upload, rows=rows, by=by, commit=False)


# ---------------------------------------------------------------- accepting an invitation


@dataclass
class Accepted:
    memberships: list[Membership]
    enrolments: list[Enrolment]
    problems: list[str]


def invitation_accept(*, invitation: Invitation, by: User) -> Accepted:
    """The invited person takes the centre's roles, and is enrolled on what the class list
    asked for. An enrolment that can no longer be made (its tutor left, say) is named, and
    the centre enrols them by hand; the roles are taken all the same."""
    with transaction.atomic():
        memberships = people.invitation_accept(invitation=invitation, by=by)
        enrolments, problems = [], []
        for spec in invitation.enrolments:
            try:
                with transaction.atomic():
                    enrolments.append(_enrol_invited(invitation, spec, by))
            except (ValidationError, IntegrityError, LookupError) as error:
                messages = getattr(error, "messages", [str(error)])
                problems.append(
                    "An enrolment could not be made: " + " ".join(messages) + " "
                    f"Ask {invitation.centre.name} to enrol you."
                )
    return Accepted(memberships, enrolments, problems)


def _enrol_invited(invitation: Invitation, spec: dict, by: User) -> Enrolment:
    qualification = (
        Qualification.objects.get(pk=spec["qualification"]) if spec.get("qualification") else None
    )
    units = list(Unit.objects.filter(pk__in=spec.get("units") or []))
    return enrolment_create(
        centre=invitation.centre,
        learner=by,
        tutor=User.objects.get(pk=spec["tutor"]),
        qualification=qualification,
        units=units,
        registration_number=spec.get("registration_number", ""),
        start_date=datetime.date.fromisoformat(spec["start_date"]),
        planned_end_date=datetime.date.fromisoformat(spec["planned_end_date"]),
        # The admin who imported the list asked for it; the person's acceptance made it.
        by=invitation.invited_by or by,
    )

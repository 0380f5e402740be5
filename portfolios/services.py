"""Writes to enrolments and evidence.

Each function checks what the database cannot (roles, rules of combination, state), runs in
one transaction, and calls full_clean() before saving. Files are copied into storage before
the transaction opens (so no lock is held during a long copy) and removed again if anything
after that fails, so a failed request never leaves a file that no record points to.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.enums import NotificationKind, Role
from accounts.models import Centre, User
from accounts.permissions import has_role
from audit.chain import audit_record
from audit.enums import AuditAction
from portfolios import permissions
from portfolios.enums import DECLARATION_TEXT, DecisionOutcome, EnrolmentStatus
from portfolios.models import (
    CriterionDecision,
    DecisionEvidence,
    Enrolment,
    EnrolmentUnit,
    Evidence,
    EvidenceCriterion,
    EvidenceFile,
    ReopenedCriterion,
    Reopening,
    ReopeningClosure,
    UnitSignOff,
)
from portfolios.notifications import clear_evidence_notices, notify_evidence_submitted
from portfolios.record import locked_unit_ids, units_holding_work
from portfolios.selectors import evidence_methods_for
from portfolios.uploads import clean_display_name, delete_stored, store_upload
from portfolios.validators import validate_evidence_file, validate_upload_count
from qualifications.models import AssessmentCriterion, EvidenceMethod, Qualification, Unit
from qualifications.permissions import may_use
from qualifications.rules import check_unit_choice

# ---------------------------------------------------------------- enrolments


def _check_people(*, centre: Centre, learner: User, tutor: User) -> list[str]:
    problems = []
    if not has_role(learner, centre, Role.LEARNER):
        problems.append(f"{learner} is not a learner at {centre.name}.")
    if not has_role(tutor, centre, Role.TUTOR):
        problems.append(f"{tutor} is not a tutor at {centre.name}.")
    return problems


def _check_units(qualification: Qualification | None, units: Sequence[Unit]) -> list[str]:
    if qualification is None:
        if len(units) != 1:
            return ["A short-course enrolment is on exactly one unit."]
        return []
    return check_unit_choice(qualification, units).problems


def _check_catalogue(
    centre: Centre, qualification: Qualification | None, units: Sequence[Unit]
) -> list[str]:
    """Learners are enrolled only on the shared catalogue and their centre's own."""
    problems = []
    if qualification is not None and not may_use(centre, qualification):
        problems.append(
            f"Qualification {qualification.number} is not in {centre.name}'s catalogue."
        )
    problems += [
        f"Unit {_unit_name(unit)} is not in {centre.name}'s catalogue."
        for unit in units
        if not may_use(centre, unit)
    ]
    return problems


def _unit_name(unit: Unit) -> str:
    return f"{unit.code} {unit.title}".strip()


def _unit_key(unit: Unit) -> str:
    return unit.code or unit.slug


def _enrolment_fields(enrolment: Enrolment) -> dict:
    return {
        "tutor": enrolment.tutor_id,
        "registration_number": enrolment.registration_number,
        "start_date": enrolment.start_date,
        "planned_end_date": enrolment.planned_end_date,
        "status": enrolment.status,
    }


def _add_units(enrolment: Enrolment, units: Sequence[Unit], *, by: User) -> list[EnrolmentUnit]:
    """Add the units the enrolment does not have yet, each with its entry. Units it has (taken
    or withdrawn) are left as they are."""
    have = set(EnrolmentUnit.objects.filter(enrolment=enrolment).values_list("unit_id", flat=True))
    order = _unit_order(enrolment.qualification)
    added = []
    for unit in units:
        if unit.pk in have:
            continue
        row = EnrolmentUnit(enrolment=enrolment, unit=unit, position=order.get(unit.pk, 0))
        row.full_clean()
        row.save()
        have.add(unit.pk)
        audit_record(
            action=AuditAction.UNIT_ADDED,
            actor=by,
            enrolment=enrolment,
            obj=row,
            summary=f"{_unit_name(unit)} added",
            data={"unit": _unit_key(unit)},
        )
        added.append(row)
    return added


def _unit_order(qualification: Qualification | None) -> dict[int, int]:
    """{unit_id: position} in the qualification's own order (the order its checklist prints)."""
    if qualification is None:
        return {}
    return dict(qualification.qualification_units.values_list("unit_id", "position").order_by())


def _ordered_units(qualification: Qualification | None, units: Iterable[Unit]) -> list[Unit]:
    units = list(units)
    order = _unit_order(qualification)
    return sorted(units, key=lambda u: (order.get(u.pk, 10_000), u.code, u.title))


def enrolment_create(
    *,
    centre: Centre,
    learner: User,
    tutor: User,
    qualification: Qualification | None,
    units: Sequence[Unit],
    registration_number: str = "",
    start_date: datetime.date,
    planned_end_date: datetime.date,
    by: User | None,
) -> Enrolment:
    problems = _check_people(centre=centre, learner=learner, tutor=tutor)
    problems += _check_catalogue(centre, qualification, units)
    problems += _check_units(qualification, units)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        enrolment = Enrolment(
            centre=centre,
            learner=learner,
            tutor=tutor,
            qualification=qualification,
            registration_number=registration_number.strip(),
            start_date=start_date,
            planned_end_date=planned_end_date,
            created_by=by,
        )
        enrolment.full_clean()
        enrolment.save()
        audit_record(
            action=AuditAction.ENROLMENT_CREATED,
            actor=by,
            enrolment=enrolment,
            obj=enrolment,
            summary=f"{learner} enrolled on {enrolment.programme_label}",
            data={"learner": learner.pk, **_enrolment_fields(enrolment)},
        )
        _add_units(enrolment, _ordered_units(qualification, units), by=by)
    return enrolment


def enrolment_units_check(*, enrolment: Enrolment, units: Sequence[Unit]) -> list[str]:
    """Why the enrolment's units cannot become `units` by an edit or an import, in words an
    admin can act on: a unit taken off must hold no work (else it is withdrawn, with a
    reason), and a withdrawn unit comes back only by being restored."""
    wanted = {u.pk for u in units}
    rows = list(EnrolmentUnit.objects.filter(enrolment=enrolment).select_related("unit"))
    problems = [
        f"{_unit_name(row.unit)} is withdrawn; restore it from the enrolment's page, with a "
        "reason, to take it again."
        for row in rows
        if row.is_withdrawn and row.unit_id in wanted
    ]
    dropped = [row for row in rows if not row.is_withdrawn and row.unit_id not in wanted]
    busy = units_holding_work(enrolment, [row.unit_id for row in dropped]) if dropped else set()
    problems += [
        f"{_unit_name(row.unit)} holds evidence or decisions, so it cannot be unticked; "
        "withdraw it with a reason from the enrolment's page instead."
        for row in dropped
        if row.unit_id in busy
    ]
    return problems


def _withdrawn_units(enrolment: Enrolment) -> list[Unit]:
    return [
        row.unit
        for row in EnrolmentUnit.objects.withdrawn()
        .filter(enrolment=enrolment)
        .select_related("unit")
    ]


def enrolment_update(
    *,
    enrolment: Enrolment,
    tutor: User,
    units: Sequence[Unit],
    registration_number: str,
    start_date: datetime.date,
    planned_end_date: datetime.date,
    status: str,
    by: User,
) -> Enrolment:
    """Change the enrolment's details and units. Units may be added; a unit may be taken off
    only while it holds no work (a unit holding work is withdrawn with a reason instead, by
    `enrolment_unit_withdraw`)."""
    with transaction.atomic():
        enrolment = (
            # Only the enrolment's row is locked: PostgreSQL refuses to lock the nullable side
            # of the join to the qualification (a short course has none).
            Enrolment.objects.select_for_update(of=("self",))
            .select_related("centre", "learner", "qualification")
            .get(pk=enrolment.pk)
        )
        problems = _check_people(centre=enrolment.centre, learner=enrolment.learner, tutor=tutor)
        problems += _check_catalogue(enrolment.centre, None, units)
        # A withdrawn unit still counts for the rules, so withdrawing one never blocks an edit.
        problems += _check_units(enrolment.qualification, [*units, *_withdrawn_units(enrolment)])
        problems += enrolment_units_check(enrolment=enrolment, units=units)
        if problems:
            raise ValidationError(problems)
        before = _enrolment_fields(enrolment)
        enrolment.tutor = tutor
        enrolment.registration_number = registration_number.strip()
        enrolment.start_date = start_date
        enrolment.planned_end_date = planned_end_date
        enrolment.status = EnrolmentStatus(status)
        enrolment.full_clean()
        enrolment.save()
        after = _enrolment_fields(enrolment)
        changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if changed:
            audit_record(
                action=AuditAction.ENROLMENT_CHANGED,
                actor=by,
                enrolment=enrolment,
                obj=enrolment,
                summary="Enrolment changed: " + ", ".join(k.replace("_", " ") for k in changed),
                data={"changed": changed},
            )
        wanted = {u.pk for u in units}
        for row in (
            EnrolmentUnit.objects.current()
            .filter(enrolment=enrolment)
            .exclude(unit_id__in=wanted)
            .select_related("unit")
        ):
            # Checked above: it holds nothing, so nothing decided goes with it.
            audit_record(
                action=AuditAction.UNIT_REMOVED,
                actor=by,
                enrolment=enrolment,
                obj=row,
                summary=f"{_unit_name(row.unit)} taken off (it held no work)",
                data={"unit": _unit_key(row.unit)},
                deleted=True,
            )
            row.delete()
        _add_units(enrolment, _ordered_units(enrolment.qualification, units), by=by)
    return enrolment


def enrolment_units_add(*, enrolment: Enrolment, units: Sequence[Unit], by: User) -> list[Unit]:
    """Add units to the enrolment (an import adds, never takes away); returns those added.
    Call inside the caller's transaction."""
    problems = _check_catalogue(enrolment.centre, None, units)
    if problems:
        raise ValidationError(problems)
    rows = _add_units(enrolment, _ordered_units(enrolment.qualification, units), by=by)
    return [row.unit for row in rows]


def _lock_unit_row(enrolment: Enrolment, unit: Unit, by: User) -> tuple[Enrolment, EnrolmentUnit]:
    if not permissions.can_manage_enrolment(by, enrolment):
        raise ValidationError("Only the centre's admins withdraw and restore units.")
    locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    row = (
        EnrolmentUnit.objects.select_for_update()
        .filter(enrolment=locked, unit=unit)
        .select_related("unit")
        .first()
    )
    if row is None:
        raise ValidationError(f"{_unit_name(unit)} is not a unit of this enrolment.")
    return locked, row


def enrolment_unit_withdraw(
    *, enrolment: Enrolment, unit: Unit, by: User, reason: str
) -> EnrolmentUnit:
    """Withdraw a unit from the enrolment: it leaves the portfolio, the checklists and the
    bundle, but its evidence and decisions stay, in the record's history, until restored."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the unit is withdrawn."})
    with transaction.atomic():
        locked, row = _lock_unit_row(enrolment, unit, by)
        if row.is_withdrawn:
            raise ValidationError(f"{_unit_name(row.unit)} is withdrawn already.")
        if not EnrolmentUnit.objects.current().filter(enrolment=locked).exclude(pk=row.pk).exists():
            raise ValidationError(
                f"{_unit_name(row.unit)} is the enrolment's only unit; change the enrolment's "
                "status to withdrawn instead."
            )
        row.withdrawn_at = timezone.now()
        row.withdrawn_by = by
        row.withdrawal_reason = reason
        row.full_clean()
        row.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        audit_record(
            action=AuditAction.UNIT_WITHDRAWN,
            actor=by,
            enrolment=locked,
            obj=row,
            summary=f"{_unit_name(row.unit)} withdrawn: {reason}",
            data={
                "unit": _unit_key(row.unit),
                "reason": reason,
                "held_work": bool(units_holding_work(locked, [row.unit_id])),
            },
        )
    return row


def enrolment_unit_restore(
    *, enrolment: Enrolment, unit: Unit, by: User, reason: str
) -> EnrolmentUnit:
    """Take a withdrawn unit back into the enrolment, with everything it held."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the unit is restored."})
    with transaction.atomic():
        locked, row = _lock_unit_row(enrolment, unit, by)
        if not row.is_withdrawn:
            raise ValidationError(f"{_unit_name(row.unit)} is not withdrawn.")
        withdrawn = {
            "withdrawn_at": row.withdrawn_at,
            "withdrawn_by": row.withdrawn_by_id,
            "withdrawal_reason": row.withdrawal_reason,
        }
        row.withdrawn_at, row.withdrawn_by, row.withdrawal_reason = None, None, ""
        row.full_clean()
        row.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        audit_record(
            action=AuditAction.UNIT_RESTORED,
            actor=by,
            enrolment=locked,
            obj=row,
            summary=f"{_unit_name(row.unit)} restored: {reason}",
            data={"unit": _unit_key(row.unit), "reason": reason, "was": withdrawn},
        )
    return row


# ---------------------------------------------------------------- evidence files


def _checked_uploads(uploads: Sequence) -> list[tuple[object, str, str]]:
    """(upload, display name, detected type) for each file, or every reason one is refused."""
    validate_upload_count(uploads)
    checked, errors = [], []
    for upload in uploads:
        name = clean_display_name(upload.name)
        try:
            result = validate_evidence_file(upload, display_name=name)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        checked.append((upload, name, result.content_type))
    if errors:
        raise ValidationError(errors)
    return checked


def _store_all(checked) -> list[tuple[object, str, str, object]]:
    """Copy the checked uploads into storage; on any failure remove what was copied."""
    stored = []
    try:
        for upload, name, content_type in checked:
            stored.append((upload, name, content_type, store_upload(upload)))
    except BaseException:
        delete_stored(s.name for *_, s in stored)
        raise
    return stored


def _record_files(evidence: Evidence, stored, *, by: User) -> None:
    for _upload, name, content_type, result in stored:
        record = EvidenceFile(
            evidence=evidence,
            file=result.name,
            name=name,
            size=result.size,
            sha256=result.sha256,
            content_type=content_type,
            uploaded_by=by,
        )
        record.full_clean()
        record.save()


def _delete_after_commit(names: list[str]) -> None:
    # Only once the rows are really gone: a rolled-back delete must keep its files.
    transaction.on_commit(lambda: delete_stored(names))


# ---------------------------------------------------------------- evidence


def _audit_evidence(
    evidence: Evidence, *, action: AuditAction, by: User, summary: str, deleted=False, **data
):
    """The entry of an evidence change: the row's digest, and its files' and criteria's
    fingerprints, so the item as the tutor judged it can be proved later."""
    audit_record(
        action=action,
        actor=by,
        enrolment=evidence.enrolment,
        obj=evidence,
        deleted=deleted,
        summary=f"{evidence.reference} {evidence.title}: {summary}",
        data={
            "reference": evidence.reference,
            "files": list(evidence.files.order_by("pk").values_list("name", "sha256")),
            "criteria": sorted(evidence.links.values_list("criterion_id", flat=True)),
            **data,
        },
    )


def _check_content(*, has_files: bool, text: str, workplace_location: str) -> None:
    if not (has_files or text.strip() or workplace_location.strip()):
        raise ValidationError(
            "Add at least one file, a written account, or where the workplace document is kept."
        )


def _check_method(*, user: User, enrolment: Enrolment, method: EvidenceMethod) -> None:
    if not evidence_methods_for(user, enrolment).filter(pk=method.pk).exists():
        raise ValidationError({"method": f"{method} is not a method you can use here."})


def _check_criteria(enrolment: Enrolment, criteria) -> list[int]:
    ids = sorted({getattr(c, "pk", c) for c in criteria})
    taken = EnrolmentUnit.objects.current().filter(enrolment=enrolment).values("unit_id")
    allowed = set(
        AssessmentCriterion.objects.filter(pk__in=ids, unit_id__in=taken).values_list(
            "pk", flat=True
        )
    )
    if len(allowed) != len(ids):
        raise ValidationError("Some of the criteria are not in this enrolment's current units.")
    return ids


def _locked_units_among(enrolment: Enrolment, criterion_ids) -> str:
    """The names of the locked units (`portfolios.state`) that these criteria belong to."""
    units = set(
        AssessmentCriterion.objects.filter(pk__in=criterion_ids).values_list("unit_id", flat=True)
    )
    locked = locked_unit_ids(enrolment, units)
    return ", ".join(str(u) for u in Unit.objects.filter(pk__in=locked).order_by("code", "title"))


def _refuse_signed_units(enrolment: Enrolment, criterion_ids) -> None:
    """New evidence cannot be mapped into a unit the tutor has signed off (it is locked)."""
    names = _locked_units_among(enrolment, criterion_ids)
    if names:
        raise ValidationError(
            f"{names} is signed off and locked; evidence can no longer be mapped to it."
        )


def evidence_create(
    *,
    enrolment: Enrolment,
    by: User,
    title: str,
    method: EvidenceMethod,
    date: datetime.date,
    description: str = "",
    text: str = "",
    workplace_location: str = "",
    files: Sequence = (),
    criteria: Iterable | None = None,
    supersedes: Evidence | None = None,
) -> Evidence:
    """Add an evidence item with its files, under the enrolment's next portfolio reference."""
    if not permissions.can_add_evidence(by, enrolment):
        raise ValidationError("You cannot add evidence to this portfolio.")
    _check_method(user=by, enrolment=enrolment, method=method)
    _check_content(has_files=bool(files), text=text, workplace_location=workplace_location)
    if supersedes is not None:
        if supersedes.enrolment_id != enrolment.pk or not supersedes.is_submitted:
            raise ValidationError("Only submitted evidence of this portfolio can be corrected.")
        if criteria is None:
            # A correction starts out covering what the item it corrects covered.
            criteria = supersedes.links.filter(
                criterion__unit__enrolment_units__enrolment=enrolment
            ).values_list("criterion_id", flat=True)
    criterion_ids = _check_criteria(enrolment, criteria or ())
    _refuse_signed_units(enrolment, criterion_ids)
    stored = _store_all(_checked_uploads(files))
    try:
        with transaction.atomic():
            # The row lock makes two uploads at the same moment take turns for the number.
            locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
            if supersedes is not None and Evidence.objects.filter(supersedes=supersedes).exists():
                raise ValidationError(f"{supersedes.reference} has already been corrected.")
            locked.last_evidence_number += 1
            locked.save(update_fields=["last_evidence_number"])
            evidence = Evidence(
                enrolment=locked,
                number=locked.last_evidence_number,
                reference=Evidence.reference_for(locked.last_evidence_number),
                title=title.strip(),
                description=description,
                method=method,
                date=date,
                text=text,
                workplace_location=workplace_location.strip(),
                supersedes=supersedes,
                created_by=by,
            )
            evidence.full_clean()
            evidence.save()
            _record_files(evidence, stored, by=by)
            EvidenceCriterion.objects.bulk_create(
                [EvidenceCriterion(evidence=evidence, criterion_id=cid) for cid in criterion_ids]
            )
            if supersedes is None:
                _audit_evidence(
                    evidence, action=AuditAction.EVIDENCE_CREATED, by=by, summary="added"
                )
            else:
                _audit_evidence(
                    evidence,
                    action=AuditAction.EVIDENCE_CORRECTED,
                    by=by,
                    summary=f"correction of {supersedes.reference} started",
                    supersedes=supersedes.pk,
                )
    except BaseException:
        delete_stored(s.name for *_, s in stored)
        raise
    return evidence


def _lock_draft(evidence: Evidence, by: User) -> Evidence:
    """The item, locked, and still open to change by this person (else a ValidationError)."""
    locked = Evidence.objects.select_for_update().select_related("enrolment").get(pk=evidence.pk)
    if not permissions.can_edit_evidence(by, locked):
        raise ValidationError(
            f"{locked.reference} can no longer be changed: it has been submitted."
            if locked.is_submitted
            else f"You cannot change {locked.reference}."
        )
    return locked


def evidence_update(
    *,
    evidence: Evidence,
    by: User,
    title: str,
    method: EvidenceMethod,
    date: datetime.date,
    description: str = "",
    text: str = "",
    workplace_location: str = "",
    new_files: Sequence = (),
    remove_file_ids: Iterable[int] = (),
) -> Evidence:
    """Change a draft: its details, add files, remove files."""
    if not permissions.can_edit_evidence(by, evidence):
        raise ValidationError(f"You cannot change {evidence.reference}.")
    _check_method(user=by, enrolment=evidence.enrolment, method=method)
    remove_file_ids = set(remove_file_ids)
    stored = _store_all(_checked_uploads(new_files))
    try:
        with transaction.atomic():
            locked = _lock_draft(evidence, by)
            keep = locked.files.exclude(pk__in=remove_file_ids)
            _check_content(
                has_files=bool(stored) or keep.exists(),
                text=text,
                workplace_location=workplace_location,
            )
            removed = list(locked.files.filter(pk__in=remove_file_ids))
            locked.title = title.strip()
            locked.description = description
            locked.method = method
            locked.date = date
            locked.text = text
            locked.workplace_location = workplace_location.strip()
            locked.full_clean()
            locked.save()
            _record_files(locked, stored, by=by)
            if removed:
                EvidenceFile.objects.filter(pk__in=[f.pk for f in removed]).delete()
                _delete_after_commit([f.file.name for f in removed])
            _audit_evidence(
                locked,
                action=AuditAction.EVIDENCE_CHANGED,
                by=by,
                summary="draft changed",
                files_removed=[(f.name, f.sha256) for f in removed],
            )
    except BaseException:
        delete_stored(s.name for *_, s in stored)
        raise
    return locked


def evidence_set_criteria(*, evidence: Evidence, by: User, criteria: Iterable) -> Evidence:
    """Map a draft to exactly these criteria (any units of its enrolment)."""
    with transaction.atomic():
        locked = _lock_draft(evidence, by)
        wanted = set(_check_criteria(locked.enrolment, criteria))
        current = set(locked.links.values_list("criterion_id", flat=True))
        _refuse_signed_units(locked.enrolment, wanted - current)
        locked.links.filter(criterion_id__in=current - wanted).delete()
        EvidenceCriterion.objects.bulk_create(
            [
                EvidenceCriterion(evidence=locked, criterion_id=cid)
                for cid in sorted(wanted - current)
            ]
        )
        locked.save(update_fields=["updated_at"])
        if wanted != current:
            _audit_evidence(
                locked,
                action=AuditAction.EVIDENCE_MAPPED,
                by=by,
                summary=f"mapped to {len(wanted)} criteri{'on' if len(wanted) == 1 else 'a'}",
                added=sorted(wanted - current),
                removed=sorted(current - wanted),
            )
    return locked


def evidence_submit(*, items: Sequence[Evidence], by: User, declaration_confirmed: bool) -> int:
    """Submit drafts for assessment with the learner's declaration; returns how many."""
    if not declaration_confirmed:
        raise ValidationError("Confirm the declaration that this is your own work.")
    if not items:
        raise ValidationError("Choose the evidence to submit.")
    now = timezone.now()
    with transaction.atomic():
        locked = list(
            Evidence.objects.select_for_update()
            .select_related("enrolment")
            .filter(pk__in=[e.pk for e in items])
            .order_by("number")
        )
        problems = []
        for item in locked:
            if not permissions.can_submit_evidence(by, item):
                problems.append(
                    f"{item.reference} is already submitted."
                    if item.is_submitted
                    else f"You cannot submit {item.reference}."
                )
            elif not item.links.exists():
                problems.append(
                    f"{item.reference} {item.title} is not mapped to any criterion yet."
                )
            elif names := _locked_units_among(
                item.enrolment, item.links.values_list("criterion_id", flat=True)
            ):
                # Mapped while the unit was open; it has been signed off since.
                problems.append(
                    f"{item.reference} {item.title} is mapped to {names}, which is signed off "
                    "and locked: take those criteria off the item before submitting it."
                )
        if problems:
            raise ValidationError(problems)
        for item in locked:
            item.submitted_at = now
            item.submitted_by = by
            item.declaration = DECLARATION_TEXT
            item.full_clean()
            item.save(update_fields=["submitted_at", "submitted_by", "declaration", "updated_at"])
            _audit_evidence(
                item,
                action=AuditAction.EVIDENCE_SUBMITTED,
                by=by,
                summary="submitted with the learner's declaration",
                declaration=item.declaration,
            )
        notify_evidence_submitted(locked)
        _clear_answered_notices(locked, learner=by)
    return len(locked)


def _answered_items(items) -> set[int]:
    """Items whose notice of a *not yet met* the learner has now answered: corrected by one
    of these items, or every criterion they were not yet met on covered by them. Two
    queries."""
    answered = {item.supersedes_id for item in items if item.supersedes_id}
    covered = set(
        EvidenceCriterion.objects.filter(evidence__in=items).values_list("criterion_id", flat=True)
    )
    waiting = defaultdict(set)
    for evidence_id, criterion_id in DecisionEvidence.objects.filter(
        decision__in=CriterionDecision.objects.filter(
            enrolment_id__in={item.enrolment_id for item in items},
            outcome=DecisionOutcome.NOT_YET_MET,
        ).latest()
    ).values_list("evidence_id", "decision__criterion_id"):
        waiting[evidence_id].add(criterion_id)
    answered |= {pk for pk, criteria in waiting.items() if criteria <= covered}
    return answered


def _clear_answered_notices(items, *, learner) -> None:
    clear_evidence_notices(
        _answered_items(items), recipient=learner, kinds=[NotificationKind.DECIDED]
    )


def evidence_delete(*, evidence: Evidence, by: User) -> None:
    """Delete a draft and its files. Submitted or assessed evidence is never deleted."""
    with transaction.atomic():
        locked = (
            Evidence.objects.select_for_update().select_related("enrolment").get(pk=evidence.pk)
        )
        if locked.is_assessed:
            raise ValidationError(f"{locked.reference} has been assessed and is kept for good.")
        if locked.is_submitted:
            raise ValidationError(
                f"{locked.reference} has been submitted; correct it with a new item instead."
            )
        if not permissions.can_delete_evidence(by, locked):
            raise ValidationError(f"You cannot delete {locked.reference}.")
        names = list(locked.files.values_list("file", flat=True))
        # The entry says the row is gone, so `verify_audit` expects it missing from now on.
        _audit_evidence(
            locked,
            action=AuditAction.EVIDENCE_DELETED,
            by=by,
            summary="draft deleted",
            deleted=True,
        )
        locked.files.all().delete()
        locked.links.all().delete()
        locked.delete()
        _delete_after_commit(names)


# ---------------------------------------------------------------- reopenings (referrals)


def unit_reopen(
    *,
    enrolment: Enrolment,
    unit: Unit,
    sign_off: UnitSignOff | None,
    decisions: Sequence[CriterionDecision],
    by: User,
    reason: str,
) -> Reopening:
    """Open a unit's work again for a referral: its sign-off stops locking it and the named
    decisions stop counting as met, until `reopening_close`. Call inside the referral's
    transaction (moderation's `sample_decide`)."""
    reopening = Reopening(
        enrolment=enrolment, unit=unit, sign_off=sign_off, reason=reason, opened_by=by
    )
    reopening.full_clean()
    reopening.save()
    ReopenedCriterion.objects.bulk_create(
        [ReopenedCriterion(reopening=reopening, decision=d) for d in decisions]
    )
    audit_record(
        action=AuditAction.UNIT_REOPENED,
        actor=by,
        enrolment=enrolment,
        obj=reopening,
        summary=f"{unit} reopened by a referral"
        + (f": {', '.join(d.criterion.number for d in decisions)}" if decisions else ""),
        data={
            "unit": unit.code or unit.slug,
            "sign_off": getattr(sign_off, "pk", None),
            "decisions": [d.pk for d in decisions],
        },
    )
    return reopening


def reopening_close(*, reopening: Reopening, by: User) -> ReopeningClosure:
    closure = ReopeningClosure(reopening=reopening, closed_by=by)
    closure.full_clean()
    closure.save()
    audit_record(
        action=AuditAction.REOPENING_CLOSED,
        actor=by,
        enrolment=reopening.enrolment,
        obj=closure,
        summary=f"Referral of {reopening.unit} closed",
        data={"reopening": reopening.pk},
    )
    return closure

"""Writes to enrolments and evidence.

Each function checks what the database cannot (roles, rules of combination, state), runs in
one transaction, and calls full_clean() before saving. Files are copied into storage before
the transaction opens (so no lock is held during a long copy) and removed again if anything
after that fails, so a failed request never leaves a file that no record points to.
"""

import datetime
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Centre, User
from accounts.permissions import has_role
from audit.chain import audit_record
from audit.enums import AuditAction
from portfolios import permissions
from portfolios.enums import DECLARATION_TEXT, EnrolmentStatus
from portfolios.models import (
    CriterionDecision,
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
from portfolios.notifications import notify_evidence_submitted
from portfolios.record import locked_unit_ids
from portfolios.rules import check_unit_choice
from portfolios.selectors import evidence_methods_for
from portfolios.uploads import clean_display_name, delete_stored, store_upload
from portfolios.validators import validate_evidence_file, validate_upload_count
from qualifications.models import AssessmentCriterion, EvidenceMethod, Qualification, Unit

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


def _set_units(enrolment: Enrolment, units: Sequence[Unit]) -> None:
    wanted = [u.pk for u in units]
    EnrolmentUnit.objects.filter(enrolment=enrolment).exclude(unit_id__in=wanted).delete()
    existing = set(
        EnrolmentUnit.objects.filter(enrolment=enrolment).values_list("unit_id", flat=True)
    )
    EnrolmentUnit.objects.bulk_create(
        [
            EnrolmentUnit(enrolment=enrolment, unit_id=unit_id, position=position)
            for position, unit_id in enumerate(wanted)
            if unit_id not in existing
        ]
    )
    for position, unit_id in enumerate(wanted):
        if unit_id in existing:
            EnrolmentUnit.objects.filter(enrolment=enrolment, unit_id=unit_id).update(
                position=position
            )


def _ordered_units(qualification: Qualification | None, units: Iterable[Unit]) -> list[Unit]:
    """The units in the qualification's own order (the order its checklist prints them)."""
    units = list(units)
    if qualification is None:
        return units
    order = dict(qualification.qualification_units.values_list("unit_id", "position").order_by())
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
    by: User,
) -> Enrolment:
    problems = _check_people(centre=centre, learner=learner, tutor=tutor)
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
        _set_units(enrolment, _ordered_units(qualification, units))
    return enrolment


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
    problems = _check_people(centre=enrolment.centre, learner=enrolment.learner, tutor=tutor)
    problems += _check_units(enrolment.qualification, units)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        enrolment.tutor = tutor
        enrolment.registration_number = registration_number.strip()
        enrolment.start_date = start_date
        enrolment.planned_end_date = planned_end_date
        enrolment.status = EnrolmentStatus(status)
        enrolment.full_clean()
        enrolment.save()
        _set_units(enrolment, _ordered_units(enrolment.qualification, units))
    return enrolment


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
        raise ValidationError("Some of the criteria are not in this enrolment's units.")
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
    return len(locked)


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

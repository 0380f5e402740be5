"""Who owns the catalogue, as writes: the catalogue editor role, and publishing a centre's own
unit or qualification to the shared catalogue.

Each function is a service in the house's sense (keyword-only, one transaction, its audit
entry written with the change); they sit here rather than in `services.py`, which holds the
specification importer. Who may *see* and *change* what is `qualifications.permissions`.
"""

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from audit.chain import audit_record
from audit.enums import AuditAction
from qualifications.models import Qualification, Unit
from qualifications.permissions import (
    EDITOR_GROUP,
    EDITOR_PERMISSION,
    is_staff,
    may_publish,
)

EDITOR_ROLE = "catalogue_editor"


def editor_group() -> Group:
    """The "Catalogue editors" group with its permission (made by a data migration; made
    again here if a test database was flushed since)."""
    codename = EDITOR_PERMISSION.split(".")[1]
    content_type = ContentType.objects.get_for_model(Qualification)
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename=codename,
        defaults={"name": "Can change the shared catalogue"},
    )
    group, _ = Group.objects.get_or_create(name=EDITOR_GROUP)
    group.permissions.add(permission)
    return group


def _forget_permissions(person: User) -> None:
    # ModelBackend caches permissions on the user object.
    for attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        person.__dict__.pop(attr, None)


def _require_staff(by) -> None:
    if not is_staff(by):
        raise ValidationError("Only the site's staff give or take the catalogue editor role.")


@transaction.atomic
def catalogue_editor_grant(*, person: User, by: User) -> User:
    """Make `person` a catalogue editor: they may change the shared catalogue."""
    _require_staff(by)
    if not person.is_active:
        raise ValidationError(f"{person} has no active account.")
    if is_staff(person):
        raise ValidationError(f"{person} is site staff and may change the shared catalogue.")
    group = editor_group()
    if person.groups.filter(pk=group.pk).exists():
        raise ValidationError(f"{person} is a catalogue editor already.")
    person.groups.add(group)
    _forget_permissions(person)
    audit_record(
        action=AuditAction.ROLE_GIVEN,
        actor=by,
        obj=person,
        summary=f"{person} is a catalogue editor",
        data={"person": person.pk, "role": EDITOR_ROLE},
    )
    return person


@transaction.atomic
def catalogue_editor_revoke(*, person: User, by: User) -> User:
    """Take the catalogue editor role away from `person`."""
    _require_staff(by)
    group = editor_group()
    if not person.groups.filter(pk=group.pk).exists():
        raise ValidationError(f"{person} is not a catalogue editor.")
    person.groups.remove(group)
    _forget_permissions(person)
    audit_record(
        action=AuditAction.ROLE_TAKEN,
        actor=by,
        obj=person,
        summary=f"{person} is no longer a catalogue editor",
        data={"person": person.pk, "role": EDITOR_ROLE},
    )
    return person


def _unit_name(unit: Unit) -> str:
    return f"unit {unit.code or unit.slug} version {unit.version}"


def _publish_problems(units: list[Unit], qualifications: list[Qualification]) -> list[str]:
    """Why these rows cannot join the shared catalogue: a shared row with the same code or
    number and version exists already (the shared catalogue's keys are unique)."""
    problems = []
    for unit in units:
        if not unit.code:
            continue
        clash = Unit.objects.shared().filter(code=unit.code, version=unit.version).first()
        if clash is not None:
            problems.append(
                f"The shared catalogue already has {_unit_name(unit)} ({clash.title}); "
                "publish a new version instead, or use the shared one."
            )
    for qualification in qualifications:
        clash = (
            Qualification.objects.shared()
            .filter(number=qualification.number, version=qualification.version)
            .first()
        )
        if clash is not None:
            problems.append(
                f"The shared catalogue already has qualification {qualification.number} "
                f"version {qualification.version} ({clash.title})."
            )
    return problems


def _publish(obj, *, by: User, centre, detail: dict) -> None:
    obj.centre = None
    obj.full_clean()
    obj.save(update_fields=["centre"])
    audit_record(
        action=AuditAction.CATALOGUE_CHANGED,
        actor=by,
        centre=centre,
        obj=obj,
        summary=f"{obj} published to the shared catalogue from {centre.name}",
        data={"change": "published", "from_centre": centre.pk, **detail},
    )


def _own_units(lineages, centre) -> list[Unit]:
    """Every version the centre owns of these units: versions travel together, so a unit's
    history is never split between the shared catalogue and one centre's."""
    return list(
        Unit.objects.select_for_update()
        .filter(lineage__in=lineages, centre=centre)
        .order_by("lineage", "version")
    )


@transaction.atomic
def catalogue_publish(*, obj: Unit | Qualification, by: User) -> list[Unit | Qualification]:
    """Move a centre's own unit (every version of it the centre owns), or qualification
    (every version, with the centre's own units in them), to the shared catalogue, where
    every centre reads it and only staff and catalogue editors change it. Returns the rows
    published, units first. Refused, with nothing changed, when the shared catalogue holds
    the same code or number and version already."""
    if not may_publish(by):
        raise ValidationError("Only the site's staff publish to the shared catalogue.")
    obj = type(obj).objects.select_for_update(of=("self",)).select_related("centre").get(pk=obj.pk)
    if obj.centre_id is None:
        raise ValidationError(f"{obj} is in the shared catalogue already.")
    centre = obj.centre
    if isinstance(obj, Unit):
        qualifications = []
        units = _own_units([obj.lineage], centre)
    else:
        qualifications = list(
            Qualification.objects.select_for_update()
            .filter(number=obj.number, centre=centre)
            .order_by("version")
        )
        members = Unit.objects.filter(qualification_units__qualification__in=qualifications)
        foreign = [u for u in members.distinct() if u.centre_id not in (None, centre.pk)]
        if foreign:
            names = ", ".join(_unit_name(u) for u in foreign)
            raise ValidationError(f"{names} belongs to another centre; it cannot be published.")
        units = _own_units(members.values("lineage"), centre)
    problems = _publish_problems(units, qualifications)
    if problems:
        raise ValidationError(problems)
    detail = {"with_qualification": obj.number} if qualifications else {}
    for unit in units:
        _publish(unit, by=by, centre=centre, detail=detail)
    for qualification in qualifications:
        _publish(qualification, by=by, centre=centre, detail={"units": [u.pk for u in units]})
    return [*units, *qualifications]

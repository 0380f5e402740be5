"""Who may see and change which part of the catalogue.

The shared catalogue (`centre` blank: the seed qualifications and whatever site staff import)
is read by everyone signed in and changed by the site's staff, or by people staff made
catalogue editors (the `qualifications.edit_shared_catalogue` permission, given through the
"Catalogue editors" group). A centre's own units and qualifications are seen by that centre's
members alone and changed by its admins (and staff), until staff publish them to the shared
catalogue. Whether a version may change *at all* (in use: never) is `versions.in_use`.
"""

from django.db.models import Q

from accounts.enums import Role
from accounts.permissions import centres_where, memberships_of

EDITOR_PERMISSION = "qualifications.edit_shared_catalogue"
EDITOR_GROUP = "Catalogue editors"


def is_staff(user) -> bool:
    return bool(getattr(user, "is_staff", False)) and bool(getattr(user, "is_active", False))


def is_catalogue_editor(user) -> bool:
    """Staff, or someone staff gave the catalogue editor role."""
    if not getattr(user, "is_authenticated", False):
        return False
    return is_staff(user) or user.has_perm(EDITOR_PERMISSION)


def visible_centre_ids(user) -> set[int]:
    return {m.centre_id for m in memberships_of(user)}


def visible_q(user, prefix: str = "") -> Q:
    """A filter for catalogue rows `user` may see: shared ones, and their centres' own.
    `prefix` reaches the row through a relation ("unit__", "qualification__")."""
    if is_staff(user):
        return Q()
    return Q(**{f"{prefix}centre__isnull": True}) | Q(
        **{f"{prefix}centre__in": visible_centre_ids(user)}
    )


def visible(queryset, user, prefix: str = ""):
    return queryset.filter(visible_q(user, prefix))


def can_see(user, obj) -> bool:
    return obj.centre_id is None or is_staff(user) or obj.centre_id in visible_centre_ids(user)


def owning_centres(user) -> list:
    """The centres whose own catalogue `user` may add to (where they are an admin)."""
    return centres_where(user, Role.CENTRE_ADMIN)


def may_change(user, obj) -> bool:
    """Whether `user` may change this unit or qualification (`None` is the site's own command
    line, trusted like staff). Says nothing of versions: an in-use version is never changed,
    a new one is made instead."""
    if user is None:
        return True
    if obj.centre_id is None:
        return is_catalogue_editor(user)
    return is_staff(user) or obj.centre_id in {c.pk for c in owning_centres(user)}


def may_import(user) -> bool:
    """Centre admins import (specifications or structure documents) into their centres' own
    catalogue; staff and catalogue editors into the shared one."""
    return is_catalogue_editor(user) or bool(owning_centres(user))


def may_publish(user) -> bool:
    """Moving a centre's own unit or qualification to the shared catalogue: staff only."""
    return is_staff(user)


def usable_q(centre, prefix: str = "") -> Q:
    """A filter for the catalogue rows a centre may enrol on, sample or grant: the shared
    catalogue and its own (never another centre's, whoever is asking)."""
    centre_id = getattr(centre, "pk", centre)
    return Q(**{f"{prefix}centre__isnull": True}) | Q(**{f"{prefix}centre": centre_id})


def may_use(centre, obj) -> bool:
    """Whether learners at `centre` may be enrolled on (sampled on, granted) this unit or
    qualification."""
    return obj.centre_id is None or obj.centre_id == getattr(centre, "pk", centre)

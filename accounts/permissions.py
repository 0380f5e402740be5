"""Who may do what: small predicates over a person's active memberships.

The memberships are read once per person object and cached on it, so a page may ask as many
questions as it likes for the cost of one query. Views never test roles themselves; they ask
here, and fetch objects through the `get_*_for_user` helpers in each app's selectors, which
answer 404 for no link and 403 for a link without the right.
"""

from accounts.enums import Role
from accounts.models import Membership

_CACHE_ATTR = "_portal_memberships"


def memberships_of(user) -> list:
    """The person's active memberships, with their centres (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(Membership.objects.active().filter(user=user).select_related("centre"))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_memberships(user) -> None:
    """Drop the cached memberships after they change."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_at(user, centre) -> set[str]:
    centre_id = getattr(centre, "pk", centre)
    return {m.role for m in memberships_of(user) if m.centre_id == centre_id}


def has_role(user, centre, role: Role) -> bool:
    return role in roles_at(user, centre)


def has_role_anywhere(user, role: Role) -> bool:
    return any(m.role == role for m in memberships_of(user))


def centres_where(user, role: Role) -> list:
    return [m.centre for m in memberships_of(user) if m.role == role]


def is_member(user, centre) -> bool:
    return bool(roles_at(user, centre))


def can_view_centre(user, centre) -> bool:
    return is_member(user, centre)


def can_manage_centre(user, centre) -> bool:
    return has_role(user, centre, Role.CENTRE_ADMIN)


def can_browse_catalogue(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))

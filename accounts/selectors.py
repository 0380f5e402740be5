from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts import permissions
from accounts.models import Centre, Invitation, Membership


def get_membership_for_user(user, pk: int) -> Membership:
    """One of the person's own active roles; anyone else's is 404."""
    for membership in permissions.memberships_of(user):
        if membership.pk == pk:
            return membership
    raise Http404("No such role.")


def get_centre_for_user(user, pk: int, *, manage: bool = False) -> Centre:
    """A centre the person belongs to (404 otherwise); `manage` also needs a centre admin (403)."""
    centre = get_object_or_404(Centre, pk=pk, is_active=True)
    if not permissions.can_view_centre(user, centre):
        raise Http404("No such centre.")
    if manage and not permissions.can_manage_centre(user, centre):
        raise PermissionDenied("Only the centre's admins may do this.")
    return centre


def active_membership(request) -> Membership | None:
    """The role the person is acting in now: the one chosen in this session, else the first."""
    memberships = permissions.memberships_of(request.user)
    if not memberships:
        return None
    chosen = request.session.get("active_membership")
    for membership in memberships:
        if membership.pk == chosen:
            return membership
    return memberships[0]


def get_invitation_for_user(user, pk: int) -> Invitation:
    """An invitation to this person (accepted or not); anyone else's is 404, so a centre's
    invitations reveal nothing to whoever guesses their numbers."""
    invitation = Invitation.objects.select_related("centre").filter(pk=pk, person=user).first()
    if invitation is None or not getattr(user, "is_authenticated", False):
        raise Http404("No such invitation.")
    return invitation

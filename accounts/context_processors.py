from django.conf import settings

from accounts.permissions import memberships_of


def roles(request):
    user = getattr(request, "user", None)
    active = getattr(request, "active_membership", None)
    return {
        "portal_name": settings.SITE_NAME,
        "my_memberships": memberships_of(user) if user is not None else [],
        # Unwrap the lazy object so templates can test it for None.
        "active_membership": active if active else None,
    }

"""Who is asking: a personal access token (`Authorization: Bearer pat_…`), never the session.

The token's owner becomes `request.user`, so every access helper answers exactly as it does
for that person's pages. A read-only token is refused (403) by every operation that writes.
"""

from django.core.exceptions import PermissionDenied
from ninja.security import HttpBearer

from accounts.tokens import token_for


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request, token):
        found = token_for(token)
        if found is None:
            return None
        # The API ignores any session cookie sent along: the token alone says who this is.
        request.user = found.user
        return found


def writer(request):
    """The token's owner, when the token may write (403 for a read-only token)."""
    if not request.auth.can_write:
        raise PermissionDenied("This token is read-only; make a read and write token to change.")
    return request.user

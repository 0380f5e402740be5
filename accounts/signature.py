"""The e-signature: the signer types their password again, and the current code from their
authenticator app when they have one. Every record that is signed (a unit, a moderator's
decision, an observation) asks it here, before anything is written."""

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.twofactor import signature_code_check


def signature_confirm(user: User, password: str, request=None, code: str = "") -> None:
    """Refuses (on the `password` or `code` field) unless the person signs as themselves.
    With the request, through `authenticate`, so django-axes counts and throttles wrong
    passwords as it does at sign-in."""
    if request is not None:
        signer = authenticate(request, username=user.get_username(), password=password or "")
        ok = signer is not None and signer.pk == user.pk
        if not ok and getattr(request, "axes_locked_out", False):
            raise ValidationError(
                {"password": "Too many wrong passwords: signing is locked for a while."}
            )
    else:
        ok = bool(password) and user.check_password(password)
    if not ok:
        raise ValidationError({"password": "That is not your password; sign with your own."})
    signature_code_check(user, code)

"""Personal access tokens for the API: made and revoked by their owner, expiring, read or
read-write, stored hashed.

A token is `pat_<prefix>_<secret>`: the prefix finds the row, the secret (32 random bytes) is
kept only as its SHA-256. A token acts as its owner, so it never opens more than the pages do,
and it never gets round signing in: it is made only in a fully signed-in session (the second
factor given, when the person has or needs one), and it stops working when its owner could
not sign in (account deactivated, or a centre now requires a second factor they have not set
up). Each token made or revoked has its audit entry.
"""

import datetime
import hashlib
import hmac
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts import twofactor
from accounts.enums import TOKEN_LIFETIMES, TokenScope
from accounts.models import PersonalAccessToken, User
from audit.chain import audit_record
from audit.enums import AuditAction

TOKEN_START = "pat_"  # noqa: S105 (the tokens' visible start, not a secret)
MAX_USABLE_TOKENS = 20
# How often at most `last_used_at` is written: a busy script should not write a row a request.
LAST_USED_EVERY = datetime.timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def tokens_of(user: User):
    return PersonalAccessToken.objects.filter(user=user).order_by("-created_at", "-pk")


def token_create(
    *, user: User, name: str, scope: str, days: int, session_verified: bool
) -> tuple[PersonalAccessToken, str]:
    """A new token and its full text, which is shown this once and never stored.

    `session_verified`: the session making it has passed the second factor (django-otp's
    `is_verified()`); needed of anyone who has one or whose centre requires one."""
    if not user.is_active:
        raise ValidationError("Only people who may sign in make API tokens.")
    if not session_verified and (
        twofactor.has_second_factor(user) or twofactor.second_factor_required(user)
    ):
        raise ValidationError("Sign in with your second factor before making an API token.")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the token (what will use it)."})
    if scope not in TokenScope.values:
        raise ValidationError({"scope": "Choose read only, or read and write."})
    if days not in TOKEN_LIFETIMES:
        raise ValidationError(
            {"days": "A token lasts " + ", ".join(map(str, TOKEN_LIFETIMES)) + " days."}
        )
    with transaction.atomic():
        # One token at a time per person: the count below cannot be raced past.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if PersonalAccessToken.objects.usable().filter(user=user).count() >= MAX_USABLE_TOKENS:
            raise ValidationError(
                f"You have {MAX_USABLE_TOKENS} tokens in use; revoke one you no longer need."
            )
        prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        now = timezone.now()
        token = PersonalAccessToken(
            user=user,
            name=name,
            prefix=prefix,
            secret_hash=_hash(secret),
            scope=scope,
            created_at=now,
            expires_at=now + datetime.timedelta(days=days),
        )
        token.full_clean()
        token.save()
        audit_record(
            action=AuditAction.TOKEN_CREATED,
            actor=user,
            obj=token,
            summary=f"{user} made the API token {name!r} ({token.get_scope_display().lower()}, "
            f"{days} days)",
            data={"person": user.pk, "prefix": prefix, "scope": scope, "days": days},
        )
    return token, f"{TOKEN_START}{prefix}_{secret}"


def token_revoke(*, token: PersonalAccessToken, by: User) -> PersonalAccessToken:
    """Ends a token now. Only its owner revokes it; revoking twice changes nothing."""
    if token.user_id != by.pk:
        raise ValidationError("Only the token's owner revokes it.")
    with transaction.atomic():
        locked = PersonalAccessToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            action=AuditAction.TOKEN_REVOKED,
            actor=by,
            obj=locked,
            summary=f"{by} revoked the API token {locked.name!r}",
            data={"person": by.pk, "prefix": locked.prefix},
        )
    return locked


def token_for(raw: str) -> PersonalAccessToken | None:
    """The usable token this text is, with its owner; None for anything else (unknown, wrong
    secret, revoked, expired, or an owner who could not sign in now)."""
    if not raw or not raw.startswith(TOKEN_START) or len(raw) > 200:
        return None
    prefix, _, secret = raw[len(TOKEN_START) :].partition("_")
    if not prefix or not secret:
        return None
    token = (
        PersonalAccessToken.objects.usable()
        .select_related("user")
        .filter(prefix=prefix, user__is_active=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(secret)):
        return None
    if twofactor.second_factor_required(token.user) and not twofactor.has_second_factor(token.user):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def get_token_for_user(user: User, pk: int) -> PersonalAccessToken:
    """One of the person's own tokens; anyone else's is 404."""
    token = PersonalAccessToken.objects.filter(pk=pk, user=user).first()
    if token is None:
        raise Http404("No such token.")
    return token

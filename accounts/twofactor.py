"""Two-factor sign-in: an authenticator app (TOTP) and ten single-use recovery codes.

Built on django-otp's TOTP and static-token plugins. What "has a second factor" and "must
have one" mean is defined here and read by the sign-in step, the middleware, the pages and the
e-signature. Every change (set up, removed, new recovery codes, a centre's rule) writes its
audit entry in the same transaction.

A session's progress through the second step is kept in the session (`SESSION_KEY`), worked
out once when the person signs in, so ordinary pages pay no query for it:
- "verify": the person has a confirmed device; nothing is served until they give a code;
- "enrol": their centre (or the site, for its staff) requires one and they have none; nothing
  is served but setting one up;
- absent: nothing to do.
"""

import datetime
import re

import segno
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.enums import Role
from accounts.models import Centre, Membership, User
from audit.chain import audit_record
from audit.enums import AuditAction

SESSION_KEY = "second_factor"
VERIFY, ENROL = "verify", "enrol"
RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
# Every role but the learner's.
STAFF_ROLES = frozenset(
    {Role.TUTOR, Role.INTERNAL_MODERATOR, Role.EXTERNAL_MODERATOR, Role.CENTRE_ADMIN}
)
_APP_CODE = re.compile(r"^\d{6}$")

WRONG_CODE = "That code is not right, or it was used already. Try the next one your app shows."
THROTTLED = "Too many wrong codes: wait a while before trying again."


# ---------------------------------------------------------------- what the state means


def app_device(user: User) -> TOTPDevice | None:
    """The person's confirmed authenticator app, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_second_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def second_factor_required(user: User) -> bool:
    """A staff role at a centre that requires it, or the site's staff when the site does.
    Learners never need one for their learner role."""
    if user.is_staff and settings.TWO_FACTOR_REQUIRED_FOR_SITE_STAFF:
        return True
    return (
        Membership.objects.active()
        .filter(user=user, role__in=STAFF_ROLES, centre__staff_two_factor_required=True)
        .exists()
    )


def pending_step(user: User) -> str | None:
    """What a session just signed in with the password must still do (see the module doc)."""
    if has_second_factor(user):
        return VERIFY
    if second_factor_required(user):
        return ENROL
    return None


def mark_signed_in(request, user: User) -> None:
    """Called when the password step succeeds (the `user_logged_in` signal)."""
    step = pending_step(user)
    if step is None:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = step


def _throttled(device) -> bool:
    """django-otp's own throttle (each wrong code in a row doubles the wait), and the password
    step's lock: after `AXES_FAILURE_LIMIT` wrong codes in a row, none is tried for
    `AXES_COOLOFF_HOURS`."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return True
    failed_at = device.throttling_failure_timestamp
    return (
        device.throttling_failure_count >= settings.AXES_FAILURE_LIMIT
        and failed_at is not None
        and timezone.now() - failed_at < datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)
    )


# ---------------------------------------------------------------- the sign-in step


def sign_in_with_code(*, request, token: str) -> str:
    """The second step: a code from the app or a recovery code. On success the session is
    fully signed in; answers which kind was used ("app" or "recovery")."""
    user = request.user
    token = (token or "").strip().replace(" ", "").lower()
    if _APP_CODE.match(token):
        device, kind = app_device(user), "app"
    else:
        device = StaticDevice.objects.filter(user=user, confirmed=True).first()
        kind = "recovery"
    if device is None:
        raise ValidationError({"token": WRONG_CODE})
    if _throttled(device):
        raise ValidationError({"token": THROTTLED})
    if not device.verify_token(token):
        raise ValidationError({"token": WRONG_CODE})
    otp_login(request, device)
    request.session.pop(SESSION_KEY, None)
    return kind


# ---------------------------------------------------------------- enrolment


def enrolment_device(user: User) -> TOTPDevice:
    """The device being set up: unconfirmed until the person types a code from it. Holds no
    right until then, so it is not audited; the same one is shown until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The secret as people type it into an app: base32, in groups of four."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// link as an inline SVG (drawn here; nothing is fetched)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, title="QR code to set up your authenticator app"
    )


def _new_recovery_codes(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": RECOVERY_DEVICE_NAME, "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def enrol_confirm(*, request, device: TOTPDevice, token: str) -> list[str]:
    """The person types the app's current code: the app is theirs, the session is fully signed
    in, and ten recovery codes are made (answered once, to be shown once)."""
    user = request.user
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError("Start setting up your app again.")
    if has_second_factor(user):
        raise ValidationError("You already have an authenticator app; remove it first.")
    token = (token or "").strip().replace(" ", "")
    if _throttled(device):
        raise ValidationError({"token": THROTTLED})
    if not _APP_CODE.match(token) or not device.verify_token(token):
        raise ValidationError({"token": WRONG_CODE})
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        audit_record(
            action=AuditAction.TWO_FACTOR_ENROLLED,
            actor=user,
            summary=f"{user} set up an authenticator app for signing in",
            data={"person": user.pk, "recovery_codes": RECOVERY_CODE_COUNT},
        )
    otp_login(request, device)
    request.session.pop(SESSION_KEY, None)
    return codes


def recovery_codes_regenerate(*, user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    if not has_second_factor(user):
        raise ValidationError("Set up an authenticator app first.")
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit_record(
            action=AuditAction.RECOVERY_CODES_REGENERATED,
            actor=user,
            summary=f"{user} made new recovery codes; the old ones no longer work",
            data={"person": user.pk, "recovery_codes": RECOVERY_CODE_COUNT},
        )
    return codes


def second_factor_remove(*, user: User, password: str, token: str, request=None) -> None:
    """Removes the app and the recovery codes: asks for the password and a current code.
    Refused while a centre (or the site) requires the person to have one."""
    if second_factor_required(user):
        raise ValidationError(
            "Your centre requires a second factor for your role: you cannot remove it."
        )
    device = app_device(user)
    if device is None:
        raise ValidationError("You have no second factor to remove.")
    if request is not None:
        # Through django-axes, which counts a wrong password here as at sign-in.
        signer = authenticate(request, username=user.get_username(), password=password or "")
        ok = signer is not None and signer.pk == user.pk
    else:
        ok = bool(password) and user.check_password(password)
    if not ok:
        raise ValidationError({"password": "That is not your password."})
    token = (token or "").strip().replace(" ", "")
    if _throttled(device):
        raise ValidationError({"token": THROTTLED})
    if not _APP_CODE.match(token) or not device.verify_token(token):
        raise ValidationError({"token": WRONG_CODE})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(
            action=AuditAction.TWO_FACTOR_REMOVED,
            actor=user,
            summary=f"{user} removed their second factor",
            data={"person": user.pk},
        )


# ---------------------------------------------------------------- the e-signature


def signature_code_check(user: User, token: str) -> None:
    """Signing asks for the app's current code too when the person has one (a recovery code
    is for signing in, not for signing). Refuses on the `code` field; changes nothing else."""
    device = app_device(user)
    if device is None:
        return
    token = (token or "").strip().replace(" ", "")
    if not token:
        raise ValidationError({"code": "Type the current code from your authenticator app."})
    if _throttled(device):
        raise ValidationError({"code": THROTTLED})
    if not _APP_CODE.match(token) or not device.verify_token(token):
        raise ValidationError({"code": WRONG_CODE})


# ---------------------------------------------------------------- the centre's rule


def centre_two_factor_set(*, centre: Centre, required: bool, by: User) -> Centre:
    """A centre admin requires (or stops requiring) a second factor of the centre's staff."""
    from accounts.permissions import can_manage_centre

    if not can_manage_centre(by, centre):
        raise ValidationError("Only the centre's admins may change this.")
    with transaction.atomic():
        centre = Centre.objects.select_for_update().get(pk=centre.pk)
        if centre.staff_two_factor_required == required:
            return centre
        centre.staff_two_factor_required = required
        centre.save(update_fields=["staff_two_factor_required"])
        audit_record(
            action=AuditAction.CENTRE_TWO_FACTOR,
            actor=by,
            summary=(
                f"{centre.name} now requires a second factor of its staff"
                if required
                else f"{centre.name} no longer requires a second factor of its staff"
            ),
            centre=centre,
            data={"required": required},
        )
    return centre

"""Changes to people and their roles, made by a centre's admins."""

import re

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.enums import Role
from accounts.models import Centre, Membership, User


def _username_for(email: str) -> str:
    base = re.sub(r"[^\w.@+-]", "", email.split("@")[0].lower())[:140] or "person"
    candidate, n = base, 2
    while User.objects.filter(username__iexact=candidate).exists():
        candidate, n = f"{base}{n}", n + 1
    return candidate


def person_find_by_email(email: str) -> User | None:
    matches = list(User.objects.filter(email__iexact=email.strip())[:2])
    if len(matches) > 1:
        raise ValidationError(
            f"More than one account uses {email}; ask the site's staff to merge them."
        )
    return matches[0] if matches else None


@transaction.atomic
def person_add(
    *,
    centre: Centre,
    first_name: str,
    last_name: str,
    email: str,
    roles: list[str],
    by: User,
) -> tuple[User, bool]:
    """Add a person (or an existing account, by e-mail) to the centre with these roles.

    Returns (person, created). A new account has no usable password until its owner follows
    the invitation link.
    """
    if not roles:
        raise ValidationError("Give the person at least one role.")
    person = person_find_by_email(email)
    created = person is None
    if created:
        person = User(
            username=_username_for(email),
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            email=email.strip().lower(),
        )
        person.set_unusable_password()
        person.full_clean()
        person.save()
    for role in roles:
        role_give(centre=centre, person=person, role=role, by=by)
    return person, created


@transaction.atomic
def role_give(*, centre: Centre, person: User, role: str, by: User) -> Membership:
    membership, _ = Membership.objects.get_or_create(user=person, centre=centre, role=Role(role))
    if not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    return membership


@transaction.atomic
def role_take(*, centre: Centre, person: User, role: str, by: User) -> None:
    """End a role at the centre. The membership row stays, so records keep naming who it was."""
    if person == by and role == Role.CENTRE_ADMIN:
        raise ValidationError("You cannot take away your own admin role.")
    Membership.objects.filter(user=person, centre=centre, role=role).update(is_active=False)


@transaction.atomic
def person_deactivate(*, centre: Centre, person: User, by: User) -> int:
    """End every role the person holds at the centre; their records stay. Returns roles ended."""
    if person == by:
        raise ValidationError("You cannot deactivate yourself.")
    return Membership.objects.filter(user=person, centre=centre, is_active=True).update(
        is_active=False
    )


def invitation_send(*, person: User, centre: Centre, base_url: str) -> None:
    """E-mail a link to choose a password (the password-reset link, valid as long as that)."""
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    token = default_token_generator.make_token(person)
    link = base_url.rstrip("/") + reverse(
        "password_reset_confirm", kwargs={"uidb64": uid, "token": token}
    )
    context = {"person": person, "centre": centre, "link": link}
    send_mail(
        subject=f"Your portfolio account at {centre.name}",
        message=render_to_string("registration/invitation_email.txt", context),
        from_email=None,
        recipient_list=[person.email],
    )

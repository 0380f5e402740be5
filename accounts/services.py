"""Changes to people and their roles, made by a centre's admins.

A centre's admin changes only their own centre. An e-mail address that already has an account
belongs to a person who may be another centre's: they are *invited* (`invitation_create`) and
nothing on their account changes until they sign in and accept. What the admin is told is the
same whether or not the address had an account, so no account's existence is revealed.
Every change of a role writes its entry in the audit trail, in the same transaction.
"""

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.enums import Role
from accounts.models import Centre, Invitation, Membership, User
from accounts.permissions import forget_memberships
from audit.chain import audit_record
from audit.enums import AuditAction


def invitation_days() -> int:
    return settings.INVITATION_DAYS


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


def is_known_at(person: User, centre: Centre) -> bool:
    """The person holds, or once held, a role at the centre: its admins know them already."""
    return Membership.objects.filter(user=person, centre=centre).exists()


@dataclass(frozen=True)
class PersonAdded:
    """What `person_add` did. Only the code sees the difference; the admin is told the same
    thing in every case (`PERSON_ADD_MESSAGE`)."""

    person: User
    created: bool  # a new account, with its roles here
    invitation: Invitation | None  # an existing account from elsewhere: asked to accept


PERSON_ADD_MESSAGE = (
    "{email} is invited to {centre}. A new address gets an account here and a link to choose "
    "a password; an address that already has an account takes its roles here once its owner "
    "signs in and accepts."
)


def person_add_message(*, email: str, centre: Centre) -> str:
    return PERSON_ADD_MESSAGE.format(email=email.strip().lower(), centre=centre.name)


def person_create(*, first_name: str, last_name: str, email: str, by: User | None) -> User:
    """A new account with no usable password, until its owner follows the e-mailed link.
    Call inside the transaction that gives it its first role."""
    person = User(
        username=_username_for(email),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip().lower(),
    )
    person.set_unusable_password()
    person.full_clean()
    person.save()
    audit_record(
        action=AuditAction.PERSON_ADDED,
        actor=by,
        obj=person,
        summary=f"Account made for {person} <{person.email}>",
        data={"username": person.username},
    )
    return person


@transaction.atomic
def person_add(
    *,
    centre: Centre,
    first_name: str,
    last_name: str,
    email: str,
    roles: list[str],
    by: User,
) -> PersonAdded:
    """Add a person to the centre with these roles.

    A new address: a new account with the roles, no usable password until its owner follows
    the e-mailed link. An account already at this centre: the roles are given. An account
    from elsewhere: an invitation, and nothing on the account changes until it is accepted.
    """
    if not roles:
        raise ValidationError("Give the person at least one role.")
    roles = [Role(r) for r in roles]
    person = person_find_by_email(email)
    if person is None:
        person = person_create(first_name=first_name, last_name=last_name, email=email, by=by)
        for role in roles:
            role_give(centre=centre, person=person, role=role, by=by)
        return PersonAdded(person, True, None)
    if is_known_at(person, centre):
        for role in roles:
            role_give(centre=centre, person=person, role=role, by=by)
        return PersonAdded(person, False, None)
    invitation = invitation_create(centre=centre, person=person, email=email, roles=roles, by=by)
    return PersonAdded(person, False, invitation)


@transaction.atomic
def invitation_create(
    *,
    centre: Centre,
    person: User,
    email: str,
    roles: list[str],
    by: User,
    enrolment: dict | None = None,
) -> Invitation:
    """Invite an existing account to the centre (with what a class list would enrol them on).
    A person has one open invitation per centre: asking again adds to it and renews it."""
    invitation = (
        Invitation.objects.select_for_update().open().filter(centre=centre, person=person).first()
    )
    if invitation is None:
        invitation = Invitation(centre=centre, person=person, email=email.strip().lower())
    invitation.roles = sorted({*invitation.roles, *(Role(r).value for r in roles)})
    if enrolment is not None:
        # One enrolment per qualification (or per short-course unit): a later list replaces it.
        invitation.enrolments = [
            *[e for e in invitation.enrolments if _enrolment_key(e) != _enrolment_key(enrolment)],
            enrolment,
        ]
    invitation.invited_by = by
    invitation.expires_at = timezone.now() + datetime.timedelta(days=invitation_days())
    invitation.full_clean()
    invitation.save()
    audit_record(
        action=AuditAction.PERSON_INVITED,
        actor=by,
        centre=centre,
        obj=invitation,
        summary=f"{invitation.email} invited as " + ", ".join(invitation.role_labels).lower(),
        data={"roles": invitation.roles, "enrolments": len(invitation.enrolments)},
    )
    return invitation


def _enrolment_key(enrolment: dict) -> tuple:
    if enrolment.get("qualification"):
        return ("qualification", enrolment["qualification"])
    return ("units", tuple(enrolment.get("units") or ()))


def invitations_pending_for(person: User):
    return (
        Invitation.objects.pending()
        .filter(person=person, centre__is_active=True)
        .select_related("centre", "invited_by")
        .order_by("created_at", "pk")
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, by: User) -> list[Membership]:
    """The invited person takes the roles. Only they may, signed in, while it is pending."""
    locked = Invitation.objects.select_for_update().select_related("centre").get(pk=invitation.pk)
    if locked.person_id != by.pk:
        raise ValidationError("This invitation is not yours.")
    if locked.accepted_at is not None:
        raise ValidationError(f"You accepted the invitation to {locked.centre.name} already.")
    if locked.expires_at <= timezone.now():
        raise ValidationError(
            f"The invitation to {locked.centre.name} has expired; ask the centre to invite you "
            "again."
        )
    locked.accepted_at = timezone.now()
    locked.full_clean()
    locked.save(update_fields=["accepted_at"])
    audit_record(
        action=AuditAction.INVITATION_ACCEPTED,
        actor=by,
        centre=locked.centre,
        obj=locked,
        summary=f"{by} accepted the invitation to {locked.centre.name}",
        data={"roles": locked.roles},
    )
    memberships = [
        role_give(centre=locked.centre, person=by, role=role, by=by) for role in locked.roles
    ]
    forget_memberships(by)
    return memberships


@transaction.atomic
def role_give(*, centre: Centre, person: User, role: str, by: User | None) -> Membership:
    """Give a role at the centre (or take an ended one up again). Call it only for a person
    new to the centre, already at it, or accepting an invitation: never to reach into another
    centre's person."""
    membership, created = Membership.objects.get_or_create(
        user=person, centre=centre, role=Role(role)
    )
    if created or not membership.is_active:
        if not membership.is_active:
            membership.is_active = True
            membership.save(update_fields=["is_active"])
        audit_record(
            action=AuditAction.ROLE_GIVEN,
            actor=by,
            centre=centre,
            obj=membership,
            summary=f"{person} is {Role(role).label.lower()} at {centre.name}",
            data={"person": person.pk, "role": Role(role).value, "again": not created},
        )
        forget_memberships(person)
    return membership


@transaction.atomic
def role_take(*, centre: Centre, person: User, role: str, by: User) -> None:
    """End a role at the centre. The membership row stays, so records keep naming who it was."""
    if person == by and role == Role.CENTRE_ADMIN:
        raise ValidationError("You cannot take away your own admin role.")
    for membership in Membership.objects.select_for_update().filter(
        user=person, centre=centre, role=role, is_active=True
    ):
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        audit_record(
            action=AuditAction.ROLE_TAKEN,
            actor=by,
            centre=centre,
            obj=membership,
            summary=f"{person} is no longer {Role(role).label.lower()} at {centre.name}",
            data={"person": person.pk, "role": Role(role).value},
        )
    forget_memberships(person)


@transaction.atomic
def person_deactivate(*, centre: Centre, person: User, by: User) -> int:
    """End every role the person holds at the centre; their records stay. Returns roles ended."""
    if person == by:
        raise ValidationError("You cannot deactivate yourself.")
    ended = list(
        Membership.objects.select_for_update().filter(user=person, centre=centre, is_active=True)
    )
    for membership in ended:
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        audit_record(
            action=AuditAction.PERSON_DEACTIVATED,
            actor=by,
            centre=centre,
            obj=membership,
            summary=f"{person} deactivated at {centre.name}: no longer "
            f"{membership.get_role_display().lower()}",
            data={"person": person.pk, "role": membership.role},
        )
    forget_memberships(person)
    return len(ended)


def invitation_send(*, person: User, centre: Centre, base_url: str) -> None:
    """E-mail a new account a link to choose a password (the password-reset link)."""
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


def invitation_notice_send(*, invitation: Invitation, base_url: str) -> None:
    """E-mail an existing account that a centre invites it: sign in, then accept."""
    context = {
        "invitation": invitation,
        "link": base_url.rstrip("/") + reverse("invitation_list"),
    }
    send_mail(
        subject=f"{invitation.centre.name} invites you to its e-portfolio",
        message=render_to_string("registration/invitation_notice_email.txt", context),
        from_email=None,
        recipient_list=[invitation.person.email],
    )


def digest_choose(*, person: User, daily: bool) -> None:
    """A person's own choice of e-mail: one per notification, or a daily digest
    (`notifications.send_digests`). Their preference, not the record: no audit entry."""
    User.objects.filter(pk=person.pk).update(daily_digest=daily)
    person.daily_digest = daily

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.enums import NotificationKind, Role, TokenScope


class User(AbstractUser):
    """A person. What they may do comes from their memberships, never from this row alone."""

    email = models.EmailField("e-mail address", blank=True)
    daily_digest = models.BooleanField(
        "one e-mail a day",
        default=False,
        help_text="Notifications by e-mail once a day, gathered, instead of one per event.",
    )

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self):
        return self.get_full_name() or self.username


class CentreQuerySet(models.QuerySet):
    def get_by_natural_key(self, centre_number):
        return self.get(centre_number=centre_number)

    def with_member(self, user):
        return self.filter(memberships__user=user, memberships__is_active=True).distinct()


class Centre(models.Model):
    """A college or employer approved by an awarding body to run qualifications."""

    name = models.CharField(max_length=200)
    centre_number = models.CharField(
        "awarding-body centre number",
        max_length=40,
        unique=True,
        help_text="The number the awarding body gave this centre.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    staff_two_factor_required = models.BooleanField(
        "staff must use a second factor",
        default=False,
        help_text="Tutors, moderators and centre admins here sign in with a code from an "
        "authenticator app as well as their password. Learners never need one.",
    )

    objects = CentreQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.centre_number})"

    def get_absolute_url(self):
        return reverse("centre_detail", args=[self.pk])

    def natural_key(self):
        return (self.centre_number,)


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, centre__is_active=True, user__is_active=True)

    def with_role(self, role):
        return self.filter(role=role)


class Membership(models.Model):
    """One role a person holds in one centre; a person may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["centre__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "centre", "role"], name="membership_one_role_per_centre"
            ),
        ]

    def __str__(self):
        return f"{self.user}, {self.get_role_display()} at {self.centre.name}"

    def get_absolute_url(self):
        return reverse("role_dashboard", args=[self.pk])


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Something a person should know: a row in their in-app list (and an e-mail)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    # What it is about ("evidence:14", "unit:3:27"): acting on that clears it.
    subject = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)
    # When it went out by e-mail (at once, or in the person's daily digest); empty: not yet.
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["subject", "read_at"]),
        ]

    def __str__(self):
        return self.message


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        """Not yet accepted, and not expired."""
        return self.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())

    def open(self):
        """Not yet accepted (expired or not): at most one per person and centre."""
        return self.filter(accepted_at__isnull=True)


class Invitation(models.Model):
    """A centre asks someone who already has an account to take roles there.

    Nothing on the account changes until its owner signs in and accepts: a centre never
    rewrites another centre's person. What a class list would enrol them on waits here too
    (`enrolments`), and is made when they accept.
    """

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="invitations")
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField("e-mail address the centre gave")
    roles = models.JSONField(default=list)
    # Enrolments a class list asked for, made when the person accepts: each a dict of
    # qualification, units, tutor, registration_number, start_date, planned_end_date (ids and
    # ISO dates).
    enrolments = models.JSONField(default=list, blank=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "person"],
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_one_open_per_centre",
            ),
        ]

    def __str__(self):
        return f"{self.email} invited to {self.centre.name}"

    def clean(self):
        unknown = [r for r in self.roles if r not in Role.values]
        if not self.roles or unknown:
            raise ValidationError({"roles": "Invite the person with at least one known role."})

    @property
    def role_labels(self) -> list[str]:
        return [Role(r).label for r in self.roles]

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class PersonalAccessTokenQuerySet(models.QuerySet):
    def usable(self):
        """Not revoked and not expired: what the API accepts (its owner must still be active)."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class PersonalAccessToken(models.Model):
    """A person's key to the API, acting as them and never more.

    Only `prefix` (to find the row) and the SHA-256 of the secret are kept: the secret is 32
    random bytes, so a plain hash cannot be reversed by guessing, and is shown once, when made.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scope = models.CharField(max_length=5, choices=TokenScope.choices, default=TokenScope.READ)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PersonalAccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        # The throttles key on this (hashed): the prefix names one token, never its secret.
        return f"token {self.prefix}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.WRITE

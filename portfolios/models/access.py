"""Who may open a learner's record beyond the centre's own staff: external moderators' grants.

They sit with the record, not with moderation, because every access helper of the record asks
them (`portfolios.permissions`), and the record must not reach up for its own access rules.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Centre
from portfolios.models.enrolment import Enrolment
from qualifications.models import Unit


class EqaGrantQuerySet(models.QuerySet):
    def current(self, at=None):
        at = at or timezone.now()
        return self.filter(starts_at__lte=at, ends_at__gt=at, revoked_at__isnull=True)


class EqaGrant(models.Model):
    """A centre's time-limited opening of chosen learners or units to an external moderator.

    Learners only: their whole portfolios. Units only: those units of every learner on them.
    Both: those units of those learners.
    """

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="eqa_grants")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="eqa_grants"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    enrolments = models.ManyToManyField(
        Enrolment, blank=True, related_name="eqa_grants", verbose_name="learners"
    )
    units = models.ManyToManyField(Unit, blank=True, related_name="+")
    note = models.TextField(blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = EqaGrantQuerySet.as_manager()

    class Meta:
        verbose_name = "external moderator's access"
        verbose_name_plural = "external moderators' access"
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="eqa_grant_ends_after_start"
            )
        ]

    def __str__(self):
        return f"{self.moderator} at {self.centre.name} until {self.ends_at:%d %b %Y}"

    def get_absolute_url(self):
        return reverse("moderation:grant_detail", args=[self.pk])

    def is_current(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and self.starts_at <= at < self.ends_at

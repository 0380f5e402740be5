"""The audit trail: a hash chain of entries, each binding a digest of the row it records.

This app is the floor every other app stands on: it imports nothing of the project's (it names
the centre and the person by model label only), so any service in any app may write an entry
in its own transaction. It also holds the append-only base for the records that are kept
exactly as written (decisions, sign-offs, samples, the trail itself).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from audit.enums import AuditAction

GENESIS_HASH = "0" * 64


class AppendOnlyError(Exception):
    """Someone tried to change or remove a record that is kept as it was written."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.verbose_name_plural} are never changed.")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.verbose_name_plural} are never deleted.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(
                f"A {self._meta.verbose_name} is never changed; record a new one instead."
            )
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"A {self._meta.verbose_name} is never deleted.")


class AuditEntryQuerySet(AppendOnlyQuerySet):
    def for_enrolment(self, enrolment_id: int):
        return self.filter(enrolment_id=enrolment_id)

    def for_centre(self, centre_id: int):
        return self.filter(centre_id=centre_id)


class AuditEntry(AppendOnlyModel):
    """One link of the tamper-evident chain.

    Its hash covers its content, the digest of the row it records and the previous entry's
    hash, and is keyed (HMAC) when `AUDIT_KEY` is set. `seq` orders the chain but is not
    hashed, so an entry slipped in between two others is named as inserted, not as the next
    one changed. `chain.py` writes and checks it.
    """

    seq = models.PositiveBigIntegerField("position in the chain", unique=True)
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=300)
    centre = models.ForeignKey(
        "accounts.Centre", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A plain number, not a key: the trail sits below the apps whose rows it records.
    enrolment_id = models.PositiveBigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=30)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    object_digest = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the recorded row as it was written."
    )
    summary = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    keyed = models.BooleanField(default=False, help_text="Hashed with AUDIT_KEY (HMAC).")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["enrolment_id", "seq"]),
            models.Index(fields=["centre", "seq"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self):
        return f"#{self.seq} {self.action_label}: {self.summary}"

    @property
    def action_label(self) -> str:
        try:
            return AuditAction(self.action).label
        except ValueError:
            return self.action


class AuditHead(models.Model):
    """The end of the chain, one row. Writers lock it, so two of them cannot fork the chain;
    and it remembers the last entry, so removing entries from the end is noticed too."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = "audit chain head"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="audit_head_single_row")]

    def __str__(self):
        return f"Audit chain at #{self.last_seq}"


class AccessLogEntry(AppendOnlyModel):
    """A page or file of learners' work that an external moderator opened."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now, editable=False)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    what = models.CharField(max_length=60, help_text="The kind of object opened.")
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    enrolment_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "external moderator access log entry"
        verbose_name_plural = "external moderator access log"
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["user", "opened_at"])]

    def __str__(self):
        return f"{self.user} {self.method} {self.path}"

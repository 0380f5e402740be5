from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Centre
from checklists.enums import COHORT_PRINT_FINISHED, CohortPrintStatus, Layout
from portfolios.models import Enrolment
from qualifications.models import Qualification


class CachedChecklist(models.Model):
    """The last PDF printed for one checklist, served again while nothing it shows has changed.

    `key` names the checklist (whose, which layout, which units); `fingerprint` is the digest
    of everything the PDF prints (`ChecklistDocument.fingerprint`). The file lives in the
    default storage, outside any public URL, and is only ever sent by views that check access.
    """

    key = models.CharField(max_length=200, unique=True)
    # Set for a learner's checklist, so the cached copy goes when the enrolment does.
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    fingerprint = models.CharField(max_length=64)
    pdf = models.FileField(upload_to="checklists/cache/", max_length=255)
    size = models.PositiveIntegerField()
    built_at = models.DateTimeField()

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return self.key


class CohortPrint(models.Model):
    """A centre admin's request to print every learner of a qualification into one PDF.

    Built in the background (checklists.tasks.print_cohort); `done` of `total` learners tells
    the page how far it has gone.
    """

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+")
    qualification = models.ForeignKey(Qualification, on_delete=models.PROTECT, related_name="+")
    layout = models.CharField(max_length=12, choices=Layout.choices, default=Layout.ACHIEVEMENT)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=CohortPrintStatus.choices, default=CohortPrintStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    pdf = models.FileField(upload_to="checklists/cohorts/", max_length=255, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=F("total")), name="cohort_print_done_le_total"
            )
        ]

    def __str__(self):
        return f"{self.qualification.number} at {self.centre.name} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("cohort_print_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in COHORT_PRINT_FINISHED

    @property
    def is_ready(self) -> bool:
        return self.status == CohortPrintStatus.DONE and bool(self.pdf)

    @property
    def is_waiting_long(self) -> bool:
        """Queued for over a minute: most likely no task worker is running."""
        return (
            self.status == CohortPrintStatus.QUEUED
            and self.created_at is not None
            and timezone.now() - self.created_at > timedelta(minutes=1)
        )

    @property
    def percent(self) -> int:
        if self.status == CohortPrintStatus.DONE:
            return 100
        return (100 * self.done) // self.total if self.total else 0

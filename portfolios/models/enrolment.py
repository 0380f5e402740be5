"""Enrolments: a learner on a qualification, and the units of it they take."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse

from accounts.models import Centre
from portfolios.enums import EnrolmentStatus
from qualifications.models import Qualification, Unit


class EnrolmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=EnrolmentStatus.ACTIVE)

    def for_listing(self):
        units = (
            EnrolmentUnit.objects.current()
            .filter(enrolment=models.OuterRef("pk"))
            .order_by()
            .values("enrolment")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.select_related("learner", "tutor", "qualification", "centre").annotate(
            unit_count=Coalesce(models.Subquery(units, output_field=models.IntegerField()), 0)
        )


class Enrolment(models.Model):
    """A learner on a qualification (or on a single unit as a short course) at a centre."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="enrolments")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrolments"
    )
    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tutored_enrolments"
    )
    qualification = models.ForeignKey(
        Qualification,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolments",
        help_text="Blank for a short course on a single unit.",
    )
    units = models.ManyToManyField(Unit, through="EnrolmentUnit", related_name="enrolments")
    registration_number = models.CharField(
        "awarding-body registration number",
        max_length=40,
        blank=True,
        help_text="The learner's number with the awarding body, once registered.",
    )
    start_date = models.DateField()
    planned_end_date = models.DateField()
    status = models.CharField(
        max_length=12, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE
    )
    # The last portfolio reference number handed out. It only ever grows, so a reference of a
    # deleted draft is never given to another item (the checklists may have printed it).
    last_evidence_number = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end_date__gte=F("start_date")),
                name="enrolment_ends_after_start",
                violation_error_message="The planned end date is before the start date.",
            ),
            models.UniqueConstraint(
                fields=["centre", "learner", "qualification"],
                condition=Q(qualification__isnull=False),
                name="enrolment_once_per_qualification",
                violation_error_message=(
                    "This learner is already enrolled on this qualification at this centre."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.learner} · {self.programme_label}"

    def get_absolute_url(self):
        return reverse("portfolio", args=[self.pk])

    @property
    def programme_label(self) -> str:
        """What the learner is enrolled on, as the checklists name it."""
        if self.qualification_id:
            return f"{self.qualification.number} {self.qualification.title}"
        return "Short course"

    @property
    def is_active(self) -> bool:
        return self.status == EnrolmentStatus.ACTIVE


class EnrolmentUnitQuerySet(models.QuerySet):
    def current(self):
        """Units the learner takes now: everything but the withdrawn ones."""
        return self.filter(withdrawn_at__isnull=True)

    def withdrawn(self):
        return self.filter(withdrawn_at__isnull=False)


class EnrolmentUnit(models.Model):
    """A unit the learner takes. A unit is never removed once it holds work: it is withdrawn
    with a reason (and can be restored), so its evidence and decisions stay in the history."""

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="enrolment_units"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="enrolment_units")
    position = models.PositiveSmallIntegerField(default=0)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    withdrawal_reason = models.TextField(blank=True, editable=False)

    objects = EnrolmentUnitQuerySet.as_manager()

    class Meta:
        ordering = ["enrolment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "unit"], name="enrolment_unit_once"),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""),
                name="enrolment_unit_withdrawal_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.enrolment_id}: {self.unit}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

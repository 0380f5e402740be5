from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse

from accounts.models import Centre
from portfolios.enums import EnrolmentStatus, EvidenceState
from qualifications.models import AssessmentCriterion, EvidenceMethod, Qualification, Unit


class EnrolmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=EnrolmentStatus.ACTIVE)

    def for_listing(self):
        units = (
            EnrolmentUnit.objects.filter(enrolment=models.OuterRef("pk"))
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


class EnrolmentUnit(models.Model):
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="enrolment_units"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="enrolment_units")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["enrolment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "unit"], name="enrolment_unit_once")
        ]

    def __str__(self):
        return f"{self.enrolment_id}: {self.unit}"


class EvidenceQuerySet(models.QuerySet):
    def drafts(self):
        return self.filter(submitted_at__isnull=True)

    def submitted(self):
        return self.filter(submitted_at__isnull=False)

    def awaiting_assessment(self):
        return self.filter(submitted_at__isnull=False, assessed_at__isnull=True)

    def with_counts(self):
        return self.annotate(
            file_count=models.Count("files", distinct=True),
            criterion_count=models.Count("links", distinct=True),
        )


class Evidence(models.Model):
    """One piece of evidence in a learner's portfolio: files, written text or a workplace pointer.

    Its `reference` (E001, E002, …) is what the printed checklists carry, so it never changes
    and is never given to another item of the same enrolment.
    """

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="evidence")
    number = models.PositiveIntegerField(editable=False)
    reference = models.CharField("portfolio reference", max_length=12, editable=False)
    title = models.CharField("brief title", max_length=200)
    description = models.TextField(blank=True)
    method = models.ForeignKey(
        EvidenceMethod, on_delete=models.PROTECT, related_name="+", verbose_name="evidence method"
    )
    date = models.DateField(help_text="When the work was done or the evidence was produced.")
    text = models.TextField(
        "written account", blank=True, help_text="A reflective account written here."
    )
    workplace_location = models.CharField(
        "kept in the workplace at",
        max_length=500,
        blank=True,
        help_text="Where a workplace document is kept, when it is referred to, not uploaded.",
    )
    criteria = models.ManyToManyField(
        AssessmentCriterion, through="EvidenceCriterion", related_name="evidence"
    )
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        help_text="The submitted item this one corrects.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    declaration = models.TextField(
        blank=True, editable=False, help_text="The declaration text the learner agreed to."
    )
    # Set by the moderation app when a tutor first judges the item; an assessed item is kept
    # for ever (awarding bodies audit it).
    assessed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["enrolment", "number"]
        verbose_name_plural = "evidence"
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "number"], name="evidence_number_unique"),
            models.UniqueConstraint(
                fields=["enrolment", "reference"], name="evidence_reference_unique"
            ),
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | ~Q(declaration=""),
                name="evidence_submission_has_declaration",
            ),
            models.CheckConstraint(
                condition=Q(assessed_at__isnull=True) | Q(submitted_at__isnull=False),
                name="evidence_assessed_after_submission",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("evidence_detail", args=[self.pk])

    @staticmethod
    def reference_for(number: int) -> str:
        return f"E{number:03d}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def is_assessed(self) -> bool:
        return self.assessed_at is not None

    def state(self, *, superseded: bool = False) -> EvidenceState:
        """The item's state; `superseded` comes from the caller, who knows the corrections."""
        if superseded:
            return EvidenceState.SUPERSEDED
        if self.assessed_at:
            return EvidenceState.ASSESSED
        if self.submitted_at:
            return EvidenceState.SUBMITTED
        return EvidenceState.DRAFT


class EvidenceFile(models.Model):
    """A file of an evidence item, stored under a generated name; `name` is only for display."""

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(max_length=255, unique=True)
    name = models.CharField("file name", max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField("SHA-256", max_length=64)
    content_type = models.CharField(
        max_length=120, help_text="The type found from the file's content, not its name."
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["evidence", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="evidence_file_sha256_hex"
            ),
            models.CheckConstraint(condition=Q(size__gt=0), name="evidence_file_not_empty"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("evidence_file_download", args=[self.pk])


class EvidenceCriterion(models.Model):
    """Evidence mapped to a criterion. One item may cover criteria in several units."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="links")
    criterion = models.ForeignKey(
        AssessmentCriterion, on_delete=models.PROTECT, related_name="evidence_links"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["evidence", "criterion"]
        constraints = [
            models.UniqueConstraint(
                fields=["evidence", "criterion"], name="evidence_criterion_once"
            )
        ]

    def __str__(self):
        return f"{self.evidence_id} → {self.criterion_id}"

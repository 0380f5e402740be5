"""Evidence: what a learner presents, its files and its mapping to criteria."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from portfolios.enums import EvidenceState
from portfolios.models.enrolment import Enrolment
from portfolios.state import EvidenceStateQuerySet, state_of
from qualifications.models import AssessmentCriterion, EvidenceMethod


class EvidenceQuerySet(EvidenceStateQuerySet):
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
    # Set when a tutor first judges the item; an assessed item is kept for ever (awarding
    # bodies audit it).
    assessed_at = models.DateTimeField(null=True, blank=True, editable=False)
    imported_from = models.ForeignKey(
        "portfolios.PortfolioImport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
        editable=False,
        help_text="The package this item arrived in from another installation or centre.",
    )

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

    @property
    def state(self) -> EvidenceState:
        return state_of(self)


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

import re

from django.db import models
from django.db.models import Q
from django.urls import reverse

from qualifications.enums import OutcomeKind

OFQUAL_UNIT_CODE = re.compile(r"^[A-Z]/\d{3}/\d{4}$")


def number_sort_key(number: str) -> int:
    """An integer that orders criterion numbers as people do: 1.2 before 1.10, 2.1 after 1.9."""
    parts = [int(p) for p in re.findall(r"\d+", number)[:3]] + [0, 0, 0]
    return parts[0] * 1_000_000 + parts[1] * 1_000 + parts[2]


class NaturalKeyQuerySet(models.QuerySet):
    natural_key_fields: tuple[str, ...] = ()

    def get_by_natural_key(self, *values):
        return self.get(**dict(zip(self.natural_key_fields, values, strict=True)))


class AwardingBodyQuerySet(NaturalKeyQuerySet):
    natural_key_fields = ("short_name",)


class AwardingBody(models.Model):
    short_name = models.CharField(max_length=40, unique=True, help_text="e.g. BIIAB")
    name = models.CharField(max_length=200)

    objects = AwardingBodyQuerySet.as_manager()

    class Meta:
        ordering = ["short_name"]

    def __str__(self):
        return self.short_name

    def natural_key(self):
        return (self.short_name,)


class EvidenceMethodQuerySet(NaturalKeyQuerySet):
    natural_key_fields = ("slug",)


class EvidenceMethod(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    objects = EvidenceMethodQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class QualificationQuerySet(NaturalKeyQuerySet):
    natural_key_fields = ("number",)


class Qualification(models.Model):
    number = models.CharField(
        "Ofqual qualification number", max_length=20, unique=True, help_text="e.g. 601/3734/4"
    )
    title = models.CharField(max_length=300)
    awarding_body = models.ForeignKey(
        AwardingBody, on_delete=models.PROTECT, related_name="qualifications"
    )
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    min_credits = models.PositiveSmallIntegerField(
        "minimum credits", null=True, blank=True, help_text="Blank when the source does not say."
    )
    notes = models.TextField(blank=True)

    objects = QualificationQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("qualification_detail", args=[self.pk])

    def natural_key(self):
        return (self.number,)


class UnitGroupQuerySet(NaturalKeyQuerySet):
    def get_by_natural_key(self, qualification_number, name):
        return self.get(qualification__number=qualification_number, name=name)


class UnitGroup(models.Model):
    """A rule of combination: a set of units with how many of them (or credits) must be taken."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="unit_groups"
    )
    name = models.CharField(max_length=100)
    is_mandatory = models.BooleanField(
        default=False, help_text="Every unit of a mandatory group must be taken."
    )
    min_units = models.PositiveSmallIntegerField(null=True, blank=True)
    min_credits = models.PositiveSmallIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = UnitGroupQuerySet.as_manager()

    class Meta:
        ordering = ["qualification", "position"]
        constraints = [
            models.UniqueConstraint(fields=["qualification", "name"], name="unit_group_unique_name")
        ]

    def __str__(self):
        return f"{self.qualification.number}: {self.name}"

    def natural_key(self):
        return (*self.qualification.natural_key(), self.name)

    natural_key.dependencies = ["qualifications.qualification"]


class UnitQuerySet(NaturalKeyQuerySet):
    natural_key_fields = ("slug",)

    def search(self, query: str):
        """Units whose code, other code, title or any criterion's text contains the words."""
        words = query.split()
        units = self
        for word in words:
            units = units.filter(
                Q(code__icontains=word)
                | Q(other_codes__code__iexact=word)
                | Q(title__icontains=word)
                | Q(outcomes__title__icontains=word)
                | Q(outcomes__criteria__text__icontains=word)
            )
        return units.distinct()


class Unit(models.Model):
    slug = models.SlugField(
        max_length=120, unique=True, help_text="Stable key: the Ofqual code, or a provisional name."
    )
    code = models.CharField(
        "Ofqual unit reference", max_length=20, blank=True, help_text="e.g. L/506/1807"
    )
    title = models.CharField(max_length=300)
    title_is_provisional = models.BooleanField(
        default=False, help_text="The source gave no title; this one was made up to show it."
    )
    needs_code = models.BooleanField(
        default=False, help_text="The source gave no Ofqual unit reference; one must be added."
    )
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    credit_value = models.PositiveSmallIntegerField(null=True, blank=True)
    glh = models.PositiveSmallIntegerField("guided learning hours", null=True, blank=True)
    assessment_guidance = models.TextField(blank=True)
    additional_information = models.TextField(blank=True)
    notes = models.TextField(blank=True, help_text="Notes from the awarding body's documents.")
    evidence_methods = models.ManyToManyField(EvidenceMethod, blank=True, related_name="units")
    qualifications = models.ManyToManyField(
        Qualification, through="QualificationUnit", related_name="units"
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~Q(code=""), name="unit_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(code="") | Q(code__regex=r"^[A-Z]/[0-9]{3}/[0-9]{4}$"),
                name="unit_code_ofqual_format",
            ),
        ]

    def __str__(self):
        return f"{self.code or 'No code'} {self.title}"

    def get_absolute_url(self):
        return reverse("unit_detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)


class UnitCodeQuerySet(NaturalKeyQuerySet):
    natural_key_fields = ("scheme", "code")


class UnitCode(models.Model):
    """Another body's code for a unit, such as LASER's WJE863."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="other_codes")
    scheme = models.CharField(max_length=40, help_text="e.g. LASER")
    code = models.CharField(max_length=40)

    objects = UnitCodeQuerySet.as_manager()

    class Meta:
        ordering = ["scheme"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="unit_code_unique_per_scheme")
        ]

    def __str__(self):
        return f"{self.scheme} {self.code}"

    def natural_key(self):
        return (self.scheme, self.code)


class QualificationUnitQuerySet(NaturalKeyQuerySet):
    def get_by_natural_key(self, qualification_number, unit_slug):
        return self.get(qualification__number=qualification_number, unit__slug=unit_slug)


class QualificationUnit(models.Model):
    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="qualification_units"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="qualification_units")
    group = models.ForeignKey(UnitGroup, on_delete=models.PROTECT, related_name="members")
    position = models.PositiveSmallIntegerField(default=0)

    objects = QualificationUnitQuerySet.as_manager()

    class Meta:
        ordering = ["qualification", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "unit"], name="qualification_unit_once"
            )
        ]

    def __str__(self):
        return f"{self.qualification.number} · {self.unit}"

    @property
    def is_mandatory(self) -> bool:
        return self.group.is_mandatory

    def natural_key(self):
        return (*self.qualification.natural_key(), *self.unit.natural_key())

    natural_key.dependencies = ["qualifications.qualification", "qualifications.unit"]


class LearningOutcomeQuerySet(NaturalKeyQuerySet):
    def get_by_natural_key(self, unit_slug, number):
        return self.get(unit__slug=unit_slug, number=number)


class LearningOutcome(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="outcomes")
    number = models.CharField(max_length=10)
    sort_key = models.PositiveIntegerField(default=0, editable=False)
    title = models.CharField(max_length=500, blank=True, help_text="Some sources give none.")
    kind = models.CharField(max_length=12, choices=OutcomeKind.choices, blank=True)
    guidance = models.TextField(
        "guidelines and range", blank=True, help_text="The awarding body's range and definitions."
    )
    content = models.TextField(
        "unit content", blank=True, help_text="Amplification of what the outcome covers."
    )
    evidence_guidance = models.TextField(
        blank=True,
        help_text="'Evidence may be supplied by…'; items marked * may be held in the workplace.",
    )

    objects = LearningOutcomeQuerySet.as_manager()

    class Meta:
        ordering = ["unit_id", "sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="outcome_number_unique")
        ]

    def __str__(self):
        return f"{self.unit.code or self.unit.slug} LO{self.number} {self.title}".strip()

    def save(self, *args, **kwargs):
        self.sort_key = number_sort_key(self.number)
        super().save(*args, **kwargs)

    def natural_key(self):
        return (*self.unit.natural_key(), self.number)

    natural_key.dependencies = ["qualifications.unit"]


class AssessmentCriterionQuerySet(NaturalKeyQuerySet):
    def get_by_natural_key(self, unit_slug, number):
        return self.get(unit__slug=unit_slug, number=number)


class AssessmentCriterion(models.Model):
    outcome = models.ForeignKey(LearningOutcome, on_delete=models.CASCADE, related_name="criteria")
    # Kept beside the outcome so that a unit's criteria are one indexed lookup, and so the
    # database itself refuses a second 1.1 anywhere in the unit.
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="criteria", editable=False
    )
    number = models.CharField(max_length=12)
    sort_key = models.PositiveIntegerField(default=0, editable=False)
    text = models.TextField()
    guidance = models.TextField("guidelines and range", blank=True)

    objects = AssessmentCriterionQuerySet.as_manager()

    class Meta:
        ordering = ["unit_id", "sort_key"]
        verbose_name_plural = "assessment criteria"
        constraints = [
            models.UniqueConstraint(fields=["outcome", "number"], name="criterion_number_unique"),
            models.UniqueConstraint(
                fields=["unit", "number"], name="criterion_number_unique_in_unit"
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.text}"

    def save(self, *args, **kwargs):
        self.sort_key = number_sort_key(self.number)
        self.unit_id = self.outcome.unit_id
        super().save(*args, **kwargs)

    def natural_key(self):
        return (*self.unit.natural_key(), self.number)

    natural_key.dependencies = ["qualifications.learningoutcome"]

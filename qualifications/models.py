import re

from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.models import Centre
from qualifications.enums import GradeBand, OutcomeKind

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


class CatalogueQuerySet(NaturalKeyQuerySet):
    """Ownership and versions, the same for qualifications and units."""

    def shared(self):
        return self.filter(centre__isnull=True)

    def owned_by(self, centre):
        return self.filter(centre=centre)


class QualificationQuerySet(CatalogueQuerySet):
    natural_key_fields = ("number", "version")


class Qualification(models.Model):
    """One version of a qualification. A version that any enrolment uses never changes: a
    changed specification or structure is a new version (`qualifications.versions`)."""

    number = models.CharField(
        "Ofqual qualification number", max_length=20, help_text="e.g. 601/3734/4"
    )
    version = models.PositiveSmallIntegerField(default=1, editable=False)
    centre = models.ForeignKey(
        Centre,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="own_qualifications",
        help_text="The centre that owns it and alone sees it; blank: the shared catalogue.",
    )
    title = models.CharField(max_length=300)
    awarding_body = models.ForeignKey(
        AwardingBody, on_delete=models.PROTECT, related_name="qualifications"
    )
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    min_credits = models.PositiveSmallIntegerField(
        "minimum credits", null=True, blank=True, help_text="Blank when the source does not say."
    )
    min_credits_at_level = models.PositiveSmallIntegerField(
        "minimum credits at or above a level",
        null=True,
        blank=True,
        help_text="With `at_level`: e.g. 20 credits at level 3 or above.",
    )
    at_level = models.PositiveSmallIntegerField(null=True, blank=True)
    grading = models.JSONField(
        "grading points table",
        default=dict,
        blank=True,
        help_text="Points per unit grade and the qualification grade thresholds "
        "(docs/qualification.schema.json); empty when the qualification is not graded.",
    )
    notes = models.TextField(blank=True)

    objects = QualificationQuerySet.as_manager()

    class Meta:
        ordering = ["title", "version"]
        permissions = [("edit_shared_catalogue", "Can change the shared catalogue")]
        constraints = [
            # Shared numbers are unique; a centre's own programmes only within the centre.
            models.UniqueConstraint(
                fields=["number", "version"],
                condition=Q(centre__isnull=True),
                name="qualification_number_version_unique",
            ),
            models.UniqueConstraint(
                fields=["centre", "number", "version"],
                condition=Q(centre__isnull=False),
                name="qualification_number_version_unique_in_centre",
            ),
            models.CheckConstraint(
                condition=Q(min_credits_at_level__isnull=True) | Q(at_level__isnull=False),
                name="qualification_level_credits_name_level",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title} (v{self.version})"

    def get_absolute_url(self):
        return reverse("qualification_detail", args=[self.pk])

    def natural_key(self):
        return (self.number, self.version)


class UnitGroupQuerySet(NaturalKeyQuerySet):
    def get_by_natural_key(self, qualification_number, version, name):
        return self.get(
            qualification__number=qualification_number,
            qualification__version=version,
            name=name,
        )


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
    max_units = models.PositiveSmallIntegerField(null=True, blank=True)
    min_credits = models.PositiveSmallIntegerField(null=True, blank=True)
    max_credits = models.PositiveSmallIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = UnitGroupQuerySet.as_manager()

    class Meta:
        ordering = ["qualification", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "name"], name="unit_group_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(max_units__isnull=True)
                | Q(min_units__isnull=True)
                | Q(max_units__gte=models.F("min_units")),
                name="unit_group_units_range",
            ),
            models.CheckConstraint(
                condition=Q(max_credits__isnull=True)
                | Q(min_credits__isnull=True)
                | Q(max_credits__gte=models.F("min_credits")),
                name="unit_group_credits_range",
            ),
        ]

    def __str__(self):
        return f"{self.qualification.number}: {self.name}"

    def natural_key(self):
        return (*self.qualification.natural_key(), self.name)

    natural_key.dependencies = ["qualifications.qualification"]


class UnitQuerySet(CatalogueQuerySet):
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
    """One version of a unit. `lineage` ties the versions together (the first version's slug);
    a version that any enrolment uses never changes."""

    slug = models.SlugField(
        max_length=120,
        unique=True,
        help_text="Stable key of this version: the Ofqual code (with -v2… for later versions), "
        "or a provisional name.",
    )
    lineage = models.SlugField(max_length=120, editable=False, default="")
    version = models.PositiveSmallIntegerField(default=1, editable=False)
    centre = models.ForeignKey(
        Centre,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="own_units",
        help_text="The centre that owns it and alone sees it; blank: the shared catalogue.",
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
    tqt = models.PositiveSmallIntegerField("total qualification time", null=True, blank=True)
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
                fields=["code", "version"],
                condition=~Q(code="") & Q(centre__isnull=True),
                name="unit_code_version_unique",
            ),
            models.UniqueConstraint(
                fields=["centre", "code", "version"],
                condition=~Q(code="") & Q(centre__isnull=False),
                name="unit_code_version_unique_in_centre",
            ),
            models.UniqueConstraint(
                fields=["lineage", "version"], name="unit_lineage_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(code="") | Q(code__regex=r"^[A-Z]/[0-9]{3}/[0-9]{4}$"),
                name="unit_code_ofqual_format",
            ),
        ]

    def __str__(self):
        return f"{self.code or 'No code'} {self.title}"

    def save(self, *args, **kwargs):
        if not self.lineage:
            self.lineage = self.slug
        super().save(*args, **kwargs)

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
        indexes = [models.Index(fields=["scheme", "code"])]
        constraints = [
            # Each version of a unit carries its other codes; one code per scheme per version.
            models.UniqueConstraint(fields=["unit", "scheme"], name="unit_code_one_per_scheme")
        ]

    def __str__(self):
        return f"{self.scheme} {self.code}"

    def natural_key(self):
        return (self.scheme, self.code)


class QualificationUnitQuerySet(NaturalKeyQuerySet):
    def get_by_natural_key(self, qualification_number, version, unit_slug):
        return self.get(
            qualification__number=qualification_number,
            qualification__version=version,
            unit__slug=unit_slug,
        )


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


class BarredCombination(models.Model):
    """A rule of combination: a learner taking `unit` may not also take `barred`."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="barred_combinations"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    barred = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["qualification", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "unit", "barred"], name="barred_combination_once"
            ),
            models.CheckConstraint(
                condition=~Q(unit=models.F("barred")), name="barred_combination_two_units"
            ),
        ]

    def __str__(self):
        return f"{self.unit} excludes {self.barred}"

    def natural_key(self):
        return (*self.qualification.natural_key(), self.unit.slug, self.barred.slug)

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
    label = models.CharField(
        max_length=12,
        blank=True,
        help_text="The number as the awarding body prints it when that differs (P1, M2, D1).",
    )
    grade = models.CharField(
        "grade band", max_length=12, choices=GradeBand.choices, blank=True, default=""
    )
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
        return f"{self.shown_number} {self.text}"

    def save(self, *args, **kwargs):
        self.sort_key = number_sort_key(self.number)
        self.unit_id = self.outcome.unit_id
        super().save(*args, **kwargs)

    @property
    def shown_number(self) -> str:
        """What the awarding body's documents call it: the printed label, or the number."""
        return self.label or self.number

    def natural_key(self):
        return (*self.unit.natural_key(), self.number)

    natural_key.dependencies = ["qualifications.learningoutcome"]

"""Sampling plans, and moderators' samples and their decisions.

Samples and moderators' decisions are append-only (`audit.models.AppendOnlyModel`): a change
of mind is a new row that supersedes the old one. A referral's effect on the learner's record
(the unit and criteria it opens again) is a `portfolios.Reopening` that the referral points to.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Centre
from audit.models import AppendOnlyModel, AppendOnlyQuerySet
from moderation.enums import ModeratorKind, SampleOutcome, SampleStage, Vacs
from portfolios.models import Enrolment, EqaGrant, ReopenedCriterion, Reopening, UnitSignOff
from qualifications.models import EvidenceMethod, Qualification, Unit

# ---------------------------------------------------------------- sampling


class SamplingPlan(models.Model):
    """What an internal moderator samples of one tutor's learners on one qualification."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="sampling_plans")
    qualification = models.ForeignKey(
        Qualification, on_delete=models.PROTECT, related_name="sampling_plans"
    )
    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sampling_plans"
    )
    learner_rate = models.PositiveSmallIntegerField(
        "learners sampled (%)", default=25, validators=[MaxValueValidator(100)]
    )
    unit_rate = models.PositiveSmallIntegerField(
        "units sampled per learner (%)", default=25, validators=[MaxValueValidator(100)]
    )
    include_interim = models.BooleanField(
        "interim samples", default=True, help_text="Work in progress, before the unit is signed."
    )
    include_summative = models.BooleanField(
        "summative samples", default=True, help_text="Units the tutor has signed off."
    )
    new_tutor = models.BooleanField(
        default=False, help_text="A new or newly qualified tutor: every learner is sampled."
    )
    new_units = models.ManyToManyField(
        Unit,
        blank=True,
        related_name="+",
        help_text="Units new to this tutor or centre: sampled for every learner in the sample.",
    )
    risk_methods = models.ManyToManyField(
        EvidenceMethod,
        blank=True,
        related_name="+",
        verbose_name="assessment methods to watch",
        help_text="Learners with submitted evidence of these methods are always sampled.",
    )
    risk_learners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name="learners to watch",
        help_text="Always sampled.",
    )
    risk_locations = models.TextField(
        "locations to watch",
        blank=True,
        help_text="One per line; learners with evidence kept at a matching workplace are "
        "always sampled.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["centre", "tutor__last_name", "tutor__first_name", "qualification__title"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "qualification", "tutor"], name="sampling_plan_once"
            ),
            models.CheckConstraint(
                condition=Q(learner_rate__lte=100) & Q(unit_rate__lte=100),
                name="sampling_plan_rates_are_percentages",
            ),
        ]

    def __str__(self):
        return f"{self.tutor} · {self.qualification.number}"

    def get_absolute_url(self):
        return reverse("moderation:plan_detail", args=[self.pk])

    @property
    def location_words(self) -> list[str]:
        return [line.strip().lower() for line in self.risk_locations.splitlines() if line.strip()]


class Sample(AppendOnlyModel):
    """A moderator's look at one unit of one learner; its decisions follow one another."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="samples")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ModeratorKind.choices)
    plan = models.ForeignKey(
        SamplingPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="samples"
    )
    grant = models.ForeignKey(
        EqaGrant, on_delete=models.PROTECT, null=True, blank=True, related_name="samples"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["enrolment", "unit", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "unit", "kind"], name="sample_once")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} sample of {self.unit} for {self.enrolment.learner}"


class SampleDecisionQuerySet(AppendOnlyQuerySet):
    def latest(self):
        return self.filter(superseded_by__isnull=True)


class SampleDecision(AppendOnlyModel):
    """A moderator's signed decision on a sample: agreed, or referred back with actions.

    A referral stays open until a later decision on the same sample supersedes it.
    """

    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="decisions")
    stage = models.CharField(max_length=10, choices=SampleStage.choices)
    sign_off = models.ForeignKey(
        UnitSignOff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sample_decisions",
        help_text="The sign-off that was reviewed (summative samples).",
    )
    outcome = models.CharField(max_length=10, choices=SampleOutcome.choices)
    comments = models.TextField()
    required_actions = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signature_name = models.CharField(max_length=300)
    signed_at = models.DateTimeField(default=timezone.now, editable=False)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    reopening = models.OneToOneField(
        Reopening,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referral",
        help_text="What a referral opened again in the learner's record.",
    )

    # The internal moderator's VACS checklist (valid, authentic, current, sufficient), each
    # with a note when it is "no". Empty (NULL) for external moderators and for decisions
    # made before it was asked: NULL keeps those rows' audit digests as they were written.
    valid = models.BooleanField(null=True, blank=True)
    valid_note = models.TextField(null=True, blank=True)
    authentic = models.BooleanField(null=True, blank=True)
    authentic_note = models.TextField(null=True, blank=True)
    current = models.BooleanField(null=True, blank=True)
    current_note = models.TextField(null=True, blank=True)
    sufficient = models.BooleanField(null=True, blank=True)
    sufficient_note = models.TextField(null=True, blank=True)

    objects = SampleDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["sample", "signed_at", "pk"]
        constraints = [
            # Agreement means every judgement of the checklist is "yes".
            models.CheckConstraint(
                condition=~Q(outcome="agreed")
                | ~(Q(valid=False) | Q(authentic=False) | Q(current=False) | Q(sufficient=False)),
                name="agreed_sample_is_vacs",
            ),
            *(
                models.CheckConstraint(
                    condition=~Q(**{name: False})
                    | (Q(**{f"{name}_note__isnull": False}) & ~Q(**{f"{name}_note": ""})),
                    name=f"sample_decision_{name}_no_has_note",
                )
                for name in Vacs.values
            ),
            models.UniqueConstraint(
                fields=["sample"],
                condition=Q(supersedes__isnull=True),
                name="sample_decision_one_first",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="referred") | ~Q(required_actions=""),
                name="referral_has_required_actions",
            ),
            models.CheckConstraint(
                condition=Q(stage="interim", sign_off__isnull=True)
                | Q(stage="summative", sign_off__isnull=False),
                name="summative_sample_reviews_a_sign_off",
            ),
            models.CheckConstraint(condition=~Q(comments=""), name="sample_decision_has_comments"),
        ]

    def __str__(self):
        return f"{self.get_outcome_display()} by {self.signature_name}"

    @property
    def reopened(self):
        """The decisions this referral reopened (`ReopenedCriterion` rows)."""
        if self.reopening_id is None:
            return ReopenedCriterion.objects.none()
        return self.reopening.reopened_criteria

    @property
    def is_referral(self) -> bool:
        return self.outcome == SampleOutcome.REFERRED

    @property
    def vacs(self) -> list[tuple[str, bool, str]]:
        """(label, judgement, note) of the checklist, or [] when it was not recorded."""
        if self.valid is None:
            return []
        return [
            (label, getattr(self, name), getattr(self, f"{name}_note") or "")
            for name, label in Vacs.choices
        ]


class PlannedSample(models.Model):
    """When the internal moderator means to sample one learner of a plan (a row of its grid)."""

    plan = models.ForeignKey(SamplingPlan, on_delete=models.CASCADE, related_name="planned")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="+")
    planned_on = models.DateField("planned sample date")

    class Meta:
        ordering = ["plan", "planned_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "enrolment"], name="planned_sample_once")
        ]

    def __str__(self):
        return f"{self.enrolment.learner} on {self.planned_on:%d %b %Y}"

"""The tutor's judgements and the moderators' reopenings: the assessed part of the record.

All of it is append-only (`audit.models.AppendOnlyModel`): a change of mind is a new row that
supersedes the old one, so the whole history stays visible. What the rows *mean* ("met",
"standing", "locked") is read from `portfolios.state`, never worked out again elsewhere.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from audit.models import AppendOnlyModel, AppendOnlyQuerySet
from portfolios import state
from portfolios.enums import DecisionOutcome
from portfolios.models.enrolment import Enrolment
from portfolios.models.evidence import Evidence
from portfolios.state import DecisionStateQuerySet, SignOffStateQuerySet
from qualifications.models import AssessmentCriterion, Unit


class CriterionDecisionQuerySet(DecisionStateQuerySet, AppendOnlyQuerySet):
    pass


class CriterionDecision(AppendOnlyModel):
    """A tutor's judgement of one criterion for one learner: met or not yet met, and why."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="decisions")
    criterion = models.ForeignKey(
        AssessmentCriterion, on_delete=models.PROTECT, related_name="decisions"
    )
    # Kept beside the criterion so that a unit's decisions are one indexed lookup.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", editable=False)
    outcome = models.CharField(max_length=12, choices=DecisionOutcome.choices)
    decided_on = models.DateField("date", help_text="The date the tutor records for the decision.")
    feedback = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now, editable=False)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        help_text="The decision this one replaces; the form carries it so that two people "
        "deciding at once cannot overwrite each other unseen.",
    )
    evidence = models.ManyToManyField(
        Evidence, through="DecisionEvidence", related_name="decisions", blank=True
    )
    carried_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried_to",
        help_text="The decision on the earlier version's criterion that a move between "
        "versions carried to this one (same words, so the same judgement).",
    )
    imported_from = models.ForeignKey(
        "portfolios.PortfolioImport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
        editable=False,
        help_text="The package this decision arrived in from another installation or centre.",
    )

    objects = CriterionDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["enrolment", "criterion", "decided_at", "pk"]
        indexes = [models.Index(fields=["enrolment", "criterion"])]
        constraints = [
            # Only one decision of a criterion may be the first, and a OneToOne `supersedes`
            # lets only one replace each: the chain of decisions can never fork.
            models.UniqueConstraint(
                fields=["enrolment", "criterion"],
                condition=Q(supersedes__isnull=True),
                name="decision_one_first_per_criterion",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="not_yet_met") | ~Q(feedback=""),
                name="decision_not_yet_met_has_feedback",
            ),
        ]

    def __str__(self):
        return f"{self.criterion.number} {self.get_outcome_display()} ({self.decided_on})"

    def save(self, *args, **kwargs):
        self.unit_id = self.criterion.unit_id
        super().save(*args, **kwargs)

    @property
    def is_met(self) -> bool:
        """Met as the record counts it (`reopened` is set by `with_reopened()`)."""
        return state.is_met(self.outcome, reopened=getattr(self, "reopened", False))

    def clean(self):
        if self.supersedes_id and (
            self.supersedes.enrolment_id != self.enrolment_id
            or self.supersedes.criterion_id != self.criterion_id
        ):
            raise ValidationError("A decision only supersedes one of the same criterion.")


class DecisionEvidence(AppendOnlyModel):
    """The evidence a decision was made on."""

    decision = models.ForeignKey(
        CriterionDecision, on_delete=models.PROTECT, related_name="evidence_links"
    )
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "evidence of a decision"
        constraints = [
            models.UniqueConstraint(fields=["decision", "evidence"], name="decision_evidence_once")
        ]

    def __str__(self):
        return f"{self.decision_id} ← {self.evidence_id}"


class UnitSignOffQuerySet(SignOffStateQuerySet, AppendOnlyQuerySet):
    pass


class UnitSignOff(AppendOnlyModel):
    """The tutor's e-signature on a unit whose criteria are all met (the 000/003 forms).

    The unit is locked while its newest sign-off stands; a moderator's referral of that
    sign-off reopens it, and the tutor signs again with a new row that supersedes this one.
    """

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="sign_offs")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signature_name = models.CharField(
        max_length=300, help_text="The tutor's name as signed (kept if the account is renamed)."
    )
    signed_at = models.DateTimeField(default=timezone.now, editable=False)
    comments = models.TextField()
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    imported_from = models.ForeignKey(
        "portfolios.PortfolioImport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sign_offs",
        editable=False,
        help_text="The package this sign-off arrived in from another installation or centre.",
    )

    objects = UnitSignOffQuerySet.as_manager()

    class Meta:
        verbose_name = "unit sign-off"
        ordering = ["enrolment", "unit", "signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "unit"],
                condition=Q(supersedes__isnull=True),
                name="sign_off_one_first_per_unit",
            ),
            models.CheckConstraint(condition=~Q(comments=""), name="sign_off_has_comments"),
        ]

    def __str__(self):
        return f"{self.unit} signed by {self.signature_name} {self.signed_at:%d %b %Y %H:%M}"


class SignOffAcknowledgement(AppendOnlyModel):
    """The learner's comment on a signed unit and their acknowledgement of it."""

    sign_off = models.OneToOneField(
        UnitSignOff, on_delete=models.PROTECT, related_name="acknowledgement"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(blank=True)
    acknowledged_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "sign-off acknowledgement"

    def __str__(self):
        return f"{self.learner} acknowledged {self.acknowledged_at:%d %b %Y %H:%M}"


class Reopening(AppendOnlyModel):
    """A moderator's referral opening a unit's work again: the sign-off it refers back (if
    any) no longer locks the unit, and the reopened decisions no longer count as met, until
    the referral is closed (a `ReopeningClosure`). Moderation writes it with its referral."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="reopenings")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    sign_off = models.ForeignKey(
        UnitSignOff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reopenings",
        help_text="The sign-off referred back (a summative referral).",
    )
    decisions = models.ManyToManyField(
        CriterionDecision, through="ReopenedCriterion", related_name="reopenings", blank=True
    )
    reason = models.TextField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["enrolment", "opened_at", "pk"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="reopening_has_reason")]

    def __str__(self):
        return f"{self.unit} reopened {self.opened_at:%d %b %Y}"


class ReopenedCriterion(AppendOnlyModel):
    """A tutor's decision that a referral reopened: the tutor must decide it again."""

    reopening = models.ForeignKey(
        Reopening, on_delete=models.PROTECT, related_name="reopened_criteria"
    )
    decision = models.ForeignKey(
        CriterionDecision, on_delete=models.PROTECT, related_name="reopened_links"
    )

    class Meta:
        verbose_name = "reopened criterion"
        verbose_name_plural = "reopened criteria"
        constraints = [
            models.UniqueConstraint(fields=["reopening", "decision"], name="reopened_once")
        ]

    def __str__(self):
        return f"{self.reopening_id} reopens {self.decision_id}"


class ReopeningClosure(AppendOnlyModel):
    """The end of a reopening: the moderator decided the sample again."""

    reopening = models.OneToOneField(Reopening, on_delete=models.PROTECT, related_name="closure")
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self):
        return f"{self.reopening_id} closed {self.closed_at:%d %b %Y}"

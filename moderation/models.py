"""Assessment decisions, sign-offs, sampling, external access, notifications and the audit trail.

The records an awarding body audits (decisions, sign-offs and their acknowledgements, samples
and moderators' decisions, the audit trail, external moderators' access log) are append-only:
the model refuses to update or delete a saved row, and so does its queryset. A change of mind
is a new row that supersedes the old one, so the whole history stays visible.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Centre
from moderation.enums import (
    AuditAction,
    ModeratorKind,
    NotificationKind,
    Outcome,
    SampleOutcome,
    SampleStage,
)
from portfolios.models import Enrolment, Evidence
from qualifications.models import AssessmentCriterion, EvidenceMethod, Qualification, Unit


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


# ---------------------------------------------------------------- tutors' decisions


class CriterionDecisionQuerySet(AppendOnlyQuerySet):
    def latest(self):
        """Only the newest decision of each criterion (the ones nothing supersedes)."""
        return self.filter(superseded_by__isnull=True)


class CriterionDecision(AppendOnlyModel):
    """A tutor's judgement of one criterion for one learner: met or not yet met, and why."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="decisions")
    criterion = models.ForeignKey(
        AssessmentCriterion, on_delete=models.PROTECT, related_name="decisions"
    )
    # Kept beside the criterion so that a unit's decisions are one indexed lookup.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", editable=False)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
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

    def clean(self):
        if self.supersedes_id and (
            self.supersedes.enrolment_id != self.enrolment_id
            or self.supersedes.criterion_id != self.criterion_id
        ):
            raise ValidationError("A decision only supersedes one of the same criterion.")

    @property
    def is_met(self) -> bool:
        return self.outcome == Outcome.MET


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


class UnitSignOffQuerySet(AppendOnlyQuerySet):
    def latest(self):
        return self.filter(superseded_by__isnull=True)

    def with_referral(self):
        """`is_referred`: a moderator referred this sign-off back, so it no longer locks."""
        referred = SampleDecision.objects.filter(
            sign_off=models.OuterRef("pk"), outcome=SampleOutcome.REFERRED
        )
        return self.annotate(is_referred=models.Exists(referred))


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
        "EqaGrant", on_delete=models.PROTECT, null=True, blank=True, related_name="samples"
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

    objects = SampleDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["sample", "signed_at", "pk"]
        constraints = [
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
    def is_referral(self) -> bool:
        return self.outcome == SampleOutcome.REFERRED


class ReopenedCriterion(AppendOnlyModel):
    """A tutor's decision that a moderator's referral reopened: the tutor must decide again."""

    referral = models.ForeignKey(SampleDecision, on_delete=models.PROTECT, related_name="reopened")
    decision = models.ForeignKey(
        CriterionDecision, on_delete=models.PROTECT, related_name="reopenings"
    )

    class Meta:
        verbose_name = "reopened criterion"
        verbose_name_plural = "reopened criteria"
        constraints = [
            models.UniqueConstraint(fields=["referral", "decision"], name="reopened_once")
        ]

    def __str__(self):
        return f"{self.referral_id} reopens {self.decision_id}"


# ---------------------------------------------------------------- external moderators


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


class AccessLogEntry(AppendOnlyModel):
    """A page or file an external moderator opened."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now, editable=False)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    view_name = models.CharField(max_length=100)
    object_ids = models.JSONField(default=dict, blank=True)
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "external moderator access log entry"
        verbose_name_plural = "external moderator access log"
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["user", "opened_at"])]

    def __str__(self):
        return f"{self.user} {self.method} {self.path}"


# ---------------------------------------------------------------- notifications


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.message


# ---------------------------------------------------------------- the audit trail


GENESIS_HASH = "0" * 64


class AuditEntry(AppendOnlyModel):
    """One link of the tamper-evident chain: its hash covers its content and the previous hash.

    `audit.py` writes entries (one writer at a time, under a lock on `AuditHead`) and checks
    the chain; `manage.py verify_audit` names the first entry that was changed, inserted or
    removed.
    """

    seq = models.PositiveBigIntegerField("position in the chain", unique=True)
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=300)
    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    summary = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["enrolment", "seq"]),
            models.Index(fields=["centre", "seq"]),
        ]

    def __str__(self):
        return f"#{self.seq} {self.get_action_display()}: {self.summary}"


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

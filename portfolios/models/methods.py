"""Evidence methods as records: what the tutor saw (an observation), what was asked and
answered (a professional discussion), what a workplace witness wrote (a witness testimony), and
the tutor's "seen and verified" of workplace evidence.

Each record hangs on an evidence item, so mapping, decisions, sign-off, moderation and the
checklists go on working on the item as before; the record says how the evidence came about.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from audit.models import AppendOnlyModel
from portfolios.models.enrolment import Enrolment
from portfolios.models.evidence import Evidence, EvidenceFile
from qualifications.models import AssessmentCriterion


class Observation(AppendOnlyModel):
    """What the assessor observed, where and when, and the criteria it covers, signed by the
    assessor (password, and the app's code when they have one). Kept as signed."""

    evidence = models.OneToOneField(Evidence, on_delete=models.PROTECT, related_name="observation")
    observed = models.TextField("what was observed")
    place = models.CharField("where", max_length=300)
    observed_at = models.DateTimeField("when")
    criteria = models.ManyToManyField(AssessmentCriterion, related_name="+", blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signature_name = models.CharField(
        max_length=300, help_text="The assessor's name as signed (kept if the account is renamed)."
    )
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["signed_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(observed=""), name="observation_has_text"),
            models.CheckConstraint(condition=~Q(place=""), name="observation_has_place"),
        ]

    def __str__(self):
        return f"Observation at {self.place}, {self.observed_at:%d %b %Y %H:%M}"


class ProfessionalDiscussion(AppendOnlyModel):
    """A discussion led by the assessor: its questions and answers (`entries`), and a recording
    kept as one of the item's files when there is one."""

    evidence = models.OneToOneField(Evidence, on_delete=models.PROTECT, related_name="discussion")
    audio = models.OneToOneField(
        EvidenceFile, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self):
        return f"Professional discussion of {self.evidence}"


class DiscussionEntry(AppendOnlyModel):
    discussion = models.ForeignKey(
        ProfessionalDiscussion, on_delete=models.PROTECT, related_name="entries"
    )
    order = models.PositiveSmallIntegerField()
    question = models.TextField()
    answer = models.TextField()

    class Meta:
        ordering = ["discussion", "order"]
        verbose_name_plural = "discussion entries"
        constraints = [
            models.UniqueConstraint(fields=["discussion", "order"], name="discussion_entry_order"),
            models.CheckConstraint(condition=~Q(question=""), name="discussion_entry_question"),
            models.CheckConstraint(condition=~Q(answer=""), name="discussion_entry_answer"),
        ]

    def __str__(self):
        return f"Q{self.order}: {self.question[:60]}"


class WitnessRequestQuerySet(models.QuerySet):
    def for_enrolment(self, enrolment):
        return self.filter(enrolment=enrolment).order_by("-requested_at", "-pk")


class WitnessRequest(models.Model):
    """A tutor's request to a workplace witness, by e-mail, for testimony against some of the
    learner's criteria. The link holds a random token; only its SHA-256 is kept. It works once
    (`used_at`) and until `expires_at`."""

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.PROTECT, related_name="witness_requests"
    )
    criteria = models.ManyToManyField(AssessmentCriterion, related_name="+")
    witness_email = models.EmailField("witness's e-mail")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()

    objects = WitnessRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                # A SHA-256 in hex, never the token itself.
                condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"),  # noqa: S106 (a pattern)
                name="witness_token_hash_hex",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("requested_at")),
                name="witness_request_expires_after_request",
            ),
        ]

    def __str__(self):
        return f"Witness request to {self.witness_email} ({self.requested_at:%d %b %Y})"


class WitnessTestimony(AppendOnlyModel):
    """What the witness wrote and who they said they are, with the time and the address it
    came from. `statements`: [{"criterion": id, "number": "1.1", "text": …}] for the criteria
    they wrote against; `text` what they wrote overall."""

    request = models.OneToOneField(
        WitnessRequest, on_delete=models.PROTECT, related_name="testimony"
    )
    evidence = models.OneToOneField(
        Evidence, on_delete=models.PROTECT, related_name="witness_testimony"
    )
    name = models.CharField("witness's name", max_length=200)
    job_title = models.CharField(max_length=200)
    relationship = models.CharField("relationship to the learner", max_length=300)
    text = models.TextField("testimony", blank=True)
    statements = models.JSONField(default=list, blank=True)
    declaration = models.TextField()
    submitted_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField("address", null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name_plural = "witness testimonies"

    def __str__(self):
        return f"Testimony of {self.name}, {self.job_title}"


class WorkplaceVerification(AppendOnlyModel):
    """The assessor's "seen and verified on <date> at <place>" of workplace evidence."""

    evidence = models.OneToOneField(Evidence, on_delete=models.PROTECT, related_name="verification")
    verified_on = models.DateField("seen and verified on")
    place = models.CharField("at", max_length=300)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verifier_name = models.CharField(max_length=300)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(place=""), name="verification_has_place")
        ]

    def __str__(self):
        return f"Seen and verified on {self.verified_on:%d %b %Y} at {self.place}"

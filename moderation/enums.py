from django.db import models


class ModeratorKind(models.TextChoices):
    INTERNAL = "internal", "Internal moderator"
    EXTERNAL = "external", "External moderator"


class SampleStage(models.TextChoices):
    """Interim: work in progress, before the unit is signed. Summative: a signed unit."""

    INTERIM = "interim", "Interim"
    SUMMATIVE = "summative", "Summative"


class SampleOutcome(models.TextChoices):
    AGREED = "agreed", "Agreed"
    REFERRED = "referred", "Referred back to the tutor"


class ReferralState(models.TextChoices):
    """Where a referral is; derived from the records that follow it, never stored."""

    OPEN = "open", "Waiting for the tutor"
    RESUBMITTED = "resubmitted", "Tutor has acted; waiting for the moderator"
    CLOSED = "closed", "Closed"


class CellState(models.TextChoices):
    """One learner-by-unit square of a sampling plan's grid."""

    NOT_SAMPLED = "not_sampled", "Not in the sample"
    NOT_READY = "not_ready", "Sampled; nothing to see yet"
    DUE = "due", "Due"
    REFERRED = "referred", "Referred back"
    DONE = "done", "Done"


class Vacs(models.TextChoices):
    """The internal moderator's four judgements of the evidence behind a tutor's decisions."""

    VALID = "valid", "Valid"
    AUTHENTIC = "authentic", "Authentic"
    CURRENT = "current", "Current"
    SUFFICIENT = "sufficient", "Sufficient"


VACS_QUESTIONS = {
    Vacs.VALID: "Does the evidence show the criteria it is mapped to?",
    Vacs.AUTHENTIC: "Is it the learner's own work?",
    Vacs.CURRENT: "Does it show what the learner can do now?",
    Vacs.SUFFICIENT: "Is there enough of it to cover every criterion?",
}

# The SampleDecision fields that hold the checklist: each judgement and its note.
VACS_FIELDS = tuple(f"{name}{suffix}" for name in Vacs.values for suffix in ("", "_note"))

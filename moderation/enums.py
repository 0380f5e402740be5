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

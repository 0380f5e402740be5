from django.db import models


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class EvidenceState(models.TextChoices):
    """Where an evidence item is; derived by `portfolios.state.evidence_state`, never stored."""

    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    ASSESSED = "assessed", "Assessed"
    SUPERSEDED = "superseded", "Superseded"


class CriterionStatus(models.TextChoices):
    """A criterion's place in a learner's portfolio, in the order it moves through them;
    `portfolios.state.criterion_status` is the one place that decides it."""

    NO_EVIDENCE = "none", "No evidence"
    LINKED = "linked", "Evidence linked"
    SUBMITTED = "submitted", "Submitted"
    NOT_YET_MET = "not_yet_met", "Not yet met"
    MET = "met", "Met"


class DecisionOutcome(models.TextChoices):
    """A tutor's judgement of one criterion."""

    MET = "met", "Met"
    NOT_YET_MET = "not_yet_met", "Not yet met"


# A tutor records evidence only of what they saw or heard of others, or a discussion they
# led with the learner: these methods.
TUTOR_METHOD_SLUGS = frozenset(
    {"observation", "witness-testimony", "expert-witness", "professional-discussion"}
)
OBSERVATION_SLUG = "observation"
DISCUSSION_SLUG = "professional-discussion"
WITNESS_SLUG = "witness-testimony"
# Evidence of the learner's work in the workplace, which the assessor may have "seen and
# verified" where it is kept (an item with `workplace_location` is one too).
WORKPLACE_METHOD_SLUGS = frozenset({"product-evidence"})

# What a workplace witness confirms; stored with each testimony (and as the item's
# declaration), so changing it here never rewrites what earlier witnesses confirmed.
WITNESS_DECLARATION_TEXT = (
    "I confirm that I saw the learner do what I have described, that this testimony is a "
    "true account in my own words, and that I am the person named above."
)

# What the learner agrees to when submitting; the exact text is stored with each submission,
# so changing it here never rewrites what earlier learners signed.
DECLARATION_TEXT = (
    "I declare that this evidence is my own work, that it is a true record of what I did, and "
    "that anything I have used from other people or sources is acknowledged."
)


class ChangeKind(models.TextChoices):
    """A criterion's fate between two versions (`qualifications.versions.CriterionChange`)."""

    UNCHANGED = "unchanged", "Unchanged"
    RENUMBERED = "renumbered", "Renumbered"
    REWORDED = "reworded", "Reworded"
    REMOVED = "removed", "Removed"
    ADDED = "added", "Added"

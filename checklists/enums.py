from django.db import models


class Layout(models.TextChoices):
    """The awarding bodies' three checklist forms (seed files 000, 003 and 004)."""

    UNIT_ASSESSMENT = "assessment", "Unit assessment checklist"
    ACHIEVEMENT = "achievement", "Learner unit achievement checklist"
    OUTCOME_RECORD = "record", "Learning outcomes and assessment criteria record"


class CohortPrintStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Printing"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


# States after which a cohort print changes no more.
COHORT_PRINT_FINISHED = frozenset({CohortPrintStatus.DONE, CohortPrintStatus.FAILED})

from django.db import models


class OutcomeKind(models.TextChoices):
    KNOWLEDGE = "knowledge", "Knowledge (understand)"
    COMPETENCE = "competence", "Competence (be able to)"
    UNSPECIFIED = "", "Not stated"


class GradeBand(models.TextChoices):
    """A criterion's band in a graded (BTEC-style) unit; blank in an ungraded one."""

    NONE = "", "Not graded"
    PASS = "pass", "Pass"
    MERIT = "merit", "Merit"
    DISTINCTION = "distinction", "Distinction"


# The evidence methods awarding bodies name, in the order a form should offer them.
STANDARD_EVIDENCE_METHODS = [
    ("observation", "Observation"),
    ("witness-testimony", "Witness testimony"),
    ("expert-witness", "Expert witness testimony"),
    ("professional-discussion", "Professional discussion"),
    ("questioning", "Questioning"),
    ("reflective-account", "Reflective account"),
    ("product-evidence", "Product/work evidence"),
    ("written-assignment", "Written assignment"),
    ("case-study", "Case study"),
    ("simulation", "Simulation"),
    ("rpl", "Recognition of prior learning"),
]

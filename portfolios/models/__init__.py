"""The learner's record: enrolments, evidence, decisions and sign-offs, and who may open it."""

from portfolios.enums import ChangeKind
from portfolios.models.access import EqaGrant, EqaGrantQuerySet
from portfolios.models.assessment import (
    CriterionDecision,
    DecisionEvidence,
    ReopenedCriterion,
    Reopening,
    ReopeningClosure,
    SignOffAcknowledgement,
    UnitSignOff,
)
from portfolios.models.enrolment import Enrolment, EnrolmentUnit
from portfolios.models.evidence import (
    Evidence,
    EvidenceCriterion,
    EvidenceFile,
)
from portfolios.models.imports import PortfolioImport
from portfolios.models.methods import (
    DiscussionEntry,
    Observation,
    ProfessionalDiscussion,
    WitnessRequest,
    WitnessTestimony,
    WorkplaceVerification,
)
from portfolios.models.moves import MovedCriterion, VersionMove

__all__ = [
    "ChangeKind",
    "CriterionDecision",
    "DecisionEvidence",
    "DiscussionEntry",
    "Enrolment",
    "EnrolmentUnit",
    "EqaGrant",
    "EqaGrantQuerySet",
    "Evidence",
    "EvidenceCriterion",
    "EvidenceFile",
    "MovedCriterion",
    "Observation",
    "PortfolioImport",
    "ProfessionalDiscussion",
    "ReopenedCriterion",
    "Reopening",
    "ReopeningClosure",
    "SignOffAcknowledgement",
    "UnitSignOff",
    "VersionMove",
    "WitnessRequest",
    "WitnessTestimony",
    "WorkplaceVerification",
]

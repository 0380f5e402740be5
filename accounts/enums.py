from django.db import models


class Role(models.TextChoices):
    LEARNER = "learner", "Learner"
    TUTOR = "tutor", "Tutor"
    INTERNAL_MODERATOR = "iqa", "Internal moderator"
    EXTERNAL_MODERATOR = "eqa", "External moderator"
    CENTRE_ADMIN = "admin", "Centre admin"


# Roles whose holders judge or sample other people's work.
ASSESSING_ROLES = frozenset({Role.TUTOR, Role.INTERNAL_MODERATOR, Role.EXTERNAL_MODERATOR})


class NotificationKind(models.TextChoices):
    EVIDENCE_SUBMITTED = "evidence_submitted", "Evidence submitted"
    DECIDED = "decided", "Criteria decided"
    SIGNED = "signed", "Unit signed off"
    ACKNOWLEDGED = "acknowledged", "Sign-off acknowledged"
    REFERRED = "referred", "Referred back"
    AGREED = "agreed", "Sample agreed"
    GRANTED = "granted", "External moderation access"


class TokenScope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


# How long a personal access token may last, in days (the form offers these only).
TOKEN_LIFETIMES = (7, 30, 90, 365)

from django.db import models


class Role(models.TextChoices):
    LEARNER = "learner", "Learner"
    TUTOR = "tutor", "Tutor"
    INTERNAL_MODERATOR = "iqa", "Internal moderator"
    EXTERNAL_MODERATOR = "eqa", "External moderator"
    CENTRE_ADMIN = "admin", "Centre admin"


# Roles whose holders judge or sample other people's work.
ASSESSING_ROLES = frozenset({Role.TUTOR, Role.INTERNAL_MODERATOR, Role.EXTERNAL_MODERATOR})

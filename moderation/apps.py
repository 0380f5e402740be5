from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Assessment and moderation"

    def ready(self):
        from audit.digest import register
        from moderation import models
        from moderation.enums import VACS_FIELDS

        # Moderators' samples and decisions are record: see portfolios.apps.
        register(models.Sample)
        register(
            models.SampleDecision,
            added_later=VACS_FIELDS,
        )
        register(models.SamplingPlan, exclude=("updated_at",))

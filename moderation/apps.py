from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Assessment and moderation"

    def ready(self):
        from audit.digest import register
        from moderation import models
        from moderation.enums import Vacs

        # Moderators' samples and decisions are record: see portfolios.apps.
        register(models.Sample)
        register(
            models.SampleDecision,
            added_later=tuple(
                f"{name}{suffix}" for name in Vacs.values for suffix in ("", "_note")
            ),
        )
        register(models.SamplingPlan, exclude=("updated_at",))

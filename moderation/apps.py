from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Assessment and moderation"

    def ready(self):
        from audit.digest import register
        from moderation import models

        # Moderators' samples and decisions are record: see portfolios.apps.
        for model in (models.Sample, models.SampleDecision):
            register(model)
        register(models.SamplingPlan, exclude=("updated_at",))

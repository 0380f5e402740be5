from django.apps import AppConfig


class PortfoliosConfig(AppConfig):
    name = "portfolios"
    verbose_name = "Learner portfolios"

    def ready(self):
        from audit.digest import register
        from portfolios import models

        # The assessed record: every row has its entry in the audit trail, and an edit made
        # straight in the database no longer matches it (`manage.py verify_audit`).
        # `carried_from` came with moves between versions, `imported_from` with imported
        # portfolios; rows written before them keep their digests.
        register(models.CriterionDecision, added_later=("carried_from", "imported_from"))
        register(models.UnitSignOff, added_later=("imported_from",))
        for model in (
            models.PortfolioImport,
            models.SignOffAcknowledgement,
            models.Reopening,
            models.ReopeningClosure,
            models.VersionMove,
            models.MovedCriterion,
        ):
            register(model)
        # Drafts change (each change has its entry) and may be deleted; `assessed_at` is
        # bookkeeping of the decisions, which have entries of their own.
        register(
            models.Evidence, exclude=("updated_at", "assessed_at"), added_later=("imported_from",)
        )
        # Which units a learner takes, and the enrolment itself, change only through the
        # services, each with its entry. The reference counter and the creation time are
        # bookkeeping. A unit that held no work may be taken off (its entry says so).
        register(models.Enrolment, exclude=("last_evidence_number", "created_at"))
        # An external moderator's grant: its period edited in the database (to stretch the
        # access) no longer matches the entry written when it was granted or ended.
        register(models.EqaGrant)
        register(models.EnrolmentUnit)
        # Evidence methods as records (`methods.py`): each row has its entry; a witness
        # request changes once, when its link is used (that entry has its digest too).
        for model in (
            models.Observation,
            models.ProfessionalDiscussion,
            models.DiscussionEntry,
            models.WitnessRequest,
            models.WitnessTestimony,
            models.WorkplaceVerification,
        ):
            register(model)

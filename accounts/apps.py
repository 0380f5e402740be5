from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People, centres and roles"

    def ready(self):
        from accounts.models import Membership
        from audit.digest import register

        # Who holds which role where is record: every membership row has its entry in the
        # audit trail (`services.role_give`, `role_take`, `person_deactivate`), so a role given
        # straight in the database is reported by `verify_audit`.
        register(Membership, exclude=("created_at",))

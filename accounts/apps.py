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

        from django.contrib.auth.signals import user_logged_in

        # The password step decides what the session must still do (a code, or setting one up).
        user_logged_in.connect(_second_factor_step, dispatch_uid="accounts_second_factor")


def _second_factor_step(sender, request, user, **kwargs):
    from accounts.twofactor import mark_signed_in

    if request is not None and hasattr(request, "session"):
        mark_signed_in(request, user)

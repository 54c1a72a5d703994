from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Teams and roles"

    def ready(self) -> None:
        from accounts.roles import ensure_role_groups

        # Permissions are created after migrations; the role groups follow them.
        post_migrate.connect(ensure_role_groups, dispatch_uid="accounts.ensure_role_groups")

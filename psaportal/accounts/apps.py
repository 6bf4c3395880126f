from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "psaportal.accounts"
    label = "accounts"

    def ready(self):
        from psaportal.accounts.roles import ensure_role_groups

        # Groups need the permissions, which Django creates after migrations run.
        post_migrate.connect(ensure_role_groups, sender=self)

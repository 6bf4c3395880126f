from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "psaportal.actions"
    label = "actions"
    verbose_name = "Action and API consoles"

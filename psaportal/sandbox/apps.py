from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "psaportal.sandbox"
    label = "sandbox"
    verbose_name = "Membrane sandbox"

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "psaportal.jobs"
    label = "jobs"

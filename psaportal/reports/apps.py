from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "psaportal.reports"
    label = "reports"

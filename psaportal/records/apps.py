from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "psaportal.records"
    label = "records"

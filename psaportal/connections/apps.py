from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "psaportal.connections"
    label = "connections"

import socket

from django.urls import reverse

from psaportal.connections.models import Connection


def point_membrane_at(settings, url: str, token: str) -> None:
    """Make the app's Membrane client talk to ``url`` (the client follows the settings)."""
    settings.MEMBRANE_API_URL = url
    settings.MEMBRANE_TOKEN = token
    settings.MEMBRANE_WORKSPACE_KEY = ""


def unused_local_url() -> str:
    """An http address on this machine where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def post_and_run(client, capture, name: str, data=None, **extra):
    """POST to a wizard URL and run the task it queues (on commit, eagerly)."""
    with capture(execute=True):
        return client.post(reverse(name), data or {}, **extra)


def connect(client, capture, intent: str = "connect"):
    return post_and_run(client, capture, "connections:connect", {"intent": intent})


def check(client, capture):
    return post_and_run(client, capture, "connections:check")


def page(client, **extra):
    return client.get(reverse("connections:page"), **extra)


def current() -> Connection:
    return Connection.objects.get()

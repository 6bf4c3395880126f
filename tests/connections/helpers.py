from django.urls import reverse

from psaportal.connections.models import Connection


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

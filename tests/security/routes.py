"""Every named URL of the project, read from the URL configuration, and real paths to them.

``ROUTES`` lists (url name, the names of its URL arguments). ``RealObjects`` makes one real
object of each kind a URL points at (a Job, a saved view, a pending change, a console run,
…), owned by the member who will open it, and ``path`` fills a URL's arguments from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from psaportal.actions.models import Action, ActionRun, ActionSearch, ProxyRequest
from psaportal.jobs.models import Job
from psaportal.records.models import PendingChange, SavedView, SyncRun
from tests.records.mirror_rows import mirror_samples


@dataclass(frozen=True)
class Route:
    name: str
    arguments: tuple[str, ...]


def _walk(patterns, namespace="", arguments=()):
    for entry in patterns:
        found = tuple(getattr(entry.pattern, "converters", {}))
        if isinstance(entry, URLResolver):
            # Django's own admin keeps its own staff login (test_url_roles checks it).
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner, arguments + found)
        elif isinstance(entry, URLPattern):
            yield Route(f"{namespace}{entry.name or ''}", arguments + found)


ROUTES = sorted(set(_walk(get_resolver().url_patterns)), key=lambda route: route.name)


class RealObjects:
    """One real object for each kind of URL argument, owned by ``member`` where it is owned."""

    def __init__(self, *, member, connection):
        mirror_samples(connection, "tickets", 3)
        now = timezone.now()
        job = Job.objects.create(kind="test", label="A test job", started_by=member)
        action = Action.objects.create(membrane_id="act-1", key="list-tickets", seen_at=now)
        console = {"started_by": member, "connection_membrane_id": connection.membrane_id}
        self.by_argument = {
            "kind": "tickets",
            "psa_id": 1,
            "job_id": job.pk,
            "user_id": member.pk,
            "view_id": SavedView.objects.create(user=member, kind="tickets", name="Mine").pk,
            "change_id": PendingChange.objects.create(
                connection=connection,
                kind="tickets",
                psa_id=1,
                changes={},
                seen={},
                status="failed",
                idempotency_key="security-1",
                author=member,
            ).pk,  # fmt: skip
            "action_id": action.pk,
            "search_id": ActionSearch.objects.create(intent="tickets", **console).pk,
            "request_id": ProxyRequest.objects.create(
                method="GET", path="/service/tickets", **console
            ).pk,
            "slug": "time",
            "table": "members",
            "part": "input",
            "uidb64": urlsafe_base64_encode(force_bytes(member.pk)),
            "token": default_token_generator.make_token(member),
        }
        # The same argument name means another object on these URLs.
        sync_run = SyncRun.objects.create(
            connection=connection, kind="tickets", mode="full", status="succeeded"
        )
        action_run = ActionRun.objects.create(
            action=action, action_membrane_id=action.membrane_id, input={}, **console
        )
        self.by_route = {"records:sync_review": {"run_id": sync_run.pk}}
        for name in ("run-detail", "run-output", "run-again", "run-download"):
            self.by_route[f"actions:{name}"] = {"run_id": action_run.pk}

    def path(self, route: Route, **overrides) -> str:
        special = self.by_route.get(route.name, {}) | overrides
        kwargs = {arg: special.get(arg, self.by_argument.get(arg)) for arg in route.arguments}
        return reverse(route.name, kwargs=kwargs)

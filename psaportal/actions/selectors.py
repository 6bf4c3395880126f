"""Reading the consoles' history and the actions Membrane described."""

from __future__ import annotations

from django.db.models import QuerySet

from psaportal.actions.models import Action, ActionRun, ActionSearch, ProxyRequest

HISTORY_SIZE = 50


def search_found_actions(*, search: ActionSearch) -> list[Action]:
    """The actions a search found, best first."""
    by_id = Action.objects.in_bulk(search.action_ids)
    return [by_id[pk] for pk in search.action_ids if pk in by_id]


def search_recent(*, limit: int = 5) -> QuerySet[ActionSearch]:
    return ActionSearch.objects.filter(status=ActionSearch.Status.SUCCEEDED)[:limit]


def action_run_history(*, action: Action | None = None) -> QuerySet[ActionRun]:
    """The latest runs (of one action, or all), without their inputs and outputs."""
    runs = ActionRun.objects.select_related("started_by").defer("input", "output")
    if action is not None:
        runs = runs.filter(action=action)
    return runs[:HISTORY_SIZE]


def proxy_request_history() -> QuerySet[ProxyRequest]:
    return ProxyRequest.objects.select_related("started_by").defer(
        "body", "response_body", "response_headers"
    )[:HISTORY_SIZE]

"""Saved list views: a user's named filter + search + sort, per record kind."""

from psaportal.records import registry
from psaportal.records.listing import ListState, clean_text
from psaportal.records.models import SavedView

NAME_MAX = 80
VIEWS_PER_KIND_MAX = 50


def saved_views_for(*, user, kind: registry.RecordKind):
    return SavedView.objects.filter(user=user, kind=kind.key).only("pk", "name", "query")


def saved_view_save(
    *, user, kind: registry.RecordKind, name: str, state: ListState
) -> tuple[SavedView | None, str]:
    """Create the view, or update the one of that name; returns (view, error message)."""
    name = clean_text(name)[:NAME_MAX]
    if not name:
        return None, "Give the view a name."
    query = state.to_query(page=1)
    existing = SavedView.objects.filter(user=user, kind=kind.key, name=name).first()
    if existing is not None:
        existing.query = query
        existing.save(update_fields=["query"])
        return existing, ""
    if saved_views_for(user=user, kind=kind).count() >= VIEWS_PER_KIND_MAX:
        return None, f"You can keep {VIEWS_PER_KIND_MAX} views per list; delete one first."
    return SavedView.objects.create(user=user, kind=kind.key, name=name, query=query), ""


def saved_view_delete(*, saved_view: SavedView) -> None:
    saved_view.delete()

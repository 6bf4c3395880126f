"""Saved list views: a user's named filter + search + sort, per record kind (the writes;
``selectors.saved_view_list`` reads them)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from psaportal.records import registry
from psaportal.records.list_state import ListState
from psaportal.records.models import SavedView
from psaportal.records.selectors import saved_view_list

VIEWS_PER_KIND_MAX = 50


def saved_view_save(*, user, kind: registry.RecordKind, name: str, state: ListState) -> SavedView:
    """Create the view, or update the one of that name; the page number is not kept.

    Raises ValidationError when the user already keeps the most views this list allows.
    """
    query = state.to_query(page=1)
    existing = SavedView.objects.filter(user=user, kind=kind.key, name=name).first()
    if existing is not None:
        existing.query = query
        existing.save(update_fields=["query"])
        return existing
    if saved_view_list(user=user, kind=kind).count() >= VIEWS_PER_KIND_MAX:
        raise ValidationError(
            f"You can keep {VIEWS_PER_KIND_MAX} views per list; delete one first."
        )
    saved_view = SavedView(user=user, kind=kind.key, name=name, query=query)
    saved_view.full_clean()
    saved_view.save()
    return saved_view


def saved_view_delete(*, saved_view: SavedView) -> None:
    saved_view.delete()

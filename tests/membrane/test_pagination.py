"""Cursor paging: only a missing cursor ends a list; a repeated cursor is refused."""

import pytest

from psaportal.membrane import MalformedResponseError
from psaportal.membrane.pagination import iter_cursor_items


def pages_fetcher(pages: dict):
    """fetch_page over {cursor or None: answer}, recording the cursors asked for."""
    asked = []

    def fetch(params):
        asked.append(params.get("cursor"))
        return pages[params.get("cursor")]

    return fetch, asked


def test_an_empty_page_with_a_cursor_is_not_the_end():
    fetch, asked = pages_fetcher(
        {
            None: {"items": [1, 2], "cursor": "a"},
            "a": {"items": [], "cursor": "b"},
            "b": {"items": [3]},
        }
    )
    assert list(iter_cursor_items(fetch)) == [1, 2, 3]
    assert asked == [None, "a", "b"]


def test_a_repeated_cursor_stops_with_a_clear_error():
    fetch, _ = pages_fetcher(
        {None: {"items": [1], "cursor": "a"}, "a": {"items": [2], "cursor": "a"}}
    )
    with pytest.raises(MalformedResponseError, match="same list cursor twice"):
        list(iter_cursor_items(fetch))


def test_an_answer_without_items_is_malformed():
    fetch, _ = pages_fetcher({None: {"data": []}})
    with pytest.raises(MalformedResponseError, match="without an 'items' array"):
        list(iter_cursor_items(fetch))

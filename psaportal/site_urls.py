"""The URLs every page's frame links to (the main navigation, the record kinds' lists),
reversed once per process and script prefix: the URL patterns do not change while it runs,
and reversing them again on every page cost about a tenth of a page's CPU."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.urls import get_script_prefix, reverse

#: Template name (``site_urls.<key>``) → URL name and arguments.
FRAME_URLS = {
    "home": ("home", ()),
    "tickets": ("records:list", ("tickets",)),
    "companies": ("records:list", ("companies",)),
    "my_changes": ("records:changes", ()),
    "reports": ("reports:dashboard", ()),
    "team": ("accounts:user_list", ()),
    "connection": ("connections:page", ()),
    "actions": ("actions:console", ()),
    "api_console": ("api_console:console", ()),
    "profile": ("accounts:profile", ()),
    "password_change": ("accounts:password_change", ()),
    "jobs": ("jobs:list", ()),
    "logout": ("logout", ()),
    "sync": ("records:sync", ()),
}


def frame_urls() -> dict[str, str]:
    """The frame's URLs under the current request's script prefix."""
    return _frame_urls(get_script_prefix())


@functools.cache
def _frame_urls(script_prefix: str) -> dict[str, str]:
    return {key: reverse(name, args=args) for key, (name, args) in FRAME_URLS.items()}


def record_list_url(kind_key: str) -> str:
    """The list page of a record kind under the current request's script prefix."""
    return _record_list_url(kind_key, get_script_prefix())


@functools.cache
def _record_list_url(kind_key: str, script_prefix: str) -> str:
    return reverse("records:list", args=[kind_key])


def url_maker(name: str, *args) -> Callable[[int], str]:
    """``name``'s URL for a record id, from one reverse() with a stand-in id: for the rows
    of a table, where a reverse() per row was most of the page's rendering time."""
    stand_in = "987654321"
    before, after = reverse(name, args=[*args, stand_in]).split(stand_in)
    return lambda record_id: f"{before}{int(record_id)}{after}"

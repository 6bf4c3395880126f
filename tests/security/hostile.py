"""Hostile input, and every parameter name the portal reads.

``PAYLOADS``: what an attacker or a careless paste sends. ``parameter_names`` gathers the
names of every field of every form the portal shows, the list filters of every record kind
(from the registry) and the few query parameters views read directly."""

from __future__ import annotations

import re

from psaportal.records import registry

PAYLOADS = {
    "script tag": '<script>alert("xss")</script>',
    # No slash: Django's redirect() takes slash-less text for a view name (a 500 found so).
    "attribute breaker": "\"'><img src=x onerror=alert(1)>",
    "template and sql": "{{ request.user.password }}{% debug %}' OR 1=1; DROP TABLE x; --",
    "nul byte": "before\x00after",
    "over-long": "A" * 2100 + "<b>",  # past every max_length (the longest is 2000)
    "odd unicode": "\u202egnp.exe\ufeff\u0301\u01c5\U0001f600\u2028\ufffd",
}
# Parts of the payloads above that must never come back as markup.
RAW_MARKUP = ['<script>alert("xss")', "<img src=x onerror=alert(1)>", "<b>"]
# What a rendered template payload or a leaked secret would show.
NEVER_SHOWN = ["pbkdf2_", "django-insecure-", "sql_queries"]

# Query parameters views read straight from the request (not through a form).
DIRECT_PARAMETERS = {
    "change", "from", "from_run", "mode", "notes", "refreshed", "next", "rel", "decision",
    "intent", "page", "page_size", "sort", "q", "view", "period", "start", "end",
}  # fmt: skip

FIELD_NAME = re.compile(r"<(?:input|select|textarea|button)\b[^>]*\bname=\"([^\"]+)\"")


def form_field_names(html: str) -> set[str]:
    return set(FIELD_NAME.findall(html)) - {"csrfmiddlewaretoken"}


def list_parameters() -> set[str]:
    names = set()
    for kind in registry.record_kinds():
        for list_filter in kind.filters:
            names.update(list_filter.params)
    return names


def assert_safe(response, where: str) -> None:
    """No server error, and an HTML answer shows no payload as markup and no secret."""
    assert response.status_code != 500, where
    if "html" not in response.get("Content-Type", ""):
        return
    body = response.content.decode(errors="replace")
    for raw in RAW_MARKUP:
        assert raw not in body, f"{where}: echoed unescaped: {raw}"
    for secret in NEVER_SHOWN:
        assert secret not in body, f"{where}: shows {secret}"

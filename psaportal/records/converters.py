"""The ``<record_kind:kind>`` URL part: a listed kind's key in the URL, its ``RecordKind`` in
the view. An unknown key or a lookup kind (members, boards, …) matches no URL: 404."""

from __future__ import annotations

from psaportal.records import registry


class RecordKindConverter:
    regex = "[-a-zA-Z0-9_]+"

    def to_python(self, value: str) -> registry.RecordKind:
        kind = registry.get_kind(value)
        if kind is None or kind.is_lookup:
            raise ValueError(f"{value!r} is not a listed record kind")
        return kind

    def to_url(self, value) -> str:
        return value.key if isinstance(value, registry.RecordKind) else value

"""Request input of the record pages, validated by Django forms.

``ListQueryForm`` reads a list's query string (search, the kind's registry filters, sort,
page) into a clean ``ListState``. A list URL is never refused: each bad part becomes a field
error, is dropped (or clamped) and is told to the user as a notice, and the clean state is
what the address bar keeps. ``SavedViewForm`` names a saved view.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from psaportal.records import registry, search, selectors
from psaportal.records.list_state import (
    DEFAULT_PAGE_SIZE,
    PAGE_MAX,
    PAGE_SIZES,
    SEARCH_MAX,
    TEXT_FILTER_MAX,
    ListState,
)

QUERY_MAX = 2000  # a list state posted as one field (refresh, save view)
NAME_MAX = 80


def clean_text(value: str) -> str:
    """Text with control characters (NUL breaks PostgreSQL) dropped and spaces collapsed."""
    kept = (char if char.isprintable() or char.isspace() else "" for char in value)
    return " ".join("".join(kept).split())


class TextField(forms.CharField):
    """A line of text: control characters dropped, runs of spaces collapsed."""

    def to_python(self, value):
        return clean_text(super().to_python(value))


class TextChoiceField(forms.ChoiceField):
    """A choice given as text, compared once cleaned like ``TextField``."""

    def to_python(self, value):
        return clean_text(super().to_python(value))


class IsoDateField(forms.DateField):
    """A YYYY-MM-DD date; the error quotes the start of what was given."""

    input_formats = ["%Y-%m-%d"]

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": str(value).strip()}
            ) from error


def _notice_text(label: str) -> str:
    """A label inside an error message that is %-formatted with the field's params."""
    return label.replace("%", "%%")


class ListQueryForm(forms.Form):
    """A record list's query string: ``q``, the kind's filters, ``sort``, ``page_size``,
    ``page``. Read it with ``list_state()`` and ``notices()``; it is never refused."""

    q = TextField(required=False)
    sort = TextChoiceField(
        required=False,
        error_messages={
            "invalid_choice": "That column cannot be sorted on; the default order is used."
        },
    )
    page_size = forms.TypedChoiceField(
        required=False,
        choices=[(str(size), str(size)) for size in PAGE_SIZES],
        coerce=int,
        empty_value=DEFAULT_PAGE_SIZE,
        error_messages={
            "invalid_choice": f"Rows per page can be {', '.join(map(str, PAGE_SIZES))}; "
            f"using {DEFAULT_PAGE_SIZE}."
        },
    )
    page = forms.IntegerField(
        required=False,
        min_value=1,
        error_messages={
            "invalid": "That page number made no sense; showing the first page.",
            "min_value": "That page number made no sense; showing the first page.",
        },
    )

    def __init__(self, data, *, connection, kind: registry.RecordKind):
        super().__init__(data)
        self.kind = kind
        self._notes: list[tuple[str, str]] = []  # (field name, notice) for kept-but-changed input
        self.fields["sort"].choices = [
            (sort, sort) for name in sorted(kind.sortable_columns) for sort in (name, f"-{name}")
        ]
        filter_fields = {}
        for item in kind.filters:
            filter_fields.update(_filter_fields(connection=connection, kind=kind, item=item))
        self.fields.update(filter_fields)
        # Notices come in this order: the search, the filters, then sort and paging.
        self.order_fields(["q", *filter_fields])

    @classmethod
    def posted(cls, data: QueryDict, *, connection, kind: registry.RecordKind) -> ListQueryForm:
        """The form for a list state posted as one ``query`` field (refresh, save view)."""
        query = QueryDict(data.get("query", "")[:QUERY_MAX])
        return cls(query, connection=connection, kind=kind)

    def clean_q(self) -> str:
        q = self.cleaned_data["q"]
        if len(q) > SEARCH_MAX:
            q = q[:SEARCH_MAX].rstrip()
            self._notes.append(("q", f"The search was cut to its first {SEARCH_MAX} characters."))
        if q and not search.words(q):
            self._notes.append(
                ("q", "The search has no letters or digits, so it finds everything.")
            )
        return q

    def clean_page(self) -> int:
        return min(self.cleaned_data["page"] or 1, PAGE_MAX)

    def clean(self):
        cleaned = super().clean()
        for item in self.kind.filters:
            if item.kind != registry.DATE_RANGE:
                continue
            start, end = cleaned.get(f"{item.name}_from"), cleaned.get(f"{item.name}_to")
            if start and end and start > end:
                cleaned[f"{item.name}_from"], cleaned[f"{item.name}_to"] = end, start
                notice = f"{item.label}: the dates were the wrong way round; swapped."
                self._notes.append((f"{item.name}_to", notice))
        return cleaned

    def list_state(self) -> ListState:
        """The clean state: every valid part of the query, blanks and bad parts left out."""
        self.is_valid()
        filters = {}
        for name in self.fields:
            if name in ("q", "sort", "page_size", "page"):
                continue
            value = self.cleaned_data.get(name)
            if value:
                filters[name] = value if isinstance(value, str) else value.isoformat()
        return ListState(
            q=self.cleaned_data.get("q", ""),
            filters=filters,
            sort=self.cleaned_data.get("sort", ""),
            page=self.cleaned_data.get("page", 1),
            page_size=self.cleaned_data.get("page_size", DEFAULT_PAGE_SIZE),
        )

    def notices(self) -> list[str]:
        """What was dropped, cut or changed, in the order of the fields."""
        self.is_valid()
        notices = []
        for name in self.fields:
            notices.extend(self.errors.get(name, []))
            notices.extend(note for field_name, note in self._notes if field_name == name)
        return notices


def _filter_fields(
    *, connection, kind: registry.RecordKind, item: registry.Filter
) -> dict[str, forms.Field]:
    """The form field(s) of one registry filter, named as its URL parameter(s)."""
    label = _notice_text(item.label)
    if item.kind == registry.DATE_RANGE:
        return {
            f"{item.name}_{end}": IsoDateField(
                required=False,
                error_messages={
                    "invalid": f"“%(value).40s” is not a date for {label} {end}; "
                    "use YYYY-MM-DD. That bound was ignored."
                },
            )
            for end in ("from", "to")
        }
    if item.kind == registry.TEXT:
        return {
            item.name: TextField(
                required=False,
                max_length=TEXT_FILTER_MAX,
                error_messages={"max_length": f"The {label} filter was too long and was ignored."},
            )
        }

    def choices():
        return selectors.filter_options(connection=connection, kind=kind, item=item)

    # Choices are read (from the cache or the mirror) only when a value is given.
    return {
        item.name: TextChoiceField(
            required=False,
            choices=choices,
            error_messages={
                "invalid_choice": f"“%(value).40s” is not a known {label.lower()}; filter ignored."
            },
        )
    }


class SavedViewForm(forms.Form):
    """The name a user gives the list's current state."""

    name = TextField(error_messages={"required": "Give the view a name."})

    def clean_name(self) -> str:
        return self.cleaned_data["name"][:NAME_MAX]

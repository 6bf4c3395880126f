"""What an admin may ask of the sync status page: which kinds, which mode."""

from __future__ import annotations

from django import forms

from psaportal.records import registry
from psaportal.records.models import SyncRun

EVERYTHING = "all"


class SyncRequestForm(forms.Form):
    """A sync of one kind or of everything, in full or of the changes only."""

    kind = forms.ChoiceField(
        choices=[],
        error_messages={
            "invalid_choice": "There is no such kind of record to sync.",
            "required": "Choose what to sync.",
        },
    )
    mode = forms.ChoiceField(
        choices=SyncRun.Mode.choices,
        error_messages={
            "invalid_choice": "Choose a full sync or a sync of changes.",
            "required": "Choose a full sync or a sync of changes.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(EVERYTHING, "Everything")] + [
            (kind.key, kind.plural) for kind in registry.sync_order()
        ]

    def kinds(self) -> list[registry.RecordKind]:
        """The kinds asked for, in sync order (call after ``is_valid``)."""
        key = self.cleaned_data["kind"]
        if key == EVERYTHING:
            return registry.sync_order()
        return [registry.get_kind(key)]

    def first_error(self) -> str:
        return next(iter(error for errors in self.errors.values() for error in errors), "")

"""The "Add note" form of a ticket: the text and where on the ticket it shows."""

from __future__ import annotations

import uuid

from django import forms

#: The PSA's placement flags → the form's fields.
FLAG_FIELDS = {
    "detailDescriptionFlag": "detail_description_flag",
    "internalAnalysisFlag": "internal_analysis_flag",
    "resolutionFlag": "resolution_flag",
}


class NoteForm(forms.Form):
    """A note for a ticket; at least one place (discussion, internal analysis, resolution)."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    text = forms.CharField(
        label="Note",
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write the note."},
    )
    detail_description_flag = forms.BooleanField(label="Discussion", required=False)
    internal_analysis_flag = forms.BooleanField(label="Internal analysis", required=False)
    resolution_flag = forms.BooleanField(label="Resolution", required=False)

    def __init__(self, data=None):
        initial = {"idempotency_key": uuid.uuid4().hex, "detail_description_flag": True}
        super().__init__(data, initial=initial)

    @classmethod
    def from_change(cls, change) -> NoteForm:
        """The form filled with a note the PSA refused, its answer on the fields, and a new
        idempotency key (sending it again stores a new change)."""
        note = change.changes
        data = {"idempotency_key": uuid.uuid4().hex, "text": note.get("text") or ""}
        data.update({field: "on" for flag, field in FLAG_FIELDS.items() if note.get(flag)})
        form = cls(data)
        form.is_valid()
        form.add_psa_errors(change.field_errors or {})
        if change.error and not change.field_errors:
            form.add_error(None, change.error)
        return form

    def clean(self):
        data = super().clean()
        if not any(data.get(field) for field in FLAG_FIELDS.values()):
            raise forms.ValidationError(
                "Choose where the note shows: discussion, internal analysis or resolution."
            )
        return data

    def note_input(self, *, ticket_id: int) -> dict:
        """The PSA's ServiceNote for these values (POSTed to the ticket's notes)."""
        data = self.cleaned_data
        note = {"ticketId": ticket_id, "text": data["text"]}
        note.update({flag: data[field] for flag, field in FLAG_FIELDS.items()})
        return note

    def add_psa_errors(self, field_errors: dict[str, str]) -> None:
        """The PSA's own messages on the fields it named (the rest on the form)."""
        for path, message in field_errors.items():
            name = FLAG_FIELDS.get(path, path)
            self.add_error(name if name in self.fields else None, message)

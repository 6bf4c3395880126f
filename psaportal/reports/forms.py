"""The report filter form: a date range (a preset or custom dates) and the filters a report
takes (member, company, board). It validates the query string, so every report URL is a
bookmark; an invalid one shows its errors and falls back to the default range."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms

from psaportal.reports import periods

FILTER_NAMES = ("member", "company", "board")


@dataclass(frozen=True)
class ReportFilters:
    """What a report is narrowed to; "" means any."""

    member: str = ""  # a member identifier (time/expenses: who; tickets: owner; sales rep)
    company: str = ""  # a company name, exactly as the mirror holds it
    board: str = ""  # a service board name (service desk only)


class ReportFilterForm(forms.Form):
    range = forms.ChoiceField(
        label="Period",
        choices=list(periods.PRESETS.items()),
        required=False,
        initial=periods.DEFAULT_PRESET,
    )
    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    member = forms.CharField(label="Member", required=False, max_length=100)
    company = forms.CharField(label="Company", required=False, max_length=100)
    board = forms.CharField(label="Board", required=False, max_length=100)

    def __init__(self, *args, filters: tuple[str, ...] = FILTER_NAMES, **kwargs):
        super().__init__(*args, **kwargs)
        for name in FILTER_NAMES:
            if name not in filters:
                del self.fields[name]

    def clean(self):
        cleaned = super().clean()
        preset = cleaned.get("range") or periods.DEFAULT_PRESET
        cleaned["range"] = preset
        if preset != periods.CUSTOM:
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if not start or not end:
            raise forms.ValidationError("A custom period needs both dates.")
        if start > end:
            raise forms.ValidationError("The period ends before it starts.")
        if (end - start).days + 1 > periods.MAX_DAYS:
            raise forms.ValidationError(f"A period can be at most {periods.MAX_DAYS} days.")
        return cleaned

    def period(self, *, today: datetime.date) -> periods.Period:
        """The chosen period; the default preset when the form is invalid."""
        data = self.cleaned_data if self.is_valid() else {}
        preset = data.get("range") or periods.DEFAULT_PRESET
        if preset == periods.CUSTOM:
            return periods.Period(data["start"], data["end"])
        return periods.period_for(preset, today=today)

    def filters(self) -> ReportFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return ReportFilters(**{name: data.get(name, "").strip() for name in self.fields_used})

    @property
    def fields_used(self) -> list[str]:
        return [name for name in FILTER_NAMES if name in self.fields]

    def query(self) -> str:
        """The clean query string of this form (blank values left out)."""
        if not self.is_valid():
            return ""
        data = self.cleaned_data
        params = [("range", data["range"])]
        if data["range"] == periods.CUSTOM:
            params += [("start", data["start"].isoformat()), ("end", data["end"].isoformat())]
        params += [(name, data[name].strip()) for name in self.fields_used if data.get(name)]
        return urlencode(params)

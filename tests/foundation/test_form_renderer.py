"""The quick form renderer draws the same HTML as Django's own widget templates."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from psaportal.form_renderer import QuickFormRenderer

HOSTILE = '"><script>alert(1)</script>&amp;'


class EveryWidgetForm(forms.Form):
    text = forms.CharField(max_length=20, widget=forms.TextInput(attrs={"autofocus": True}))
    optional = forms.CharField(required=False)
    hidden = forms.CharField(widget=forms.HiddenInput)
    flag = forms.BooleanField(required=False)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(min_value=0, decimal_places=2)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "form": "other"}))
    choice = forms.TypedChoiceField(coerce=int, choices=[("", "—"), (1, "One"), (2, HOSTILE)])
    grouped = forms.ChoiceField(
        required=False,
        choices=[("", "—"), (HOSTILE, [("3", "Three"), ("4", "Four")]), ("Other", [("5", "5")])],
    )
    several = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], required=False)
    scope = forms.ChoiceField(choices=[("x", "X"), ("y", "Y")], widget=forms.RadioSelect)


VALUES = [
    {},  # unbound: initial values and no values
    {
        "text": HOSTILE,
        "hidden": mark_safe("<b>safe</b>"),
        "flag": "on",
        "day": "2026-12-06",
        "amount": "12.5",
        "notes": f"line\n{HOSTILE}",
        "choice": "2",
        "grouped": "4",
        "several": ["a", "b"],
        "scope": "y",
    },  # fmt: skip
    {"text": "", "notes": "", "choice": "x", "grouped": "nope", "day": "not a day"},
]


@pytest.mark.parametrize("data", VALUES)
def test_every_widget_is_drawn_as_djangos_templates_draw_it(data):
    initial = {"day": datetime.date(2026, 1, 2), "flag": True, "optional": HOSTILE}
    for name in EveryWidgetForm.base_fields:
        ours = EveryWidgetForm(data or None, initial=initial, renderer=QuickFormRenderer())
        django = EveryWidgetForm(data or None, initial=initial, renderer=DjangoTemplates())
        assert str(ours[name]) == str(django[name]), name
    assert "<script>" not in str(ours)


def test_the_site_uses_the_quick_renderer(settings):
    from django.forms.renderers import get_default_renderer

    get_default_renderer.cache_clear()
    try:
        assert isinstance(get_default_renderer(), QuickFormRenderer)
    finally:
        get_default_renderer.cache_clear()

"""Django's form renderer, with its most used widget templates written out in Python.

Every widget is drawn through a template of its own, and a select through one more per
option: on the busiest pages (the ticket list's filter and bulk forms, a ticket's note
form) that was a quarter of the page's CPU. The HTML is the same as Django's templates
draw (tests/foundation/test_form_renderer.py compares them); other templates (radio
buttons, the form layouts) are still Django's own."""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape

WIDGETS = "django/forms/widgets/"
#: The widgets whose template is just django/forms/widgets/input.html.
INPUT_TEMPLATES = {
    f"{WIDGETS}{name}.html"
    for name in (
        "input", "text", "hidden", "checkbox", "date", "time", "number", "email",
        "password", "url", "search", "tel", "datetime", "color",
    )
}  # fmt: skip


def _text(value) -> str:
    # As the templates' {{ value|stringformat:'s' }}: the value as text, escaped.
    return conditional_escape(str(value))


def _attrs(attrs: dict) -> str:
    # As django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name.
    return "".join(
        f" {name}" if value is True else f' {name}="{_text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    name = _text(widget["name"])
    return f'<input type="{_text(widget["type"])}" name="{name}"{value}{_attrs(widget["attrs"])}>'


def _textarea(widget: dict) -> str:
    value = _text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _select(widget: dict) -> str:
    # As django/forms/widgets/select.html, with select_option.html's newline after each option.
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        parts.extend(
            f'\n  <option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
            f"{_text(option['label'])}</option>\n"
            for option in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class QuickFormRenderer(DjangoTemplates):
    """DjangoTemplates, drawing inputs, text areas and selects without a template."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        if widget is not None and template_name in INPUT_TEMPLATES:
            return _input(widget)
        if widget is not None and template_name == f"{WIDGETS}textarea.html":
            return _textarea(widget)
        if (
            widget is not None
            and template_name == f"{WIDGETS}select.html"
            and all(option["template_name"] == f"{WIDGETS}select_option.html"
                    for _, options, _ in widget["optgroups"] for option in options)
        ):  # fmt: skip
            return _select(widget)
        return super().render(template_name, context, request=request)

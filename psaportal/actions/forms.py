"""The consoles' forms: the action search, an action's input (generated form or raw JSON),
and the API console's request."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from django import forms
from django.http import QueryDict

from psaportal.actions import schema_forms
from psaportal.actions.display import pretty_json
from psaportal.actions.services import WRITE_METHODS, psa_link_target

#: The largest input or body the consoles accept (characters).
MAX_JSON_CHARS = 1_000_000


class ActionSearchForm(forms.Form):
    intent = forms.CharField(
        label="What do you want to do?",
        max_length=200,
        help_text='Describe it in your own words, e.g. "list open tickets" or "create a ticket".',
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


def _parse_json(text: str, *, what: str):
    try:
        return json.loads(text)
    except ValueError as exc:
        raise forms.ValidationError(f"The {what} is not valid JSON: {exc}.") from exc


class RawInputForm(forms.Form):
    raw = forms.CharField(
        label="Input as JSON",
        required=False,
        max_length=MAX_JSON_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "code"}),
        help_text="A JSON object; it is checked against the action's input schema.",
    )

    def clean_raw(self):
        text = self.cleaned_data["raw"].strip()
        if not text:
            return {}
        value = _parse_json(text, what="input")
        if not isinstance(value, dict):
            raise forms.ValidationError("The input must be a JSON object: {...}.")
        return value


@dataclass
class InputEditor:
    """What the run form shows: the generated form or the JSON box, and the input once it
    is ready to run (checked against the schema)."""

    mode: str  # "form" | "json"
    form: schema_forms.SchemaForm | None
    raw_form: RawInputForm
    form_possible: bool
    action_input: dict | None = None
    notice: str = ""


def _form_possible(schema) -> bool:
    return (
        schema_forms.schema_is_usable(schema)
        and isinstance(schema.get("properties"), dict)
        and bool(schema["properties"])
    )


def _unvalidated_form(schema: dict, data: QueryDict) -> schema_forms.SchemaForm:
    """The form showing ``data`` as typed, without errors (after add/remove)."""
    bound = schema_forms.SchemaForm(schema, data)
    initial = {name: data.get(name) for name in bound.fields if name in data}
    counts = {node.name: len(node.children) for node in bound.walk() if node.kind == "array"}
    return schema_forms.SchemaForm(schema, initial=initial, counts=counts)


def _form_for_input(schema: dict, value: dict) -> schema_forms.SchemaForm:
    initial, counts = schema_forms.form_data_from_input(schema, value)
    return schema_forms.SchemaForm(schema, initial=initial, counts=counts)


def _json_editor(value, *, possible: bool, notice: str = "") -> InputEditor:
    raw_form = RawInputForm(initial={"raw": pretty_json(value)})
    return InputEditor("json", None, raw_form, possible, notice=notice)


def input_editor(
    schema, *, data: QueryDict | None = None, action_input: dict | None = None, mode: str = ""
) -> InputEditor:
    """Read (or start) the run form of an action whose input follows ``schema``.

    A POST's ``data`` holds the mode (``form`` or ``json``) and what was pressed: ``add``
    or ``remove`` (an array item), ``step=to-json``/``to-form`` (switch mode), or run.
    """
    schema = schema if isinstance(schema, dict) else {}
    possible = _form_possible(schema)
    if data is None:
        value = action_input or {}
        if possible and mode != "json":
            try:
                form = _form_for_input(schema, value)
            except schema_forms.SchemaTooLarge:
                return _json_editor(value, possible=False, notice=_TOO_LARGE)
            if not schema_forms.unknown_keys(schema, value):
                return InputEditor("form", form, RawInputForm(), possible)
        return _json_editor(value, possible=possible)

    step = data.get("step", "")
    if possible and data.get("mode") != "json":
        try:
            form = schema_forms.SchemaForm(schema, data)
            if data.get("add"):
                form = _unvalidated_form(schema, schema_forms.array_add(data, data["add"]))
                return InputEditor("form", form, RawInputForm(), possible)
            if data.get("remove"):
                form = _unvalidated_form(schema, schema_forms.array_remove(data, data["remove"]))
                return InputEditor("form", form, RawInputForm(), possible)
        except schema_forms.SchemaTooLarge:
            return _json_editor({}, possible=False, notice=_TOO_LARGE)
        if step == "to-json":
            return _json_editor(form.input_value(lenient=True), possible=possible)
        editor = InputEditor("form", form, RawInputForm(), possible)
        if form.is_valid():
            value = form.input_value()
            errors = schema_forms.schema_errors(schema, value)
            form.add_schema_errors(errors)
            if not errors:
                editor.action_input = value
        return editor

    raw_form = RawInputForm(data)
    editor = InputEditor("json", None, raw_form, possible)
    if not raw_form.is_valid():
        return editor
    value = raw_form.cleaned_data["raw"]
    if step == "to-form" and possible:
        unknown = schema_forms.unknown_keys(schema, value)
        if unknown:
            raw_form.add_error(
                "raw",
                "The form has no field for " + ", ".join(unknown[:10]) + ": keep editing as "
                "JSON, or remove them to switch.",
            )
            return editor
        try:
            return InputEditor("form", _form_for_input(schema, value), RawInputForm(), possible)
        except schema_forms.SchemaTooLarge:
            editor.notice = _TOO_LARGE
            return editor
    errors = schema_forms.schema_errors(schema, value)
    for path, message in errors[:50]:
        where = ".".join(str(part) for part in path)
        raw_form.add_error("raw", f"{where}: {message}" if where else message)
    if not errors:
        editor.action_input = value
    return editor


_TOO_LARGE = "This action's input is too large for a generated form; write it as JSON."


# -- the API console ---------------------------------------------------------------------------

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_PATH = re.compile(r"^/[A-Za-z0-9/_\-.~%:@!$&'()*+,;=]*$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
#: Headers the console refuses: Membrane sets the PSA's credentials and the transport's own.
REFUSED_HEADERS = {
    "authorization": "Membrane adds the PSA's credentials itself",
    "proxy-authorization": "Membrane adds the PSA's credentials itself",
    "cookie": "the PSA API does not use cookies",
    "clientid": "Membrane adds the PSA's client id itself",
    "x-api-key": "Membrane adds the PSA's credentials itself",
    "host": "it is set by the connection",
    "content-length": "it is computed from the body",
    "transfer-encoding": "it is set by the transport",
    "connection": "it is set by the transport",
    "membrane-api-version": "it is set by PSA Portal",
}
QUERY_FIELDS = ("conditions", "orderBy", "fields", "pageSize", "page")
MAX_HEADERS = 20
MAX_PARAMS = 50


class ApiRequestForm(forms.Form):
    method = forms.ChoiceField(choices=[(method, method) for method in METHODS], initial="GET")
    path = forms.CharField(
        max_length=500,
        initial="/service/tickets",
        help_text="Relative to the PSA API root (…/v4_6_release/apis/3.0), e.g. "
        "/service/tickets or /company/companies/12.",
    )
    conditions = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text="Filter: field paths with = != &lt; &gt; contains like in, joined by and/or, "
        'e.g. <code>status/name != "Closed" and priority/id = 3</code>. Text in double '
        "quotes, dates in [brackets].",
    )
    orderBy = forms.CharField(
        label="Order by",
        required=False,
        max_length=500,
        help_text="e.g. <code>id desc</code> or <code>company/name asc, id asc</code>",
    )
    fields = forms.CharField(
        required=False,
        max_length=2000,
        help_text="Only these fields, comma-separated: <code>id,summary,status/name</code>",
    )
    pageSize = forms.IntegerField(
        label="Page size",
        required=False,
        min_value=1,
        max_value=1000,
        help_text="Records per page, 1–1000 (the PSA's default is 25).",
    )
    page = forms.IntegerField(
        required=False, min_value=1, help_text="Which page, from 1; the answer links the next."
    )
    params = forms.CharField(
        label="Other query parameters",
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text="One <code>name=value</code> a line, e.g. <code>childConditions=…</code>.",
    )
    headers = forms.CharField(
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text="One <code>Name: value</code> a line, e.g. "
        "<code>pagination-type: forward-only</code>. Membrane adds the credentials.",
    )
    body = forms.CharField(
        label="JSON body",
        required=False,
        max_length=MAX_JSON_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "code"}),
        help_text="For POST and PUT a record; for PATCH a JSON Patch list, e.g. "
        '<code>[{"op": "replace", "path": "summary", "value": "New"}]</code>.',
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, **kwargs):
        super().__init__(data.copy() if data is not None else None, **kwargs)

    def clean_path(self):
        path = self.cleaned_data["path"].strip()
        if "://" in path:
            target = psa_link_target(path)
            if target is None:
                raise forms.ValidationError(
                    "Give the path after …/apis/3.0, e.g. /service/tickets; full addresses "
                    "are only accepted when they point into the PSA API."
                )
            path, query = target
            self._path_query = query
        elif "?" in path:
            path, _, query_text = path.partition("?")
            self._path_query = parse_qsl(query_text, keep_blank_values=True)
        if not path.startswith("/"):
            path = "/" + path
        if not _PATH.match(path) or "//" in path or "/../" in path + "/" or "/./" in path + "/":
            raise forms.ValidationError(
                "Use a path like /service/tickets/12: letters, digits and / - _ . only."
            )
        return path

    def clean_params(self):
        pairs = []
        for line in self.cleaned_data["params"].splitlines():
            if not line.strip():
                continue
            name, equals, value = line.strip().partition("=")
            if not equals or not name.strip():
                raise forms.ValidationError(f"Write each parameter as name=value: {line[:60]!r}")
            pairs.append((name.strip(), value.strip()))
        if len(pairs) > MAX_PARAMS:
            raise forms.ValidationError(f"At most {MAX_PARAMS} parameters.")
        return pairs

    def clean_headers(self):
        headers: dict[str, str] = {}
        refused, kept_lines = [], []
        for line in self.cleaned_data["headers"].splitlines():
            if not line.strip():
                continue
            name, colon, value = line.partition(":")
            name = name.strip()
            if name.lower() in REFUSED_HEADERS:
                refused.append(f"{name} ({REFUSED_HEADERS[name.lower()]})")
                continue
            kept_lines.append(line)
            if not colon or not _HEADER_NAME.match(name):
                raise forms.ValidationError(f"Write each header as Name: value: {line[:60]!r}")
            if any(ord(char) < 32 for char in value):
                raise forms.ValidationError(f"The {name} header holds control characters.")
            headers[name] = value.strip()
        if refused:
            # Not kept in the page either: such a header may hold a secret.
            self.data["headers"] = "\n".join(kept_lines)
            raise forms.ValidationError(
                "Removed, not sent: " + "; ".join(refused) + ". Send the request again."
            )
        if len(headers) > MAX_HEADERS:
            raise forms.ValidationError(f"At most {MAX_HEADERS} headers.")
        return headers

    def clean_body(self):
        text = self.cleaned_data["body"]
        if text.strip():
            _parse_json(text, what="body")
        return text.strip()

    def clean(self):
        cleaned = super().clean()
        method = cleaned.get("method")
        if method in ("GET", "DELETE") and cleaned.get("body"):
            self.add_error(
                "body", f"A {method} request carries no body; clear it or pick POST, PUT or PATCH."
            )
        return cleaned

    def query_fields(self):
        return [self[name] for name in (*QUERY_FIELDS, "params")]

    def extra_fields(self):
        return [self["headers"], self["body"]]

    @property
    def is_write(self) -> bool:
        return self.cleaned_data.get("method") in WRITE_METHODS

    @property
    def needs_confirmation(self) -> bool:
        return self.is_write and not self.cleaned_data.get("confirmed")

    def query(self) -> list[tuple[str, str]]:
        pairs = [
            (name, str(self.cleaned_data[name]))
            for name in QUERY_FIELDS
            if self.cleaned_data.get(name) not in (None, "")
        ]
        return pairs + list(getattr(self, "_path_query", [])) + self.cleaned_data["params"]


def api_request_initial(*, method: str, path: str, query, headers: dict, body: str) -> dict:
    """The API console's form values that send this request again."""
    initial: dict = {"method": method, "path": path, "body": body}
    others = []
    for name, value in query:
        if name in QUERY_FIELDS and name not in initial:
            initial[name] = value
        else:
            others.append(f"{name}={value}")
    initial["params"] = "\n".join(others)
    initial["headers"] = "\n".join(f"{name}: {value}" for name, value in headers.items())
    return initial

"""Forms generated from an action's ``inputSchema`` (JSON Schema), and the way back.

The form is a flat Django form whose field names are JSON paths under ``input``
(``input.company.id``, ``input.operations.0.op``); a tree of ``Node`` keeps the schema's
shape for the template (objects as fieldsets, arrays with add/remove buttons). What the
generator cannot express (``oneOf``, ``$ref``, values of any type) becomes a JSON text
box for that value; the raw-JSON mode covers the rest. Validation is the schema's own,
run by ``jsonschema`` on the assembled input, with each error put on its field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.http import QueryDict
from jsonschema import exceptions as schema_exceptions
from jsonschema import validators

PREFIX = "input"
COUNT_SUFFIX = ".__count__"
#: Deeper than this, a value is edited as JSON (schemas can be recursive).
MAX_DEPTH = 6
#: Items an array may show in the form; more is a job for the JSON mode.
MAX_ITEMS = 50
#: Fields a generated form may hold before the form gives way to the JSON mode.
MAX_FIELDS = 300
_COMPLEX_KEYWORDS = ("$ref", "oneOf", "anyOf", "allOf", "not", "if", "patternProperties")


class SchemaTooLarge(Exception):
    """The schema needs more fields than a form should show."""


def field_name(path: tuple) -> str:
    return ".".join([PREFIX, *(str(part) for part in path)])


def _types(schema: dict) -> list[str]:
    declared = schema.get("type")
    if declared is None:
        return []
    listed = declared if isinstance(declared, list) else [declared]
    return [name for name in listed if isinstance(name, str) and name != "null"]


def _single_type(schema: dict) -> str | None:
    if not isinstance(schema, dict) or any(key in schema for key in _COMPLEX_KEYWORDS):
        return None
    types = _types(schema)
    if len(types) == 1:
        return types[0]
    if not types and isinstance(schema.get("properties"), dict):
        return "object"
    return None


def _label(path: tuple, schema: dict) -> str:
    title = schema.get("title") if isinstance(schema.get("title"), str) else None
    if title and path and not isinstance(path[-1], int):
        return title
    if not path:
        return title or "Input"
    last = path[-1]
    return f"Item {last + 1}" if isinstance(last, int) else str(last)


# -- leaf fields ---------------------------------------------------------------------


class JsonValueField(forms.CharField):
    """Any JSON value typed as text; empty means 'not given'."""

    widget = forms.Textarea(attrs={"rows": 2, "class": "json-value", "spellcheck": "false"})

    def to_python(self, value):
        text = super().to_python(value)
        if text in ("", None):
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(f"This is not valid JSON: {exc}.") from exc

    def prepare_value(self, value):
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value)


class UtcDateTimeField(forms.CharField):
    """A date and time typed in the browser's date-time box, read as UTC."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"})

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise forms.ValidationError("Enter a date and time, e.g. 2026-01-31 14:30.") from exc
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def prepare_value(self, value):
        # The browser's box takes local-style text without a zone: show UTC that way.
        if isinstance(value, str) and value.endswith("Z"):
            return value[:-1]
        return value


class IsoDateField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "date"})

    def to_python(self, value):
        day = super().to_python(value)
        return day.isoformat() if day else None


class JsonNumberField(forms.FloatField):
    """A JSON number: whole numbers stay whole (3, not 3.0)."""

    def to_python(self, value):
        number = super().to_python(value)
        if number is not None and number.is_integer() and abs(number) < 2**53:
            return int(number)
        return number

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["step"] = "any"
        return attrs


class OptionalBooleanSelect(forms.NullBooleanSelect):
    """Yes, no, or not given."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", "—"), ("true", "Yes"), ("false", "No")]


def _enum_choices(values: list, required: bool) -> list[tuple[str, str]]:
    choices = [
        (json.dumps(value), value if isinstance(value, str) else json.dumps(value))
        for value in values
    ]
    return choices if required else [("", "—"), *choices]


def leaf_field(schema: dict, *, required: bool, label: str, help_text: str) -> forms.Field:
    """The Django field that edits one JSON value described by ``schema``."""
    common = {"required": required, "label": label, "help_text": help_text}
    kind = _single_type(schema)
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return forms.TypedChoiceField(
            choices=_enum_choices(schema["enum"], required),
            coerce=json.loads,
            empty_value=None,
            **common,
        )
    if kind == "string":
        text_format = schema.get("format")
        if text_format == "date":
            return IsoDateField(**common)
        if text_format == "date-time":
            return UtcDateTimeField(**{**common, "help_text": _join(help_text, "In UTC.")})
        max_length = schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else None
        min_length = schema.get("minLength") if isinstance(schema.get("minLength"), int) else None
        widget: forms.Widget = forms.TextInput()
        if text_format == "email":
            widget = forms.EmailInput()
        elif text_format in ("uri", "url"):
            widget = forms.URLInput()
        elif max_length is None or max_length > 255:
            widget = forms.Textarea(attrs={"rows": 2})
        return forms.CharField(
            max_length=max_length, min_length=min_length, widget=widget, strip=False, **common
        )
    if kind == "integer":
        return forms.IntegerField(
            min_value=_number(schema.get("minimum")),
            max_value=_number(schema.get("maximum")),
            **common,
        )
    if kind == "number":
        return JsonNumberField(
            min_value=_number(schema.get("minimum")),
            max_value=_number(schema.get("maximum")),
            **common,
        )
    if kind == "boolean":
        if required:
            # A checkbox cannot say "not given": unticked is false.
            return forms.BooleanField(required=False, label=label, help_text=help_text)
        return forms.NullBooleanField(
            widget=OptionalBooleanSelect(),
            label=label,
            help_text=help_text,
        )
    return JsonValueField(**{**common, "help_text": _join(help_text, "A JSON value.")})


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _join(*parts: str) -> str:
    return " ".join(part for part in parts if part)


# -- the tree --------------------------------------------------------------------------


@dataclass
class Node:
    """One place in the input: an object (fieldset), an array, or a field."""

    kind: str  # "object" | "array" | "field"
    path: tuple
    label: str
    schema: dict
    required: bool
    description: str = ""
    children: list[Node] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bound_field: Any = None
    min_items: int = 0

    @property
    def name(self) -> str:
        return field_name(self.path)

    @property
    def count_name(self) -> str:
        return self.name + COUNT_SUFFIX

    @property
    def dom_id(self) -> str:
        return "node-" + self.name.replace(".", "-")

    @property
    def can_add(self) -> bool:
        return self.kind == "array" and len(self.children) < MAX_ITEMS

    @property
    def can_remove(self) -> bool:
        return self.kind == "array" and len(self.children) > self.min_items

    @property
    def depth(self) -> int:
        return len(self.path)


def _is_container(schema: dict, depth: int) -> str | None:
    kind = _single_type(schema)
    if depth >= MAX_DEPTH:
        return None
    if kind == "object" and isinstance(schema.get("properties"), dict) and schema["properties"]:
        return "object"
    if kind == "array" and isinstance(schema.get("items"), dict):
        return "array"
    return None


class SchemaForm(forms.Form):
    """A form for the JSON value ``schema`` describes (an action's input object).

    ``counts`` gives how many items each array shows (``{"input.operations": 2}``); when
    bound, the counts come from the hidden count fields in ``data``.
    """

    def __init__(
        self,
        schema: dict,
        data=None,
        *,
        initial: dict | None = None,
        counts: dict[str, int] | None = None,
    ):
        super().__init__(data=data, initial=initial or {})
        self.schema = schema if isinstance(schema, dict) else {}
        self.counts = counts or {}
        self.field_count = 0
        self.root = self._node((), self.schema, required=True)
        self._bind_tree(self.root)

    def _count_for(self, array_name: str, schema: dict) -> int:
        minimum = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 0
        count = self.counts.get(array_name, minimum)
        if self.is_bound and array_name + COUNT_SUFFIX in self.data:
            try:
                count = int(self.data.get(array_name + COUNT_SUFFIX))
            except (TypeError, ValueError):
                count = minimum
        return max(0, min(count, MAX_ITEMS))

    def _node(self, path: tuple, schema: Any, *, required: bool) -> Node:
        schema = schema if isinstance(schema, dict) else {}
        description = schema.get("description")
        description = description if isinstance(description, str) else ""
        label = _label(path, schema)
        container = _is_container(schema, len(path)) if path else "object"
        if container == "object":
            node = Node("object", path, label, schema, required, description)
            needed = schema.get("required") if isinstance(schema.get("required"), list) else []
            properties = schema.get("properties")
            for name, child in (properties if isinstance(properties, dict) else {}).items():
                node.children.append(
                    self._node((*path, name), child, required=required and name in needed)
                )
            return node
        if container == "array":
            min_items = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 0
            node = Node("array", path, label, schema, required, description, min_items=min_items)
            for index in range(self._count_for(field_name(path), schema)):
                # An item on the page is one the person asked for: its own rules apply.
                node.children.append(self._node((*path, index), schema["items"], required=True))
            self.fields[node.count_name] = forms.IntegerField(
                widget=forms.HiddenInput, required=False, initial=len(node.children)
            )
            return node
        self.field_count += 1
        if self.field_count > MAX_FIELDS:
            raise SchemaTooLarge(f"the form would need more than {MAX_FIELDS} fields")
        node = Node("field", path, label, schema, required, description)
        form_field = leaf_field(
            schema, required=required, label=label, help_text=_help_text(schema, description)
        )
        self.fields[node.name] = form_field
        if "default" in schema and node.name not in self.initial:
            self.initial[node.name] = _initial_text(form_field, schema["default"])
        return node

    def _bind_tree(self, node: Node) -> None:
        if node.kind == "field":
            node.bound_field = self[node.name]
        elif node.kind == "array":
            node.bound_field = self[node.count_name]
        for child in node.children:
            self._bind_tree(child)

    def walk(self):
        """Every node, depth first."""
        stack = [self.root]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def node_at(self, path: tuple) -> Node | None:
        return next((node for node in self.walk() if node.path == path), None)

    # -- the value -------------------------------------------------------------------

    def input_value(self, *, lenient: bool = False) -> dict:
        """The action input the form holds. ``lenient`` keeps what did not validate as
        the text typed (to carry it into the JSON mode) instead of needing ``is_valid``."""
        if lenient:
            self.is_valid()
            values = {
                name: self.cleaned_data[name]
                if name in self.cleaned_data
                else _typed_text(self.data.get(name))
                for name in self.fields
            }
        else:
            values = self.cleaned_data
        present, value = _assemble(self.root, values)
        return value if present and isinstance(value, dict) else {}

    def add_schema_errors(self, errors: list[tuple[tuple, str]]) -> None:
        """Put each schema error on its field, its fieldset, or the form."""
        for path, message in errors:
            name = field_name(path)
            if name in self.fields and not name.endswith(COUNT_SUFFIX):
                if not self.has_error(name):
                    self.add_error(name, message)
                continue
            node = self.node_at(path)
            if node is not None and path:
                node.errors.append(message)
            else:
                where = ".".join(str(part) for part in path)
                self.add_error(None, f"{where}: {message}" if where else message)

    @property
    def has_node_errors(self) -> bool:
        return any(node.errors for node in self.walk())


def _help_text(schema: dict, description: str) -> str:
    extra = []
    if "default" in schema:
        extra.append(f"Default: {json.dumps(schema['default'])}.")
    return _join(description, *extra)


def _initial_text(form_field: forms.Field, value: Any) -> Any:
    if isinstance(form_field, forms.TypedChoiceField | JsonValueField):
        return json.dumps(value)
    return value


def _typed_text(text: Any) -> Any:
    if text in (None, ""):
        return None
    return text


def _assemble(node: Node, values: dict) -> tuple[bool, Any]:
    if node.kind == "field":
        value = values.get(node.name)
        return value is not None and value != "", value
    if node.kind == "object":
        result = {}
        for child in node.children:
            present, value = _assemble(child, values)
            if present:
                result[child.path[-1]] = value
        return bool(result) or node.required, result
    items = []
    for child in node.children:
        present, value = _assemble(child, values)
        if present:
            items.append(value)
    return bool(items) or node.required, items


# -- from an input back to the form -----------------------------------------------------


def form_data_from_input(schema: dict, value: Any) -> tuple[dict, dict[str, int]]:
    """The initial field values and array counts that show ``value`` in the form."""
    initial: dict[str, Any] = {}
    counts: dict[str, int] = {}

    def visit(path: tuple, node_schema: dict, node_value: Any) -> None:
        container = _is_container(node_schema, len(path)) if path else "object"
        if container == "object" and isinstance(node_value, dict):
            properties = node_schema.get("properties") or {}
            for name, child in properties.items():
                if name in node_value:
                    visit((*path, name), child, node_value[name])
            return
        if container == "array" and isinstance(node_value, list):
            counts[field_name(path)] = min(len(node_value), MAX_ITEMS)
            for index, item in enumerate(node_value[:MAX_ITEMS]):
                visit((*path, index), node_schema["items"], item)
            return
        if not path:
            return
        initial[field_name(path)] = _field_text(node_schema, node_value)

    visit((), schema if isinstance(schema, dict) else {}, value)
    return initial, counts


def _field_text(schema: dict, value: Any) -> Any:
    if isinstance(schema.get("enum"), list):
        return json.dumps(value)
    kind = _single_type(schema)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind in ("string", "integer", "number") and not isinstance(value, dict | list):
        return value
    return json.dumps(value)


def unknown_keys(schema: dict, value: Any, path: tuple = ()) -> list[str]:
    """Keys in ``value`` the form has no field for (they would be lost by switching)."""
    found: list[str] = []
    container = _is_container(schema, len(path)) if path else "object"
    if container == "object" and isinstance(value, dict):
        properties = schema.get("properties") or {}
        for name, item in value.items():
            if name in properties:
                found.extend(unknown_keys(properties[name], item, (*path, name)))
            else:
                found.append(".".join(str(part) for part in (*path, name)))
    elif container == "array" and isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(unknown_keys(schema["items"], item, (*path, index)))
            if index + 1 >= MAX_ITEMS:
                break
    return found


# -- editing arrays without JavaScript -----------------------------------------------------


def array_add(data: QueryDict, array_name: str) -> QueryDict:
    """``data`` with one more (empty) item in the array ``array_name``."""
    edited = data.copy()
    count_key = array_name + COUNT_SUFFIX
    try:
        count = int(edited.get(count_key, 0))
    except ValueError:
        count = 0
    edited[count_key] = str(min(count + 1, MAX_ITEMS))
    return edited


def array_remove(data: QueryDict, item_name: str) -> QueryDict:
    """``data`` without the array item ``item_name`` (``input.operations.1``); later items
    move up one place."""
    array_name, _, index_text = item_name.rpartition(".")
    if not index_text.isdigit():
        return data.copy()
    index = int(index_text)
    edited = QueryDict(mutable=True)
    prefix = array_name + "."
    for key in data:
        values = data.getlist(key)
        if key.startswith(prefix):
            rest = key[len(prefix) :]
            head, _, tail = rest.partition(".")
            if head.isdigit():
                position = int(head)
                if position == index:
                    continue
                if position > index:
                    key = prefix + str(position - 1) + ("." + tail if tail else "")
        edited.setlist(key, values)
    count_key = array_name + COUNT_SUFFIX
    try:
        count = int(data.get(count_key, 0))
    except ValueError:
        count = 0
    edited[count_key] = str(max(count - 1, 0))
    return edited


# -- validation ------------------------------------------------------------------------------


def schema_is_usable(schema: Any) -> bool:
    """Whether ``schema`` is a JSON Schema the validator accepts."""
    if not isinstance(schema, dict):
        return False
    try:
        validators.validator_for(schema, default=validators.Draft202012Validator).check_schema(
            schema
        )
    except schema_exceptions.SchemaError:
        return False
    return True


def schema_errors(schema: Any, value: Any) -> list[tuple[tuple, str]]:
    """Every way ``value`` breaks ``schema``, as (JSON path, sentence), in path order.

    A schema the validator cannot read validates nothing here (Membrane still checks).
    """
    if not schema_is_usable(schema):
        return []
    validator_class = validators.validator_for(schema, default=validators.Draft202012Validator)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    found: list[tuple[tuple, str]] = []
    for error in validator.iter_errors(value):
        path = tuple(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            for name in error.validator_value:
                if name not in error.instance:
                    found.append(((*path, name), "This field is required."))
            continue
        found.append((path, error_sentence(error)))
    return sorted(found, key=lambda item: [str(part) for part in item[0]])


def error_sentence(error: schema_exceptions.ValidationError) -> str:
    """One schema error in plain words."""
    rule, limit = error.validator, error.validator_value
    if rule == "type":
        names = limit if isinstance(limit, list) else [limit]
        words = {"integer": "a whole number", "number": "a number", "string": "text",
                 "boolean": "yes or no", "object": "an object", "array": "a list",
                 "null": "empty"}  # fmt: skip
        return "Must be " + " or ".join(words.get(name, str(name)) for name in names) + "."
    messages = {
        "minLength": f"Must be at least {limit} character{'s' if limit != 1 else ''}.",
        "maxLength": f"Must be at most {limit} characters.",
        "minimum": f"Must be at least {limit}.",
        "maximum": f"Must be at most {limit}.",
        "exclusiveMinimum": f"Must be more than {limit}.",
        "exclusiveMaximum": f"Must be less than {limit}.",
        "minItems": f"Needs at least {limit} item{'s' if limit != 1 else ''}.",
        "maxItems": f"Takes at most {limit} items.",
        "pattern": f"Must match the pattern {limit}.",
        "format": f"Must be a valid {limit}.",
    }
    if rule == "enum" and isinstance(limit, list):
        return "Must be one of: " + ", ".join(json.dumps(option) for option in limit) + "."
    if rule == "additionalProperties":
        return f"{error.message[0].upper()}{error.message[1:]}."
    return messages.get(str(rule), error.message)


# -- readable schemas ---------------------------------------------------------------------------


@dataclass
class SchemaRow:
    name: str
    depth: int
    type_label: str
    required: bool
    description: str


def schema_rows(schema: Any, *, limit: int = 200) -> list[SchemaRow]:
    """A JSON Schema as indented rows (name, type, required, description) for reading."""
    rows: list[SchemaRow] = []

    def type_label(node: dict) -> str:
        if not isinstance(node, dict):
            return "any"
        if isinstance(node.get("enum"), list):
            return "one of " + ", ".join(json.dumps(option) for option in node["enum"][:12])
        types = _types(node)
        label = " or ".join(types) if types else ("object" if "properties" in node else "any")
        if node.get("format"):
            label += f" ({node['format']})"
        if "array" in types and isinstance(node.get("items"), dict):
            label = f"list of {type_label(node['items'])}"
        for keyword in ("oneOf", "anyOf", "allOf"):
            if keyword in node:
                label = f"{keyword} ({len(node[keyword])} options)"
        if "$ref" in node:
            label = f"see {node['$ref']}"
        return label

    def visit(node: Any, name: str, depth: int, required: bool) -> None:
        if len(rows) >= limit or not isinstance(node, dict) or depth > MAX_DEPTH:
            return
        if name:
            notes = node.get("description") if isinstance(node.get("description"), str) else ""
            if "default" in node:
                notes = _join(notes, f"Default: {json.dumps(node['default'])}.")
            rows.append(SchemaRow(name, depth, type_label(node), required, notes))
        target = node
        if isinstance(node.get("items"), dict) and "array" in _types(node):
            target = node["items"]
        properties = target.get("properties") if isinstance(target.get("properties"), dict) else {}
        needed = target.get("required") if isinstance(target.get("required"), list) else []
        for child_name, child in properties.items():
            visit(child, child_name, depth + (1 if name else 0), child_name in needed)

    visit(schema, "", 0, True)
    return rows

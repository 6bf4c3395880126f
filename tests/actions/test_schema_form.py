"""The form generator: one field per JSON Schema type, nested objects and arrays, and the
round trip from an input to the form and back; schema errors land on their fields."""

import pytest
from django import forms
from django.http import QueryDict

from psaportal.actions import schema_forms
from psaportal.actions.schema_forms import SchemaForm

EVERY_TYPE = {
    "type": "object",
    "required": ["title", "count", "notify", "owner", "steps"],
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 40, "description": "Short."},
        "notes": {"type": "string"},
        "count": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3},
        "ratio": {"type": "number", "minimum": 0},
        "notify": {"type": "boolean"},
        "urgent": {"type": "boolean"},
        "level": {"type": "string", "enum": ["Low", "Medium", "High"]},
        "size": {"enum": [1, 2, 3]},
        "due": {"type": "string", "format": "date"},
        "starts": {"type": "string", "format": "date-time"},
        "email": {"type": "string", "format": "email"},
        "owner": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        },
        "tags": {"type": "array", "items": {"type": "string"}},
        "steps": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["op"],
                "properties": {
                    "op": {"type": "string", "enum": ["add", "remove"]},
                    "value": {},
                },
            },
        },
        "extra": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "code": {"type": ["string", "null"], "pattern": "^[A-Z]+$"},
    },
}

FULL_INPUT = {
    "title": "Printer on fire",
    "notes": "Second floor",
    "count": 4,
    "ratio": 0.5,
    "notify": True,
    "urgent": False,
    "level": "High",
    "size": 2,
    "due": "2026-03-01",
    "starts": "2026-03-01T09:30:00Z",
    "email": "ops@example.com",
    "owner": {"id": 7, "name": "Ann"},
    "tags": ["printer", "floor-2"],
    "steps": [{"op": "add", "value": {"id": 1}}, {"op": "remove", "value": 5}],
    "extra": 12,
    "code": "ABC",
}


def as_post(form: SchemaForm) -> QueryDict:
    """What a browser sends for the form as rendered."""
    data = QueryDict(mutable=True)
    for bound in form:
        widget = bound.field.widget
        value = bound.value()
        if isinstance(widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
            continue
        formatted = widget.format_value(bound.field.prepare_value(value))
        if isinstance(formatted, list):
            formatted = formatted[0] if formatted else ""
        data[bound.html_name] = "" if formatted is None else str(formatted)
    return data


def test_each_type_gets_its_field():
    form = SchemaForm(EVERY_TYPE)
    fields = form.fields
    assert isinstance(fields["input.title"], forms.CharField)
    assert fields["input.title"].required and fields["input.title"].max_length == 40
    assert fields["input.title"].help_text == "Short."
    assert isinstance(fields["input.notes"].widget, forms.Textarea)
    assert isinstance(fields["input.count"], forms.IntegerField)
    assert form["input.count"].value() == 3  # the schema's default
    assert isinstance(fields["input.ratio"], forms.FloatField)
    assert isinstance(fields["input.notify"].widget, forms.CheckboxInput)  # required boolean
    assert isinstance(fields["input.urgent"], forms.NullBooleanField)  # yes / no / not given
    assert [label for _, label in fields["input.level"].choices] == ["—", "Low", "Medium", "High"]
    assert [value for value, _ in fields["input.size"].choices] == ["", "1", "2", "3"]
    assert fields["input.due"].widget.input_type == "date"
    assert fields["input.starts"].widget.input_type == "datetime-local"
    assert fields["input.email"].widget.input_type == "email"
    assert fields["input.owner.id"].required  # required inside a required object
    assert not fields["input.owner.name"].required
    assert isinstance(fields["input.extra"], schema_forms.JsonValueField)
    owner = form.node_at(("owner",))
    assert owner.kind == "object" and [c.label for c in owner.children] == ["id", "name"]
    tags, steps = form.node_at(("tags",)), form.node_at(("steps",))
    assert tags.kind == "array" and tags.children == []  # no item until one is added
    assert steps.kind == "array" and len(steps.children) == 1  # minItems
    assert fields["input.steps.0.op"].required


def test_an_input_round_trips_through_the_form():
    initial, counts = schema_forms.form_data_from_input(EVERY_TYPE, FULL_INPUT)
    shown = SchemaForm(EVERY_TYPE, initial=initial, counts=counts)
    posted = SchemaForm(EVERY_TYPE, as_post(shown))
    assert posted.is_valid(), posted.errors
    assert posted.input_value() == FULL_INPUT
    assert schema_forms.schema_errors(EVERY_TYPE, FULL_INPUT) == []


def test_empty_optional_fields_are_left_out():
    data = QueryDict(mutable=True)
    data.update({"input.title": "Hi", "input.count": "2", "input.owner.id": "5",
                 "input.steps.__count__": "1", "input.steps.0.op": '"add"',
                 "input.urgent": "unknown", "input.level": ""})  # fmt: skip
    form = SchemaForm(EVERY_TYPE, data)
    assert form.is_valid(), form.errors
    assert form.input_value() == {
        "title": "Hi",
        "count": 2,
        "notify": False,
        "owner": {"id": 5},
        "steps": [{"op": "add"}],
    }


def test_date_times_are_read_as_utc():
    field = schema_forms.UtcDateTimeField()
    assert field.clean("2026-01-31T14:30") == "2026-01-31T14:30:00Z"
    assert field.clean("2026-01-31T14:30:00+02:00") == "2026-01-31T12:30:00Z"
    with pytest.raises(forms.ValidationError):
        field.clean("yesterday")


def test_schema_errors_land_on_their_fields():
    data = QueryDict(mutable=True)
    data.update({"input.title": "Hi", "input.count": "2", "input.owner.id": "5",
                 "input.steps.__count__": "0", "input.code": "lower"})  # fmt: skip
    form = SchemaForm(EVERY_TYPE, data)
    assert form.is_valid(), form.errors
    value = form.input_value()
    errors = schema_forms.schema_errors(EVERY_TYPE, value)
    form.add_schema_errors(errors)
    assert form.errors["input.code"] == ["Must match the pattern ^[A-Z]+$."]
    assert form.node_at(("steps",)).errors == ["Needs at least 1 item."]


def test_adding_and_removing_array_items_keeps_the_other_values():
    data = QueryDict(mutable=True)
    data.update({"input.tags.__count__": "3", "input.tags.0": "a", "input.tags.1": "b",
                 "input.tags.2": "c"})  # fmt: skip
    removed = schema_forms.array_remove(data, "input.tags.1")
    assert removed["input.tags.__count__"] == "2"
    assert (removed["input.tags.0"], removed["input.tags.1"]) == ("a", "c")
    assert "input.tags.2" not in removed
    added = schema_forms.array_add(removed, "input.tags")
    assert added["input.tags.__count__"] == "3"


def test_a_huge_schema_gives_way_to_json():
    schema = {"type": "object", "properties": {f"f{n}": {"type": "string"} for n in range(400)}}
    with pytest.raises(schema_forms.SchemaTooLarge):
        SchemaForm(schema)


def test_readable_schema_rows_show_nesting_types_and_required():
    rows = schema_forms.schema_rows(EVERY_TYPE)
    by_name = {row.name: row for row in rows}
    assert by_name["title"].required and by_name["title"].type_label == "string"
    assert by_name["starts"].type_label == "string (date-time)"
    assert by_name["level"].type_label == 'one of "Low", "Medium", "High"'
    assert by_name["steps"].type_label == "list of object"
    assert by_name["op"].depth == 1 and by_name["op"].required
    assert "Default: 3." in by_name["count"].description

"""Fuzzing, with hypothesis, of everything that parses input: the sandbox's conditions
parser, list and export query parameters, JSON Patch building, the schema-driven action
forms. No 500s, no hangs: inputs are bounded and each example has a generous deadline (a
hang, not a slow machine, is what it catches)."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.http import QueryDict
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psaportal.accounts import roles
from psaportal.actions import forms as action_forms
from psaportal.actions import services
from psaportal.records import registry
from psaportal.records.changes import fields as change_fields
from psaportal.records.sync import fetch
from psaportal.sandbox.psa import PsaSimulator, SeedScale
from tests.records.mirror_rows import mirror_samples, ready_connection
from tests.security.hostile import PAYLOADS, form_field_names

# Few examples, each bounded: the security suite stays well under a minute on busy CI.
FUZZ = settings(
    max_examples=40,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Text of any Unicode (NUL included), plus the hostile payloads themselves.
ANY_TEXT = st.one_of(st.text(max_size=80), st.sampled_from(list(PAYLOADS.values())))

# -- the sandbox's conditions parser ----------------------------------------------------------

CONDITION_WORDS = [
    "summary", "id", "status/name", "company/identifier", "_info/lastUpdated", "closedFlag",
    "board/id", "nosuch/field", "customFields", "=", "!=", "<>", "<", "<=", ">", ">=",
    "contains", "like", "not", "in", "and", "or", "(", ")", ",", '"Printer"', '"a\\"b"',
    '"%_"', "'x'", "[2026-03-01T00:00:00Z]", "[2026-02-30]", "42", "-1.5", "1e9", "true",
    "false", "null", "9" * 30,
]  # fmt: skip
CONDITIONS = st.one_of(
    st.lists(st.sampled_from(CONDITION_WORDS), max_size=25).map(" ".join),
    st.text(max_size=200),
)


@pytest.fixture(scope="module")
def psa():
    scale = SeedScale(
        members=3, companies=3, contacts=4, tickets=6, projects=1, opportunities=1,
        time_entries=2, products=1, expense_entries=1, configurations=1,
    )  # fmt: skip
    simulator = PsaSimulator(scale)
    yield simulator
    simulator.close()


@FUZZ
@given(conditions=CONDITIONS, order_by=st.one_of(st.none(), ANY_TEXT), fields=ANY_TEXT)
def test_the_sandbox_answers_any_conditions_with_records_or_a_400(
    psa, conditions, order_by, fields
):
    query = [("conditions", conditions), ("fields", fields), ("pageSize", "5")]
    if order_by is not None:
        query.append(("orderBy", order_by))
    answer = psa.handle("GET", "/service/tickets", query=query)
    assert answer.status in (200, 400), answer.body[:300]
    json.loads(answer.body)  # an error is a ConnectWise error body, not a traceback


# -- list, export and report parameters --------------------------------------------------------

LIST_KINDS = registry.record_kinds()
LIST_NAMES = sorted(
    {"q", "sort", "page", "page_size", "view"}
    | {param for kind in LIST_KINDS for list_filter in kind.filters for param in list_filter.params}
)


@pytest.fixture
def mirrored(db):
    cache.clear()
    connection = ready_connection()
    for kind in LIST_KINDS:
        mirror_samples(connection, kind.key, 3)
    yield connection
    cache.clear()


@FUZZ
@given(
    kind=st.sampled_from(LIST_KINDS),
    params=st.dictionaries(st.sampled_from(LIST_NAMES), ANY_TEXT, max_size=6),
    htmx=st.booleans(),
)
def test_list_and_export_take_any_parameters(
    answering_client, make_member, mirrored, kind, params, htmx
):
    answering_client.force_login(_member(make_member, roles.TECHNICIAN))
    headers = {"HX-Request": "true"} if htmx else {}
    page = answering_client.get(reverse("records:list", args=[kind.key]), params, headers=headers)
    assert page.status_code == 200, params
    export = answering_client.get(reverse("records:export", args=[kind.key]), params)
    assert export.status_code == 200, params
    b"".join(export.streaming_content)


REPORT_NAMES = ["range", "start", "end", "member", "company", "board"]


@FUZZ
@given(
    slug=st.sampled_from(["time", "service-desk", "pipeline", "expenses"]),
    params=st.dictionaries(st.sampled_from(REPORT_NAMES), ANY_TEXT, max_size=4),
)
def test_reports_and_their_csv_take_any_parameters(
    answering_client, make_member, mirrored, slug, params
):
    answering_client.force_login(_member(make_member, roles.MANAGER))
    page = answering_client.get(reverse("reports:report", args=[slug]), params)
    assert page.status_code == 200, params
    export = answering_client.get(reverse("reports:export", args=[slug, "nosuch"]), params)
    assert export.status_code == 404, params  # checked after the parameters are read


def _member(make_member, role):
    """One member per role for all of a test's examples (the database persists across them)."""
    existing = get_user_model().objects.filter(username=role).first()
    return existing or make_member(role)


# -- JSON Patch building -------------------------------------------------------------------

EDITABLE = [(kind, field) for kind in LIST_KINDS for field in kind.editable_fields]
CLEANED_VALUE = {
    "text": st.one_of(st.none(), st.text(max_size=300)),
    "textarea": st.one_of(st.none(), st.text(max_size=300)),
    "date": st.one_of(st.none(), st.dates()),
    "number": st.one_of(
        st.none(), st.floats(allow_nan=False, allow_infinity=False), st.integers(-(10**12), 10**12)
    ),
    "reference": st.one_of(st.none(), st.integers(1, 2**31)),
}


@FUZZ
@given(data=st.data())
def test_json_patch_operations_are_well_formed_for_any_value(data):
    kind, field = data.draw(st.sampled_from(EDITABLE))
    value = data.draw(CLEANED_VALUE.get(field.widget, st.text(max_size=300)))
    # The form refuses an empty required field; only filled values reach the patch.
    value = (
        value
        if value is not None or not field.required
        else data.draw(
            CLEANED_VALUE.get(field.widget, st.text(max_size=300)).filter(lambda v: v is not None)
        )
    )
    operation = change_fields.patch_operation(change_fields.from_form(value, field), field)
    assert operation["path"] == field.path
    assert operation["op"] in ("replace", "remove")
    json.dumps(operation, allow_nan=False)  # what is sent to Membrane is strict JSON
    if operation["op"] == "replace" and field.widget == "reference":
        assert isinstance(operation["value"]["id"], int)


@pytest.mark.django_db
@FUZZ
@given(values=st.lists(ANY_TEXT, min_size=1, max_size=12), htmx=st.booleans())
def test_the_edit_form_takes_any_text(answering_client, make_member, mirrored, values, htmx):
    answering_client.force_login(_member(make_member, roles.TECHNICIAN))
    url = reverse("records:edit", args=["tickets", 1])
    names = sorted(form_field_names(answering_client.get(url).content.decode()))
    assert names
    data = {name: values[index % len(values)] for index, name in enumerate(names)}
    headers = {"HX-Request": "true"} if htmx else {}
    response = answering_client.post(url, data, headers=headers)
    assert response.status_code in (200, 302, 400), response.status_code


# -- the schema-driven action forms ----------------------------------------------------------

# Membrane's JSON: any text, NUL characters and lone surrogates included (kept storable).
SCHEMA_TEXT = st.text(max_size=15)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), SCHEMA_TEXT)
LEAF_SCHEMA = st.fixed_dictionaries(
    {"type": st.sampled_from(["string", "integer", "number", "boolean", "null"])},
    optional={
        "enum": st.lists(SCALARS, max_size=4),
        "format": st.sampled_from(["date", "date-time", "email", "uri"]),
        "minimum": st.integers(-10, 10),
        "maxLength": st.integers(0, 20),
        "title": SCHEMA_TEXT,
        "description": SCHEMA_TEXT,
        "default": SCALARS,
    },
)
PROPERTY_NAME = st.text(alphabet="abcdefgh_.0<>\"'", min_size=1, max_size=6)
SCHEMA = st.recursive(
    LEAF_SCHEMA,
    lambda inner: st.one_of(
        st.fixed_dictionaries(
            {
                "type": st.just("object"),
                "properties": st.dictionaries(PROPERTY_NAME, inner, max_size=4),
            },
            optional={"required": st.lists(PROPERTY_NAME, max_size=2)},
        ),
        st.fixed_dictionaries(
            {"type": st.just("array"), "items": inner},
            optional={"minItems": st.integers(0, 3), "maxItems": st.integers(0, 5)},
        ),
        st.fixed_dictionaries({"oneOf": st.lists(inner, max_size=2)}),
    ),
    max_leaves=8,
)
INPUT_SCHEMA = st.fixed_dictionaries(
    {"type": st.just("object"), "properties": st.dictionaries(PROPERTY_NAME, SCHEMA, max_size=5)}
)


@FUZZ
@given(schema=INPUT_SCHEMA, data=st.data())
def test_the_action_input_editor_reads_any_post_for_any_schema(schema, data):
    try:
        form_names = sorted(action_forms.schema_forms.SchemaForm(schema).fields)
    except action_forms.schema_forms.SchemaTooLarge:
        form_names = []
    names = form_names + ["mode", "step", "add", "remove", "raw"]
    posted = data.draw(st.dictionaries(st.sampled_from(names), ANY_TEXT, max_size=8))
    if data.draw(st.booleans()) and form_names:
        posted["add" if data.draw(st.booleans()) else "remove"] = data.draw(
            st.sampled_from(form_names)
        )
    query = QueryDict(mutable=True)
    query.update(posted)
    editor = action_forms.input_editor(schema, data=query)
    if editor.action_input is not None:
        json.dumps(editor.action_input)


@pytest.mark.django_db
@settings(FUZZ, max_examples=15)  # each example renders two pages and may run the action
@given(schema=INPUT_SCHEMA, raw=ANY_TEXT, mode=st.sampled_from(["form", "json", ""]))
def test_the_action_page_renders_and_runs_for_any_schema(
    answering_client, make_member, psa_connection, schema, raw, mode
):
    answering_client.force_login(_member(make_member, roles.ADMIN))
    # Kept as a search keeps what Membrane describes (NUL characters and all).
    item = {"id": "fuzzed", "key": "fuzzed", "name": "Fuzzed\x00", "inputSchema": schema}
    action = services.action_upsert(item=item)
    page = answering_client.get(reverse("actions:detail", args=[action.pk]), {"mode": mode})
    assert page.status_code == 200
    posted = dict.fromkeys(form_field_names(page.content.decode()), raw)
    posted.setdefault("raw", raw)
    response = answering_client.post(reverse("actions:run", args=[action.pk]), posted)
    assert response.status_code in (200, 302), response.status_code


# -- the API console's request form, and every other form that writes -------------------------

API_FIELDS = ["method", "path", "conditions", "orderBy", "fields", "pageSize", "page", "params",
              "headers", "body", "confirmed"]  # fmt: skip
API_TEXT = st.one_of(
    ANY_TEXT,
    st.sampled_from(["GET", "PATCH", "/service/tickets", "/../x", "a=1&b", "X-A: b\nbad", "{"]),
)


@FUZZ
@given(data=st.dictionaries(st.sampled_from(API_FIELDS), API_TEXT, max_size=8))
def test_the_api_console_form_reads_any_request(data):
    form = action_forms.ApiRequestForm(data)
    if form.is_valid():
        form.query()  # what would be sent
        assert isinstance(form.needs_confirmation, bool)


# (the page showing the form, its URL arguments, the URL the form posts to)
WRITING_FORMS = [
    ("records:ticket_create", {}, "records:ticket_create"),
    ("records:time_log", {"psa_id": 1}, "records:time_log"),
    ("records:note_add", {"psa_id": 1}, "records:note_add"),
    ("records:list", {"kind": "tickets"}, "records:saved_view_create"),
    ("accounts:user_create", {}, "accounts:user_create"),
    ("accounts:password_change", {}, "accounts:password_change"),
    ("api_console:console", {}, "api_console:send"),
    ("actions:console", {}, "actions:search-start"),
]


@pytest.mark.django_db
@settings(FUZZ, max_examples=30)
@given(
    form=st.sampled_from(WRITING_FORMS),
    values=st.lists(API_TEXT, min_size=1, max_size=12),
    htmx=st.booleans(),
)
def test_every_writing_form_takes_any_text(
    answering_client, make_member, psa_connection, form, values, htmx
):
    answering_client.force_login(_member(make_member, roles.ADMIN))
    mirror_samples(psa_connection, "tickets", 1)
    page_name, kwargs, target = form
    page = answering_client.get(reverse(page_name, kwargs=kwargs))
    assert page.status_code == 200
    url = reverse(target, kwargs=kwargs)
    names = sorted(form_field_names(page.content.decode()))
    assert names, page_name
    data = {field: values[index % len(values)] for index, field in enumerate(names)}
    headers = {"HX-Request": "true"} if htmx else {}
    response = answering_client.post(url, data, headers=headers)
    assert response.status_code in (200, 302, 400), (url, response.status_code)


# -- what the PSA sends, as the sync stores it -------------------------------------------------


@FUZZ
@given(text=st.text(max_size=40))
def test_the_sync_notices_every_text_postgresql_cannot_store(text):
    content = json.dumps([{"id": 1, "summary": text}]).encode()
    body = json.loads(content)
    cleaned = fetch.storable(body)
    if cleaned != body:  # the page's check must have seen it coming
        assert b"\\u0000" in content or fetch.SURROGATE_ESCAPE.search(content)
    cleaned[0]["summary"].encode("utf-8")  # what PostgreSQL will be sent
    assert "\x00" not in cleaned[0]["summary"]

"""Editing companies, contacts, projects, opportunities and configurations from their
record page: the change goes through the outbox as a PATCH on the kind's path (their
connector has no update action), against the sandbox's PSA over HTTP."""

import pytest
from django.urls import reverse

from psaportal.records import registry
from psaportal.records.models import PendingChange, RecordDocument
from tests.records.mirror_rows import mirror

pytestmark = pytest.mark.django_db
Status = PendingChange.Status

#: kind → (a field to change, the value typed into the form, how the PSA then holds it).
EDITS = {
    "companies": ("city", "Springfield", "Springfield"),
    "contacts": ("title", "Office manager", "Office manager"),
    "projects": ("budgetHours", "42.5", 42.5),
    "opportunities": ("expectedCloseDate", "2027-01-15", "2027-01-15T00:00:00Z"),
    "configurations": ("serialNumber", "SN-0042-X", "SN-0042-X"),
}


@pytest.fixture
def psa(membrane_client, ready_connection):
    """``psa(method, path, **options)``: the PSA's answer through the proxy."""

    def call(method, path, **options):
        return membrane_client.proxy(ready_connection["id"], method, path, **options).json()

    return call


@pytest.fixture
def record_of(psa_connection, psa):
    """``record_of(kind_key)``: the kind's first PSA record, mirrored with the members."""

    def first(kind_key):
        mirror(psa_connection, "members", psa("GET", "/system/members", query={"pageSize": 100}))
        kind = registry.get_kind(kind_key)
        record = psa("GET", kind.path, query={"pageSize": 1, "orderBy": "id"})[0]
        mirror(psa_connection, kind_key, [record])
        return kind, record

    return first


def opened_form(client, kind, record) -> dict:
    form = client.get(reverse("records:edit", args=[kind.key, record["id"]])).context["form"]
    data = {name: form[name].value() for name in form.fields}
    return {name: "" if value is None else value for name, value in data.items()}


def save(client, capture, kind, record, data):
    with capture(execute=True):
        return client.post(reverse("records:edit", args=[kind.key, record["id"]]), data)


@pytest.mark.parametrize("kind_key", sorted(EDITS))
def test_an_edit_reaches_the_psa_by_patch_and_the_mirror(
    kind_key, technician_client, record_of, psa, sandbox, django_capture_on_commit_callbacks
):
    kind, record = record_of(kind_key)
    path, typed, stored = EDITS[kind_key]
    detail = technician_client.get(reverse("records:detail", args=[kind_key, record["id"]]))
    assert reverse("records:edit", args=[kind_key, record["id"]]) in detail.content.decode()
    data = opened_form(technician_client, kind, record)
    before = sandbox.stats()

    response = save(
        technician_client, django_capture_on_commit_callbacks, kind, record, data | {path: typed}
    )

    assert response.status_code == 302
    change = PendingChange.objects.get()
    assert change.status == Status.APPLIED, change.error
    assert list(change.changes) == [path]  # only the changed field
    assert sandbox.stats()["action_runs"] == before["action_runs"]
    now = psa("GET", kind.record_path(record["id"]))
    assert now[path] == stored
    assert now["_info"]["lastUpdated"] > record["_info"]["lastUpdated"]
    mirrored = RecordDocument.objects.get(kind=kind_key, psa_id=record["id"]).data
    assert mirrored[path] == stored


def test_a_reference_field_uses_the_mirrored_members(
    technician_client, record_of, psa, django_capture_on_commit_callbacks
):
    kind, project = record_of("projects")
    data = opened_form(technician_client, kind, project)
    form = technician_client.get(reverse("records:edit", args=["projects", project["id"]]))
    choices = [value for value, _ in form.context["form"].fields["manager"].choices if value]
    other = next(value for value in choices if value != (project.get("manager") or {}).get("id"))

    save(technician_client, django_capture_on_commit_callbacks, kind, project,
         data | {"manager": str(other)})  # fmt: skip

    assert PendingChange.objects.get().status == Status.APPLIED
    assert psa("GET", kind.record_path(project["id"]))["manager"]["id"] == other


def test_the_psas_refusal_lands_on_the_field(
    technician_client, record_of, psa, django_capture_on_commit_callbacks
):
    kind, company = record_of("companies")
    too_long = "N" * 60  # the PSA allows 50 characters for a company name
    data = opened_form(technician_client, kind, company)

    save(technician_client, django_capture_on_commit_callbacks, kind, company,
         data | {"name": too_long})  # fmt: skip

    change = PendingChange.objects.get()
    assert change.status == Status.FAILED
    assert "at most 50" in change.field_errors["name"]
    assert psa("GET", kind.record_path(company["id"]))["name"] == company["name"]


def test_a_colleagues_edit_of_the_same_field_is_a_conflict(
    technician_client, record_of, psa, django_capture_on_commit_callbacks
):
    kind, contact = record_of("contacts")
    page = technician_client.get(reverse("records:edit", args=["contacts", contact["id"]]))
    assert f"{contact['firstName']} {contact['lastName']}" in page.content.decode()
    data = opened_form(technician_client, kind, contact)
    psa("PATCH", kind.record_path(contact["id"]),
        json=[{"op": "replace", "path": "title", "value": "Colleague's title"}])  # fmt: skip

    save(technician_client, django_capture_on_commit_callbacks, kind, contact,
         data | {"title": "Mine"})  # fmt: skip

    change = PendingChange.objects.get()
    assert change.status == Status.CONFLICT
    assert change.current == {"title": "Colleague's title"}
    assert psa("GET", kind.record_path(contact["id"]))["title"] == "Colleague's title"


def test_a_blank_required_field_is_refused_on_the_form(technician_client, record_of):
    kind, opportunity = record_of("opportunities")
    data = opened_form(technician_client, kind, opportunity) | {"expectedCloseDate": ""}
    url = reverse("records:edit", args=["opportunities", opportunity["id"]])
    response = technician_client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors["expectedCloseDate"] == ["This field is required."]
    assert not PendingChange.objects.exists()


def test_kinds_without_editable_fields_are_not_edited(technician_client, psa_connection, psa):
    entry = psa("GET", "/time/entries", query={"pageSize": 1})[0]
    mirror(psa_connection, "time_entries", [entry])
    url = reverse("records:edit", args=["time_entries", entry["id"]])
    assert technician_client.get(url).status_code == 404

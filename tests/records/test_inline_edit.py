"""Editing a ticket's status, priority and owner in its row of the list: the row becomes a
small form, saving stores a change in the outbox and swaps the row back showing the new
values pending; the row polls itself until the change is applied. Against the sandbox."""

import json
from html.parser import HTMLParser

import pytest
from django.db import connection as db_connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from psaportal.records.changes import services
from psaportal.records.models import BoardStatus, PendingChange, Priority
from tests.records.mirror_rows import mirror

pytestmark = pytest.mark.django_db
Status = PendingChange.Status
HTMX = {"HX-Request": "true"}
LIST = reverse("records:list", args=["tickets"])


@pytest.fixture
def psa(membrane_client, ready_connection):
    def call(method, path, **options):
        return membrane_client.proxy(ready_connection["id"], method, path, **options).json()

    return call


@pytest.fixture
def tickets(psa_connection, psa) -> list[dict]:
    """The PSA's first five tickets, with boards, their statuses, priorities and members."""
    boards = psa("GET", "/service/boards", query={"pageSize": 100})
    mirror(psa_connection, "boards", boards)
    for board in boards:
        mirror(psa_connection, "statuses", psa("GET", f"/service/boards/{board['id']}/statuses"))
    mirror(psa_connection, "priorities", psa("GET", "/service/priorities", query={"pageSize": 100}))
    mirror(psa_connection, "members", psa("GET", "/system/members", query={"pageSize": 100}))
    rows = psa("GET", "/service/tickets", query={"pageSize": 5, "orderBy": "id asc"})
    mirror(psa_connection, "tickets", rows)
    return rows


def edit_url(ticket) -> str:
    return reverse("records:ticket_row_edit", args=[ticket["id"]])


def row_url(ticket) -> str:
    return reverse("records:row", args=["tickets", ticket["id"]])


class RowForm(HTMLParser):
    """The fields of a drawn row form: each input's value, each select's chosen option and
    the options it offers."""

    def __init__(self, html: str):
        super().__init__()
        self.values: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}
        self._select = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.values[attrs["name"]] = attrs.get("value") or ""
        elif tag == "select":
            self._select = attrs["name"]
            self.values.setdefault(self._select, "")
            self.options[self._select] = []
        elif tag == "option" and self._select:
            self.options[self._select].append(attrs.get("value") or "")
            if "selected" in attrs:
                self.values[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def drawn_row(client, ticket) -> RowForm:
    response = client.get(edit_url(ticket), headers=HTMX)
    assert response.status_code == 200
    return RowForm(response.content.decode())


def opened_row(client, ticket) -> dict:
    """The row form's fields as drawn (hidden ones included), as the browser would post them."""
    values = drawn_row(client, ticket).values
    values.pop("csrfmiddlewaretoken", None)
    return values


def other_status(ticket) -> BoardStatus:
    """Another status of the ticket's own board."""
    return (
        BoardStatus.objects.filter(board_id=ticket["board"]["id"])
        .exclude(psa_id=ticket["status"]["id"])
        .order_by("psa_id")
        .first()
    )


def test_the_row_becomes_a_form_with_the_tickets_own_boards_statuses(technician_client, tickets):
    ticket = tickets[0]
    response = technician_client.get(edit_url(ticket), headers=HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith(f'<tr id="tickets-row-{ticket["id"]}"')
    for label in ("Status", "Priority", "Owner"):
        assert f'aria-label="{label} of #{ticket["id"]}"' in content
    assert 'name="csrfmiddlewaretoken"' in content
    offered = {int(value) for value in RowForm(content).options["status"] if value}
    board = set(
        BoardStatus.objects.filter(board_id=ticket["board"]["id"]).values_list("psa_id", flat=True)
    )
    assert offered == board and BoardStatus.objects.exclude(psa_id__in=board).exists()


def test_without_javascript_the_edit_link_opens_the_edit_page(technician_client, tickets):
    response = technician_client.get(edit_url(tickets[0]))
    assert response.status_code == 302
    assert response["Location"] == reverse("records:edit", args=["tickets", tickets[0]["id"]])


def test_saving_shows_the_new_status_pending_then_applied(
    technician_client, technician, tickets, psa, django_capture_on_commit_callbacks
):
    ticket = tickets[0]
    status = other_status(ticket)
    data = opened_row(technician_client, ticket) | {"status": str(status.psa_id)}

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = technician_client.post(edit_url(ticket), data, headers=HTMX)

    change = PendingChange.objects.get()
    assert (change.status, change.author) == (Status.PENDING, technician)
    assert change.changes == {"status": status.psa_id}
    assert change.seen == {"status": ticket["status"]["id"]}  # what the user saw
    row = response.content.decode()
    assert row.startswith(f'<tr id="tickets-row-{ticket["id"]}"')
    assert f'{status.name} <small class="badge badge-pending">pending</small>' in row
    assert f'hx-get="{row_url(ticket)}" hx-trigger="every' in row  # it polls while pending
    assert f"#change-{change.pk}" in row

    for callback in callbacks:
        callback()  # the task runs, as the worker would
    change.refresh_from_db()
    assert change.status == Status.APPLIED, change.error
    assert psa("GET", f"/service/tickets/{ticket['id']}")["status"]["id"] == status.psa_id

    polled = technician_client.get(row_url(ticket), headers=HTMX).content.decode()
    assert f"<td>{status.name}</td>" in polled
    assert "pending" not in polled and "every" not in polled  # applied: the polling ends


def test_a_conflict_is_marked_in_the_row_with_a_link_to_it(
    technician_client, tickets, psa, django_capture_on_commit_callbacks
):
    ticket = tickets[1]
    data = opened_row(technician_client, ticket)
    colleague, mine = (
        BoardStatus.objects.filter(board_id=ticket["board"]["id"])
        .exclude(psa_id=ticket["status"]["id"])
        .order_by("psa_id")[:2]
    )
    psa("PATCH", f"/service/tickets/{ticket['id']}",
        json=[{"op": "replace", "path": "status", "value": {"id": colleague.psa_id}}])  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        response = technician_client.post(
            edit_url(ticket), data | {"status": str(mine.psa_id)}, headers=HTMX
        )

    change = PendingChange.objects.get()
    assert change.status == Status.CONFLICT
    detail = reverse("records:detail", args=["tickets", ticket["id"]])
    row = technician_client.get(row_url(ticket), headers=HTMX).content.decode()
    assert f'href="{detail}#change-{change.pk}" class="badge badge-conflict"' in row
    assert "every" not in row  # nothing to wait for
    assert response.status_code == 200


def test_the_list_marks_rows_with_open_changes_in_one_query(
    technician_client, tickets, psa_connection
):
    def list_queries():
        with CaptureQueriesContext(db_connection) as queries:
            page = technician_client.get(LIST, headers=HTMX).content.decode()
        return page, len(queries)

    list_queries()  # the first reads the planner's guess at the table's size, then cached
    _, without_changes = list_queries()
    for index, ticket in enumerate(tickets[:3]):
        services.pending_change_create(
            connection=psa_connection,
            kind=services.registry.get_kind("tickets"),
            psa_id=ticket["id"],
            changes={"summary": f"Changed {index}"},
            seen={"summary": ticket["summary"]},
            idempotency_key=f"mark-{index}",
            user=None,
        )
    PendingChange.objects.filter(idempotency_key="mark-2").update(status=Status.FAILED)

    page, with_changes = list_queries()
    # The marks come from one query a page, made only once the kind has open changes.
    assert with_changes == without_changes + 1
    assert page.count('class="badge badge-pending"') == 2
    assert page.count('class="badge badge-failed"') == 1
    assert "every" not in page  # a page of rows does not poll; a row swapped in does
    row = technician_client.get(row_url(tickets[0]), headers=HTMX).content.decode()
    assert 'hx-trigger="every' in row and 'class="badge badge-pending"' in row


def test_an_unknown_status_is_refused_with_words_and_nothing_stored(technician_client, tickets):
    data = opened_row(technician_client, tickets[0]) | {"status": "99999"}
    response = technician_client.post(edit_url(tickets[0]), data, headers=HTMX)
    assert response.status_code == 400
    content = response.content.decode()
    assert "Select a valid choice. 99999 is not one of the available choices." in content
    assert 'class="row-editing"' in content  # the row stays a form, with the message
    assert not PendingChange.objects.exists()


@pytest.mark.parametrize(
    "bad", [{"priority": "not-a-number"}, {"owner": "-1"}, {"idempotency_key": ""}]
)
def test_bad_input_is_a_400_not_a_500(technician_client, tickets, bad):
    data = opened_row(technician_client, tickets[0]) | bad
    response = technician_client.post(edit_url(tickets[0]), data, headers=HTMX)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not PendingChange.objects.exists()


def test_an_unreadable_seen_is_compared_with_the_mirror(technician_client, tickets):
    data = opened_row(technician_client, tickets[0]) | {"seen": "{not json"}
    response = technician_client.post(edit_url(tickets[0]), data, headers=HTMX)
    assert response.status_code == 200  # the mirror's values were posted: nothing changed
    assert not PendingChange.objects.exists()


def test_without_htmx_the_row_address_opens_the_record(technician_client, tickets):
    response = technician_client.get(row_url(tickets[0]))
    assert response.status_code == 302
    assert response["Location"] == reverse("records:detail", args=["tickets", tickets[0]["id"]])


def test_an_unknown_ticket_is_a_404(technician_client, tickets):
    url = reverse("records:ticket_row_edit", args=[987654])
    assert technician_client.post(url, {}, headers=HTMX).status_code == 404


def test_nothing_changed_stores_nothing_and_gives_the_row_back(technician_client, tickets):
    response = technician_client.post(
        edit_url(tickets[0]), opened_row(technician_client, tickets[0]), headers=HTMX
    )
    assert response.status_code == 200
    assert response.content.decode().startswith(f'<tr id="tickets-row-{tickets[0]["id"]}"')
    assert not PendingChange.objects.exists()


def test_a_user_without_a_role_may_neither_open_nor_save_the_row(
    client, django_user_model, tickets
):
    client.force_login(django_user_model.objects.create_user("outsider", password="x" * 20))
    data = {"status": "1", "seen": json.dumps({"status": 2}), "idempotency_key": "k"}
    assert client.get(edit_url(tickets[0]), headers=HTMX).status_code == 403
    assert client.post(edit_url(tickets[0]), data, headers=HTMX).status_code == 403
    assert client.get(row_url(tickets[0]), headers=HTMX).status_code == 403
    assert not PendingChange.objects.exists()


def test_the_post_needs_the_csrf_token(technician, tickets):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(technician)
    data = {"status": str(other_status(tickets[0]).psa_id)}
    assert browser.post(edit_url(tickets[0]), data, headers=HTMX).status_code == 403
    assert not PendingChange.objects.exists()


def test_the_list_offers_the_inline_edit_to_editors(technician_client, tickets):
    page = technician_client.get(LIST).content.decode()
    assert f'hx-get="{edit_url(tickets[0])}"' in page
    assert f'aria-label="Edit #{tickets[0]["id"]} in the list"' in page


def test_a_priority_and_owner_change_is_sent_together(
    technician_client, tickets, psa, django_capture_on_commit_callbacks
):
    ticket = tickets[2]
    priority = Priority.objects.exclude(psa_id=ticket["priority"]["id"]).order_by("psa_id").first()
    owners = drawn_row(technician_client, ticket).options["owner"]
    owner = next(
        int(value)
        for value in owners
        if value and int(value) != (ticket.get("owner") or {}).get("id")
    )
    data = opened_row(technician_client, ticket) | {
        "priority": str(priority.psa_id),
        "owner": str(owner),
    }
    with django_capture_on_commit_callbacks(execute=True):
        technician_client.post(edit_url(ticket), data, headers=HTMX)

    assert PendingChange.objects.get().status == Status.APPLIED
    now = psa("GET", f"/service/tickets/{ticket['id']}")
    assert (now["priority"]["id"], now["owner"]["id"]) == (priority.psa_id, owner)
    row = technician_client.get(row_url(ticket), headers=HTMX).content.decode()
    assert f"<td>{priority.name}</td>" in row and f"<td>{now['owner']['identifier']}</td>" in row


def test_a_row_gone_from_the_mirror_says_so(technician_client, tickets):
    url = reverse("records:row", args=["tickets", 987654])
    response = technician_client.get(url, headers=HTMX)
    assert response.status_code == 200  # htmx swaps it in
    assert "This ticket is no longer in the mirror." in response.content.decode()

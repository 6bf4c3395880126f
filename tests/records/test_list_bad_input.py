"""Bad list URLs get a clear notice or a sensible clamp, never a server error."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from psaportal.records.list_state import SEARCH_MAX
from tests.records.mirror_rows import mirror_samples, ready_connection

pytestmark = pytest.mark.django_db

URL = reverse("records:list", args=["tickets"])


@pytest.fixture(autouse=True)
def tickets():
    cache.clear()
    mirror_samples(ready_connection(), "tickets", 30)
    yield
    cache.clear()


def notices(response) -> list[str]:
    assert response.status_code == 200
    return response.context["notices"]


def test_unknown_filter_value_is_ignored_with_a_message(technician_client):
    response = technician_client.get(URL, {"status": "Exploded", "board": "Network"})
    assert notices(response) == ["“Exploded” is not a known status; filter ignored."]
    assert response.context["state"].filters == {"board": "Network"}
    assert len(response.context["rows"]) == 10
    assert "is not a known status" in response.content.decode()


def test_unknown_open_closed_value(technician_client):
    response = technician_client.get(URL, {"open": "maybe"})
    assert notices(response) == ["“maybe” is not a known open/closed; filter ignored."]
    assert len(response.context["rows"]) == 30


@pytest.mark.parametrize("bad", ["2026-02-30", "yesterday", "2026/03/01", "9" * 300, "\x00"])
def test_bad_date_is_ignored_with_a_message(technician_client, bad):
    response = technician_client.get(URL, {"entered_from": bad, "entered_to": "2026-03-10"})
    [notice] = notices(response)
    assert "is not a date for Entered from; use YYYY-MM-DD" in notice
    assert response.context["state"].filters == {"entered_to": "2026-03-10"}


def test_dates_the_wrong_way_round_are_swapped(technician_client):
    response = technician_client.get(
        URL, {"entered_from": "2026-03-10", "entered_to": "2026-03-05"}
    )
    assert notices(response) == ["Entered: the dates were the wrong way round; swapped."]
    assert response.context["state"].filters == {
        "entered_from": "2026-03-05",
        "entered_to": "2026-03-10",
    }
    # Tickets 4..9 were entered from 5 to 10 March (one a day from 1 March + id).
    assert len(response.context["rows"]) == 6


def test_page_past_the_end_shows_the_last_page(technician_client):
    response = technician_client.get(URL, {"page": 9, "page_size": 25})
    assert notices(response) == ["There is no page 9; showing the last page, 2."]
    assert response.context["page"].number == 2
    assert len(response.context["rows"]) == 5
    assert response.context["state"].page == 2


def test_huge_page_number_is_clamped(technician_client):
    response = technician_client.get(URL, {"page": "9" * 40})
    assert response.context["page"].number == 1
    assert len(response.context["rows"]) == 30
    assert "showing the last page, 1" in notices(response)[0]


@pytest.mark.parametrize("bad", ["abc", "-3", "0", "1.5", " "])
def test_nonsense_page_number_shows_the_first_page(technician_client, bad):
    response = technician_client.get(URL, {"page": bad})
    assert response.context["page"].number == 1
    assert len(response.context["rows"]) == 30
    if bad.strip():
        assert notices(response) == ["That page number made no sense; showing the first page."]


@pytest.mark.parametrize("bad", ["7", "100000", "x", "-50"])
def test_odd_page_size_falls_back_to_the_default(technician_client, bad):
    response = technician_client.get(URL, {"page_size": bad})
    assert notices(response) == ["Rows per page can be 25, 50, 100; using 50."]
    assert response.context["state"].page_size == 50


def test_over_long_search_is_cut(technician_client):
    response = technician_client.get(URL, {"q": "printer " + "x" * 5000})
    assert notices(response) == ["The search was cut to its first 200 characters."]
    assert len(response.context["state"].q) <= SEARCH_MAX
    assert response.context["rows"] == []


def test_many_search_words_use_only_the_first_few(technician_client):
    words = " ".join(["printer", "offline"] + ["floor"] * 20)
    response = technician_client.get(URL, {"q": words})
    assert notices(response) == []
    assert len(response.context["rows"]) == 6


@pytest.mark.parametrize("term", ["100%_'\"; drop table x; --", "\x00printer\x01", "日本語"])
def test_odd_search_characters_are_just_text(technician_client, term):
    response = technician_client.get(URL, {"q": term})
    assert response.status_code == 200
    if "printer" in term:
        assert len(response.context["rows"]) == 6
        assert response.context["state"].q == "printer"
    else:
        assert response.context["rows"] == []


@pytest.mark.parametrize("term", ["%", "_", "\\", "🙂", "-- ;"])
def test_a_search_without_letters_or_digits_finds_everything_and_says_so(technician_client, term):
    everything = technician_client.get(URL)
    response = technician_client.get(URL, {"q": term})
    assert response.status_code == 200
    assert notices(response) == ["The search has no letters or digits, so it finds everything."]
    assert len(response.context["rows"]) == len(everything.context["rows"]) > 0


def test_over_long_text_filter_is_ignored(technician_client):
    response = technician_client.get(URL, {"company": "A" * 500})
    assert notices(response) == ["The Company filter was too long and was ignored."]
    assert len(response.context["rows"]) == 30


def test_unknown_sort_column_uses_the_default_order(technician_client):
    response = technician_client.get(URL, {"sort": "data__secret"})
    assert notices(response) == ["That column cannot be sorted on; the default order is used."]
    assert response.context["state"].sort == ""


def test_unknown_parameters_are_ignored(technician_client):
    response = technician_client.get(URL, {"colour": "blue", "page[]": "2"})
    assert notices(response) == []
    assert len(response.context["rows"]) == 30


def test_bad_input_in_an_htmx_request_shows_the_notice_in_the_rows(technician_client):
    response = technician_client.get(URL, {"page": 99}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert response.status_code == 200
    assert "There is no page 99; showing the last page, 1." in content
    assert response["HX-Push-Url"] == URL


def test_bad_export_input_still_exports(technician_client):
    response = technician_client.get(
        reverse("records:export", args=["tickets"]), {"entered_from": "nope", "sort": "zzz"}
    )
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 31


def test_detail_of_an_absurd_id_is_not_found(technician_client):
    url = reverse("records:detail", args=["tickets", 10**30])
    assert technician_client.get(url).status_code == 404

"""Reading report pages in tests: a table's cells as text, its CSV, its chart data."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser


class _TableText(HTMLParser):
    """The text of each row (header, body, totals) of the table with a given id."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id = table_id
        self.inside = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.links: list[list[str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
            self.links.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []
            self.links[-1].append("")
        elif self.inside and tag == "a" and self.cell is not None:
            self.links[-1][-1] = attrs.get("href", "")

    def handle_endtag(self, tag):
        if tag == "table" and self.inside:
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(response, key: str) -> list[list[str]]:
    """Header, body rows and the totals row of table `key`, as the page shows them."""
    parser = _TableText(f"table-{key}")
    parser.feed(response.content.decode())
    return parser.rows


def table_links(response, key: str) -> list[list[str]]:
    parser = _TableText(f"table-{key}")
    parser.feed(response.content.decode())
    return parser.links


def body(response, key: str) -> dict[str, list[str]]:
    """Body rows of table `key` by their first cell."""
    rows = table_rows(response, key)
    return {row[0]: row[1:] for row in rows[1:]}


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


def chart_data(response, key: str) -> dict:
    """The data the chart beside table `key` draws (its canvas's data-chart attribute)."""
    parser = _ChartData(key)
    parser.feed(response.content.decode())
    assert parser.data is not None, f"no chart for {key}"
    return json.loads(parser.data)


class _ChartData(HTMLParser):
    def __init__(self, key: str):
        super().__init__()
        self.key = key
        self.data = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "canvas" and attrs.get("data-chart-for") == self.key:
            self.data = attrs.get("data-chart")


def figures(response) -> dict[str, str]:
    """The key figures of a report page: label -> value text."""
    return {figure.label: figure.text for figure in response.context["report"].figures}

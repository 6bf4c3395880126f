"""What a report page shows: key figures, and tables each with an optional chart.

A chart is drawn from its table's own cells (labels from one column, one series per numeric
column), and the CSV export writes the same cells' text, so the chart, the table and the
CSV cannot disagree. Cells carry the drill-down link to the records behind their number.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

# A cell starting with one of these is a formula to a spreadsheet; quote it as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Cell:
    text: str
    value: float | None = None  # the number, for charts; None for labels
    url: str = ""  # the records list behind the number


@dataclass(frozen=True)
class Chart:
    """A bar chart of a table: `series` are column indexes, labels come from `label_column`."""

    series: tuple[int, ...]
    label_column: int = 0
    stacked: bool = False
    horizontal: bool = False
    description: str = ""  # one sentence for screen readers; the table is the full text

    def data(self, table: Table) -> dict:
        """What static/js/report-charts.js draws: labels, and per series its numbers and links."""
        return {
            "stacked": self.stacked,
            "horizontal": self.horizontal,
            "labels": [row[self.label_column].text for row in table.rows],
            "datasets": [
                {
                    "label": table.columns[index],
                    "data": [row[index].value or 0 for row in table.rows],
                    "links": [row[index].url for row in table.rows],
                }
                for index in self.series
            ],
        }


@dataclass
class Table:
    key: str  # URL slug of its CSV export and the id of its section
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    footer: list[Cell] | None = None  # totals
    chart: Chart | None = None
    note: str = ""
    empty: str = "Nothing in this period."

    @property
    def chart_data(self) -> dict | None:
        return self.chart.data(self) if self.chart and self.rows else None

    @property
    def chart_json(self) -> str:
        """The chart's data as JSON for the canvas's data-chart attribute ("" for no chart)."""
        data = self.chart_data
        return json.dumps(data, cls=DjangoJSONEncoder) if data else ""

    def rows_html(self) -> SafeString:
        """The table's ``<tr>`` rows (the first cell of each heads its row): written here,
        not by a template loop per cell, which was most of a report page's CPU."""
        return mark_safe("\n".join(_row_html(row) for row in self.rows))  # noqa: S308

    def footer_html(self) -> SafeString:
        return mark_safe(_row_html(self.footer)) if self.footer else SafeString()  # noqa: S308

    def csv_text(self) -> str:
        """The table as CSV: the header, the rows and the totals, as the page shows them."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.columns)
        for row in [*self.rows, *([self.footer] if self.footer else [])]:
            writer.writerow([_csv_text(cell.text) for cell in row])
        return out.getvalue()


@dataclass(frozen=True)
class Figure:
    """A key figure: a label, its value as shown, the number, and where it drills down to."""

    label: str
    text: str
    value: float | None = None
    url: str = ""
    hint: str = ""


@dataclass
class Report:
    slug: str
    title: str
    figures: list[Figure]
    tables: list[Table]

    def table(self, key: str) -> Table | None:
        return next((table for table in self.tables if table.key == key), None)


def _row_html(row: list[Cell]) -> str:
    """A row's cells, each escaped: a link to the records behind it when it has one, and a
    number's cell marked as such."""
    cells = []
    for position, cell in enumerate(row):
        text = conditional_escape(cell.text)
        if cell.url:
            text = f'<a href="{conditional_escape(cell.url)}">{text}</a>'
        if position == 0:
            cells.append(f'<th scope="row">{text}</th>')
        else:
            number = "" if cell.value is None else ' class="number"'
            cells.append(f"<td{number}>{text}</td>")
    return f"<tr>{''.join(cells)}</tr>"


def _csv_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# -- cells ------------------------------------------------------------------------


def hours(value: float | None) -> str:
    return f"{value or 0:.2f}"


def money(value: Decimal | float | None) -> str:
    return f"{Decimal(value or 0):.2f}"


def percent(part: float | Decimal | None, whole: float | Decimal | None) -> float | None:
    """part / whole as a percentage, or None when there is no whole."""
    if not whole:
        return None
    return float(part or 0) * 100 / float(whole)


def percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def label(text: str, url: str = "") -> Cell:
    return Cell(text, None, url)


def number_cell(value, text: str, url: str = "") -> Cell:
    """A numeric cell; zero links nowhere (there is nothing behind it)."""
    number = float(value or 0)
    return Cell(text, number, url if number else "")


def count_cell(value: int | None, url: str = "") -> Cell:
    return number_cell(value or 0, str(value or 0), url)


def hours_cell(value: float | None, url: str = "") -> Cell:
    return number_cell(round(value or 0, 2), hours(value), url)


def money_cell(value, url: str = "") -> Cell:
    return number_cell(Decimal(value or 0), money(value), url)


def percent_cell(value: float | None) -> Cell:
    return Cell(percent_text(value), None if value is None else round(value, 1))


def list_url(kind: str, **params) -> str:
    """The portal's list of `kind` records, with these list filters (blanks left out)."""
    query = urlencode({name: value for name, value in params.items() if value not in ("", None)})
    url = reverse("records:list", args=[kind])
    return f"{url}?{query}" if query else url

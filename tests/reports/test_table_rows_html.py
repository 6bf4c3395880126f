"""A report table's rows are written in Python (Table.rows_html): what each cell shows, its
link to the records behind it, and the text escaped."""

from psaportal.reports.tables import Cell, Table

HOSTILE = '<script>alert("x")</script>'


def test_rows_head_with_their_first_cell_and_mark_numbers_and_links():
    table = Table(
        key="owners",
        title="Owners",
        columns=["Owner", "Open"],
        rows=[[Cell(HOSTILE), Cell("3", 3.0, "/records/tickets/?owner=a&open=open")]],
        footer=[Cell("Total"), Cell("3", 3.0)],
    )
    assert table.rows_html() == (
        '<tr><th scope="row">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</th>'
        '<td class="number"><a href="/records/tickets/?owner=a&amp;open=open">3</a></td></tr>'
    )
    assert table.footer_html() == '<tr><th scope="row">Total</th><td class="number">3</td></tr>'
    assert Table(key="none", title="None", columns=["A"]).footer_html() == ""

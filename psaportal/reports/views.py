"""Manager reports: the dashboard, each report page (whole page, or its body for HTMX), and
the CSV export of any one of a report's tables. Managers and admins only."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from psaportal.accounts import roles
from psaportal.connections.decorators import require_connection
from psaportal.htmx import partial_wanted
from psaportal.reports import catalog
from psaportal.reports.forms import ReportFilterForm
from psaportal.reports.selectors.dashboard import dashboard_figures


def _report_or_404(slug: str) -> catalog.ReportPage:
    page = catalog.REPORTS.get(slug)
    if page is None:
        raise Http404("No such report.")
    return page


def _report_links() -> list[tuple[str, str]]:
    return [(slug, page.title) for slug, page in catalog.REPORTS.items()]


@require_GET
@permission_required(roles.VIEW_REPORTS, raise_exception=True)
@require_connection
@vary_on_headers("HX-Request")
def dashboard(request, connection):
    form = ReportFilterForm(request.GET, filters=())
    period = form.period(today=timezone.localdate())
    dashboard = dashboard_figures(connection=connection, period=period)
    context = {
        "form": form,
        "period": period,
        "figures": dashboard.figures,
        "as_of": dashboard.as_of,
        "query": form.query(),
        "page_url": reverse("reports:dashboard"),
        "report_links": _report_links(),
    }
    if partial_wanted(request):
        response = render(request, "reports/dashboard.html#report-body", context)
        response["HX-Push-Url"] = f"{context['page_url']}?{context['query']}".rstrip("?")
        return response
    return render(request, "reports/dashboard.html", context)


@require_GET
@permission_required(roles.VIEW_REPORTS, raise_exception=True)
@require_connection
@vary_on_headers("HX-Request")
def report(request, slug: str, connection):
    page = _report_or_404(slug)
    form = ReportFilterForm(request.GET, filters=page.filters)
    period = form.period(today=timezone.localdate())
    built = page.built(connection=connection, period=period, filters=form.filters())
    context = {
        "form": form,
        "period": period,
        "report": built.value,
        "as_of": built.as_of,
        "page": page,
        "query": form.query(),
        "page_url": reverse("reports:report", args=[slug]),
        "suggestions": catalog.filter_suggestions(connection=connection, names=page.filters),
        "report_links": _report_links(),
    }
    if partial_wanted(request):
        response = render(request, "reports/report.html#report-body", context)
        response["HX-Push-Url"] = f"{context['page_url']}?{context['query']}".rstrip("?")
        return response
    return render(request, "reports/report.html", context)


@require_GET
@permission_required(roles.VIEW_REPORTS, raise_exception=True)
@require_connection
def report_export(request, slug: str, table: str, connection):
    """One table of a report, as CSV: the same cells the page shows."""
    page = _report_or_404(slug)
    form = ReportFilterForm(request.GET, filters=page.filters)
    period = form.period(today=timezone.localdate())
    built = page.built(connection=connection, period=period, filters=form.filters())
    wanted = built.value.table(table)
    if wanted is None:
        raise Http404("No such table in this report.")
    response = HttpResponse(wanted.csv_text(), content_type="text/csv; charset=utf-8")
    filename = f"{slug}-{table}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

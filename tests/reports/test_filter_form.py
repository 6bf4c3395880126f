"""The period presets and the filter form."""

import datetime

import pytest
from django.urls import reverse

from psaportal.reports import periods
from psaportal.reports.forms import ReportFilterForm

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 3, 18)  # a Wednesday


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        (periods.THIS_WEEK, D(2026, 3, 16), TODAY),
        (periods.LAST_WEEK, D(2026, 3, 9), D(2026, 3, 15)),
        (periods.THIS_MONTH, D(2026, 3, 1), TODAY),
        (periods.LAST_MONTH, D(2026, 2, 1), D(2026, 2, 28)),
        (periods.LAST_90_DAYS, D(2025, 12, 19), TODAY),
    ],
)
def test_each_preset_names_its_days(preset, start, end):
    assert periods.period_for(preset, today=TODAY) == periods.Period(start, end)


def test_last_month_in_january_is_december():
    assert periods.period_for(periods.LAST_MONTH, today=D(2026, 1, 1)) == periods.Period(
        D(2025, 12, 1), D(2025, 12, 31)
    )


def test_weeks_run_monday_to_sunday_cut_to_the_period():
    weeks = periods.Period(D(2026, 3, 4), D(2026, 3, 17)).weeks()
    assert [(w.monday, w.start, w.end) for w in weeks] == [
        (D(2026, 3, 2), D(2026, 3, 4), D(2026, 3, 8)),
        (D(2026, 3, 9), D(2026, 3, 9), D(2026, 3, 15)),
        (D(2026, 3, 16), D(2026, 3, 16), D(2026, 3, 17)),
    ]


def test_working_days_and_the_previous_period():
    period = periods.Period(D(2026, 3, 4), D(2026, 3, 17))  # Wed to Tue, two weeks
    assert period.working_days() == 10
    assert periods.Period(D(2026, 3, 7), D(2026, 3, 8)).working_days() == 0
    assert period.previous() == periods.Period(D(2026, 2, 18), D(2026, 3, 3))


def test_a_custom_period_needs_both_dates_in_order():
    form = ReportFilterForm({"range": "custom", "start": "2026-03-10"})
    assert not form.is_valid()
    form = ReportFilterForm({"range": "custom", "start": "2026-03-10", "end": "2026-03-01"})
    assert "The period ends before it starts." in form.non_field_errors()
    # An invalid form falls back to the default preset.
    assert form.period(today=TODAY) == periods.period_for(periods.DEFAULT_PRESET, today=TODAY)


def test_a_custom_period_is_at_most_two_years():
    form = ReportFilterForm({"range": "custom", "start": "2020-01-01", "end": "2026-01-01"})
    assert not form.is_valid()


def test_the_form_keeps_only_the_filters_a_report_takes():
    form = ReportFilterForm(
        {"range": "last_week", "board": "Network", "member": "bob"}, filters=("member",)
    )
    assert form.is_valid()
    assert form.query() == "range=last_week&member=bob"
    assert form.filters().member == "bob"


def test_a_bad_period_shows_its_error_and_the_default_range(manager_client, connection):
    response = manager_client.get(
        reverse("reports:report", args=["time"]), {"range": "custom", "start": "2026-03-10"}
    )
    assert response.status_code == 200
    assert b"A custom period needs both dates." in response.content
    assert response.context["period"].days == 90

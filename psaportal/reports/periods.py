"""Report periods: a range of whole days in the portal's time zone, its presets, its weeks.

Framework-free apart from the time zone: a period is two inclusive dates; the datetimes it
covers run from the first day's midnight to the midnight after the last day (half-open),
so a ticket closed at 23:59:59 on the last day counts and one at 00:00 the day after does not.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

THIS_WEEK = "this_week"
LAST_WEEK = "last_week"
THIS_MONTH = "this_month"
LAST_MONTH = "last_month"
LAST_90_DAYS = "last_90_days"
CUSTOM = "custom"
PRESETS = {
    THIS_WEEK: "This week",
    LAST_WEEK: "Last week",
    THIS_MONTH: "This month",
    LAST_MONTH: "Last month",
    LAST_90_DAYS: "Last 90 days",
    CUSTOM: "Custom",
}
DEFAULT_PRESET = LAST_90_DAYS
MAX_DAYS = 731  # two years: the longest custom range a report answers


@dataclass(frozen=True)
class Week:
    """One Monday-to-Sunday week, clipped to the period it belongs to."""

    monday: datetime.date
    start: datetime.date
    end: datetime.date

    @property
    def label(self) -> str:
        return f"{self.monday:%Y-%m-%d}"


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        end = self.start - datetime.timedelta(days=1)
        return Period(end - datetime.timedelta(days=self.days - 1), end)

    @property
    def start_moment(self) -> datetime.datetime:
        return start_of_day(self.start)

    @property
    def end_moment(self) -> datetime.datetime:
        """The first moment after the period (exclusive bound)."""
        return start_of_day(self.end + datetime.timedelta(days=1))

    def dates(self) -> list[datetime.date]:
        return [self.start + datetime.timedelta(days=n) for n in range(self.days)]

    def weeks(self) -> list[Week]:
        monday = self.start - datetime.timedelta(days=self.start.weekday())
        weeks = []
        while monday <= self.end:
            sunday = monday + datetime.timedelta(days=6)
            weeks.append(Week(monday, max(monday, self.start), min(sunday, self.end)))
            monday += datetime.timedelta(days=7)
        return weeks

    def working_days(self) -> int:
        """Monday-to-Friday days in the period (no public holidays)."""
        full_weeks, extra = divmod(self.days, 7)
        first = self.start.weekday()
        return full_weeks * 5 + sum(1 for n in range(extra) if (first + n) % 7 < 5)


def start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in the portal's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def period_for(preset: str, *, today: datetime.date) -> Period:
    """The period a preset names, as of `today` ("this" periods run to today)."""
    monday = today - datetime.timedelta(days=today.weekday())
    if preset == THIS_WEEK:
        return Period(monday, today)
    if preset == LAST_WEEK:
        return Period(monday - datetime.timedelta(days=7), monday - datetime.timedelta(days=1))
    if preset == THIS_MONTH:
        return Period(today.replace(day=1), today)
    if preset == LAST_MONTH:
        last_day = today.replace(day=1) - datetime.timedelta(days=1)
        return Period(last_day.replace(day=1), last_day)
    if preset == LAST_90_DAYS:
        return Period(today - datetime.timedelta(days=89), today)
    raise ValueError(f"Unknown preset: {preset}")


def month_end(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)

"""China's official working days, adjusted weekends (调休) included.

A day is a working day when it is Monday to Friday, unless a WorkCalendarDay row says
otherwise (a holiday on a weekday, or a working Saturday or Sunday). Rows are seeded from
the chinese-calendar package for the years it knows and kept by the office in the admin for
later years. `add_working_days` is the one way deadlines are computed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from issues.models import WorkCalendarDay


@dataclass(frozen=True)
class WorkCalendar:
    """The exceptions between two dates, loaded once, for computing many deadlines."""

    start: dt.date
    end: dt.date
    overrides: dict[dt.date, bool]

    @classmethod
    def load(cls, start: dt.date, end: dt.date) -> WorkCalendar:
        rows = WorkCalendarDay.objects.filter(date__range=(start, end)).values_list(
            "date", "is_workday"
        )
        return cls(start=start, end=end, overrides=dict(rows))

    @classmethod
    def everything(cls) -> WorkCalendar:
        """Every exception there is (a few dozen rows a year), for computing thousands of deadlines."""
        return cls(start=dt.date(1900, 1, 1), end=dt.date(2199, 12, 31),
                   overrides=dict(WorkCalendarDay.objects.values_list("date", "is_workday")))

    def is_workday(self, day: dt.date) -> bool:
        if not self.start <= day <= self.end:
            raise ValueError(f"{day} is outside the loaded calendar {self.start}..{self.end}")
        if day in self.overrides:
            return self.overrides[day]
        return day.weekday() < 5

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after `day` (n >= 1), or `day` itself for n == 0."""
        if n < 0:
            raise ValueError("n must not be negative")
        current, left = day, n
        while left:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                left -= 1
        return current

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end`; negative when end < start."""
        if end < start:
            return -self.working_days_between(end, start)
        count, current = 0, start
        while current < end:
            current += dt.timedelta(days=1)
            count += self.is_workday(current)
        return count


def _span_for(n: int) -> dt.timedelta:
    # The longest run of days off in China is 9 days (Spring Festival with weekends);
    # n working days never need more than 2n + 14 calendar days.
    return dt.timedelta(days=2 * n + 14)


def add_working_days(day: dt.date, n: int) -> dt.date:
    """The n-th working day after `day`: 5 working days after 2026-09-29 is 2026-10-12."""
    return WorkCalendar.load(day, day + _span_for(n)).add_working_days(day, n)


def is_workday(day: dt.date) -> bool:
    return WorkCalendar.load(day, day).is_workday(day)


def working_days_between(start: dt.date, end: dt.date) -> int:
    low, high = min(start, end), max(start, end)
    return WorkCalendar.load(low, high).working_days_between(start, end)


def office_hours() -> list[tuple[dt.time, dt.time]]:
    """The office's working hours on a working day, from settings.OFFICE_HOURS ("08:30-12:00,14:00-17:30")."""
    from django.conf import settings

    spans = []
    for part in settings.OFFICE_HOURS.split(","):
        start, end = (dt.time.fromisoformat(t.strip()) for t in part.split("-"))
        if end <= start:
            raise ValueError(f"OFFICE_HOURS: {part!r} ends before it starts")
        spans.append((start, end))
    return sorted(spans)


def add_working_hours(start: dt.datetime, hours: float, calendar: WorkCalendar | None = None) -> dt.datetime:
    """The moment when `hours` office hours on working days have passed since `start` (an aware
    datetime; the result is in the current time zone). A notice sent on Friday at 16:30 with four
    working hours to answer is due on Monday at 11:30 (office hours 08:30-12:00 and 14:00-17:30),
    or on the adjusted working Sunday before it. Pass a loaded `calendar` to compute many at once."""
    from django.utils import timezone

    spans = office_hours()
    tz = timezone.get_current_timezone()
    moment = timezone.localtime(start, tz)
    left = dt.timedelta(hours=hours)
    day = moment.date()
    if calendar is None or not calendar.start <= day <= calendar.end:
        calendar = WorkCalendar.load(day, day + _span_for(int(hours // 1) + 1))
    while True:
        if calendar.is_workday(day):
            for begin, end in spans:
                span_start = dt.datetime.combine(day, begin, tz)
                span_end = dt.datetime.combine(day, end, tz)
                if span_end <= moment:
                    continue
                open_from = max(span_start, moment)
                if open_from + left <= span_end:
                    return open_from + left
                left -= span_end - open_from
        day += dt.timedelta(days=1)
        if day > calendar.end:
            calendar = WorkCalendar.load(day, day + dt.timedelta(days=60))


def package_exceptions() -> list[tuple[dt.date, bool, str]]:
    """Every exception to the weekday rule that the chinese-calendar package knows."""
    import chinese_calendar

    rows: list[tuple[dt.date, bool, str]] = []
    for day, holiday in chinese_calendar.holidays.items():
        if day.weekday() < 5:
            rows.append((day, False, _holiday_name(holiday)))
    for day, holiday in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            rows.append((day, True, f"{_holiday_name(holiday)}调休上班"))
    return sorted(rows)


_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def _holiday_name(holiday) -> str:
    value = getattr(holiday, "value", holiday)
    if isinstance(value, tuple):
        value = value[0]
    return _NAMES.get(str(value), str(value))


def seed_from_package() -> int:
    """Insert the package's exceptions that are not in the table yet; returns how many."""
    existing = set(WorkCalendarDay.objects.values_list("date", flat=True))
    new = [
        WorkCalendarDay(
            date=day, is_workday=work, name=name, source=WorkCalendarDay.Source.PACKAGE
        )
        for day, work, name in package_exceptions()
        if day not in existing
    ]
    WorkCalendarDay.objects.bulk_create(new)
    return len(new)

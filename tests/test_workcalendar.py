import datetime as dt

import pytest

from issues.core.workcalendar import WorkCalendar, add_working_days, is_workday, working_days_between
from issues.models import WorkCalendarDay

D = dt.date
pytestmark = pytest.mark.django_db


def test_five_working_days_over_national_day_2026():
    # 10-01..10-07 off, Saturday 10-10 is a working day: 9-30, 10-08, 10-09, 10-10, 10-12.
    assert add_working_days(D(2026, 9, 29), 5) == D(2026, 10, 12)


def test_adjusted_working_weekends_are_working_days():
    assert is_workday(D(2026, 10, 10))  # Saturday
    assert is_workday(D(2026, 9, 20))  # Sunday
    assert is_workday(D(2026, 2, 14))  # Saturday before Spring Festival


def test_holidays_on_weekdays_are_not_working_days():
    assert not is_workday(D(2026, 10, 1))
    assert not is_workday(D(2026, 2, 17))  # Spring Festival
    assert not is_workday(D(2026, 1, 2))  # New Year holiday on a Friday


def test_plain_weekends_and_weekdays():
    assert not is_workday(D(2026, 11, 28))  # Saturday
    assert is_workday(D(2026, 11, 27))  # Friday


def test_spring_festival_deadline_skips_the_whole_holiday():
    # Friday 2026-02-13, then Saturday 02-14 works; 02-15..02-23 off; 02-24 onwards work.
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)


def test_zero_working_days_is_the_same_day_and_negative_is_refused():
    assert add_working_days(D(2026, 10, 3), 0) == D(2026, 10, 3)
    with pytest.raises(ValueError):
        add_working_days(D(2026, 10, 3), -1)


def test_a_later_year_kept_by_the_office_in_the_admin():
    # 2027 is beyond the package: a holiday on Friday and a working Sunday entered by hand.
    assert add_working_days(D(2027, 4, 1), 1) == D(2027, 4, 2)
    WorkCalendarDay.objects.create(date=D(2027, 4, 2), is_workday=False, name="清明节")
    WorkCalendarDay.objects.create(date=D(2027, 4, 4), is_workday=True, name="清明节调休上班")
    assert add_working_days(D(2027, 4, 1), 1) == D(2027, 4, 4)


def test_working_days_between_counts_both_directions():
    assert working_days_between(D(2026, 9, 29), D(2026, 10, 12)) == 5
    assert working_days_between(D(2026, 10, 12), D(2026, 9, 29)) == -5
    assert working_days_between(D(2026, 11, 27), D(2026, 11, 27)) == 0


def test_a_loaded_calendar_refuses_dates_outside_its_range():
    cal = WorkCalendar.load(D(2026, 11, 1), D(2026, 11, 30))
    with pytest.raises(ValueError):
        cal.is_workday(D(2026, 12, 1))


def test_the_package_years_are_seeded_by_migration():
    assert WorkCalendarDay.objects.filter(date=D(2026, 10, 10), is_workday=True, source="package").exists()
    assert WorkCalendarDay.objects.filter(date__year=2004).exists()

"""The benchmark compares the nightly job with a floor that writes the same ledger in a dozen SQL
statements; the comparison only means something if the two leave the same ledger."""

import datetime as dt
import zoneinfo

from django.db import transaction

from issues.benchmark_nightly import lower_bound
from issues.models import AuditEvent, Finding, Notice, Policy, Submission, UnitMonth
from issues.services import findings as svc
from issues.services.aggregates import UNIT_FIELDS
from issues.services.escalation import process_day
from issues.workcalendar import add_working_days

D = dt.date
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def ledger_after(run) -> list:
    with transaction.atomic():
        run()
        state = [
            sorted(Finding.objects.values_list("pk", "miss_count", "deadline", "current_notice__seq", "status")),
            sorted(Notice.objects.values_list("finding_id", "seq", "unit_id", "issued_on", "deadline", "outcome",
                                              "outcome_on", "miss_kind")),
            sorted(Submission.objects.values_list("pk", "notice__seq", "decision")),
            sorted(AuditEvent.objects.filter(action__in=["miss", "notice_issued"]).values_list("finding_id", "action")),
            sorted(UnitMonth.objects.values_list("unit_id", "month", *UNIT_FIELDS)),
        ]
        transaction.set_rollback(True)
    return state


def test_the_floor_writes_the_ledger_the_nightly_job_writes(city):
    day = D(2026, 11, 9)
    for i in range(6):
        city.assigned(description=f"到期{i}", deadline=day)
    city.assigned(description="明天才到期", deadline=D(2026, 11, 10))
    # a fix sent on time is not a miss; one sent late is a miss and moves to the next notice
    _on_time, notice = city.assigned(description="按期提交", deadline=day)
    svc.submit_fix(actor=city.office, notice_id=notice.pk, note="已整改",
                   submitted_at=dt.datetime(2026, 11, 8, 10, tzinfo=SH))
    _late, notice = city.assigned(description="逾期提交", deadline=day)
    svc.submit_fix(actor=city.office, notice_id=notice.pk, note="已整改",
                   submitted_at=dt.datetime(2026, 11, 10, 10, tzinfo=SH))
    next_deadline = add_working_days(day, Policy.current().next_notice_days)

    by_job = ledger_after(lambda: process_day(day))
    by_floor = ledger_after(lambda: lower_bound(day, next_deadline))
    # audit rows: the job writes them for every step of the day; the two the floor writes must be among them
    assert by_job[:3] == by_floor[:3]
    assert set(by_floor[3]) <= set(by_job[3])
    # the monthly figures: November's misses and overdue notices, the next notices due (in November too)
    assert by_job[4] == by_floor[4]
    assert sum(row[2 + UNIT_FIELDS.index("misses")] for row in by_floor[4]) == 7
    assert sum(1 for row in by_floor[1] if row[5] == "missed") == 7
    assert sorted(seq for _pk, seq, _decision in by_floor[2]) == [1, 2]  # the late fix now on notice 2

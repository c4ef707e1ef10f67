"""The nightly job records a day's misses in batches: the ledger and the messages it leaves are the
ones the per-notice services leave, and its statements grow with batches, not with notices."""

import datetime as dt
import zoneinfo

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from issues.escalation.services import process_day
from issues.findings import services as svc
from issues.models import (
    AuditEvent,
    Finding,
    MissKind,
    Notice,
    Notification,
    NotificationKind,
    OutboundMessage,
    Submission,
    Unit,
    UnitMonth,
)
from issues.notifications import messages as notify
from issues.rankings import aggregates

D = dt.date
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = D(2026, 11, 9)


def ledger_after(run) -> list:
    """Everything a miss writes. Notices are named by (finding, seq), not by id: both runs start from
    the same rolled-back state, but PostgreSQL's sequences do not roll back."""
    with transaction.atomic():
        run()
        key = {pk: (finding_id, seq) for pk, finding_id, seq in Notice.objects.values_list("pk", "finding_id", "seq")}
        state = [
            [(pk, status, misses, key.get(current), deadline) for pk, status, misses, current, deadline in
             Finding.objects.order_by("pk").values_list("pk", "status", "miss_count", "current_notice_id",
                                                          "deadline")],
            list(Notice.objects.order_by("finding_id", "seq").values_list(
                "finding_id", "seq", "unit_id", "issued_on", "deadline", "requirement", "outcome", "outcome_on",
                "miss_kind", "issued_by_id")),
            [(pk, key[notice], decision) for pk, notice, decision in
             Submission.objects.order_by("pk").values_list("pk", "notice_id", "decision")],
            [row[:-1] + ({**row[-1], "notice": key.get(row[-1].get("notice"))} if "notice" in row[-1] else row[-1],)
             for row in AuditEvent.objects.order_by("pk").values_list(
                 "actor_id", "action", "object_type", "object_id", "finding_id", "from_state", "to_state", "message",
                 "data")],
        ]
        transaction.set_rollback(True)
    return state


def a_day_of_misses(city) -> list[Notice]:
    """Plain first misses, a fix sent late (carried to the next notice), a second miss, and notices
    that are not misses (a fix sent on time, due tomorrow)."""
    due = [city.assigned(description=f"到期{i}", deadline=DAY)[1] for i in range(3)]
    _late, notice = city.assigned(description="逾期提交", deadline=DAY)
    svc.submit_fix(actor=city.office, notice_id=notice.pk, note="已整改",
                   submitted_at=dt.datetime(2026, 11, 10, 9, tzinfo=SH))
    due.append(notice)
    again, first = city.assigned(description="第二次", issued_on=D(2026, 10, 26), deadline=D(2026, 10, 30))
    svc.record_miss(notice_id=first.pk, missed_on=D(2026, 10, 30), kind=MissKind.DEADLINE)
    again.refresh_from_db()
    Notice.objects.filter(pk=again.current_notice_id).update(deadline=DAY)
    Finding.objects.filter(pk=again.pk).update(deadline=DAY)
    due.append(Notice.objects.get(pk=again.current_notice_id))
    _on_time, notice = city.assigned(description="按期提交", deadline=DAY)
    svc.submit_fix(actor=city.office, notice_id=notice.pk, note="已整改",
                   submitted_at=dt.datetime(2026, 11, 8, 10, tzinfo=SH))
    city.assigned(description="明天才到期", deadline=D(2026, 11, 10))
    return due


def test_a_batch_of_misses_leaves_the_ledger_one_miss_at_a_time_leaves(city):
    due = a_day_of_misses(city)

    def one_by_one():
        for notice in due:
            svc.record_miss(notice_id=notice.pk, missed_on=notice.deadline, kind=MissKind.DEADLINE)

    by_one = ledger_after(one_by_one)
    by_batch = ledger_after(lambda: svc.record_deadline_misses([n.pk for n in due]))
    assert by_batch == by_one
    findings, notices, submissions, audit = by_batch
    assert sum(1 for n in notices if n[6] == "missed") == 6  # five today, one in October
    assert [f[2] for f in findings if f[0] == due[-1].finding_id] == [2]
    late = Submission.objects.get(notice=due[3])
    late_finding = next(f for f in findings if f[0] == due[3].finding_id)
    assert late_finding[1] == "submitted"  # still waiting for review, now on the next notice
    assert [s[1] for s in submissions if s[0] == late.pk] == [late_finding[3]]
    assert [a[7] for a in audit if a[4] == due[0].finding_id and a[1] in ("miss", "notice_issued")][-2:] == [
        "第1次整改通知未按期整改（逾期未整改），记于 2026-11-09，累计 1 次",
        "第2次整改通知：东门社区，时限 2026-11-12",
    ]


def test_a_batch_run_twice_or_with_notices_already_missed_records_each_miss_once(city):
    due = a_day_of_misses(city)
    svc.record_miss(notice_id=due[0].pk, missed_on=DAY, kind=MissKind.DEADLINE)  # staff were quicker
    misses = svc.record_deadline_misses([n.pk for n in due])
    assert sorted(m.notice_id for m in misses) == sorted(n.pk for n in due[1:])
    assert svc.record_deadline_misses([n.pk for n in due]) == []
    assert Notice.objects.filter(outcome="missed", outcome_on=DAY).count() == 5
    assert all(f.miss_count == (2 if f.pk == due[-1].finding_id else 1)
               for f in Finding.objects.filter(pk__in=[n.finding_id for n in due]))


def test_a_batch_of_misses_adds_to_the_monthly_figures_what_a_recount_finds(city):
    """The batch adds its misses to the monthly figures instead of recounting them: a miss and an
    overdue notice in the deadline's month, a notice due in the next deadline's month (here December's,
    for the notices due on the last day of November), for units with and without figures already."""
    due = a_day_of_misses(city)
    month_end = [city.assigned(description=f"月底到期{i}", unit=unit, issued_on=D(2026, 11, 20), deadline=D(2026, 11, 30))[1]
                 for i, unit in enumerate((city.dongmen_sq, city.xihu_sq, city.chengguan))]
    assert aggregates.differences() == []
    before = dict(UnitMonth.objects.filter(unit=city.dongmen_sq).values_list("month", "misses"))
    svc.record_deadline_misses([n.pk for n in due])
    svc.record_deadline_misses([n.pk for n in month_end])
    assert aggregates.differences() == []
    after = dict(UnitMonth.objects.filter(unit=city.dongmen_sq).values_list("month", "misses"))
    assert after[D(2026, 11, 1)] == before[D(2026, 11, 1)] + 6  # five on the 9th, one on the 30th
    assert UnitMonth.objects.get(unit=city.chengguan, month=D(2026, 12, 1)).due == 1


def test_the_nightly_job_asks_as_often_for_forty_misses_as_for_four(city):
    def statements(count: int) -> tuple[int, int]:
        with transaction.atomic():
            for i in range(count):
                city.assigned(description=f"到期{i}", deadline=DAY)
            with CaptureQueriesContext(connection) as queries:
                report = process_day(DAY)
            transaction.set_rollback(True)
        return len(report.misses), len(queries)

    few, many = statements(4), statements(40)
    assert few[0] == 4 and many[0] == 40
    assert many[1] == few[1]


def test_telling_many_units_at_once_sends_what_telling_them_one_by_one_sends(city):
    city.dongmen_liaison.email = "dongmen@example.org"
    city.dongmen_liaison.save()
    Unit.objects.filter(pk=city.dongmen_sq.pk).update(wecom_webhook="http://127.0.0.1:9/wecom")
    Unit.objects.filter(pk=city.chengguan.pk).update(dingtalk_webhook="http://127.0.0.1:9/dingtalk")
    units = [Unit.objects.get(pk=city.dongmen_sq.pk), Unit.objects.get(pk=city.chengguan.pk), city.xihu_sq]
    events = [notify.Event(unit=unit, kind=NotificationKind.MISS, key=f"miss:{i}", title=f"标题{i}", body=f"内容{i}",
                           path=f"/findings/{i}/") for i, unit in enumerate(units * 2)]
    Notification.objects.create(recipient=city.dongmen_liaison, kind=NotificationKind.MISS, key="miss:0",
                                title="早已告知", body="", url="/")  # told before: nothing again

    def sent(run):
        with transaction.atomic():
            queued = run()
            state = (queued,
                     sorted(Notification.objects.values_list("recipient_id", "kind", "key", "title", "body", "url")),
                     sorted(OutboundMessage.objects.values_list("channel", "target", "key", "subject", "payload")))
            transaction.set_rollback(True)
        return state

    one_by_one = sent(lambda: sum(notify.notify_unit(unit=e.unit, kind=e.kind, key=e.key, title=e.title, body=e.body,
                                                     path=e.path) for e in events))
    at_once = sent(lambda: notify.notify_units(events))
    assert at_once == one_by_one
    assert at_once[0] == 5  # dongmen: an email and a WeCom message for events 3, a WeCom for 0; chengguan: DingTalk ×2
    assert {row[2] for row in at_once[1]} >= {"miss:2", "miss:5"}  # the Xihu liaison is told too


def test_the_nightly_job_tells_every_unit_with_someone_to_tell_of_its_misses(city):
    """People of the unit the missed notice went to get a notification, a unit with only a group
    robot gets the robot's message, and a unit with neither gets nothing."""
    Unit.objects.filter(pk=city.gongan.pk).update(dingtalk_webhook="http://127.0.0.1:9/dingtalk")  # nobody, a robot
    dongmen, _ = city.assigned(description="东门垃圾", deadline=DAY)  # its liaison
    _gongan, missed = city.assigned(description="公安违停", deadline=DAY, unit=city.gongan)
    city.assigned(description="东门街道墙面", deadline=DAY, unit=city.dongmen)  # nobody at all
    report = process_day(DAY)
    assert len(report.misses) == 3
    told = list(Notification.objects.filter(kind=NotificationKind.MISS).values_list("recipient__username", "title",
                                                                                    "body"))
    assert len(told) == 1 and told[0][0] == "dongmen"
    assert told[0][1] == f"未按期整改：{dongmen.display_number} 第1次整改通知"
    assert told[0][2].startswith("东门垃圾。")
    robots = list(OutboundMessage.objects.values_list("channel", "key"))
    assert robots == [("dingtalk", f"dingtalk:{city.gongan.pk}:miss:{missed.pk}")]

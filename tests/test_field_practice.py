"""Field practice (DOMAIN.md): notice receipt, extension requests, covert rounds, inspection checklists.

Each rule is checked with exact dates: 2026-11-27 is a Friday, 2026-11-30 a Monday; over National
Day 2026, 10-01..10-07 are off and Saturday 10-10 is a working day. Office hours are the default
08:30-12:00 and 14:00-17:30.
"""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from docx import Document

from issues.core import access
from issues.core.exceptions import LedgerError
from issues.core.workcalendar import add_working_hours
from issues.escalation.services import run_escalations
from issues.excel.ledger_export import ledger_rows
from issues.field import services as inspections
from issues.findings import extensions, receipts, rounds
from issues.findings import services as svc
from issues.models import (
    AuditEvent,
    ExtensionStatus,
    Finding,
    FindingStatus,
    Inspection,
    InspectionRound,
    MissKind,
    Notice,
    NoticeOutcome,
    Notification,
    NotificationKind,
    Policy,
    Responsibility,
    Verdict,
)
from issues.rankings.figures import figures_for
from tests.conftest import jpeg

D = dt.date
SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


# --- working hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "hours", "due"), [
    (at(2026, 11, 27, 16, 30), 4, at(2026, 11, 30, 11, 30)),  # Friday 16:30-17:30, Monday 08:30-11:30
    (at(2026, 11, 30, 11, 0), 2, at(2026, 11, 30, 15, 0)),  # the lunch break does not count
    (at(2026, 11, 28, 20, 0), 1, at(2026, 11, 30, 9, 30)),  # sent on a Saturday evening
    (at(2026, 11, 30, 7, 0), 3.5, at(2026, 11, 30, 12, 0)),  # before the office opens
    (at(2026, 9, 30, 16, 0), 4, at(2026, 10, 8, 11, 0)),  # National Day: 1.5 h on 09-30, then 10-08
    (at(2026, 10, 9, 16, 30), 4, at(2026, 10, 10, 11, 30)),  # Saturday 10-10 is a working day
    (at(2026, 11, 30, 9, 0), 7, at(2026, 12, 1, 9, 0)),  # a whole working day is seven office hours
])
def test_working_hours_follow_office_hours_and_the_official_calendar(start, hours, due):
    assert add_working_hours(start, hours) == due


def test_office_hours_come_from_settings(settings):
    settings.OFFICE_HOURS = "09:00-17:00"
    assert add_working_hours(at(2026, 11, 27, 16, 30), 4) == at(2026, 11, 30, 12, 30)


# --- notice receipt (签收) -------------------------------------------------------------------


def _notice_created_at(city, moment, **kwargs):
    with time_machine.travel(moment, tick=False):
        return city.assigned(issued_on=moment.date(), deadline=moment.date() + dt.timedelta(days=10), **kwargs)


def test_a_unit_signs_for_its_notice_once_and_the_time_is_kept(city):
    finding, notice = _notice_created_at(city, at(2026, 11, 27, 16, 30))
    first = receipts.acknowledge(actor=city.dongmen_liaison, notice_id=notice.pk, at=at(2026, 11, 30, 9, 5))
    again = receipts.acknowledge(actor=city.east_head, notice_id=notice.pk, at=at(2026, 11, 30, 10, 0))
    assert first.acknowledged_at == again.acknowledged_at == at(2026, 11, 30, 9, 5)
    assert Notice.objects.get(pk=notice.pk).acknowledged_by == city.dongmen_liaison
    assert AuditEvent.objects.filter(finding_id=finding.pk, action="acknowledge").count() == 1
    with pytest.raises(access.PermissionDenied):
        receipts.acknowledge(actor=city.outsider, notice_id=notice.pk)


def test_a_notice_not_signed_for_is_reminded_once_after_the_working_hours(city):
    Policy.objects.filter(pk=Policy.current().pk).update(receipt_reminder_hours=4)
    _finding, late = _notice_created_at(city, at(2026, 11, 27, 16, 30))
    _finding2, signed = _notice_created_at(city, at(2026, 11, 27, 16, 40), description="公厕无人保洁")
    receipts.acknowledge(actor=city.dongmen_liaison, notice_id=signed.pk, at=at(2026, 11, 27, 17, 0))

    assert receipts.remind_unacknowledged(now=at(2026, 11, 30, 11, 29)) == 0  # due at 11:30 on Monday
    assert [w.notice.pk for w in receipts.unacknowledged(now=at(2026, 11, 30, 11, 29), overdue_only=True)] == []
    assert receipts.remind_unacknowledged(now=at(2026, 11, 30, 11, 31)) == 1
    assert receipts.remind_unacknowledged(now=at(2026, 11, 30, 15, 0)) == 0  # once only
    reminder = Notification.objects.get(kind=NotificationKind.RECEIPT)
    assert reminder.recipient == city.dongmen_liaison and "请签收" in reminder.title
    assert Notice.objects.get(pk=late.pk).receipt_reminded_at == at(2026, 11, 30, 11, 31)
    waiting = receipts.unacknowledged(now=at(2026, 11, 30, 11, 31))
    assert [(w.notice.pk, w.due_at) for w in waiting] == [(late.pk, at(2026, 11, 30, 11, 30))]


def test_a_fix_reported_counts_as_the_notice_received(city):
    _finding, notice = _notice_created_at(city, at(2026, 11, 27, 16, 30))
    svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已清运", photos=[jpeg()],
                   submitted_at=at(2026, 11, 30, 8, 50))
    assert Notice.objects.get(pk=notice.pk).acknowledged_at == at(2026, 11, 30, 8, 50)


def test_receipt_is_the_units_act_the_office_sees_it_but_cannot_sign(client, city):
    finding, notice = _notice_created_at(city, at(2026, 11, 27, 16, 30))
    with pytest.raises(access.PermissionDenied):
        receipts.acknowledge(actor=city.office, notice_id=notice.pk)
    client.force_login(city.office)
    page = client.get(reverse("finding_detail", args=[finding.pk])).content.decode()
    assert "未签收" in page and 'id="acknowledge"' not in page
    assert client.post(reverse("finding_acknowledge", args=[finding.pk])).status_code == 403
    # a fix the office enters for the unit is not the unit's receipt either
    svc.submit_fix(actor=city.office, notice_id=notice.pk, note="按纸质报告录入", submitted_at=at(2026, 11, 30, 9, 0))
    assert Notice.objects.get(pk=notice.pk).acknowledged_at is None
    client.force_login(city.dongmen_liaison)
    assert 'id="acknowledge"' in client.get(reverse("finding_detail", args=[finding.pk])).content.decode()
    client.post(reverse("finding_acknowledge", args=[finding.pk]))
    assert Notice.objects.get(pk=notice.pk).acknowledged_by == city.dongmen_liaison


def test_the_office_sees_notices_not_signed_for_and_the_export_carries_the_receipt(client, city):
    finding, notice = _notice_created_at(city, at(2026, 11, 27, 16, 30), description="入口垃圾堆放")
    other, _other_notice = _notice_created_at(city, at(2026, 11, 27, 16, 31), description="公厕无人保洁")
    receipts.acknowledge(actor=city.dongmen_liaison, notice_id=notice.pk, at=at(2026, 11, 30, 9, 5))
    with time_machine.travel(at(2026, 11, 30, 14, 0), tick=False):
        client.force_login(city.office)  # sessions last 12 hours: sign in at the travelled time
        page = client.get(reverse("receipts")).content.decode()
    assert other.display_number in page and finding.display_number not in page
    assert "2026-11-30 11:31" in page  # when the other one fell due
    rows = {row[1]: row for row in ledger_rows(Finding.objects.order_by("pk"))}
    assert rows[finding.display_number][-1] == "第1次通知签收 2026-11-30 09:05"
    assert rows[other.display_number][-1] == ""
    with time_machine.travel(at(2026, 11, 30, 14, 0), tick=False):
        ledger = client.get(reverse("ledger"), {"unsigned": "on"}).content.decode()
    assert other.display_number in ledger and finding.display_number not in ledger
    client.force_login(city.dongmen_liaison)
    assert client.get(reverse("receipts")).status_code == 403


def test_a_unit_signs_from_its_inbox(client, city):
    finding, notice = city.assigned()
    client.force_login(city.dongmen_liaison)
    inbox = client.get(reverse("inbox")).content.decode()
    assert "未签收" in inbox
    response = client.post(reverse("finding_acknowledge", args=[finding.pk]), {"next": reverse("inbox")})
    assert response.status_code == 302 and response["Location"] == reverse("inbox")
    assert Notice.objects.get(pk=notice.pk).acknowledged_at is not None
    client.force_login(city.outsider)
    assert client.post(reverse("finding_acknowledge", args=[finding.pk])).status_code == 404


# --- extension requests (延期申请) ----------------------------------------------------------


def _assigned_due_monday(city, **kwargs):
    return city.assigned(issued_on=D(2026, 11, 23), deadline=D(2026, 11, 30), **kwargs)


def test_an_extension_is_asked_on_or_before_the_deadline_for_a_later_date(city):
    _finding, notice = _assigned_due_monday(city)
    with pytest.raises(LedgerError, match="已过"):
        extensions.request_extension(actor=city.dongmen_liaison, notice_id=notice.pk, deadline=D(2026, 12, 7),
                                     reason="材料未到", requested_at=at(2026, 12, 1, 9, 0))
    with pytest.raises(LedgerError, match="须晚于"):
        extensions.request_extension(actor=city.dongmen_liaison, notice_id=notice.pk, deadline=D(2026, 11, 30),
                                     reason="材料未到", requested_at=at(2026, 11, 30, 9, 0))
    with pytest.raises(LedgerError, match="理由"):
        extensions.request_extension(actor=city.dongmen_liaison, notice_id=notice.pk, deadline=D(2026, 12, 7),
                                     reason=" ", requested_at=at(2026, 11, 30, 9, 0))
    with pytest.raises(access.PermissionDenied):
        extensions.request_extension(actor=city.outsider, notice_id=notice.pk, deadline=D(2026, 12, 7),
                                     reason="材料未到", requested_at=at(2026, 11, 30, 9, 0))
    ext = extensions.request_extension(actor=city.dongmen_liaison, notice_id=notice.pk, deadline=D(2026, 12, 7),
                                       reason="材料未到", requested_at=at(2026, 11, 30, 23, 59))  # the deadline day
    assert ext.status == ExtensionStatus.PENDING and ext.old_deadline == D(2026, 11, 30)
    with pytest.raises(LedgerError, match="待审批"):
        extensions.request_extension(actor=city.dongmen_liaison, notice_id=notice.pk, deadline=D(2026, 12, 8),
                                     reason="再延", requested_at=at(2026, 11, 30, 10, 0))


def test_an_approved_extension_moves_the_deadline_and_there_is_no_miss_on_the_old_one(city):
    finding, notice = _assigned_due_monday(city)
    run_escalations(today=D(2026, 11, 27))
    ext = extensions.request_extension(actor=city.dongmen_liaison, notice_id=notice.pk, deadline=D(2026, 12, 7),
                                       reason="需协调产权单位", requested_at=at(2026, 11, 27, 10, 0))
    extensions.decide_extension(actor=city.office, extension_id=ext.pk, approve=True, deadline=D(2026, 12, 4),
                                decided_at=at(2026, 11, 30, 9, 0))
    notice.refresh_from_db()
    finding.refresh_from_db()
    assert notice.deadline == finding.deadline == D(2026, 12, 4)  # the office granted less than asked
    run_escalations(today=D(2026, 12, 4))
    assert Notice.objects.get(pk=notice.pk).outcome == NoticeOutcome.OPEN
    run_escalations(today=D(2026, 12, 5))  # not fixed by the new deadline: missed on it
    notice.refresh_from_db()
    assert (notice.outcome, notice.outcome_on, notice.miss_kind) == (NoticeOutcome.MISSED, D(2026, 12, 4),
                                                                     MissKind.DEADLINE)
    assert Notification.objects.filter(kind=NotificationKind.EXTENSION, recipient=city.dongmen_liaison).exists()
    call_command("recount_figures", "--check")


def test_a_refused_extension_leaves_the_old_deadline_and_its_miss(city):
    _finding, notice = _assigned_due_monday(city)
    run_escalations(today=D(2026, 11, 27))
    ext = extensions.request_extension(actor=city.dongmen_liaison, notice_id=notice.pk, deadline=D(2026, 12, 7),
                                       reason="人手不足", requested_at=at(2026, 11, 27, 10, 0))
    with pytest.raises(LedgerError, match="理由"):
        extensions.decide_extension(actor=city.office, extension_id=ext.pk, approve=False,
                                    decided_at=at(2026, 11, 27, 11, 0))
    extensions.decide_extension(actor=city.office, extension_id=ext.pk, approve=False, reason="难度不大，按原时限",
                                decided_at=at(2026, 11, 27, 11, 0))
    run_escalations(today=D(2026, 12, 1))
    notice.refresh_from_db()
    assert (notice.outcome, notice.outcome_on) == (NoticeOutcome.MISSED, D(2026, 11, 30))


def test_a_request_pending_at_the_deadline_does_not_stop_the_miss(city):
    _finding, notice = _assigned_due_monday(city)
    run_escalations(today=D(2026, 11, 27))
    ext = extensions.request_extension(actor=city.dongmen_liaison, notice_id=notice.pk, deadline=D(2026, 12, 7),
                                       reason="材料未到", requested_at=at(2026, 11, 30, 16, 0))
    # the office looks at it the next morning, before the nightly job has run: too late to approve
    with pytest.raises(LedgerError, match="已过"):
        extensions.decide_extension(actor=city.office, extension_id=ext.pk, approve=True,
                                    decided_at=at(2026, 12, 1, 0, 10))
    run_escalations(today=D(2026, 12, 1))
    notice.refresh_from_db()
    ext.refresh_from_db()
    assert (notice.outcome, notice.outcome_on) == (NoticeOutcome.MISSED, D(2026, 11, 30))
    assert ext.status == ExtensionStatus.LAPSED
    with pytest.raises(LedgerError, match="已失效"):
        extensions.decide_extension(actor=city.office, extension_id=ext.pk, approve=False, reason="已过期")


def test_the_extension_rate_is_in_the_rankings_and_on_the_dashboard(client, city):
    _f1, extended = city.assigned(issued_on=D(2026, 11, 23), deadline=D(2026, 11, 25))
    _f2, _plain = city.assigned(issued_on=D(2026, 11, 23), deadline=D(2026, 11, 27), description="公厕无人保洁")
    ext = extensions.request_extension(actor=city.dongmen_liaison, notice_id=extended.pk, deadline=D(2026, 11, 27),
                                       reason="雨天无法施工", requested_at=at(2026, 11, 24, 10, 0))
    extensions.decide_extension(actor=city.office, extension_id=ext.pk, approve=True, decided_at=at(2026, 11, 24, 15, 0))
    fig = figures_for([city.dongmen_sq.pk], D(2026, 11, 1), D(2026, 11, 30))[city.dongmen_sq.pk]
    assert (fig.due, fig.extensions, str(fig.extension_rate)) == (2, 1, "0.5000")
    call_command("recount_figures", "--check")
    from issues.models import RankingGroup

    group = RankingGroup.objects.create(name="社区", min_units_factor=0)
    city.dongmen_sq.ranking_group = group
    city.dongmen_sq.save()
    with time_machine.travel(at(2026, 11, 30, 10, 0), tick=False):
        client.force_login(city.leader)
        ranking = client.get(reverse("ranking_table"), {"group": group.pk}).content.decode()
        dashboard = client.get(reverse("dashboard")).content.decode()
    assert "延期率" in ranking and "50.0%" in ranking
    assert "本月延期率" in dashboard and "50.0%" in dashboard and "批准延期 1 次" in dashboard


def test_extension_pages_for_the_unit_and_the_office(client, city):
    finding, notice = city.assigned(issued_on=D(2026, 11, 23), deadline=D(2026, 12, 4))
    with time_machine.travel(at(2026, 11, 30, 10, 0), tick=False):
        client.force_login(city.dongmen_liaison)
        assert "申请延期" in client.get(reverse("finding_detail", args=[finding.pk])).content.decode()
        bad = client.post(reverse("finding_extension", args=[finding.pk]), {"deadline": "2026-12-01", "reason": "x"})
        assert bad.status_code == 400 and "须晚于现在的时限 2026-12-04" in bad.content.decode()
        ok = client.post(reverse("finding_extension", args=[finding.pk]),
                         {"deadline": "2026-12-11", "reason": "需更换路灯灯杆"})
        assert ok.status_code == 302
        client.force_login(city.office)
        review = client.get(reverse("review")).content.decode()
        assert "需更换路灯灯杆" in review
        ext = notice.extensions.get()
        no_reason = client.post(reverse("extension_decide", args=[ext.pk]), {"approve": "0", "reason": " "})
        assert no_reason.status_code == 400 and "不批准延期必须填写理由" in no_reason.content.decode()
        done = client.post(reverse("extension_decide", args=[ext.pk]),
                           {"approve": "1", "deadline": "", "reason": "", "next": reverse("review")})
        assert done.status_code == 302
    notice.refresh_from_db()
    assert notice.deadline == D(2026, 12, 11)
    client.force_login(city.leader)
    assert client.post(reverse("extension_decide", args=[ext.pk]), {"approve": "0", "reason": "x"}).status_code == 403


# --- covert rounds (暗访) -------------------------------------------------------------------


def _covert_round(city):
    covert = rounds.create_round(actor=city.office, name="11月省文明办暗访", source="省文明办暗访",
                                 held_on=D(2026, 11, 25), is_covert=True)
    finding = city.finding(inspection_round=covert, found_on=D(2026, 11, 25))
    major = city.finding(inspection_round=covert, found_on=D(2026, 11, 25), unit=city.chengguan,
                         description="人民路占道经营", severity="major")
    return covert, finding, major


def test_a_covert_round_is_hidden_from_units_until_published_and_deadlines_count_from_publication(city):
    covert, finding, major = _covert_round(city)
    with pytest.raises(LedgerError, match="尚未发布的暗访批次"):
        svc.issue_notice(actor=city.office, finding_id=finding.pk, issued_on=D(2026, 11, 26))
    unit_sees = access.findings_for(city.dongmen_liaison)
    assert not unit_sees.filter(pk=finding.pk).exists()
    assert access.findings_for(city.office).filter(pk__in=[finding.pk, major.pk]).count() == 2
    run_escalations(today=D(2026, 11, 30))  # nothing of the round is due before it is published
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.REGISTERED

    notices = rounds.publish_round(actor=city.office, round_id=covert.pk, published_at=at(2026, 11, 30, 10, 0))
    by_finding = {n.finding_id: n for n in notices}
    # general: 5 working days from Monday 11-30; major: 3
    assert (by_finding[finding.pk].issued_on, by_finding[finding.pk].deadline) == (D(2026, 11, 30), D(2026, 12, 7))
    assert by_finding[major.pk].deadline == D(2026, 12, 3)
    assert access.findings_for(city.dongmen_liaison).filter(pk=finding.pk).exists()
    assert not access.findings_for(city.dongmen_liaison).filter(pk=major.pk).exists()  # another unit's
    told = Notification.objects.get(recipient=city.dongmen_liaison, kind=NotificationKind.NOTICE)
    assert "11月省文明办暗访" in told.title and "2026-12-07" in told.body
    with pytest.raises(LedgerError, match="已于 2026-11-30 10:00 发布"):
        rounds.publish_round(actor=city.office, round_id=covert.pk)
    plain = rounds.create_round(actor=city.office, name="日常督查", source="市创文办日常督查", held_on=D(2026, 11, 25))
    with pytest.raises(LedgerError, match="不是暗访批次"):
        rounds.publish_round(actor=city.office, round_id=plain.pk)
    call_command("recount_figures", "--check")


def test_round_pages_publish_and_the_circular(client, city):
    covert, finding, major = _covert_round(city)
    client.force_login(city.dongmen_liaison)
    assert client.get(reverse("rounds")).status_code == 403
    assert client.get(reverse("round_detail", args=[covert.pk])).status_code == 403
    assert client.get(reverse("finding_detail", args=[finding.pk])).status_code == 404
    client.force_login(city.office)
    page = client.get(reverse("round_detail", args=[covert.pk])).content.decode()
    assert "发布并统一交办" in page and finding.display_number in page
    early = client.get(reverse("round_circular", args=[covert.pk]))
    assert early.status_code == 302  # a circular only once published
    with time_machine.travel(at(2026, 11, 30, 10, 0), tick=False):
        client.force_login(city.office)
        response = client.post(reverse("round_publish", args=[covert.pk]), follow=True)
    assert "统一交办 2 个问题" in response.content.decode()
    client.force_login(city.office)
    doc = Document(io.BytesIO(client.get(reverse("round_circular", args=[covert.pk])).content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "关于11月省文明办暗访发现问题的通报" in text
    assert "东门社区：" in text and "市城市管理局：" in text
    assert "市场内垃圾未及时清运（整改时限 2026-12-07）" in text
    client.force_login(city.dongmen_liaison)
    assert client.get(reverse("finding_detail", args=[finding.pk])).status_code == 200


def test_logging_into_a_covert_round_waits_for_publication(client, city):
    covert = rounds.create_round(actor=city.office, name="12月暗访", source="省文明办暗访", held_on=D(2026, 11, 25),
                                 is_covert=True)
    client.force_login(city.office)
    response = client.post(reverse("finding_create"), {
        "description": "背街小巷垃圾堆放", "lead_unit": city.dongmen_sq.pk, "found_on": "2026-11-25",
        "severity": "general", "deduction": "1", "inspection_round": covert.pk, "issue_now": "on", "save": "1",
    }, follow=True)
    assert "发布该批次时统一交办" in response.content.decode()
    assert Finding.objects.get(description="背街小巷垃圾堆放").status == FindingStatus.REGISTERED


def test_units_cannot_reach_rounds_and_the_office_creates_one(client, city):
    client.force_login(city.office)
    response = client.post(reverse("rounds"), {"name": "12月暗访", "source": "省文明办暗访", "held_on": "2026-12-02",
                                               "is_covert": "on"})
    created = InspectionRound.objects.get(name="12月暗访")
    assert response.status_code == 302 and created.is_hidden
    again = client.post(reverse("rounds"), {"name": "12月暗访", "source": "x", "held_on": "2026-12-02"})
    assert again.status_code == 400 and "已存在" in again.content.decode()
    client.force_login(city.leader)
    assert client.get(reverse("rounds")).status_code == 200
    assert client.post(reverse("rounds"), {"name": "领导建的", "source": "x", "held_on": "2026-12-02"}).status_code == 403


# --- inspection checklists (督查清单) -------------------------------------------------------


@pytest.fixture
def checklist(city):
    """The market's checklist: 环境卫生 and 公共卫生间 (城管局 answers for 卫生间), and 公平秤."""
    from issues.models import IndexCategory

    for item in (city.item, city.item2):
        item.site_types.add(city.market_type)
    Responsibility.objects.create(item=city.item2, lead_unit=city.chengguan)
    category = IndexCategory.objects.create(system=city.item.system, name="行业规范", order=2)
    scale = city.item.system.items.create(category=category, code="NM-06", name="公平秤", standard="市场出入口设公平秤")
    scale.site_types.add(city.market_type)
    other_type = city.item.system.items.create(category=category, code="ZC-03", name="占道经营")  # not for markets
    return [city.item, city.item2, scale], other_type


def test_the_checklist_of_a_site_is_its_type_items_in_the_current_system(city, checklist):
    items, other = checklist
    assert [i.code for i in inspections.checklist(city.market)] == ["NM-08", "NM-09", "NM-06"]
    assert other not in inspections.checklist(city.market)


def test_each_failed_item_becomes_a_finding_in_one_step(city, checklist):
    (hygiene, toilet, scale), _other = checklist
    marks = [
        inspections.Mark(item=hygiene, verdict=Verdict.FAIL, note="入口垃圾桶满溢", photos=[jpeg()]),
        inspections.Mark(item=toilet, verdict=Verdict.FAIL, note=""),
        inspections.Mark(item=scale, verdict=Verdict.NOT_APPLICABLE),
    ]
    inspection = inspections.record_inspection(actor=city.office, site=city.market, marks=marks,
                                               held_at=at(2026, 11, 30, 10, 0))
    assert (inspection.passed, inspection.failed, inspection.not_applicable) == (0, 2, 1)
    assert inspection.pass_rate == 0
    made = {r.index_item.code: r.finding for r in inspection.results.select_related("finding", "index_item")}
    assert made["NM-06"] is None
    first, second = made["NM-08"], made["NM-09"]
    assert (first.site, first.index_item, first.lead_unit, first.found_on) == (city.market, hygiene, city.dongmen,
                                                                              D(2026, 11, 30))
    assert first.description == "环境卫生：入口垃圾桶满溢" and first.photos.count() == 1
    assert second.lead_unit == city.chengguan  # the responsibility matrix before the site's unit
    assert second.status == FindingStatus.ASSIGNED and second.current_notice.deadline == D(2026, 12, 7)
    call_command("recount_figures", "--check")


def test_an_inspection_is_all_or_nothing(city, checklist):
    (hygiene, toilet, scale), _other = checklist
    with pytest.raises(LedgerError, match="还有 1 项未检查：NM-06 公平秤"):
        inspections.record_inspection(actor=city.office, site=city.market, marks=[
            inspections.Mark(item=hygiene, verdict=Verdict.PASS), inspections.Mark(item=toilet, verdict=Verdict.PASS)])
    with pytest.raises(LedgerError, match="NM-08 标为“合格”"):
        inspections.record_inspection(actor=city.office, site=city.market, marks=[
            inspections.Mark(item=hygiene, verdict=Verdict.PASS, photos=[jpeg()]),
            inspections.Mark(item=toilet, verdict=Verdict.PASS), inspections.Mark(item=scale, verdict=Verdict.PASS)])
    # the second failure's photo is not an image: nothing at all is kept, not even the first finding
    with pytest.raises(LedgerError):
        inspections.record_inspection(actor=city.office, site=city.market, marks=[
            inspections.Mark(item=hygiene, verdict=Verdict.FAIL, note="垃圾", photos=[jpeg()]),
            inspections.Mark(item=toilet, verdict=Verdict.FAIL, note="无水", photos=[("x.jpg", b"not an image")]),
            inspections.Mark(item=scale, verdict=Verdict.PASS)])
    assert Inspection.objects.count() == 0 and Finding.objects.count() == 0
    city.market.default_unit = None
    city.market.save()
    with pytest.raises(LedgerError, match="NM-08 环境卫生 没有牵头单位"):
        inspections.record_inspection(actor=city.office, site=city.market, marks=[
            inspections.Mark(item=hygiene, verdict=Verdict.FAIL), inspections.Mark(item=toilet, verdict=Verdict.PASS),
            inspections.Mark(item=scale, verdict=Verdict.PASS)])


def test_inspections_in_a_covert_round_wait_and_pass_rates_per_site_type(city, checklist):
    (hygiene, toilet, scale), _other = checklist
    covert = rounds.create_round(actor=city.office, name="暗访", source="省文明办暗访", held_on=D(2026, 11, 30),
                                 is_covert=True)
    first = inspections.record_inspection(actor=city.office, site=city.market, inspection_round=covert, marks=[
        inspections.Mark(item=hygiene, verdict=Verdict.FAIL, note="垃圾"),
        inspections.Mark(item=toilet, verdict=Verdict.PASS), inspections.Mark(item=scale, verdict=Verdict.PASS)],
        held_at=at(2026, 11, 30, 9, 0))
    assert first.results.get(verdict=Verdict.FAIL).finding.status == FindingStatus.REGISTERED
    inspections.record_inspection(actor=city.office, site=city.market, marks=[
        inspections.Mark(item=hygiene, verdict=Verdict.PASS), inspections.Mark(item=toilet, verdict=Verdict.PASS),
        inspections.Mark(item=scale, verdict=Verdict.NOT_APPLICABLE)], held_at=at(2026, 12, 1, 9, 0))
    [rate] = inspections.pass_rates()
    assert (rate.site_type, rate.inspections, rate.passed, rate.failed, rate.not_applicable) == (
        "集贸市场/农贸市场", 2, 4, 1, 1)
    assert str(round(rate.pass_rate, 4)) == "0.8000"
    assert inspections.pass_rates(start=D(2026, 12, 1))[0].pass_rate == 1


def test_the_checklist_walk_through_the_pages(client, city, checklist):
    (hygiene, toilet, scale), _other = checklist
    client.force_login(city.office)
    form = client.get(reverse("site_inspect", args=[city.market.pk])).content.decode()
    assert "公平秤" in form and "市场出入口设公平秤" in form
    missing = client.post(reverse("site_inspect", args=[city.market.pk]), {f"v_{hygiene.pk}": "pass"})
    assert missing.status_code == 400 and "请选择检查结果" in missing.content.decode()
    response = client.post(reverse("site_inspect", args=[city.market.pk]), {
        f"v_{hygiene.pk}": "fail", f"n_{hygiene.pk}": "入口垃圾桶满溢", f"v_{toilet.pk}": "pass",
        f"v_{scale.pk}": "na", "issue_now": "on",
    }, follow=True)
    page = response.content.decode()
    assert "1 项不合格，已登记为问题并交办" in page and "入口垃圾桶满溢" in page
    assert client.get(reverse("site_page", args=[city.market.pk])).content.decode().count("50.0%") == 2
    assert "集贸市场/农贸市场" in client.get(reverse("inspections")).content.decode()
    client.force_login(city.dongmen_liaison)
    assert client.get(reverse("site_inspect", args=[city.market.pk])).status_code == 403
    assert client.get(reverse("sites")).status_code == 403
    client.force_login(city.leader)
    assert client.get(reverse("site_page", args=[city.market.pk])).status_code == 200
    assert client.get(reverse("site_inspect", args=[city.market.pk])).status_code == 403


def test_an_imported_list_cannot_assign_into_a_covert_round_before_it_is_published(tmp_path, city):
    from issues.excel.ledger_import import import_ledger
    from tests.test_excel_import import ledger_file

    rounds.create_round(actor=city.office, name="12月暗访", source="省文明办暗访", held_on=D(2026, 11, 25),
                        is_covert=True)
    path = ledger_file(tmp_path, [["A-1", "2026-11-25", None, "垃圾堆放", "东门社区", None, None, None, "12月暗访", None]])
    report = import_ledger(path, actor=city.office, today=D(2026, 11, 30))
    assert not report.ok and Finding.objects.count() == 0
    assert "第4行“督查批次”列（值：12月暗访）：这是尚未发布的暗访批次" in str(report.errors[0])


def test_notices_open_before_receipts_existed_are_not_all_reminded_at_once(city):
    import importlib

    from django.apps import apps

    _finding, old = _notice_created_at(city, at(2026, 11, 2, 9, 0))
    _finding2, signed = _notice_created_at(city, at(2026, 11, 2, 9, 30), description="公厕无人保洁")
    receipts.acknowledge(actor=city.dongmen_liaison, notice_id=signed.pk, at=at(2026, 11, 2, 10, 0))
    importlib.import_module("issues.migrations.0018_notices_before_receipts").mark_reminded(apps, None)
    assert Notice.objects.get(pk=old.pk).receipt_reminded_at is not None
    assert Notice.objects.get(pk=signed.pk).receipt_reminded_at is None
    assert receipts.remind_unacknowledged(now=at(2026, 11, 30, 9, 0)) == 0
    assert [w.notice.pk for w in receipts.unacknowledged(now=at(2026, 11, 30, 9, 0))] == [old.pk]  # still listed


def test_beat_runs_the_receipt_reminders_every_quarter_hour(settings, city):
    from issues.findings import tasks

    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "issues.remind_unacknowledged")
    assert entry["schedule"] == 900.0
    _notice_created_at(city, at(2026, 11, 27, 16, 30))
    with time_machine.travel(at(2026, 11, 30, 11, 31), tick=False):
        assert tasks.remind_unacknowledged.delay().get() == 1  # eager here; a real worker in make run

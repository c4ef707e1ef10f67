"""The nightly job (DOMAIN.md, "The nightly job" and "Escalation rules").

`run_escalations(today=T)` processes every local date d from the day after the last completed
one up to T − 1, in order. For each d it records the misses of notices due on d, applies the
escalation rules to every miss dated d (deadline misses and rejections alike), applies the
ranking rules of periods closed on d, lets sanctions whose time is over expire, and marks d
completed. Everything it decides carries the date d, never the wall clock, so a run after an
outage leaves the ledger exactly as nightly runs would have.

Idempotent and crash-safe: each batch of up to 500 misses is one transaction guarded on the
notices being open (`findings.record_deadline_misses`, a fixed number of statements a batch); a
sanction is unique per (rule, unit, evidence) in the database; expiry is guarded on the
status; a day is marked completed only after all its steps. Killing a run and running it
again, or running it twice, gives the ledger of one clean run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from issues.assessment import services as editions
from issues.core.links import path_maker
from issues.core.lookups import IdList
from issues.core.workcalendar import add_working_days
from issues.findings import services as finding_services
from issues.materials import services as materials
from issues.models import (
    AssessmentEdition,
    AuditEvent,
    Decision,
    EscalationRule,
    Finding,
    FindingStatus,
    JobDay,
    MaterialDeadline,
    MaterialRequirement,
    MissKind,
    Notice,
    NoticeOutcome,
    NotificationKind,
    PeriodStatus,
    Policy,
    RankingEntry,
    RankingPeriod,
    RuleTrigger,
    Sanction,
    SanctionAction,
    SanctionStatus,
    Submission,
    Unit,
)
from issues.notifications import messages as notify
from issues.rankings import figures
from issues.rankings import services as rankings
from issues.reports import services as citizen_reports

log = logging.getLogger(__name__)


@dataclass
class DayReport:
    day: dt.date
    misses: list[str] = field(default_factory=list)
    sanctions: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    reminders: int = 0

    def as_dict(self) -> dict:
        return {"misses": self.misses, "sanctions": self.sanctions, "expired": self.expired,
                "reminders": self.reminders}


@dataclass
class RunReport:
    today: dt.date
    days: list[DayReport] = field(default_factory=list)
    dry_run: bool = False
    triage_reminders: int = 0  # outbound messages about citizen reports past their triage time

    @property
    def miss_count(self) -> int:
        return sum(len(d.misses) for d in self.days)

    @property
    def sanction_count(self) -> int:
        return sum(len(d.sanctions) for d in self.days)

    def lines(self) -> list[str]:
        out = []
        for day in self.days:
            out.append(f"{day.day:%Y-%m-%d}: 未按期 {len(day.misses)}，问责 {len(day.sanctions)}，到期 {len(day.expired)}")
            out.extend(f"  未按期整改 {m}" for m in day.misses)
            out.extend(f"  问责 {s}" for s in day.sanctions)
            out.extend(f"  到期 {e}" for e in day.expired)
        return out


# --- which days ----------------------------------------------------------------------------


def first_day(today: dt.date) -> dt.date:
    """The day after the last completed one. The very first run (DOMAIN.md, Corrections) starts at the
    earliest deadline of an open notice (or open due date of a material) and does nothing before it: no day is processed and no period
    closed before that deadline. With no open notice at all, it processes yesterday."""
    last = JobDay.objects.order_by("-date").values_list("date", flat=True).first()
    if last is not None:
        return last + dt.timedelta(days=1)
    dates = [Notice.objects.filter(outcome=NoticeOutcome.OPEN).aggregate(d=Min("deadline"))["d"],
             MaterialDeadline.objects.filter(outcome=NoticeOutcome.OPEN).aggregate(d=Min("due_on"))["d"]]
    earliest = min((d for d in dates if d is not None), default=None)
    return earliest if earliest is not None else today - dt.timedelta(days=1)


def run_escalations(*, today: dt.date | None = None, dry_run: bool = False) -> RunReport:
    """Process every day from the first unprocessed one up to today − 1."""
    today = today or timezone.localdate()
    report = RunReport(today=today, dry_run=dry_run)
    start = first_day(today)
    if start >= today:
        if not dry_run:
            if not JobDay.objects.exists():
                # the first nights, before the earliest deadline: only the reminders of what falls due
                send_reminders(today, DayReport(day=today))
            report.triage_reminders = citizen_reports.remind_overdue_triage(today)
        return report
    if dry_run:
        with transaction.atomic():
            _run_days(start, today, report)
            transaction.set_rollback(True)
        return report
    _run_days(start, today, report)
    # citizen reports past their triage time: once a night, whatever days were caught up
    report.triage_reminders = citizen_reports.remind_overdue_triage(today)
    return report


def _run_days(start: dt.date, today: dt.date, report: RunReport) -> None:
    day = start
    while day < today:
        report.days.append(process_day(day, today=today))
        day += dt.timedelta(days=1)


def process_day(day: dt.date, *, today: dt.date | None = None) -> DayReport:
    report = DayReport(day=day)
    report.misses = [f"{m.number} 第{m.seq}次通知（时限 {m.deadline:%Y-%m-%d}）" for m in record_misses_due(day)]
    report.misses += [f"材料要求 {m.requirement_id} 第{m.seq}次截止（{m.due_on:%Y-%m-%d}）"
                      for m in materials.record_material_misses(day)]
    apply_miss_rules(day, report)
    rankings.close_periods_ending(day)
    apply_ranking_rules(day, report)
    expire_sanctions(day, report)
    count_field_marks(day, today)
    if today is not None and day == today - dt.timedelta(days=1):
        send_reminders(today, report)  # after an outage, only the last day's reminders still matter
    with transaction.atomic():
        JobDay.objects.update_or_create(date=day, defaults={"completed_at": timezone.now(), "summary": report.as_dict()})
    log.debug("nightly job: %s done (%d misses, %d sanctions)", day, len(report.misses), len(report.sanctions))
    return report


def count_field_marks(day: dt.date, today: dt.date | None) -> None:
    """The field part's marks of the current edition's window ending on `day`, for the dashboard: kept for
    the last day before today (today's window is it plus today's walks) and for each month's last day
    (the change since last month); the days between, caught up after an outage, are not kept."""
    last = today is None or day == today - dt.timedelta(days=1)
    if not last and (day + dt.timedelta(days=1)).day != 1:
        return
    edition = AssessmentEdition.current()
    if edition is not None:
        editions.count_field_window(day, edition.field_window_days)


# --- misses ----------------------------------------------------------------------------------


# Notices judged per transaction: large enough that a night's misses take a few statements, small
# enough that a batch holds SQLite's write lock for well under a second.
MISS_BATCH = 2000


def record_misses_due(day: dt.date) -> list[finding_services.Miss]:
    """Misses of open notices due on or before `day` with no fix submitted on or before the deadline;
    returns each miss with the next notice it issued. The one place deadline misses are found.

    Normally only notices due on `day` are left; earlier ones appear when staff moved a deadline
    back past a processed day. Each miss is dated on its notice's deadline.
    """
    # asked of each notice in turn (an index probe), not gathered for the whole city every batch
    held = Exists(Submission.objects.filter(
        notice_id=OuterRef("pk"), decision=Decision.PENDING, submitted_on__lte=OuterRef("deadline")
    ))
    recorded: list[finding_services.Miss] = []
    after = Q()  # where the last batch ended, in (deadline, id) order: notices tried and left open are not asked again
    while True:
        batch = list(
            Notice.objects.filter(after, ~held, outcome=NoticeOutcome.OPEN, deadline__lte=day)
            .order_by("deadline", "pk").values_list("pk", "deadline")[:MISS_BATCH]
        )
        if not batch:
            return recorded
        due = [pk for pk, _deadline in batch]
        last_pk, last_deadline = batch[-1]
        # a next notice issued by a miss is due after it (a later deadline, or the same day and a higher id)
        after = Q(deadline__gt=last_deadline) | Q(deadline=last_deadline, pk__gt=last_pk)
        misses = finding_services.record_deadline_misses(due)
        if len(misses) < len(due):
            judged = {m.notice_id for m in misses}
            for pk, status in Notice.objects.filter(pk__in=[pk for pk in due if pk not in judged]).values_list(
                "pk", "finding__status"
            ):
                log.warning("nightly job: notice %s not judged: its finding is %s", pk, status)
        recorded.extend(misses)


# --- sanctions -------------------------------------------------------------------------------


def rule_applies(rule: EscalationRule, unit: Unit) -> bool:
    if not rule.is_active:
        return False
    if rule.civilized_only and not unit.is_civilized:
        return False
    if rule.unit_kinds and unit.kind not in rule.unit_kinds:
        return False
    groups = {g.pk for g in rule.ranking_groups.all()}
    return not groups or unit.ranking_group_id in groups


def apply_sanction(
    *,
    rule: EscalationRule,
    unit: Unit,
    evidence_key: str,
    reason: str,
    decided_on: dt.date,
    finding=None,
    notices=(),
    entries=(),
    requirement=None,
    deadlines=(),
) -> Sanction | None:
    """One application of a rule; None when it was applied before for the same evidence."""
    effective_until = None
    if rule.duration_months:
        effective_until = decided_on + relativedelta(months=rule.duration_months) - dt.timedelta(days=1)
    try:
        with transaction.atomic():
            sanction = Sanction.objects.create(
                rule=rule, unit=unit, action=rule.action, evidence_key=evidence_key, reason=reason,
                finding=finding, requirement=requirement, decided_on=decided_on, effective_from=decided_on,
                effective_until=effective_until,
            )
            if notices:
                sanction.evidence_notices.set(notices)
            if deadlines:
                sanction.evidence_deadlines.set(deadlines)
            if entries:
                sanction.evidence_entries.set(entries)
            if rule.action == SanctionAction.TITLE_REVOCATION and unit.is_civilized:
                Unit.objects.filter(pk=unit.pk).update(is_civilized=False, civilized_revoked_on=decided_on)
                AuditEvent.record(actor=None, obj=unit, action="title_revoked", before="civilized", after="revoked",
                                  message=f"撤销文明单位称号：{unit.name}（{rule.code}）")
            AuditEvent.record(actor=None, obj=sanction, action="sanction", after=SanctionStatus.IN_FORCE,
                              message=f"{rule.code} {sanction.get_action_display()}：{unit.name}。{reason}",
                              data={"rule": rule.code, "evidence": evidence_key, "decided_on": decided_on.isoformat()})
            notify.notify_unit(
                unit=unit, kind=NotificationKind.SANCTION, key=f"sanction:{sanction.pk}",
                title=f"问责：{unit.name} 被{sanction.get_action_display()}",
                body=f"{reason}。决定日期 {decided_on.isoformat()}（{rule.code} {rule.name}）",
                path=(reverse("finding_detail", args=[finding.pk]) if finding
                      else reverse("material_detail", args=[requirement.pk]) if requirement else "/inbox/"),
            )
    except IntegrityError:
        return None
    return sanction


def apply_miss_rules(day: dt.date, report: DayReport) -> None:
    """Rules on misses: a finding's n-th miss (R1–R3), and a unit's misses within a window."""
    rules = list(
        EscalationRule.objects.filter(is_active=True, trigger__in=[RuleTrigger.FINDING_MISSES, RuleTrigger.UNIT_MISSES])
        .prefetch_related("ranking_groups").order_by("order", "code")
    )
    # the day's misses as plain rows, their units read once: up to 5,000 rows a night
    the_day = Notice.objects.filter(outcome=NoticeOutcome.MISSED, outcome_on=day).order_by("pk")
    missed = list(the_day.values_list("pk", "seq", "finding_id", "unit_id"))
    units = Unit.objects.in_bulk({row[3] for row in missed})
    # the misses of units with someone to tell, with what the notification says: most of a night's
    # misses fall on units nobody is there to tell, and would be read and written out for nothing
    told = notify.reachable(units.values())
    if told:
        finding_path = path_maker("finding_detail")
        kinds = {kind.value: str(kind.label) for kind in MissKind}  # translated once, not once a miss
        on = day.isoformat()
        notify.notify_units([
            notify.Event(
                unit=units[unit_id], kind=NotificationKind.MISS, key=f"miss:{pk}",
                title=f"未按期整改：{Finding.number_of(number, finding_id)} 第{seq}次整改通知",
                body=f"{description[:80]}。{kinds[kind]}，记于 {on}；已下发下一次整改通知，请尽快整改。",
                path=finding_path(finding_id),
            )
            for pk, seq, finding_id, unit_id, kind, number, description in the_day.filter(
                unit_id__in_ids=IdList(told)).values_list("pk", "seq", "finding_id", "unit_id", "miss_kind",
                                                         "finding__number", "finding__description")
        ])
    finding_rules = [r for r in rules if r.trigger == RuleTrigger.FINDING_MISSES]
    due = _chains_reaching(finding_rules, missed, units, lambda ids: (
        # a plain IN list: with the id-list parameter SQLite chose a scan of the notices here
        Notice.objects.filter(finding_id__in=ids, outcome=NoticeOutcome.MISSED)
        .order_by("seq").values_list("finding_id", "seq", "pk", "outcome_on")))
    findings = Finding.objects.in_bulk({finding_id for _rule, _unit, finding_id, _chain in due})
    _sanction_chains(day, report, due, lambda finding_id, ordinal, dates, missed: {
        "evidence_key": f"finding:{finding_id}:misses:{ordinal}", "finding": findings[finding_id], "notices": missed,
        "reason": f"问题 {findings[finding_id].display_number} 第{ordinal}次未按期整改或未达到整改要求（{dates}）",
    })
    apply_material_rules(day, report, finding_rules)
    for rule in (r for r in rules if r.trigger == RuleTrigger.UNIT_MISSES):
        window_start = day - dt.timedelta(days=rule.window_days - 1)
        # each question in one query for all the day's units, not one per unit
        in_window: dict[int, list[int]] = defaultdict(list)  # unit → its missed notices in the window
        for unit_id, pk in (
            Notice.objects.filter(unit_id__in=[u.pk for u in units.values() if rule_applies(rule, u)],
                                  outcome=NoticeOutcome.MISSED, outcome_on__range=(window_start, day))
            .order_by("outcome_on", "pk").values_list("unit_id", "pk")
        ):
            in_window[unit_id].append(pk)
        reached = [unit_id for unit_id, notices in in_window.items() if len(notices) >= rule.threshold]
        sanctioned = set(Sanction.objects.filter(  # once per window
            rule=rule, unit_id__in=reached, decided_on__gte=window_start, decided_on__lt=day
        ).values_list("unit_id", flat=True))
        for unit_id in reached:
            if unit_id in sanctioned:
                continue
            unit, notices = units[unit_id], in_window[unit_id]
            sanction = apply_sanction(
                rule=rule, unit=unit, evidence_key=f"unit:{unit.pk}:window:{day.isoformat()}",
                reason=f"{rule.window_days}天内未按期整改 {len(notices)} 次",
                decided_on=day, notices=notices,
            )
            if sanction:
                report.sanctions.append(f"{rule.code} {sanction.get_action_display()} {unit.name}")


def _chains_reaching(rules, missed, units, read_chains):
    """(rule, unit, subject, chain) for every miss of the day whose chain of misses is as long as a
    rule's threshold: the one rule of misses per finding, serving a requirement's due dates as well.

    `missed`: the day's misses as (pk, seq, subject id, unit id); `read_chains(subject ids)`: every
    miss of those subjects as (subject id, seq, pk, date) in seq order. A chain holds the misses
    numbered up to the day's own, so a first miss cannot reach a rule of two and its chain is not
    read: most of a night's misses are first ones."""
    least = min((rule.threshold for rule in rules), default=None)
    may_reach = [row for row in missed if row[1] >= least] if rules else []
    chains: dict[int, list[tuple[int, int, dt.date]]] = defaultdict(list)  # (seq, pk, date) of every miss
    if may_reach:
        for subject, seq, pk, outcome_on in read_chains({row[2] for row in may_reach}):
            chains[subject].append((seq, pk, outcome_on))
    due = []
    for _pk, seq, subject, unit_id in may_reach:
        chain = [link for link in chains[subject] if link[0] <= seq]
        due += [(rule, units[unit_id], subject, chain) for rule in rules
                if rule.threshold == len(chain) and rule_applies(rule, units[unit_id])]
    return due


def apply_material_rules(day: dt.date, report: DayReport, rules: list[EscalationRule]) -> None:
    """The day's material misses (DOMAIN.md, "Materials"): the lead units told, and the rules of misses
    per finding (R1–R3) applied per requirement, with the same sanctions and documents."""
    missed = list(MaterialDeadline.objects.filter(outcome=NoticeOutcome.MISSED, outcome_on=day)
                  .order_by("pk").values_list("pk", "seq", "requirement_id", "unit_id"))
    if not missed:
        return
    notify.notify_units(materials.miss_events([row[0] for row in missed]))
    units = Unit.objects.in_bulk({row[3] for row in missed})
    due = _chains_reaching(rules, missed, units, lambda ids: (
        MaterialDeadline.objects.filter(requirement_id__in=ids, outcome=NoticeOutcome.MISSED)
        .order_by("seq").values_list("requirement_id", "seq", "pk", "outcome_on")))
    requirements = MaterialRequirement.objects.select_related("item").in_bulk({row[2] for row in due})
    _sanction_chains(day, report, due, lambda requirement_id, ordinal, dates, missed: {
        "evidence_key": f"requirement:{requirement_id}:misses:{ordinal}", "requirement": requirements[requirement_id],
        "deadlines": missed,
        "reason": (f"材料“{requirements[requirement_id].item.code} {requirements[requirement_id].title}”"
                   f"第{ordinal}次逾期未报送或未通过审核（{dates}）"),
    })


def _sanction_chains(day: dt.date, report: DayReport, due, evidence) -> None:
    """Apply each (rule, unit, subject, chain) of `_chains_reaching`; `evidence(subject, ordinal, dates,
    missed ids)` gives what the sanction names: its evidence key, reason, subject and missed rows."""
    for rule, unit, subject, chain in due:
        dates = "、".join(f"{outcome_on:%Y-%m-%d}" for _seq, _pk, outcome_on in chain)
        sanction = apply_sanction(rule=rule, unit=unit, decided_on=day,
                                  **evidence(subject, len(chain), dates, [pk for _seq, pk, _on in chain]))
        if sanction:
            report.sanctions.append(f"{rule.code} {sanction.get_action_display()} {unit.name}")


def apply_ranking_rules(day: dt.date, report: DayReport) -> None:
    """Bottom-K streak rules (R4, R5) for the periods closed on `day`.

    A streak is the run of consecutive closed periods of the same kind, with no gap, in which
    the unit was in the bottom K of its group. A rule applies once, when the streak reaches its
    threshold; the streak goes on past it, and the same rule does not apply again in it.
    """
    periods = list(RankingPeriod.objects.filter(end=day, status=PeriodStatus.CLOSED))
    rules = list(
        EscalationRule.objects.filter(is_active=True, trigger=RuleTrigger.BOTTOM_STREAK)
        .prefetch_related("ranking_groups").order_by("order", "code")
    )
    if not periods or not rules:
        return
    for period in periods:
        run = figures.closed_run_before(period.start, period.kind)
        bottom = list(RankingEntry.objects.filter(period=period, in_bottom=True).select_related("unit", "group"))
        earlier = figures.bottom_streaks(run, [entry.unit_id for entry in bottom])
        for entry in bottom:
            length = 1 + earlier[entry.unit_id]
            first = ([period] + run)[length - 1]
            for rule in rules:
                if rule.threshold != length or not rule_applies(rule, entry.unit):
                    continue
                sanction = apply_sanction(
                    rule=rule, unit=entry.unit, evidence_key=f"unit:{entry.unit_id}:streak-from:{first.pk}",
                    reason=f"连续{length}个周期排名{entry.group.name}后三位（{first.name}至{period.name}）",
                    decided_on=day,
                    entries=[entry, *RankingEntry.objects.filter(unit=entry.unit, period__in=run[:length - 1])],
                )
                if sanction:
                    report.sanctions.append(f"{rule.code} {sanction.get_action_display()} {entry.unit.name}")


def send_reminders(today: dt.date, report: DayReport) -> None:
    """Remind units of notices due today, and of those due N working days from today (default 2)."""
    soon = add_working_days(today, Policy.current().reminder_days_before)
    due = (
        Notice.objects.filter(outcome=NoticeOutcome.OPEN, deadline__in=[today, soon],
                              finding__status=FindingStatus.ASSIGNED)
        .select_related("unit", "finding").order_by("deadline", "pk")
    )
    for notice in due:
        finding = notice.finding
        is_today = notice.deadline == today
        report.reminders += notify.notify_unit(
            unit=notice.unit,
            kind=NotificationKind.DUE_TODAY if is_today else NotificationKind.DUE_SOON,
            key=f"{'due-today' if is_today else 'due-soon'}:{notice.pk}:{notice.deadline.isoformat()}",
            title=(f"今天到期：{finding.display_number}" if is_today
                   else f"即将到期：{finding.display_number}（{notice.deadline.isoformat()}）"),
            body=f"{finding.description[:80]}。第{notice.seq}次整改通知，整改时限 {notice.deadline.isoformat()}。",
            path=reverse("finding_detail", args=[finding.pk]),
        )


def expire_sanctions(day: dt.date, report: DayReport) -> None:
    """Sanctions whose last day is before `day` are over (a bonus suspension after six months)."""
    # in the order of the (status, effective until) index, which serves the filter too
    due = list(Sanction.objects.filter(status=SanctionStatus.IN_FORCE, effective_until__lt=day)
               .select_related("unit").order_by("effective_until", "pk"))
    for sanction in due:
        with transaction.atomic():
            changed = Sanction.objects.filter(pk=sanction.pk, status=SanctionStatus.IN_FORCE).update(
                status=SanctionStatus.EXPIRED
            )
            if changed:
                AuditEvent.record(actor=None, obj=sanction, action="sanction_expired", before=SanctionStatus.IN_FORCE,
                                  after=SanctionStatus.EXPIRED,
                                  message=f"{sanction.get_action_display()}期满：{sanction.unit.name}（至 {sanction.effective_until}）")
                report.expired.append(f"{sanction.get_action_display()} {sanction.unit.name}")



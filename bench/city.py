"""A synthetic city for benchmarks, built fast with bulk inserts.

At scale 1.0: 1,000 units in a realistic tree, 300 index items, 2,000 sites and 500,000 findings
over three years with their notice chains, submissions, misses, relapses and sanctions, in the
proportions the demo and real ledgers show. Rows get explicit ids so a finding can point to its
current notice in the same pass (both databases check these foreign keys at commit).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from issues.core import access
from issues.core.access import Role
from issues.core.roles import ensure_roles
from issues.models import (
    Decision,
    EscalationRule,
    Finding,
    FindingStatus,
    IndexCategory,
    IndexItem,
    IndexSystem,
    MissKind,
    Notice,
    NoticeOutcome,
    Profile,
    RankingGroup,
    Sanction,
    Site,
    SiteType,
    Submission,
    Unit,
    UnitKind,
)
from issues.rankings import aggregates

BATCH = 5000


def build_city(*, scale: float = 1.0, today: dt.date | None = None, seed: int = 7) -> dict:
    """Fill an empty database; returns the row counts."""
    if Finding.objects.exists():
        raise RuntimeError("the benchmark city needs an empty database")
    today = today or timezone.localdate()
    rnd = random.Random(seed)
    ensure_roles()
    with transaction.atomic():
        units = _units(scale)
        items = _index(scale)
        sites = _sites(scale, units, rnd)
        office = User.objects.create_user("bench-office", password="bench-pass-2026", is_staff=True)
        office.groups.add(Group.objects.get(name=Role.OFFICE))
        leader = User.objects.create_user("bench-leader", password="bench-pass-2026")
        leader.groups.add(Group.objects.get(name=Role.LEADER))
        liaison = User.objects.create_user("bench-unit", password="bench-pass-2026")
        liaison.groups.add(Group.objects.get(name=Role.UNIT_LIAISON))
        Profile.objects.create(user=office)
        Profile.objects.create(user=leader)
        Profile.objects.create(user=liaison, unit=units[-1])
        counts = _findings(scale, today, rnd, units, items, sites, office)
    counts.update(units=len(units), items=len(items), sites=len(sites))
    # bulk inserts bypass the services, so the monthly figures are counted once afterwards
    started = time.perf_counter()
    counts["figure_months"] = aggregates.rebuild()
    counts["figures_seconds"] = round(time.perf_counter() - started, 1)
    with connection.cursor() as cursor:
        # as after any large load: statistics for the planner, and on PostgreSQL the visibility map
        # that lets an index-only scan skip the table (autovacuum would set it in a while)
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        if connection.vendor == "postgresql":
            # and the gigabyte just written goes to disk now, not while the pages are measured
            cursor.execute("CHECKPOINT")
    return counts


def _units(scale: float) -> list[Unit]:
    n = max(24, int(1000 * scale))
    groups = {name: RankingGroup.objects.create(name=name, order=i) for i, name in
              enumerate(["市直部门", "区县", "街道", "社区"], 1)}
    depts = [Unit(name=f"市直部门{i:03d}", kind=UnitKind.CITY_DEPT, ranking_group=groups["市直部门"],
                  is_civilized=i % 3 == 0) for i in range(max(6, n // 25))]
    districts = [Unit(name=f"区县{i:02d}", kind=UnitKind.DISTRICT, ranking_group=groups["区县"])
                 for i in range(max(2, n // 100))]
    Unit.objects.bulk_create(depts + districts)
    streets = [Unit(name=f"{d.name}街道{j:02d}", kind=UnitKind.STREET, parent=d, ranking_group=groups["街道"],
                    is_civilized=j % 2 == 0) for d in districts for j in range(10)]
    Unit.objects.bulk_create(streets)
    remaining = n - len(depts) - len(districts) - len(streets)
    communities = [Unit(name=f"{streets[i % len(streets)].name}社区{i:04d}", kind=UnitKind.COMMUNITY,
                        parent=streets[i % len(streets)], ranking_group=groups["社区"], is_civilized=i % 4 == 0)
                   for i in range(max(remaining, len(streets)))]
    Unit.objects.bulk_create(communities, batch_size=BATCH)
    return list(Unit.objects.order_by("pk"))


def _index(scale: float) -> list[IndexItem]:
    system = IndexSystem.objects.create(name="基准测试测评体系（合成数据）", year=2021, is_current=True)
    categories = IndexCategory.objects.bulk_create(
        IndexCategory(system=system, name=f"测评项目{i:02d}", order=i) for i in range(20))
    n = max(30, int(300 * scale))
    IndexItem.objects.bulk_create(
        IndexItem(system=system, category=categories[i % 20], code=f"B-{i:03d}", name=f"测评内容{i:03d}",
                  points=Decimal("2"), is_key=i % 10 == 0) for i in range(n))
    return list(IndexItem.objects.filter(system=system).order_by("pk"))


def _sites(scale: float, units: list[Unit], rnd: random.Random) -> list[Site]:
    types = SiteType.objects.bulk_create(SiteType(code=f"BT-{i:02d}", name=f"点位类型{i:02d}") for i in range(41))
    locals_ = [u for u in units if u.kind in (UnitKind.STREET, UnitKind.COMMUNITY)]
    n = max(40, int(2000 * scale))
    Site.objects.bulk_create(
        (Site(name=f"点位{i:05d}", site_type=types[i % len(types)], address=f"合成路{i}号",
              default_unit=rnd.choice(locals_)) for i in range(n)), batch_size=BATCH)
    return list(Site.objects.order_by("pk"))


def _findings(scale, today, rnd, units, items, sites, office) -> dict:
    n = max(500, int(500_000 * scale))
    finding_id = (Finding.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    notice_id = 1
    findings, notices, submissions, sanctions = [], [], [], []
    r1 = EscalationRule.objects.get(code="R1")
    closed_pairs: list[tuple[int, int, dt.date]] = []
    counts = {"findings": 0, "notices": 0, "submissions": 0, "sanctions": 0, "relapses": 0}
    unit_ids = [u.pk for u in units]
    tops = access.top_units()
    day_offsets = sorted(rnd.randrange(0, 1095) for _ in range(n))[::-1]  # oldest first

    def flush(final=False):
        if len(findings) >= BATCH or final:
            Finding.objects.bulk_create(findings, batch_size=BATCH)
            Notice.objects.bulk_create(notices, batch_size=BATCH)
            Submission.objects.bulk_create(submissions, batch_size=BATCH)
            Sanction.objects.bulk_create(sanctions, batch_size=BATCH)
            counts["findings"] += len(findings)
            counts["notices"] += len(notices)
            counts["submissions"] += len(submissions)
            counts["sanctions"] += len(sanctions)
            findings.clear()
            notices.clear()
            submissions.clear()
            sanctions.clear()

    for offset in day_offsets:
        found = today - dt.timedelta(days=offset)
        site = sites[rnd.randrange(len(sites))]
        item = items[rnd.randrange(len(items))]
        lead = site.default_unit_id if rnd.random() < 0.5 else unit_ids[rnd.randrange(len(unit_ids))]
        roll = rnd.random()
        recent = offset < 10
        if recent and roll < 0.3:
            status = FindingStatus.REGISTERED
        elif roll < 0.03:
            status = FindingStatus.VOID
        elif offset < 30 and roll < 0.55:
            status = FindingStatus.ASSIGNED if roll < 0.45 else FindingStatus.SUBMITTED
        else:
            status = FindingStatus.CLOSED
        m = rnd.random()
        misses = 0 if m < 0.7 else 1 if m < 0.9 else 2 if m < 0.97 else 3 if m < 0.99 else 4
        relapse_of = None
        if closed_pairs and rnd.random() < 0.03:
            relapse_of = closed_pairs[rnd.randrange(len(closed_pairs))][0]
            counts["relapses"] += 1
        finding = Finding(
            pk=finding_id, number=f"BM{finding_id:07d}", site_id=site.pk, index_item_id=item.pk, lead_unit_id=lead,
            lead_top_id=tops[lead],
            description=f"{site.name}：测评内容{item.code}不符合要求", address=site.address,
            deduction=Decimal(rnd.choice(["0.5", "1", "1", "2", "3"])), found_on=found, status=status,
            relapse_of_id=relapse_of, created_by_id=office.pk,
            void_reason="重复登记" if status == FindingStatus.VOID else "",
        )
        deadline = found
        issued = found
        last_notice = None
        if status != FindingStatus.REGISTERED:
            chain = misses + 1
            for seq in range(1, chain + 1):
                deadline = issued + dt.timedelta(days=7 if seq == 1 else 4)
                is_last = seq == chain
                outcome = NoticeOutcome.MISSED
                outcome_on = deadline
                kind = MissKind.DEADLINE if rnd.random() < 0.6 else MissKind.REJECTED
                if is_last:
                    kind = ""
                    if status == FindingStatus.CLOSED:
                        outcome, outcome_on = NoticeOutcome.MET, min(deadline, today)
                    elif status == FindingStatus.VOID:
                        outcome, outcome_on = NoticeOutcome.VOID, min(deadline, today)
                    else:
                        outcome, outcome_on = NoticeOutcome.OPEN, None
                        deadline = max(deadline, today - dt.timedelta(days=rnd.randrange(0, 5)))
                notices.append(Notice(pk=notice_id, finding_id=finding_id, seq=seq, unit_id=lead, issued_on=issued,
                                      deadline=deadline, outcome=outcome, outcome_on=outcome_on, miss_kind=kind))
                submitted_on = deadline - dt.timedelta(days=1)
                at = timezone.make_aware(dt.datetime.combine(submitted_on, dt.time(10)))
                if kind == MissKind.REJECTED:
                    submissions.append(Submission(notice_id=notice_id, note="已整改", submitted_by_id=office.pk,
                                                  submitted_at=at, submitted_on=submitted_on,
                                                  decision=Decision.REJECTED, decided_on=deadline, reason="未达要求"))
                elif is_last and status in (FindingStatus.CLOSED, FindingStatus.SUBMITTED):
                    approved = status == FindingStatus.CLOSED
                    submissions.append(Submission(
                        notice_id=notice_id, note="已整改", submitted_by_id=office.pk, submitted_at=at,
                        submitted_on=submitted_on, decision=Decision.APPROVED if approved else Decision.PENDING,
                        decided_on=min(deadline, today) if approved else None))
                last_notice = notice_id
                notice_id += 1
                issued = deadline
            if status == FindingStatus.CLOSED:
                finding.closed_on = min(deadline, today)
                closed_pairs.append((finding_id, item.pk, finding.closed_on))
                if len(closed_pairs) > 5000:
                    closed_pairs.pop(0)
            if misses >= 2:
                sanctions.append(Sanction(rule=r1, unit_id=lead, action=r1.action,
                                          evidence_key=f"finding:{finding_id}:misses:2", reason="第2次未按期整改",
                                          finding_id=finding_id, decided_on=found + dt.timedelta(days=11),
                                          effective_from=found + dt.timedelta(days=11)))
        finding.miss_count = misses if status != FindingStatus.REGISTERED else 0
        finding.current_notice_id = last_notice
        finding.deadline = deadline if last_notice else None
        findings.append(finding)
        finding_id += 1
        flush()
    flush(final=True)
    if connection.vendor == "postgresql":
        # the rows came with their ids: move the id sequences past them for the rows added later
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Finding, Notice, Submission, Sanction]):
                cursor.execute(sql)
    return counts

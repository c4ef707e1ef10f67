"""Inspection checklists (督查清单, DOMAIN.md "Field practice").

A site type's checklist is the current index system's items that apply to that type. An
inspection walks it at one site, marks each item 合格 / 不合格 / 不适用, and in the same
transaction turns every 不合格 into a finding (site, item, lead and co-units filled in from the
responsibility matrix, else the site's unit), with its photos, and issues its first notice
unless the round is covert and not yet published. The inspection is kept: a site's history and
the pass rate per site type (合格项 / (合格项 + 不合格项); 不适用 does not count).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.core import access
from issues.core.exceptions import LedgerError
from issues.findings.services import default_units, issue_notice, register_finding
from issues.models import (
    AuditEvent,
    FieldWindow,
    IndexItem,
    IndexSystem,
    Inspection,
    InspectionResult,
    InspectionRound,
    Site,
    Verdict,
    pass_rate,
)


def checklist(site: Site) -> list[IndexItem]:
    """The check items for the site's type in the current index system, by category and code; when that
    system has none for the type (or there is no current system yet, on a fresh install), those of the
    reference checklists installed with the ledger."""
    # the current system first, then the reference
    for system in IndexSystem.objects.filter(Q(is_current=True) | Q(is_reference=True)).order_by("is_reference"):
        items = list(
            IndexItem.objects.filter(system=system, site_types=site.site_type_id)
            .select_related("category", "system", "responsibility__lead_unit")
            .prefetch_related("responsibility__co_units")
            .order_by("category__order", "code")
        )
        if items:
            return items
    return []


@dataclass
class Mark:
    """One item as the inspector marked it."""

    item: IndexItem
    verdict: str
    note: str = ""
    photos: Sequence = field(default_factory=tuple)


@transaction.atomic
def record_inspection(
    *,
    actor,
    site: Site,
    marks: Sequence[Mark],
    note: str = "",
    inspection_round: InspectionRound | None = None,
    issue_now: bool = True,
    held_at: dt.datetime | None = None,
) -> Inspection:
    """Keep the inspection and make its findings, all or nothing."""
    access.ensure_office(actor)
    items = {item.pk: item for item in checklist(site)}
    if not items:
        raise LedgerError(_("点位类型“%(type)s”没有适用的检查项目。") % {"type": site.site_type.name})
    marked = {m.item.pk: m for m in marks}
    missing = [items[pk] for pk in items if pk not in marked]
    if missing:
        raise LedgerError(_("还有 %(n)d 项未检查：%(items)s。") % {
            "n": len(missing), "items": "、".join(f"{i.code} {i.name}" for i in missing[:5])})
    for mark in marks:
        if mark.item.pk not in items:
            raise LedgerError(_("%(code)s 不是该点位类型的检查项目。") % {"code": mark.item.code})
        if mark.verdict not in Verdict.values:
            raise LedgerError(_("%(code)s 的检查结果无效。") % {"code": mark.item.code})
        if mark.photos and mark.verdict != Verdict.FAIL:
            raise LedgerError(_("%(code)s 标为“%(verdict)s”，照片只随不合格项生成问题，请去掉照片或改为不合格。") % {
                "code": mark.item.code, "verdict": Verdict(mark.verdict).label})
    held_at = held_at or timezone.now()
    held_on = timezone.localdate(held_at)
    # units from this function's own checklist, whose responsibilities are already read
    units = {pk: default_units(item=items[pk], site=site) for pk in items if marked[pk].verdict == Verdict.FAIL}
    for pk, (lead, _co) in units.items():
        if lead is None:
            raise LedgerError(_("%(code)s %(name)s 没有牵头单位：请在责任分工中设置，或给点位设置属地责任单位。") % {
                "code": items[pk].code, "name": items[pk].name})
    counts = {v: sum(1 for m in marked.values() if m.verdict == v) for v in Verdict.values}
    inspection = Inspection.objects.create(
        site=site, site_type=site.site_type, inspection_round=inspection_round, inspector=actor,
        held_at=held_at, held_on=held_on, note=(note or "").strip(),
        passed=counts[Verdict.PASS], failed=counts[Verdict.FAIL], not_applicable=counts[Verdict.NOT_APPLICABLE],
    )
    hidden = inspection_round is not None and inspection_round.is_hidden
    results = []
    for pk in items:
        mark = marked[pk]
        finding = None
        if mark.verdict == Verdict.FAIL:
            lead, co = units[pk]
            text = (mark.note or "").strip()
            finding = register_finding(
                actor=actor, lead_unit=lead, co_units=co, site=site, index_item=mark.item, found_on=held_on,
                description=f"{mark.item.name}：{text}" if text else f"{mark.item.name}不合格（{mark.item.standard[:150]}）",
                inspection_round=inspection_round, photos=mark.photos,
                remarks=f"点位检查 {held_on.isoformat()}",
            )
            if issue_now and not hidden:
                issue_notice(actor=actor, finding_id=finding.pk, issued_on=held_on)
        results.append(InspectionResult(inspection=inspection, index_item=mark.item, verdict=mark.verdict,
                                        note=(mark.note or "").strip(), finding=finding))
    InspectionResult.objects.bulk_create(results)
    if held_on < timezone.localdate():
        # a walk dated in the past: the nightly counts that would have held it are no longer whole
        FieldWindow.objects.filter(end__gte=held_on).delete()
    AuditEvent.record(
        actor=actor, obj=inspection, action="inspection",
        message=(f"检查点位“{site.name}”：合格{inspection.passed}项，不合格{inspection.failed}项，"
                 f"不适用{inspection.not_applicable}项"),
        data={"site": site.pk, "findings": [r.finding_id for r in results if r.finding_id]},
    )
    return inspection


@dataclass
class TypeRate:
    site_type: str
    inspections: int
    passed: int
    failed: int
    not_applicable: int

    @property
    def pass_rate(self) -> Decimal | None:
        return pass_rate(self.passed, self.failed)


def pass_rates(*, start: dt.date | None = None, end: dt.date | None = None) -> list[TypeRate]:
    """Per site type: inspections, items passed / failed / not applicable, and the pass rate."""
    qs = Inspection.objects.all()
    if start:
        qs = qs.filter(held_on__gte=start)
    if end:
        qs = qs.filter(held_on__lte=end)
    rows = (qs.values("site_type__name", "site_type__order")
            .annotate(n=Count("pk"), passed=Sum("passed"), failed=Sum("failed"), na=Sum("not_applicable"))
            .order_by("site_type__order", "site_type__name"))
    return [TypeRate(r["site_type__name"], r["n"], r["passed"] or 0, r["failed"] or 0, r["na"] or 0)
            for r in rows]

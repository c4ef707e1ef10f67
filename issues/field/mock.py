"""Mock assessment (模拟测评): a round whose sites are drawn at random, N per site type, so its checklist
rates are an unbiased sample of the city (DOMAIN.md, "The assessment and its parts"). The draw is
seeded: the same seed over the same sites draws the same plan, and the plan prints as a Word file
with each type's checklist to walk."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from issues.core import access
from issues.core.exceptions import LedgerError
from issues.escalation import documents
from issues.findings import rounds
from issues.models import (
    AuditEvent,
    IndexItem,
    IndexSystem,
    Inspection,
    InspectionRound,
    PlannedSite,
    RoundSource,
    Site,
    SiteType,
)

MAX_PER_TYPE = 50


def draw_sites(seed: int, per_type: int, site_types: Iterable[SiteType] | None = None) -> list[tuple[SiteType, list[Site]]]:
    """(site type, its drawn sites) for every type with an active site: up to `per_type` of each, drawn
    by a generator seeded with (seed, type code) over the type's sites in id order."""
    types = list(site_types) if site_types is not None else list(SiteType.objects.order_by("order", "code"))
    by_type: dict[int, list[Site]] = {}
    for site in Site.objects.filter(is_active=True, site_type__in=types).select_related("default_unit").order_by("pk"):
        by_type.setdefault(site.site_type_id, []).append(site)
    plan = []
    for site_type in types:
        sites = by_type.get(site_type.pk, [])
        if not sites:
            continue
        chooser = random.Random(f"{seed}:{site_type.code}")  # noqa: S311 (a sampling plan, not a secret)
        plan.append((site_type, sorted(chooser.sample(sites, min(per_type, len(sites))), key=lambda s: s.name)))
    return plan


@transaction.atomic
def draw_mock_round(*, actor, name: str, held_on: dt.date, per_type: int, seed: int | None = None,
                    inspectors: str = "") -> InspectionRound:
    """A 模拟测评 round with its drawn sites; a seed given repeats an earlier draw."""
    access.ensure_office(actor)
    if not 1 <= per_type <= MAX_PER_TYPE:
        raise LedgerError(_("每类点位抽取数须在 1 到 {n} 之间。").format(n=MAX_PER_TYPE), field="per_type")
    seed = seed if seed is not None else 100000 + secrets.randbelow(900000)
    plan = draw_sites(seed, per_type)
    if not plan:
        raise LedgerError(_("还没有启用的点位，无法抽取。"))
    inspection_round = rounds.create_round(actor=actor, name=name, source=RoundSource.MOCK, held_on=held_on,
                                           inspectors=inspectors)
    inspection_round.draw_seed, inspection_round.draw_per_type = seed, per_type
    inspection_round.save(update_fields=["draw_seed", "draw_per_type"])
    order = 0
    rows = []
    for site_type, sites in plan:
        for site in sites:
            order += 1
            rows.append(PlannedSite(inspection_round=inspection_round, site=site, site_type=site_type, order=order))
    PlannedSite.objects.bulk_create(rows)
    AuditEvent.record(actor=actor, obj=inspection_round, action="mock_drawn",
                      message=f"模拟测评抽取点位：每类 {per_type} 个，种子 {seed}，共 {len(rows)} 个点位",
                      data={"seed": seed, "per_type": per_type, "sites": [r.site_id for r in rows]})
    return inspection_round


def plan_rows(inspection_round: InspectionRound) -> list[tuple[SiteType, list[PlannedSite]]]:
    """The round's drawn sites by type, each marked `.inspected` when an inspection of the round walked it."""
    walked = set(Inspection.objects.filter(inspection_round=inspection_round).values_list("site_id", flat=True))
    grouped: dict[int, tuple[SiteType, list[PlannedSite]]] = {}
    for planned in inspection_round.planned_sites.select_related("site", "site_type", "site__default_unit"):
        planned.inspected = planned.site_id in walked
        grouped.setdefault(planned.site_type_id, (planned.site_type, []))[1].append(planned)
    return list(grouped.values())


def checklists(site_types: Iterable[SiteType]) -> dict[int, list[IndexItem]]:
    """Each type's checklist in the current index system (else the reference one), by category and code."""
    ids = [t.pk for t in site_types]
    out: dict[int, list[IndexItem]] = {}
    system = (IndexSystem.objects.filter(is_current=True).first()
              or IndexSystem.objects.filter(is_reference=True).first())
    if system is None:
        return out
    for item in (IndexItem.objects.filter(system=system, site_types__in=ids).select_related("category")
                 .prefetch_related("site_types").order_by("category__order", "code").distinct()):
        for site_type in item.site_types.all():
            if site_type.pk in ids:
                out.setdefault(site_type.pk, []).append(item)
    return out


def plan_document(inspection_round: InspectionRound) -> bytes:
    """The printable plan: the draw (seed, N per type), then per type its sites and the checklist to walk."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    from issues.models import Policy

    policy = Policy.current()
    grouped = plan_rows(inspection_round)
    lists = checklists([site_type for site_type, _rows in grouped])
    doc = documents._new_document()
    documents._paragraph(doc, f"{inspection_round.name}点位抽取方案", align=WD_ALIGN_PARAGRAPH.CENTER,
                         font=documents.TITLE_FONT, size=22, space_after=18)
    total = sum(len(rows) for _t, rows in grouped)
    documents._paragraph(doc, (
        f"测评日期：{documents.chinese_date(inspection_round.held_on)}。按点位类型随机抽取，每类 "
        f"{inspection_round.draw_per_type or '—'} 个（不足的全部抽取），共 {len(grouped)} 类 {total} 个点位。"
        f"抽样种子 {inspection_round.draw_seed or '—'}：以同一种子重新抽取，结果相同。"), indent=True)
    for number, (site_type, rows) in enumerate(grouped, 1):
        documents._paragraph(doc, f"{number}. {site_type.name}（{len(rows)} 个）", bold=True)
        table = doc.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ("序号", "点位名称", "地址", "属地单位"), strict=True):
            cell.text = text
        for n, planned in enumerate(rows, 1):
            site = planned.site
            cells = table.add_row().cells
            cells[0].text, cells[1].text = str(n), site.name
            cells[2].text = site.address or ""
            cells[3].text = site.default_unit.name if site.default_unit else ""
        items = lists.get(site_type.pk, [])
        documents._paragraph(doc, "检查项目：" if items else "检查项目：（当前测评体系没有该类点位的检查项目）", size=14)
        for item in items:
            documents._paragraph(doc, f"□ {item.code} {item.name}" + (f"：{item.standard}" if item.standard else ""),
                                 size=12)
    documents._paragraph(doc)
    documents._paragraph(doc, policy.office_name, align=WD_ALIGN_PARAGRAPH.RIGHT)
    return documents._bytes(doc)

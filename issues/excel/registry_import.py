"""Import of the unit roster (责任单位名册) and of the measurement index with its responsibility
matrix (测评指标), both all or nothing and both safe to re-import: rows update what they match
(a unit by 单位名称, an item by 指标编码 within the system) and create the rest once."""

from __future__ import annotations

import re
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.core import access
from issues.excel.common import (
    CellError,
    ExcelRefused,
    Report,
    Row,
    RowError,
    SiteTypeMatcher,
    UnitMatcher,
    find_header,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_list,
    sheet_rows,
    squeeze,
)
from issues.findings.services import refresh_lead_tops
from issues.models import (
    AuditEvent,
    IndexCategory,
    IndexItem,
    IndexSystem,
    MaterialKind,
    MaterialRequirement,
    Policy,
    RankingGroup,
    Responsibility,
    SiteType,
    Unit,
    UnitKind,
)

UNIT_COLUMNS = ("序号", "单位名称", "简称", "单位类型", "上级单位", "排名分组", "文明单位", "获评日期",
                "党组织主要负责人", "行政主要负责人", "联系人", "联系电话")
INDEX_COLUMNS = ("序号", "指标编码", "测评项目", "测评内容", "测评标准", "分值", "关键项目", "适用点位类型",
                 "牵头单位", "配合单位", "责任领导", "材料要求", "材料截止日期")
MATERIAL_KINDS = {str(label): value for value, label in MaterialKind.choices}
# "创建工作实施方案（规范文件）": a title, then its kind in brackets (or after a | or a tab)
MATERIAL_LINE = re.compile(r"^(?P<title>.+?)\s*(?:[（(](?P<kind>[^（()）]+)[）)]|[|｜\t]\s*(?P<kind2>.+))?$")
KINDS = {str(label): value for value, label in UnitKind.choices}
LEADER = re.compile(r"^(?P<name>[^（(\s,，]+)[\s,，]*[（(]?(?P<post>[^）)]*)[）)]?$")


def _rows(path, *, marker: str, known: tuple[str, ...], required: tuple[str, ...], report: Report):
    with sheet_rows(path) as sheet:
        table = find_header(sheet.rows, marker=marker, known=known, max_rows=Policy.current().max_import_rows)
        missing = [name for name in required if name not in table.columns]
        if missing:
            raise ExcelRefused(_("没有找到“%(names)s”列。") % {"names": "”“".join(missing)})
        report.unknown_columns = table.unknown
        rows = [Row(number, values, table.columns) for number, values in table.rows]
    report.rows = len(rows)
    return rows


def split_leader(text: str) -> tuple[str, str]:
    """"张三 党委书记", "张三（党委书记）", "张三,党委书记" → (name, post)."""
    text = text.strip()
    match = LEADER.match(text)
    if not match:
        return text[:40], ""
    return match.group("name")[:40], match.group("post").strip()[:60]


# --- units -----------------------------------------------------------------------------------


def import_units(path: Path | str, *, actor, dry_run: bool = False) -> Report:
    access.ensure_office(actor)
    report = Report(kind="units", dry_run=dry_run)
    rows = _rows(path, marker="单位名称", known=UNIT_COLUMNS, required=("单位名称", "单位类型"), report=report)
    existing = {squeeze(u.name): u for u in Unit.objects.all()}
    in_file: dict[str, int] = {}
    parsed = []
    for row in rows:
        errors = []
        name = row.text("单位名称")
        if not name:
            errors.append(RowError(row.number, "单位名称", "", _("必填，不能为空")))
        elif len(name) > 100:
            errors.append(RowError(row.number, "单位名称", name, _("不能超过 100 个字")))
        elif squeeze(name) in in_file:
            errors.append(RowError(row.number, "单位名称", name,
                                   _("与第%(row)d行重复") % {"row": in_file[squeeze(name)]}))
        else:
            in_file[squeeze(name)] = row.number
        kind_text = squeeze(row.text("单位类型"))
        kind = KINDS.get(kind_text)
        if kind is None:
            errors.append(RowError(row.number, "单位类型", row.text("单位类型"),
                                   _("必须是以下之一：%(kinds)s") % {"kinds": "、".join(KINDS)}))
        values = {}
        for column, parse, key in (("文明单位", parse_bool, "is_civilized"), ("获评日期", parse_date, "civilized_since")):
            raw = row.raw(column)
            if raw is not None:
                try:
                    values[key] = parse(raw)
                except CellError as exc:
                    errors.append(RowError(row.number, column, raw, str(exc)))
        report.errors.extend(errors)
        if not errors:
            parsed.append((row, name, kind, values))
    # parents: in this file (any row) or already known
    known_names = set(existing) | set(in_file)
    for row, _name, _kind, _values in parsed:
        parent = row.text("上级单位")
        if parent and squeeze(parent) not in known_names:
            report.errors.append(RowError(row.number, "上级单位", parent, _("既不在本文件中，也不是已有单位")))
        elif parent and squeeze(parent) == squeeze(row.text("单位名称")):
            report.errors.append(RowError(row.number, "上级单位", parent, _("上级单位不能是本单位")))
    parents = {squeeze(row.text("单位名称")): squeeze(row.text("上级单位")) for row, *_rest in parsed
               if row.text("上级单位")}
    for row, name, *_rest in parsed:
        seen, node = set(), squeeze(name)
        while node in parents:
            if node in seen:
                report.errors.append(RowError(row.number, "上级单位", row.text("上级单位"), _("上级关系形成了循环")))
                break
            seen.add(node)
            node = parents[node]
    if report.errors:
        report.errors.sort(key=lambda e: (e.row, e.column))
        return report
    for row, name, *_rest in parsed:
        entry = {"row": row.number, "name": name}
        (report.updated if squeeze(name) in existing else report.created).append(entry)
    if dry_run:
        return report
    _write_units(parsed, existing, actor)
    return report


@transaction.atomic
def _write_units(parsed, existing: dict[str, Unit], actor) -> None:
    groups = {g.name: g for g in RankingGroup.objects.all()}
    units = dict(existing)
    for row, name, kind, values in parsed:
        group_name = row.text("排名分组")
        group = None
        if group_name:
            group = groups.get(group_name)
            if group is None:
                group = groups[group_name] = RankingGroup.objects.create(name=group_name[:60])
        party_name, party_post = split_leader(row.text("党组织主要负责人"))
        admin_name, admin_post = split_leader(row.text("行政主要负责人"))
        fields = {
            "kind": kind, "short_names": "、".join(parse_list(row.text("简称")))[:200],
            "contact_name": row.text("联系人")[:40], "contact_phone": row.text("联系电话")[:40], **values,
        }
        if group is not None:
            fields["ranking_group"] = group
        if row.raw("党组织主要负责人") is not None:
            fields.update(party_leader_name=party_name, party_leader_post=party_post)
        if row.raw("行政主要负责人") is not None:
            fields.update(admin_leader_name=admin_name, admin_leader_post=admin_post)
        unit = units.get(squeeze(name))
        if unit is None:
            unit = Unit.objects.create(name=name, **fields)
            units[squeeze(name)] = unit
        else:
            for key, value in fields.items():
                setattr(unit, key, value)
            unit.save()
    moved = False
    for row, name, _kind, _values in parsed:
        parent = row.text("上级单位")
        unit = units[squeeze(name)]
        parent_unit = units[squeeze(parent)] if parent else None
        if parent and unit.parent_id != parent_unit.pk:
            moved = moved or squeeze(name) in existing  # a unit new to the roster has no findings yet
            unit.parent = parent_unit
            unit.save(update_fields=["parent"])
    if moved:
        refresh_lead_tops()  # a unit that moved to another district takes its findings along
    if parsed:
        AuditEvent.record(actor=actor, obj=units[squeeze(parsed[0][1])], action="import_units",
                          message=f"导入责任单位名册：{len(parsed)} 个单位")


# --- the index -------------------------------------------------------------------------------


def import_index(path: Path | str, *, actor, system_name: str = "", dry_run: bool = False,
                 filename: str = "") -> Report:
    """Read and write an index workbook into the system named, else the current one. On a fresh install
    (no system but the reference checklists) the first system is named after the file (`filename`, the uploaded name, else the
    path's) and becomes current; the report's notes say so."""
    access.ensure_office(actor)
    report = Report(kind="index", dry_run=dry_run)
    rows = _rows(path, marker="指标编码", known=INDEX_COLUMNS, required=("指标编码", "测评项目", "测评内容"),
                 report=report)
    system = (IndexSystem.objects.filter(name=system_name).first() if system_name
              else IndexSystem.objects.filter(is_current=True).first())
    if system is None and not system_name:
        if IndexSystem.objects.filter(is_reference=False).exists():
            raise ExcelRefused(_("没有标记为当前使用的测评体系；请用 --system 指定体系名称（没有时会新建）。"))
        system_name = Path(filename or str(path)).stem.strip() or _("测评体系")
        report.notes.append(_("还没有测评体系：已按文件名新建“%(name)s”并设为当前体系。") % {"name": system_name})
    existing = {squeeze(i.code).upper(): i for i in IndexItem.objects.filter(system=system)} if system else {}
    matcher = UnitMatcher(Unit.objects.filter(is_active=True))
    site_types = SiteTypeMatcher(SiteType.objects.all())
    seen: dict[str, int] = {}
    parsed = []
    for row in rows:
        errors = []
        code, category, name = row.text("指标编码"), row.text("测评项目"), row.text("测评内容")
        for column, value in (("指标编码", code), ("测评项目", category), ("测评内容", name)):
            if not value:
                errors.append(RowError(row.number, column, "", _("必填，不能为空")))
        key = squeeze(code).upper()
        if code and key in seen:
            errors.append(RowError(row.number, "指标编码", code, _("与第%(row)d行重复") % {"row": seen[key]}))
        elif code:
            seen[key] = row.number
        values = {"standard": row.text("测评标准"), "name": name[:200], "code": code[:30]}
        for column, parse, field_name in (("分值", parse_decimal, "points"), ("关键项目", parse_bool, "is_key")):
            raw = row.raw(column)
            if raw is not None:
                try:
                    values[field_name] = parse(raw)
                except CellError as exc:
                    errors.append(RowError(row.number, column, raw, str(exc)))
        types = []
        for text in parse_list(row.text("适用点位类型")):
            try:
                types.append(site_types.get(text))
            except CellError as exc:
                errors.append(RowError(row.number, "适用点位类型", text, str(exc)))
        lead, co = None, []
        if row.text("牵头单位"):
            try:
                lead = matcher.get(row.text("牵头单位"))
            except CellError as exc:
                errors.append(RowError(row.number, "牵头单位", row.text("牵头单位"), str(exc)))
        for text in parse_list(row.text("配合单位")):
            try:
                co.append(matcher.get(text))
            except CellError as exc:
                errors.append(RowError(row.number, "配合单位", text, str(exc)))
        if (co or row.text("责任领导")) and not row.text("牵头单位"):
            errors.append(RowError(row.number, "牵头单位", "", _("填写了配合单位或责任领导时，牵头单位必填")))
        wanted = _material_lines(row, errors, has_lead=lead is not None or (
            key in existing and Responsibility.objects.filter(item=existing[key]).exists()))
        report.errors.extend(errors)
        if not errors:
            parsed.append((row, category[:100], values, types, lead, co, wanted))
    if report.errors:
        report.errors.sort(key=lambda e: (e.row, e.column))
        return report
    for row, _category, values, *_rest in parsed:
        entry = {"row": row.number, "code": values["code"], "name": values["name"]}
        (report.updated if squeeze(values["code"]).upper() in existing else report.created).append(entry)
    if dry_run:
        return report
    _write_index(parsed, system, system_name, existing, actor)
    return report


def _material_lines(row: Row, errors: list, *, has_lead: bool):
    """The row's 材料要求, one per line as (title, kind), with its 材料截止日期; None when the column is empty."""
    text = row.text("材料要求") if row.raw("材料要求") is not None else ""
    if not text.strip():
        if row.raw("材料截止日期") is not None:
            errors.append(RowError(row.number, "材料要求", "", _("填写了材料截止日期，但没有材料要求")))
        return None
    due = None
    raw = row.raw("材料截止日期")
    if raw is None:
        errors.append(RowError(row.number, "材料截止日期", "", _("有材料要求时必填")))
    else:
        try:
            due = parse_date(raw)
        except CellError as exc:
            errors.append(RowError(row.number, "材料截止日期", raw, str(exc)))
    if not has_lead:
        errors.append(RowError(row.number, "牵头单位", "", _("有材料要求时，牵头单位必填（材料由牵头单位报送）")))
    wanted, seen = [], set()
    for line in (part.strip() for part in str(row.raw("材料要求")).splitlines()):
        if not line:
            continue
        match = MATERIAL_LINE.match(line)
        title, kind_text = match.group("title").strip(), (match.group("kind") or match.group("kind2") or "").strip()
        kind = MaterialKind.OTHER
        if kind_text:
            kind = MATERIAL_KINDS.get(kind_text) or MATERIAL_KINDS.get(kind_text + "材料")
            if kind is None:
                errors.append(RowError(row.number, "材料要求", line, _("材料类型“{kind}”不认识，可选：{kinds}").format(
                    kind=kind_text, kinds="、".join(MATERIAL_KINDS))))
                continue
        if title in seen:
            errors.append(RowError(row.number, "材料要求", line, _("同一指标的材料名称重复")))
            continue
        seen.add(title)
        wanted.append((title[:200], kind))
    return [(title, kind, due) for title, kind in wanted]


def _write_materials(item: IndexItem, wanted, actor) -> None:
    """Create the requirements the row names, update the kind and due date of those that exist; the
    responsibility matrix gives the lead and co-units. A requirement the row no longer names is kept."""
    from issues.materials import services as materials

    responsibility = Responsibility.objects.select_related("lead_unit").get(item=item)
    co_units = list(responsibility.co_units.all())
    existing = {r.title: r for r in MaterialRequirement.objects.filter(item=item)}
    for order, (title, kind, due) in enumerate(wanted, 1):
        requirement = existing.get(title)
        if requirement is None:
            materials.create_requirement(actor=actor, item=item, title=title, kind=kind, lead_unit=responsibility.lead_unit,
                                         co_units=co_units, due_on=due, order=order)
            continue
        MaterialRequirement.objects.filter(pk=requirement.pk).update(kind=kind, order=order,
                                                                     lead_unit=responsibility.lead_unit)
        requirement.co_units.set([u for u in co_units if u.pk != responsibility.lead_unit_id])
        if requirement.miss_count == 0:  # a date the nightly job has moved stays where it put it
            materials.change_due_date(actor=actor, requirement_id=requirement.pk, due_on=due)


@transaction.atomic
def _write_index(parsed, system, system_name, existing, actor) -> None:
    if system is None:
        year = re.search(r"(19|20)\d{2}", system_name)  # "2021年版测评体系" is of 2021
        system = IndexSystem.objects.create(name=system_name, year=int(year.group()) if year else timezone.localdate().year,
                                            is_current=not IndexSystem.objects.filter(is_current=True).exists())
    categories = {c.name: c for c in IndexCategory.objects.filter(system=system)}
    for row, category_name, values, types, lead, co, wanted in parsed:
        category = categories.get(category_name)
        if category is None:
            category = categories[category_name] = IndexCategory.objects.create(
                system=system, name=category_name, order=len(categories) + 1)
        item = existing.get(squeeze(values["code"]).upper())
        if item is None:
            item = IndexItem(system=system, category=category)
        item.category = category
        for key, value in values.items():
            setattr(item, key, value)
        item.save()
        if row.raw("适用点位类型") is not None:
            item.site_types.set(types)
        if lead is not None:
            responsibility, _created = Responsibility.objects.update_or_create(
                item=item, defaults={"lead_unit": lead, "responsible_leader": row.text("责任领导")[:60]})
            responsibility.co_units.set([u for u in co if u.pk != lead.pk])
        if wanted is not None:
            _write_materials(item, wanted, actor)
    AuditEvent.record(actor=actor, obj=system, action="import_index",
                      message=f"导入测评指标：{system.name}，{len(parsed)} 项")

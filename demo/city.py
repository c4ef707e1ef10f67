"""A realistic demo city, built through the same services the users go through.

Reference data (site types, check standards) comes from issues/data/, copied from
../shared/data. Index points are the demo's own, and the index system says so in its name.
Findings span the last four months and walk the real lifecycle with past dates: notices,
fixes on time and late, approvals, rejections, misses with their next notices, transfers,
voids and relapses. Running it again adds nothing: every row has a natural key.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from issues.core.access import Role
from issues.core.roles import ensure_roles
from issues.findings import services as svc
from issues.models import (
    AssessmentEdition,
    CitizenReport,
    ExtensionRequest,
    Finding,
    FindingStatus,
    IndexCategory,
    IndexItem,
    IndexSystem,
    Inspection,
    InspectionRound,
    MaterialRequirement,
    MissKind,
    Notice,
    NoticeOutcome,
    Notification,
    Policy,
    Profile,
    Question,
    RankingGroup,
    RankingScheme,
    Responsibility,
    Sanction,
    Severity,
    Site,
    SiteType,
    Survey,
    Unit,
    UnitKind,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "issues" / "data"
DEMO_PASSWORD = "demo-pass-2026"
DEMO_SYSTEM = "全国文明城市测评体系（演示版，分值为演示数据）"
FINDINGS_TARGET = 320

DEPARTMENTS = [
    # name, short names, civilized, party leader, admin leader, username of its head
    ("市城市管理局", "市城管局、城管局", True, ("王建国", "党组书记"), ("王建国", "局长"), "chengguan"),
    ("市公安局", "公安局、市公安局交警支队、交警支队", True, ("李卫东", "党委书记"), ("李卫东", "局长"), "gongan"),
    ("市住房和城乡建设局", "市住建局、住建局", False, ("张志强", "党组书记"), ("赵明", "局长"), None),
    ("市市场监督管理局", "市市场监管局、市场监管局", True, ("刘芳", "党组书记"), ("刘芳", "局长"), None),
    ("市交通运输局", "交通运输局、市交通局", False, ("陈刚", "党组书记"), ("陈刚", "局长"), None),
    ("市教育局", "教育局", True, ("杨丽", "党组书记"), ("周平", "局长"), None),
]
DISTRICTS = {
    "城东区": {
        "东门街道": [("东门社区", "dongmen"), ("文昌社区", "wenchang")],
        "新华街道": [("新华社区", "xinhua"), ("和平社区", "heping")],
        "朝阳街道": [("朝阳社区", "chaoyang"), ("建设社区", "jianshe")],
    },
    "城西区": {
        "西湖街道": [("西湖社区", "xihu"), ("柳岸社区", "liuan")],
        "解放街道": [("解放社区", "jiefang"), ("胜利社区", "shengli")],
        "南山街道": [("南山社区", "nanshan"), ("松林社区", "songlin")],
    },
}
# Which department answers for a check item, by words of its category and site types.
LEAD_BY_WORD = [
    ("交通", "市公安局"), ("停车", "市公安局"), ("市场", "市市场监督管理局"), ("证照", "市市场监督管理局"),
    ("行业规范", "市市场监督管理局"), ("公交", "市交通运输局"), ("小区", "市住房和城乡建设局"),
    ("未成年人", "市教育局"), ("学校", "市教育局"), ("网吧", "市教育局"),
]
# Site type codes (site_types.csv) that a check item's site-type text names.
SITE_TYPE_WORDS = [
    ("农贸", "PT-24"), ("主次干道", "PT-22"), ("主干道", "PT-22"), ("次干道", "PT-22"),
    ("商业大街", "PT-21"), ("背街小巷", "PT-20"), ("交通路口", "PT-19"), ("小区", "PT-25"),
    ("公交", "PT-05"), ("社区", "PT-12"), ("学校", "PT-15"), ("网吧", "PT-36"),
]
SITES = [
    # name, site type code, district, street or community that answers by default
    ("东门农贸市场", "PT-24", "城东区", "东门街道"), ("西湖农贸市场", "PT-24", "城西区", "西湖街道"),
    ("人民路（主干道）", "PT-22", "城东区", None), ("解放大道（主干道）", "PT-22", "城西区", None),
    ("文昌路（次干道）", "PT-22", "城东区", "东门街道"), ("中山步行街", "PT-21", "城东区", "新华街道"),
    ("南山商业街", "PT-21", "城西区", "南山街道"), ("朝阳巷", "PT-20", "城东区", "朝阳街道"),
    ("柳岸巷", "PT-20", "城西区", "西湖街道"), ("胜利巷", "PT-20", "城西区", "解放街道"),
    ("人民路与解放大道交叉口", "PT-19", "城东区", None), ("火车站广场路口", "PT-19", "城西区", None),
    ("东门小区", "PT-25", "城东区", "东门社区"), ("文昌花园", "PT-25", "城东区", "文昌社区"),
    ("新华里小区", "PT-25", "城东区", "新华社区"), ("和平苑", "PT-25", "城东区", "和平社区"),
    ("朝阳新村", "PT-25", "城东区", "朝阳社区"), ("建设小区", "PT-25", "城东区", "建设社区"),
    ("西湖人家", "PT-25", "城西区", "西湖社区"), ("柳岸名苑", "PT-25", "城西区", "柳岸社区"),
    ("解放新村", "PT-25", "城西区", "解放社区"), ("胜利小区", "PT-25", "城西区", "胜利社区"),
    ("南山小区", "PT-25", "城西区", "南山社区"), ("松林苑", "PT-25", "城西区", "松林社区"),
    ("人民路公交站", "PT-05", "城东区", None), ("解放大道公交站", "PT-05", "城西区", None),
    ("东门社区服务中心", "PT-12", "城东区", "东门社区"), ("西湖社区服务中心", "PT-12", "城西区", "西湖社区"),
    ("市实验小学及周边", "PT-15", "城东区", None), ("星际网吧", "PT-36", "城西区", None),
]
SOURCES = ["市创文办日常督查", "市委督查室重点督查", "专项督查", "随机督查", "模拟测评", "市民随手拍", "省文明办暗访"]


@dataclass
class DemoSummary:
    units: int
    users: int
    items: int
    sites: int
    findings_created: int
    findings_total: int


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(settings.TIME_ZONE))


def demo_photo(label: str, seed: int, after: bool = False) -> tuple[str, bytes]:
    """A small JPEG drawn on the fly: a street scene of blocks, greener once fixed."""
    rnd = random.Random(seed)
    img = Image.new("RGB", (480, 360), (200, 210, 220) if after else (150, 140, 130))
    draw = ImageDraw.Draw(img)
    for _ in range(14):
        x, y = rnd.randrange(0, 440), rnd.randrange(60, 330)
        w, h = rnd.randrange(20, 120), rnd.randrange(10, 60)
        colour = (rnd.randrange(60, 120), rnd.randrange(150, 220), rnd.randrange(60, 120)) if after else (
            rnd.randrange(90, 200), rnd.randrange(60, 120), rnd.randrange(30, 80))
        draw.rectangle([x, y, x + w, y + h], fill=colour)
    draw.rectangle([0, 0, 480, 36], fill=(30, 30, 30))
    draw.text((10, 10), f"{label} {'AFTER' if after else 'BEFORE'}", fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    return f"{label}-{'after' if after else 'before'}.jpg", buf.getvalue()


@functools.cache
def _demo_password_hash() -> str:
    # One hash for every demo account: they share the password, and hashing costs half a second.
    return make_password(DEMO_PASSWORD)


def _user(username: str, full_name: str, role: str, unit: Unit | None = None, staff: bool = False) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": full_name, "is_staff": staff}
    )
    if created:
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=role))
    Profile.objects.update_or_create(user=user, defaults={"unit": unit})
    return user


def build_units() -> dict[str, Unit]:
    groups = {
        name: RankingGroup.objects.get_or_create(
            name=name, defaults={"order": order, "scheme": RankingScheme.DEFAULT}
        )[0]
        for order, name in enumerate(["市直部门", "区县", "街道", "社区"], 1)
    }
    units: dict[str, Unit] = {}

    def unit(name, kind, group, parent=None, short="", civilized=False, party=("", ""), admin=("", "")):
        obj, _ = Unit.objects.get_or_create(
            name=name,
            defaults=dict(
                kind=kind, parent=parent, ranking_group=groups[group], short_names=short,
                is_civilized=civilized, civilized_since=dt.date(2023, 12, 1) if civilized else None,
                party_leader_name=party[0], party_leader_post=party[1],
                admin_leader_name=admin[0], admin_leader_post=admin[1],
                contact_name="联络员", contact_phone="0000-0000000",
            ),
        )
        units[name] = obj
        return obj

    for name, short, civ, party, adm, _head in DEPARTMENTS:
        unit(name, UnitKind.CITY_DEPT, "市直部门", short=short, civilized=civ, party=party, admin=adm)
    for d_index, (district, streets) in enumerate(DISTRICTS.items()):
        d = unit(district, UnitKind.DISTRICT, "区县", party=("孙海", "区委书记"), admin=("吴军", "区长"))
        for s_index, (street, communities) in enumerate(streets.items()):
            s = unit(street, UnitKind.STREET, "街道", parent=d, civilized=(s_index + d_index) % 2 == 0,
                     party=("郑红", "党工委书记"), admin=("冯涛", "办事处主任"))
            for c_index, (community, _login) in enumerate(communities):
                unit(community, UnitKind.COMMUNITY, "社区", parent=s, civilized=c_index == 0,
                     party=("何静", "党委书记"), admin=("何静", "居委会主任"))
    return units


def build_users(units: dict[str, Unit]) -> list[User]:
    users = [
        _user("office", "创文办 张敏", Role.OFFICE, staff=True),
        _user("leader", "市领导 林书记", Role.LEADER),
        _user("supervisor", "督查室 罗主任", Role.SUPERVISION),
    ]
    for name, _short, _civ, _party, admin, head in DEPARTMENTS:
        if head:
            users.append(_user(head, f"{admin[0]}（{name}）", Role.UNIT_HEAD, units[name]))
    for streets in DISTRICTS.values():
        for communities in streets.values():
            for community, login in communities:
                users.append(_user(login, f"{community}联络员", Role.UNIT_LIAISON, units[community]))
    return users


def build_index(units: dict[str, Unit]) -> list[IndexItem]:
    with (DATA_DIR / "site_types.csv").open(encoding="utf-8") as fh:
        for order, row in enumerate(csv.DictReader(fh), 1):
            SiteType.objects.get_or_create(code=row["code"], defaults={"name": row["name"], "order": order})
    types = {t.code: t for t in SiteType.objects.all()}
    system, _ = IndexSystem.objects.get_or_create(
        name=DEMO_SYSTEM,
        defaults={"year": 2021, "is_current": not IndexSystem.objects.filter(is_current=True).exists(),
                  "note": "测评内容与标准摘自公开的测评手册与督查标准；分值与关键项目标记为演示数据，并非官方分值。"},
    )
    items = []
    with (DATA_DIR / "check_items.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if not r["code"].startswith(("CK-", "LCM-"))]
    for order, row in enumerate(rows, 1):
        category_name = row["category"].split("·", 1)[-1].split("(")[0]
        category, _ = IndexCategory.objects.get_or_create(system=system, name=category_name, defaults={"order": order})
        item, created = IndexItem.objects.get_or_create(
            system=system, code=row["code"],
            defaults=dict(category=category, name=row["item"][:200], standard=row["standard"],
                          points=Decimal(str(1 + (order % 5) * 0.5)), is_key=order % 4 == 0),
        )
        if created:
            words = row["site_types"] + row["category"]
            item.site_types.set({types[code] for word, code in SITE_TYPE_WORDS if word in words and code in types})
            lead_name = next((unit for word, unit in LEAD_BY_WORD if word in row["category"] + row["site_types"]), "市城市管理局")
            resp = Responsibility.objects.create(item=item, lead_unit=units[lead_name], responsible_leader="分管副市长")
            if lead_name != "市城市管理局":
                resp.co_units.set([units["市城市管理局"]])
        items.append(item)
    return items


def build_sites(units: dict[str, Unit]) -> list[Site]:
    types = {t.code: t for t in SiteType.objects.all()}
    sites = []
    for name, code, district, local in SITES:
        site, _ = Site.objects.get_or_create(
            name=name,
            defaults=dict(site_type=types[code], address=f"{district}{name.split('（')[0]}",
                          default_unit=units[local] if local else None),
        )
        sites.append(site)
    return sites


def build_rounds(today: dt.date, office: User) -> list[InspectionRound]:
    rounds = []
    for i in range(10):
        held = today - dt.timedelta(days=118 - i * 12)
        source = SOURCES[i % len(SOURCES)]
        name = f"{held:%Y年%m月}{source}第{i + 1}批交办问题"
        obj, _ = InspectionRound.objects.get_or_create(
            name=name,
            defaults=dict(source=source, held_on=held, inspectors="创文办督查组",
                          is_covert=source == "省文明办暗访",
                          published_at=_local(held + dt.timedelta(days=1), 9) if source == "省文明办暗访" else None,
                          created_by=office),
        )
        rounds.append(obj)
    return rounds


def _walk(finding: Finding, rnd: random.Random, today: dt.date, office: User, unit_users: dict[int, User],
          units: list[Unit]) -> None:
    """Take one registered finding through a plausible life up to today (the nightly job, run at the
    end of the seed, records the misses of deadlines left open)."""
    _live(finding, rnd, today, office, unit_users, units)


def _live(finding: Finding, rnd: random.Random, today: dt.date, office: User, unit_users: dict[int, User],
          units: list[Unit]) -> None:
    roll = rnd.random()
    if roll < 0.04 and (today - finding.found_on).days < 10:
        return  # logged, not yet assigned
    if roll < 0.07:
        svc.void_finding(actor=office, finding_id=finding.pk, reason="经核实不属于测评范围，重复登记")
        return
    notice = svc.issue_notice(actor=office, finding_id=finding.pk, issued_on=finding.found_on,
                              requirement="按照测评标准立即整改，并上传整改前后对比照片。")
    if roll < 0.11:
        actor = unit_users.get(notice.unit_id, office)
        other = rnd.choice([u for u in units if u.pk != notice.unit_id])
        transfer = svc.request_transfer(actor=actor, finding_id=finding.pk, to_unit=other,
                                        reason="该问题点位不在本单位管辖范围内，应由其他单位负责。")
        decided_on = notice.issued_on + dt.timedelta(days=1)
        if decided_on >= today:
            return  # the office has not decided yet
        approve = rnd.random() < 0.6
        svc.decide_transfer(actor=office, transfer_id=transfer.pk, approve=approve, decided_on=decided_on,
                            reason="" if approve else "经核实属于本单位职责，请按期整改。")
    for _step in range(8):
        finding.refresh_from_db()
        notice = finding.current_notice
        if notice.issued_on > today or finding.status != FindingStatus.ASSIGNED:
            return
        behaviour = rnd.random()
        actor = unit_users.get(notice.unit_id, office)
        if behaviour < 0.78:  # on time
            span = max((notice.deadline - notice.issued_on).days, 0)
            day = notice.issued_on + dt.timedelta(days=rnd.randint(0, span))
        elif behaviour < 0.88:  # late
            day = notice.deadline + dt.timedelta(days=rnd.randint(1, 4))
        else:
            day = None
        if day is None or day > today:
            if notice.deadline < today:
                svc.record_miss(notice_id=notice.pk, missed_on=notice.deadline, kind=MissKind.DEADLINE)
                continue
            return
        if day > notice.deadline and notice.deadline < today:
            # a late fix: the miss on the deadline comes first, the fix carries to the next notice
            svc.record_miss(notice_id=notice.pk, missed_on=notice.deadline, kind=MissKind.DEADLINE)
            finding.refresh_from_db()
            notice = finding.current_notice
            if day < notice.issued_on:
                day = notice.issued_on
        sub = svc.submit_fix(
            actor=actor, notice_id=notice.pk, note="已按要求完成整改，清理现场并落实长效管理。",
            photos=[demo_photo(finding.display_number, finding.pk * 7 + _step, after=True)],
            submitted_at=_local(day, rnd.randint(9, 17), rnd.randint(0, 59)),
        )
        review_day = day + dt.timedelta(days=rnd.randint(1, 3))
        if review_day >= today:
            return  # waiting for the office
        if rnd.random() < 0.8:
            svc.approve_submission(actor=office, submission_id=sub.pk, decided_on=review_day)
            return
        svc.reject_submission(actor=office, submission_id=sub.pk, decided_on=review_day,
                              reason="整改不彻底，现场仍有问题，请重新整改。")


DEMO_CHUNK = 50  # findings walked in one transaction, with one recount of their monthly figures


def build_findings(today: dt.date, units: dict[str, Unit], items: list[IndexItem], sites: list[Site],
                   rounds: list[InspectionRound], users: list[User]) -> int:
    rnd = random.Random(20261129)
    office = next(u for u in users if u.username == "office")
    unit_users = {u.profile.unit_id: u for u in users if u.profile.unit_id}
    all_units = list(units.values())
    by_type: dict[int, list[IndexItem]] = {}
    for item in items:
        for st in item.site_types.all():
            by_type.setdefault(st.pk, []).append(item)
    plans, used = [], set()
    for i in range(FINDINGS_TARGET):
        found_on = today - dt.timedelta(days=rnd.randint(0, 120))
        # a fresh site and item each time, so relapses are only the deliberate repeats below
        for attempt in range(40):
            site = rnd.choice(sites)
            item = rnd.choice(by_type.get(site.site_type_id) if attempt < 20 and site.site_type_id in by_type else items)
            if (site.pk, item.pk) not in used:
                break
        used.add((site.pk, item.pk))
        if i < len(all_units):
            lead = all_units[i]  # every unit has findings
        elif site.default_unit_id and rnd.random() < 0.5:
            lead = site.default_unit
        else:
            lead = item.responsibility.lead_unit
        plans.append((found_on, i, site, item, lead))
    # a few repeats of the same site and item: relapses once the first is closed
    for found_on, i, site, item, lead in list(plans[:25]):
        later = found_on + dt.timedelta(days=rnd.randint(15, 40))
        if later <= today:
            plans.append((later, FINDINGS_TARGET + i, site, item, lead))
    plans.sort(key=lambda p: (p[0], p[1]))
    created = 0
    for start in range(0, len(plans), DEMO_CHUNK):
        with transaction.atomic():
            created += _walk_chunk(plans[start:start + DEMO_CHUNK], rnd, today, office, unit_users, all_units,
                                   rounds)
    return created


def _walk_chunk(plans, rnd, today, office, unit_users, all_units, rounds) -> int:
    """Fifty findings walked, each in its own transaction."""
    created = 0
    for found_on, i, site, item, lead in plans:
        number = f"DEMO-{i + 1:04d}"
        if Finding.objects.filter(number=number).exists():
            continue
        rnd_round = [r for r in rounds if r.held_on <= found_on]
        with transaction.atomic():
            finding = svc.register_finding(
                actor=office, number=number, lead_unit=lead, site=site, index_item=item,
                description=f"{site.name}：{item.name}不符合要求（{item.standard[:40]}）",
                found_on=found_on, deduction=Decimal(rnd.choice(["0.5", "1", "1", "2", "3"])),
                severity=rnd.choices(list(Severity.values), weights=[7, 2, 1])[0],
                inspection_round=rnd_round[-1] if rnd_round and rnd.random() < 0.85 else None,
                co_units=list(item.responsibility.co_units.all()),
                photos=[demo_photo(number, i)],
            )
            _walk(finding, rnd, today, office, unit_users, all_units)
        created += 1
    return created


def build_field_practice(today: dt.date, users: list[User], sites: list[Site]) -> None:
    """Receipts, extension requests, a few checklist walks and a covert round not yet published,
    so that every page of the field practice has something to show."""
    from issues.field import services as inspections
    from issues.findings import extensions, receipts

    rnd = random.Random(20261130)
    office = next(u for u in users if u.username == "office")
    unit_users = {u.profile.unit_id: u for u in users if u.profile.unit_id}
    # units signed for nine notices in ten, a few working hours after they came
    signed = []
    for notice in Notice.objects.filter(acknowledged_at__isnull=True).only("pk", "issued_on", "unit_id"):
        if rnd.random() < 0.9:
            notice.acknowledged_at = _local(notice.issued_on, rnd.choice([9, 10, 11, 14, 15, 16]), rnd.randint(0, 59))
            notice.acknowledged_by = unit_users.get(notice.unit_id)
            signed.append(notice)
    Notice.objects.bulk_update(signed, ["acknowledged_at", "acknowledged_by"], batch_size=500)
    # extension requests on notices still running: three approved, one refused, one waiting
    open_notices = [] if ExtensionRequest.objects.exists() else list(
        Notice.objects.filter(outcome=NoticeOutcome.OPEN, deadline__gte=today, finding__status=FindingStatus.ASSIGNED,
                              unit_id__in=list(unit_users)).order_by("pk")[:5])
    for n, notice in enumerate(open_notices):
        asker = unit_users[notice.unit_id]
        ext = extensions.request_extension(
            actor=asker, notice_id=notice.pk, deadline=notice.deadline + dt.timedelta(days=7),
            reason="需协调产权单位共同施工，材料采购周期较长，申请延期一周。",
        )
        if n < 3:
            extensions.decide_extension(actor=office, extension_id=ext.pk, approve=True, reason="同意，请按新时限完成。")
        elif n == 3:
            extensions.decide_extension(actor=office, extension_id=ext.pk, approve=False,
                                        reason="该问题整改难度不大，请按原时限完成。")
    # checklist walks at three sites: mostly 合格, a 不合格 or two becoming findings
    walked = 3 if Inspection.objects.exists() else 0
    for site in sites if walked < 3 else ():
        items = inspections.checklist(site)
        if len(items) < 3 or site.inspections.exists():
            continue
        marks = [inspections.Mark(item=item, verdict=rnd.choices(["pass", "fail", "na"], weights=[7, 2, 1])[0],
                                  note="") for item in items]
        for mark in marks:
            if mark.verdict == "fail":
                mark.note = "现场检查发现不符合测评标准"
        inspections.record_inspection(actor=office, site=site, marks=marks, note="日常督查",
                                      held_at=_local(today - dt.timedelta(days=walked + 1), 10))
        walked += 1
        if walked == 3:
            break
    # a covert round of the province, logged but not yet published: units cannot see it
    name = f"{today:%Y年%m月}省文明办暗访（待发布）"
    covert, created = InspectionRound.objects.get_or_create(
        name=name, defaults=dict(source="省文明办暗访", held_on=today - dt.timedelta(days=2), is_covert=True,
                                 inspectors="省文明办暗访组", created_by=office))
    if created:
        for site in sites[:3]:
            items = inspections.checklist(site)
            if not items:
                continue
            item = items[0]
            lead, co = svc.default_units(item=item, site=site)
            if lead is None:
                continue
            svc.register_finding(actor=office, lead_unit=lead, co_units=co, site=site, index_item=item,
                                 found_on=covert.held_on, inspection_round=covert,
                                 description=f"{site.name}：{item.name}（暗访发现）")
    receipts.remind_unacknowledged()


CITIZEN_REPORTS = [  # (days ago, hour, description, address, phone, what the office did)
    (4, 9, "人行道上共享单车乱停乱放，挡住了盲道", "人民路与解放路交叉口", "13912345678", "waiting"),
    (1, 20, "小区门口垃圾桶满了没人清理，气味很大", "东门路 12 号", "", "waiting"),
    (0, 8, "公交站台广告牌破损，玻璃碎了一地", "新华路公交站", "13800001111", "waiting"),
    (6, 15, "农贸市场门口占道经营", "", "13700002222", "accepted"),
    (5, 11, "加微信领红包", "不详", "", "declined"),
    (3, 17, "同一个市场门口的流动摊贩", "", "", "merged"),
]


def build_citizen_reports(today: dt.date, users: list[User], sites: list[Site]) -> None:
    """A few citizen reports in each state, and two findings on the exposure board (once)."""
    from issues.reports import services as citizen

    if CitizenReport.objects.exists():
        return
    office = next(u for u in users if u.username == "office")
    market = next((s for s in sites if s.site_type.code == "PT-24"), sites[0])
    target = Finding.objects.filter(site=market, status=FindingStatus.ASSIGNED).order_by("-found_on").first()
    for n, (days, hour, description, address, phone, outcome) in enumerate(CITIZEN_REPORTS):
        report = citizen.submit_report(
            description=description, photos=[demo_photo(f"R{n + 1}", 900 + n)], address=address,
            site=market if not address else None, phone=phone, client_ip=f"10.20.0.{n + 1}",
            now=_local(today - dt.timedelta(days=days), hour))
        if outcome == "declined":
            citizen.decline_reports(actor=office, report_ids=[report.pk], note="广告",
                                    reply="您好，您提交的内容与创文整改无关，不予受理。")
        elif target is not None and outcome == "accepted":
            citizen.accept_report(actor=office, report_id=report.pk, finding=target)
        elif target is not None and outcome == "merged":
            citizen.merge_report(actor=office, report_id=report.pk, finding_id=target.pk,
                                 reply="您反映的问题已在整改中，感谢监督！")
    for finding in Finding.objects.filter(status=FindingStatus.ASSIGNED, miss_count__gte=1,
                                          photos__isnull=False).distinct().order_by("-found_on")[:2]:
        citizen.expose_finding(actor=office, finding_id=finding.pk,
                               photo_ids=list(finding.photos.values_list("pk", flat=True)[:2]))


MATERIAL_TITLES = [("工作实施方案", "regulation"), ("工作情况说明", "statement"), ("现场实景照片", "photos"),
                   ("工作台账", "records")]


def demo_pdf(title: str) -> bytes:
    """A one-page PDF naming the material in a comment: enough for the demo's uploads and downloads."""
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n% " + title.encode()
            + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def build_materials(today: dt.date, users: list[User], items: list[IndexItem]) -> None:
    """Material requirements for every third item, in every state: approved, waiting, returned, not yet sent,
    and a few due last week that the nightly job finds missed."""
    from issues.materials import services as materials

    if MaterialRequirement.objects.exists():
        return
    office = next(u for u in users if u.username == "office")
    by_unit = {u.profile.unit_id: u for u in users if getattr(u, "profile", None) and u.profile.unit_id}
    rnd = random.Random(25)
    # the states in turn among requirements whose lead unit has a login to upload with; the others
    # are not yet sent (every fifth of them due last week, so the nightly job finds it missed)
    outcomes = ["approved", "pending", "approved", "returned", "missing", "overdue"]
    sent = unsent = 0
    for n, item in enumerate(items[::3]):
        responsibility = Responsibility.objects.filter(item=item).select_related("lead_unit").first()
        if responsibility is None:
            continue
        actor = by_unit.get(responsibility.lead_unit_id)
        for title, kind in MATERIAL_TITLES[n % 2: n % 2 + 1 + n % 3 % 2]:
            if actor is not None:
                outcome, sent = outcomes[sent % len(outcomes)], sent + 1
            else:
                outcome, unsent = ("overdue" if unsent % 5 == 0 else "missing"), unsent + 1
            due = today - dt.timedelta(days=6) if outcome == "overdue" else today + dt.timedelta(days=rnd.randint(5, 40))
            requirement = materials.create_requirement(
                actor=office, item=item, title=f"{item.name[:20]}{title}", kind=kind,
                lead_unit=responsibility.lead_unit, co_units=responsibility.co_units.all(), due_on=due)
            if outcome in ("missing", "overdue"):
                continue
            sub = materials.submit_material(
                actor=actor, requirement_id=requirement.pk, title=f"{responsibility.lead_unit.name}{title}",
                effective_on=today - dt.timedelta(days=rnd.randint(10, 200)),
                uploads=[(f"{title}.pdf", demo_pdf(f"{item.code} {title}"))])
            if outcome == "approved":
                materials.review_material(actor=office, submission_id=sub.pk, approve=True)
            elif outcome == "returned":
                materials.review_material(actor=office, submission_id=sub.pk, approve=False,
                                          reason="材料未加盖单位公章，请补充后重新报送。")


SURVEY_QUESTIONS = [
    ("您是否知道本市正在创建全国文明城市？", "single", ["知道", "听说过", "不知道"], "awareness", [1, 2]),
    ("您是否支持本市创建全国文明城市？", "single", ["支持", "无所谓", "不支持"], "support", [1]),
    ("近一年您参加过哪些创建活动？", "multiple", ["志愿服务", "文明劝导", "环境整治", "都没有参加"], "participation",
     [1, 2, 3]),
    ("您对城市公共环境卫生满意吗？", "single", ["满意", "比较满意", "不太满意", "不满意"], "satisfaction", [1, 2]),
    ("您对公共秩序（交通、市场）满意吗？", "single", ["满意", "比较满意", "不太满意", "不满意"], "satisfaction", [1, 2]),
    ("您对创建工作还有什么建议？", "text", [], "", []),
]


def build_survey(today: dt.date, users: list[User]) -> None:
    """The month's survey in two versions with quotas per district, a poster link, and answers from the
    public and from paper (more of them in the first district, so the quotas differ)."""
    from issues.surveys import services as surveys

    if Survey.objects.exists():
        return
    office = next(u for u in users if u.username == "office")
    start = today.replace(day=1) - relativedelta(months=1)
    survey = surveys.create_survey(actor=office, name=f"{start.year}年群众满意度调查（演示）", starts_on=start,
                                   ends_on=today + dt.timedelta(days=30), versions=[("A", "居民"), ("B", "学生")],
                                   edition=AssessmentEdition.current(), current=True)
    for text, kind, options, rate, yes in SURVEY_QUESTIONS:
        question = Question.objects.create(text=text, kind=kind, options=options, rate=rate, yes_options=yes)
        for version in survey.versions.all():
            surveys.add_question(actor=office, version=version, question=question)
    districts = list(Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("name"))
    for district in districts:
        surveys.set_quota(actor=office, survey=survey, district=district, target=40)
    surveys.create_link(actor=office, survey=survey, label="海报·市民广场")
    rnd = random.Random(26)
    for n in range(90):
        version = survey.versions.get(code="A" if n % 3 else "B")
        placed = list(version.questions.select_related("question"))
        district = districts[0] if n % 2 else rnd.choice(districts)
        given = {}
        for p in placed:
            q = p.question
            if q.kind == "text":
                given[p.pk] = rnd.choice(["", "", "希望多建公共厕所", "夜市油烟扰民，请加强管理"])
            elif q.kind == "multiple":
                given[p.pk] = sorted(rnd.sample(range(1, len(q.options) + 1), rnd.randint(1, 2)))
            else:
                given[p.pk] = rnd.choices(range(1, len(q.options) + 1), weights=[6, 3, 1, 1][:len(q.options)])[0]
        day = start + dt.timedelta(days=n % max((today - start).days, 1))
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
        surveys.submit_response(survey=survey, version=version, answers=given, now=moment, respondent=surveys.Respondent(
            district=district, source="paper" if n % 5 == 0 else "online", entered_by=office if n % 5 == 0 else None))


def seed_demo(*, today: dt.date | None = None) -> DemoSummary:
    today = today or timezone.localdate()
    ensure_roles()
    with transaction.atomic():
        units = build_units()
        users = build_users(units)
        items = build_index(units)
        sites = build_sites(units)
        office = next(u for u in users if u.username == "office")
        rounds = build_rounds(today, office)
        policy = Policy.current()
        if policy.next_assessment_date is None:
            policy.next_assessment_date = today + dt.timedelta(days=75)
            policy.save(update_fields=["next_assessment_date"])
        if not AssessmentEdition.objects.exists():  # the edition the dashboard counts down to
            AssessmentEdition.objects.create(name="全国文明城市测评（演示）", assessed_on=policy.next_assessment_date,
                                             index_system=items[0].system, is_current=True)
    created = build_findings(today, units, items, sites, rounds, users)
    build_materials(today, users, items)
    # what the nightly job would have decided over those months: sanctions on the misses
    from issues.escalation.services import run_escalations

    run_escalations(today=today)
    build_field_practice(today, users, sites)
    build_citizen_reports(today, users, sites)
    build_survey(today, users)
    # the months before the demo began are history: only the last week's misses and sanctions stay unread
    week_ago = today - dt.timedelta(days=7)
    recent = {f"miss:{pk}" for pk in Notice.objects.filter(outcome_on__gte=week_ago).values_list("pk", flat=True)}
    recent |= {f"sanction:{pk}" for pk in Sanction.objects.filter(decided_on__gte=week_ago).values_list("pk", flat=True)}
    Notification.objects.filter(read_at__isnull=True, kind__in=["miss", "sanction"]).exclude(key__in=recent).update(
        read_at=timezone.now()
    )
    return DemoSummary(
        units=len(units), users=len(users), items=len(items), sites=len(sites),
        findings_created=created, findings_total=Finding.objects.count(),
    )


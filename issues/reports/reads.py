"""What the citizen-report pages read: categories in plain words, the reporter's steps, the triage
queue's duplicate suggestions, the public boards and the dashboard's counts."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from django.db.models import Count, F, Prefetch, Q
from django.utils import timezone

from issues.models import (
    AWAITING_TRIAGE,
    OPEN_STATUSES,
    CitizenReport,
    Decision,
    Exposure,
    Finding,
    FindingStatus,
    IndexCategory,
    IndexSystem,
    Photo,
    ReportFeedback,
    ReportStatus,
    SiteType,
    Submission,
    Unit,
)
from issues.rankings import figures

# DOMAIN.md: suggested duplicates are open findings of the last 30 days, at the same site, within
# 100 m, or of the same site type and index category.
DUPLICATE_DAYS = 30
DUPLICATE_METRES = 100
PRAISE_MIN_DUE = 5
PRAISE_SIZE = 10


# --- categories (the form's list, Open311's services) ---------------------------------------------


@dataclass(frozen=True)
class Category:
    code: str  # "T<site type code>" or "C<index category id>": Open311's service_code
    name: str
    group: str


def categories() -> list[Category]:
    """The site types, then the current index system's categories, as the public picks them."""
    out = [Category(f"T{code}", name, "点位类型") for code, name in
           SiteType.objects.order_by("order", "code").values_list("code", "name")]
    system = IndexSystem.objects.filter(is_current=True).first()
    cats = IndexCategory.objects.filter(system=system) if system else IndexCategory.objects.none()
    out += [Category(f"C{pk}", name, "测评项目") for pk, name in cats.order_by("order", "pk").values_list("pk", "name")]
    return out


def resolve_category(code: str) -> dict:
    """{"site_type": …} or {"category": …} for a category code; {} for an unknown one."""
    code = (code or "").strip()
    if code.startswith("T"):
        site_type = SiteType.objects.filter(code=code[1:]).first()
        return {"site_type": site_type} if site_type else {}
    if code.startswith("C") and code[1:].isdigit():
        category = IndexCategory.objects.filter(pk=int(code[1:])).first()
        return {"category": category} if category else {}
    return {}


def category_code(report: CitizenReport) -> str:
    if report.category_id:
        return f"C{report.category_id}"
    if report.site_type_id:
        return f"T{report.site_type.code}"
    return ""


def category_name(report: CitizenReport) -> str:
    if report.category_id:
        return report.category.name
    return report.site_type.name if report.site_type_id else ""


# --- what the reporter sees -----------------------------------------------------------------------


def visible_finding(report: CitizenReport) -> Finding | None:
    """The report's finding as the public may see it: none while its covert round is unpublished."""
    if report.finding_id is None:
        return None
    finding = Finding.objects.select_related("inspection_round", "lead_unit").get(pk=report.finding_id)
    if finding.inspection_round_id and finding.inspection_round.is_hidden:
        return None
    return finding


def public_steps(report: CitizenReport, finding: Finding | None) -> list[dict]:
    """The tracking page's steps in time order: the report's own, and its finding's assignment,
    fix waiting for review and closure, in public words (no person's name)."""
    steps = [{"at": s.at, "label": s.get_status_display(), "text": s.text} for s in report.steps.all()]
    if finding is not None:
        first = finding.notices.order_by("seq").only("created_at").first()
        if first is not None:
            steps.append({"at": first.created_at, "label": "交办整改", "text": f"责任单位：{finding.lead_unit.name}"})
        last = (Submission.objects.filter(notice__finding=finding).order_by("-submitted_at", "-pk")
                .only("submitted_at", "decided_at", "decision").first())
        if finding.status == FindingStatus.SUBMITTED and last is not None:
            steps.append({"at": last.submitted_at, "label": "待复核", "text": "责任单位已反馈整改情况，等待复核。"})
        if finding.status == FindingStatus.CLOSED:
            at = (last.decided_at if last is not None and last.decision == Decision.APPROVED and last.decided_at
                  else timezone.make_aware(dt.datetime.combine(finding.closed_on, dt.time(12))))
            steps.append({"at": at, "label": "已销号", "text": "经复核整改到位，已销号。"})
    return sorted(steps, key=lambda step: step["at"])


# --- duplicates -----------------------------------------------------------------------------------


def metres_between(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance (haversine) in metres."""
    r = 6_371_000.0
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _box(lat: Decimal, lon: Decimal, prefix: str) -> Q:
    """Coordinates within a box of DUPLICATE_METRES around (lat, lon): the index-friendly first cut."""
    dlat = Decimal(DUPLICATE_METRES / 111_000)
    dlon = Decimal(DUPLICATE_METRES / (111_000 * max(math.cos(math.radians(float(lat))), 0.01)))
    return Q(**{f"{prefix}latitude__range": (lat - dlat, lat + dlat), f"{prefix}longitude__range": (lon - dlon, lon + dlon)})


def duplicate_suggestions(report: CitizenReport, *, photos=(), limit: int = 10) -> list[Finding]:
    """Open findings of the last 30 days (from the report's date) at the same site, within 100 m of the
    report's place (place_of, given the report's photos; for a finding, its site's coordinates or a photo's
    EXIF place), or at a site of the same type with an index item of the same category (DOMAIN.md); each
    with `.why`."""
    place = place_of(report, photos)
    since = timezone.localtime(report.received_at).date() - dt.timedelta(days=DUPLICATE_DAYS)
    match = Q(pk__in=[])
    if report.site_id:
        match |= Q(site_id=report.site_id)
    if place is not None:
        match |= _box(*place, "site__") | _box(*place, "photos__gps_")
    if report.site_type_id and report.category_id:
        match |= Q(site__site_type_id=report.site_type_id, index_item__category_id=report.category_id)
    rows = list(
        Finding.objects.filter(match, status__in=OPEN_STATUSES, found_on__gte=since).distinct()
        .select_related("site", "lead_unit", "index_item")
        .prefetch_related(Prefetch("photos", queryset=Photo.objects.only("pk", "finding_id", "gps_latitude",
                                                                          "gps_longitude")))
        .order_by("-found_on", "-pk")[:limit * 3])
    out = []
    for finding in rows:
        site, why = finding.site, []
        if report.site_id and finding.site_id == report.site_id:
            why.append("同一点位")
        if place is not None:
            spots = [(p.gps_latitude, p.gps_longitude) for p in finding.photos.all() if p.gps_latitude is not None]
            if site is not None and site.latitude is not None:
                spots.append((site.latitude, site.longitude))
            nearest = min((metres_between(*place, *spot) for spot in spots), default=None)
            if nearest is not None and nearest <= DUPLICATE_METRES:
                why.append(f"相距约 {nearest:.0f} 米")
        if (report.site_type_id and report.category_id and site is not None and finding.index_item_id
                and site.site_type_id == report.site_type_id and finding.index_item.category_id == report.category_id):
            why.append("同类点位、同一测评项目")
        if why:
            finding.why = "、".join(why)
            out.append(finding)
    return out[:limit]


# --- the public boards ----------------------------------------------------------------------------


def _live_exposures():
    """What the office exposed and has not withdrawn, never a finding of a covert round before it is
    published."""
    return Exposure.objects.filter(withdrawn_at__isnull=True).exclude(
        finding__inspection_round__is_covert=True, finding__inspection_round__published_at__isnull=True)


def exposures():
    """The exposure board's rows, newest first."""
    return (
        _live_exposures()
        .select_related("finding__lead_unit", "finding__site")
        .prefetch_related("photos")
        .order_by("-exposed_at", "-pk")
    )


def photo_is_exposed(photo_id: int) -> bool:
    return _live_exposures().filter(photos__pk=photo_id).exists()


def praise(today: dt.date) -> list[dict]:
    """The 点赞榜: the best units by on-time rate this month so far and last month, each with at
    least PRAISE_MIN_DUE notices due (DOMAIN.md)."""
    this_start = today.replace(day=1)
    last_end = this_start - dt.timedelta(days=1)
    boards = []
    for title, start, end in (("本月", this_start, today), ("上月", last_end.replace(day=1), last_end)):
        per_unit = figures.on_time_by_unit(start, end)
        ranked = sorted(((fig.on_time_rate, fig.due, unit_id) for unit_id, fig in per_unit.items()
                         if fig.due >= PRAISE_MIN_DUE and fig.on_time_rate is not None),
                        key=lambda row: (-row[0], -row[1], row[2]))[:PRAISE_SIZE]
        names = dict(Unit.objects.filter(pk__in=[row[2] for row in ranked]).values_list("pk", "name"))
        boards.append({"title": title, "start": start, "end": end, "rows": [
            {"unit": names[unit_id], "rate": rate, "due": due} for rate, due, unit_id in ranked]})
    return boards


# --- the dashboard --------------------------------------------------------------------------------


def month_counts(today: dt.date) -> dict:
    """Reports this month, triaged within their time, the share accepted, and "not fixed" answers."""
    start = today.replace(day=1)
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    month = CitizenReport.objects.filter(received_at__gte=since)
    row = month.aggregate(
        total=Count("pk"),
        triaged=Count("pk", filter=~Q(status__in=AWAITING_TRIAGE) & Q(triaged_at__isnull=False)),
        in_time=Count("pk", filter=Q(triaged_at__isnull=False, triaged_at__date__lte=F("triage_due"))),
        accepted=Count("pk", filter=Q(status__in=[ReportStatus.ACCEPTED, ReportStatus.MERGED])),
        waiting=Count("pk", filter=Q(status__in=AWAITING_TRIAGE)),
    )
    row["not_fixed"] = CitizenReport.objects.filter(feedback=ReportFeedback.NOT_FIXED,
                                                    feedback_at__gte=since).count()
    row["in_time_rate"] = figures.Figures.rate(row["in_time"], row["triaged"])
    row["accepted_rate"] = figures.Figures.rate(row["accepted"], row["triaged"])
    return row



# --- the place, on the phone's map app -------------------------------------------------------------


def place_of(report: CitizenReport, photos=()) -> tuple[Decimal, Decimal] | None:
    """Where the report is: the phone's location, else a photo's EXIF place, else the site's."""
    if report.latitude is not None and report.longitude is not None:
        return report.latitude, report.longitude
    for photo in photos:
        if photo.gps_latitude is not None and photo.gps_longitude is not None:
            return photo.gps_latitude, photo.gps_longitude
    site = report.site
    if site is not None and site.latitude is not None and site.longitude is not None:
        return site.latitude, site.longitude
    return None


def map_links(lat, lon, name: str) -> list[tuple[str, str]]:
    """Links that open the place in 高德 or 百度 (their URI APIs take GPS's WGS-84 and convert), or
    in whatever map app the phone has (geo:). No map tiles are loaded by the ledger."""
    label = quote(name or "随手拍")
    return [
        ("高德地图", f"https://uri.amap.com/marker?position={lon},{lat}&name={label}&coordinate=wgs84&callnative=1"),
        ("百度地图", f"https://api.map.baidu.com/marker?location={lat},{lon}&title={label}&content={label}"
                     "&coord_type=wgs84&output=html&src=webapp.chuangwen.ledger"),
        ("手机地图", f"geo:{lat},{lon}?q={lat},{lon}"),
    ]

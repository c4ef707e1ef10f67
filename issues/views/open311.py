"""Open311 GeoReport v2, a thin facade over the citizen-report services (DOMAIN.md, "Open311").

discovery, services (the report categories), a service's definition, requests (GET: the public
requests and their status; POST: a new citizen report awaiting triage, with an office-issued
api_key), one request, and a token's request; each in JSON and XML, with the specification's field
names and its error responses (a list of code and description; 400, 403, 404).
"""

from __future__ import annotations

import datetime as dt
import io

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.xmlutils import SimplerXMLGenerator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from issues.core.exceptions import LedgerError
from issues.models import (
    AWAITING_TRIAGE,
    ApiClient,
    CitizenReport,
    Finding,
    FindingStatus,
    ReportChannel,
    ReportStatus,
)
from issues.reports import reads
from issues.reports import services as report_services

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_DAYS = 90  # GET requests without dates: the last 90 days, as the specification suggests
MAX_REQUESTS = 1000
# the element a list's items are written as, in XML
ITEM_TAGS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
             "endpoints": "endpoint", "formats": "format", "keywords": "keyword"}


class FormatConverter:
    """`.json` or `.xml` at the end of an Open311 address."""

    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def _write(xml: SimplerXMLGenerator, tag: str, value) -> None:
    if isinstance(value, list):
        xml.startElement(tag, {})
        for item in value:
            _write(xml, ITEM_TAGS.get(tag, "item"), item)
        xml.endElement(tag)
    elif isinstance(value, dict):
        xml.startElement(tag, {})
        for key, inner in value.items():
            _write(xml, key, inner)
        xml.endElement(tag)
    else:
        text = "" if value is None else ("true" if value is True else "false" if value is False else str(value))
        xml.addQuickElement(tag, text)


def respond(data, fmt: str, root: str, status: int = 200) -> HttpResponse:
    """The same data as JSON or as the specification's XML, under `root`."""
    if fmt == "json":
        return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    buffer = io.StringIO()
    xml = SimplerXMLGenerator(buffer, "utf-8")
    xml.startDocument()
    _write(xml, root, data)
    xml.endDocument()
    return HttpResponse(buffer.getvalue(), status=status, content_type="text/xml; charset=utf-8")


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return respond([{"code": status, "description": description}], fmt, "errors", status=status)


def _w3c(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


# --- discovery and services ----------------------------------------------------------------------


@require_safe
def discovery(request, fmt):
    base = request.build_absolute_uri(reverse("open311_discovery", args=["json"])).rsplit("/", 1)[0] + "/"
    return respond({
        "changeset": "2026-12-05T00:00:00+08:00",
        "contact": settings.OPEN311_CONTACT,
        "key_service": settings.OPEN311_KEY_SERVICE,
        "endpoints": [{"specification": SPECIFICATION, "url": base, "changeset": "2026-12-05T00:00:00+08:00",
                       "type": "production", "formats": ["application/json", "text/xml"]}],
    }, fmt, "discovery")


def _service(cat: reads.Category) -> dict:
    return {"service_code": cat.code, "service_name": cat.name, "description": f"{cat.group}：{cat.name}",
            "metadata": False, "type": "batch", "keywords": "", "group": cat.group}


@require_safe
def services(request, fmt):
    return respond([_service(cat) for cat in reads.categories()], fmt, "services")


@require_safe
def service_definition(request, code, fmt):
    if not reads.resolve_category(code):
        return error(fmt, 404, f"没有编码为 {code} 的服务类别。")
    return respond({"service_code": code, "attributes": []}, fmt, "service_definition")


# --- requests ------------------------------------------------------------------------------------


def _status(report: CitizenReport, finding) -> tuple[str, str]:
    """Open311's status (open / closed) and the public note on it."""
    if report.status in AWAITING_TRIAGE:
        return "open", report.get_status_display()
    if report.status == ReportStatus.DECLINED:
        return "closed", report.reply
    if finding is None:  # accepted into a finding the public may not see yet
        return "open", "已受理"
    if finding.status in (FindingStatus.CLOSED, FindingStatus.VOID):
        return "closed", finding.get_status_display()
    return "open", finding.get_status_display()


def _request_row(report: CitizenReport, findings: dict) -> dict:
    finding = findings.get(report.finding_id)
    status, notes = _status(report, finding)
    return {
        "service_request_id": report.code,
        "status": status,
        "status_notes": notes,
        "service_name": reads.category_name(report),
        "service_code": reads.category_code(report),
        "description": report.description,
        "agency_responsible": finding.lead_unit.name if finding is not None else "",
        "service_notice": "",
        "requested_datetime": _w3c(report.received_at),
        "updated_datetime": _w3c(max(filter(None, [report.received_at, report.triaged_at, report.feedback_at]))),
        "expected_datetime": (_w3c(timezone.make_aware(dt.datetime.combine(finding.deadline, dt.time(23, 59))))
                              if finding is not None and finding.deadline and status == "open" else None),
        "address": report.address,
        "address_id": "",
        "zipcode": "",
        "lat": float(report.latitude) if report.latitude is not None else None,
        "long": float(report.longitude) if report.longitude is not None else None,
        "media_url": "",
    }


def _rows(reports: list[CitizenReport]) -> list[dict]:
    """Reports as Open311 requests; a finding of an unpublished covert round is not shown."""
    ids = {r.finding_id for r in reports if r.finding_id}
    findings = {f.pk: f for f in Finding.objects.filter(pk__in=ids).select_related("lead_unit", "inspection_round")
                if not (f.inspection_round_id and f.inspection_round.is_hidden)}
    return [_request_row(report, findings) for report in reports]


def _reports():
    return CitizenReport.objects.select_related("site_type", "category")


def _list_requests(request, fmt):
    params = request.GET
    reports = _reports()
    if params.get("service_request_id"):
        codes = [report_services.normal_code(c) for c in params["service_request_id"].split(",") if c.strip()]
        return respond(_rows(list(reports.filter(code__in=codes).order_by("-received_at", "-pk"))), fmt,
                       "service_requests")
    dates = {}
    for name in ("start_date", "end_date"):
        if params.get(name):
            moment = parse_datetime(params[name].replace(" ", "+"))
            if moment is None:
                return error(fmt, 400, f"{name} 不是 W3C 日期时间格式（例如 2026-12-01T00:00:00+08:00）。")
            dates[name] = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
    end = dates.get("end_date")
    start = dates.get("start_date") or ((end or timezone.now()) - dt.timedelta(days=DEFAULT_DAYS))
    reports = reports.filter(received_at__gte=start)
    if end:
        reports = reports.filter(received_at__lte=end)
    if params.get("service_code"):
        wanted = [c.strip() for c in params["service_code"].split(",") if c.strip()]
        match = [reads.resolve_category(c) for c in wanted]
        site_types = [m["site_type"] for m in match if "site_type" in m]
        categories = [m["category"] for m in match if "category" in m]
        reports = reports.filter(site_type__in=site_types, category__isnull=True) | reports.filter(
            category__in=categories)
    rows = _rows(list(reports.order_by("-received_at", "-pk")[:MAX_REQUESTS]))
    if params.get("status"):
        statuses = {s.strip() for s in params["status"].split(",")}
        if not statuses <= {"open", "closed"}:
            return error(fmt, 400, "status 只能是 open 或 closed。")
        rows = [row for row in rows if row["status"] in statuses]
    return respond(rows, fmt, "service_requests")


def _create_request(request, fmt):
    data = request.POST
    client = report_services.client_for_key(data.get("api_key", ""), scope=ApiClient.Scope.OPEN311)
    if client is None:
        return error(fmt, 403, "api_key 无效、已吊销或已过期。")
    code = data.get("service_code", "").strip()
    if not code:
        return error(fmt, 400, "缺少 service_code。")
    category = reads.resolve_category(code)
    if not category:
        return error(fmt, 400, f"没有编码为 {code} 的服务类别。")
    lat, lon = data.get("lat", "").strip(), data.get("long", "").strip()
    address = data.get("address_string", "").strip()
    if not ((lat and lon) or address):
        return error(fmt, 400, "需要位置：lat 和 long，或 address_string。")
    try:
        report = report_services.submit_report(
            description=data.get("description", ""), photos=request.FILES.getlist("media"), address=address,
            latitude=lat or None, longitude=lon or None, phone=data.get("phone", ""),
            client_ip=request.META.get("REMOTE_ADDR"), channel=ReportChannel.OPEN311, api_client=client,
            photo_required=False, **category,
        )
    except report_services.ReportRefused as exc:
        return error(fmt, 403, exc.message)
    except LedgerError as exc:
        return error(fmt, 400, exc.message)
    notice = f"已收到，将在 {report.triage_due.isoformat()} 前受理。"
    return respond([{"service_request_id": report.code, "token": report.code, "service_notice": notice,
                     "account_id": None}], fmt, "service_requests", status=201)


@csrf_exempt  # other systems post with an api_key, not a browser session
@require_http_methods(["GET", "HEAD", "POST"])
def service_requests(request, fmt):
    if request.method == "POST":
        return _create_request(request, fmt)
    return _list_requests(request, fmt)


@require_safe
def request_detail(request, code, fmt):
    report = _reports().filter(code=report_services.normal_code(code)).first()
    if report is None:
        return error(fmt, 404, f"没有编号为 {code} 的请求。")
    return respond(_rows([report]), fmt, "service_requests")


@require_safe
def token(request, code, fmt):
    report = CitizenReport.objects.filter(code=report_services.normal_code(code)).only("code").first()
    if report is None:
        return error(fmt, 404, f"没有令牌 {code}。")
    return respond([{"service_request_id": report.code, "token": report.code}], fmt, "service_requests")

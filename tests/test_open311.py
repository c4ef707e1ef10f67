"""Open311 GeoReport v2: a client written from the specification (field names, formats, errors), asking
every endpoint in JSON and in XML; a posted request lands in the office's triage queue."""

import datetime as dt
import io
import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own responses in a test

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from issues.models import ApiClient, CitizenReport, ReportChannel, ReportStatus
from issues.reports import services as reports
from tests.conftest import jpeg

# the specification's fields of a service and of a service request (GeoReport v2)
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}


def _element(node):
    """An XML element as JSON would have it: a list for repeated children, a dict, or text."""
    children = list(node)
    if not children:
        return node.text or ""
    tags = [child.tag for child in children]
    if len(set(tags)) == 1 and len(tags) > 1 or node.tag in ("services", "service_requests", "errors",
                                                                "endpoints", "formats", "attributes"):
        return [_element(child) for child in children]
    return {child.tag: _element(child) for child in children}


class Open311:
    """What another city system does: GET and POST under /open311/v2/, .json or .xml."""

    def __init__(self, fmt: str):
        self.fmt = fmt
        self.http = Client()

    def _parse(self, response):
        if self.fmt == "json":
            assert response["Content-Type"].startswith("application/json")
            return response.json()
        assert response["Content-Type"].startswith("text/xml")
        root = ET.fromstring(response.content)  # noqa: S314
        return root.tag, _element(root)

    def get(self, path: str, **params):
        response = self.http.get(f"/open311/v2/{path}.{self.fmt}", params)
        return response.status_code, self._parse(response)

    def post(self, **fields):
        response = self.http.post(f"/open311/v2/requests.{self.fmt}", fields)
        return response.status_code, self._parse(response)

    def body(self, parsed, root: str):
        """The payload, checking XML's root element name."""
        if self.fmt == "json":
            return parsed
        tag, value = parsed
        assert tag == root
        return value


@pytest.fixture
def key(city):
    _client, key = reports.issue_api_client(actor=city.office, name="12345热线")
    return key


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_and_services(city, fmt):
    api = Open311(fmt)
    status, parsed = api.get("discovery")
    discovery = api.body(parsed, "discovery")
    assert status == 200 and discovery["endpoints"]
    endpoint = discovery["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")
    status, parsed = api.get("services")
    services = api.body(parsed, "services")
    assert status == 200 and services
    assert all(set(service) == SERVICE_FIELDS for service in services)
    market = next(s for s in services if s["service_name"] == city.market_type.name)
    assert market["service_code"] == f"T{city.market_type.code}" and market["type"] == "batch"
    assert any(s["service_name"] == city.item.category.name and s["group"] == "测评项目" for s in services)
    status, parsed = api.get(f"services/{market['service_code']}")
    definition = api.body(parsed, "service_definition")
    assert status == 200 and definition["service_code"] == market["service_code"]
    status, parsed = api.get("services/NO-SUCH")
    errors = api.body(parsed, "errors")
    assert status == 404 and errors[0]["code"] in (404, "404") and "NO-SUCH" in errors[0]["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_posting_a_request_needs_a_key_a_service_and_a_place(city, key, fmt):
    api = Open311(fmt)
    code = f"T{city.market_type.code}"
    for fields, status, words in [
        ({"service_code": code, "lat": "22.54", "long": "114.05"}, 403, "api_key"),
        ({"api_key": "wrong", "service_code": code, "lat": "22.54", "long": "114.05"}, 403, "api_key"),
        ({"api_key": key, "lat": "22.54", "long": "114.05", "description": "x"}, 400, "service_code"),
        ({"api_key": key, "service_code": "T-NONE", "lat": "22.54", "long": "114.05"}, 400, "T-NONE"),
        ({"api_key": key, "service_code": code, "description": "井盖破损"}, 400, "address_string"),
        ({"api_key": key, "service_code": code, "lat": "95", "long": "114.05", "description": "x"}, 400, "纬度"),
        ({"api_key": key, "service_code": code, "lat": "22.54", "long": "114.05", "description": ""}, 400, "描述"),
    ]:
        got, parsed = api.post(**fields)
        errors = api.body(parsed, "errors")
        assert got == status, fields
        assert str(errors[0]["code"]) == str(status) and words in errors[0]["description"], errors
    assert not CitizenReport.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_posted_request_is_read_back_and_waits_in_the_triage_queue(city, key, fmt, client):
    api = Open311(fmt)
    status, parsed = api.post(api_key=key, service_code=f"T{city.market_type.code}", lat="22.543667",
                              long="114.058333", address_string="东门路 12 号", description="路灯不亮",
                              phone="13912345678", first_name="张")
    created = api.body(parsed, "service_requests")[0]
    assert status == 201 and created["token"] == created["service_request_id"]
    report = CitizenReport.objects.get(code=created["service_request_id"])
    assert report.channel == ReportChannel.OPEN311 and report.api_client.name == "12345热线"
    assert report.status == ReportStatus.RECEIVED and report.phone == "13912345678"
    status, parsed = api.get(f"tokens/{created['token']}")
    assert status == 200 and api.body(parsed, "service_requests")[0]["service_request_id"] == report.code
    status, parsed = api.get(f"requests/{report.code}")
    row = api.body(parsed, "service_requests")[0]
    assert status == 200 and set(row) == REQUEST_FIELDS
    assert row["status"] == "open" and row["description"] == "路灯不亮" and row["address"] == "东门路 12 号"
    assert float(row["lat"]) == pytest.approx(22.543667) and "13912345678" not in str(row)
    assert dt.datetime.fromisoformat(row["requested_datetime"]).utcoffset() == dt.timedelta(hours=8)
    for missing in ("requests/NOSUCH23", "tokens/NOSUCH23"):
        status, parsed = api.get(missing)
        assert status == 404 and str(api.body(parsed, "errors")[0]["code"]) == "404"
    client.force_login(city.office)
    assert report.code in client.get("/reports/").content.decode()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_requests_are_filtered_by_status_service_and_dates(city, key, fmt):
    api = Open311(fmt)
    declined = reports.submit_report(description="广告", address="x", photo_required=False)
    reports.decline_reports(actor=city.office, report_ids=[declined.pk], reply="无效信息")
    waiting = reports.submit_report(description="垃圾", address="y", site_type=city.market_type, photos=[jpeg()])
    old = reports.submit_report(description="旧的", address="z", photo_required=False,
                                now=dt.datetime(2026, 1, 5, 2, tzinfo=dt.UTC))

    def ids(**params):
        status, parsed = api.get("requests", **params)
        assert status == 200
        return {row["service_request_id"] for row in api.body(parsed, "service_requests")}

    assert ids() == {declined.code, waiting.code}  # the last 90 days by default
    assert ids(status="closed") == {declined.code}
    assert ids(status="open") == {waiting.code}
    assert ids(service_code=f"T{city.market_type.code}") == {waiting.code}
    assert ids(start_date="2026-01-01T00:00:00+08:00", end_date="2026-01-31T00:00:00+08:00") == {old.code}
    assert ids(service_request_id=f"{old.code},{waiting.code}") == {old.code, waiting.code}
    status, parsed = api.get("requests", start_date="last week")
    assert status == 400 and "start_date" in api.body(parsed, "errors")[0]["description"]
    status, parsed = api.get("requests", status="pending")
    assert status == 400


def test_a_request_follows_its_finding_and_hides_a_covert_one(city, key):
    from django.utils import timezone

    from issues.models import InspectionRound

    report = reports.submit_report(description="占道经营", address="东门路", photo_required=False)
    covert = InspectionRound.objects.create(name="暗访", held_on=dt.date(2026, 11, 2), is_covert=True)
    finding = city.finding(inspection_round=covert)
    reports.accept_report(actor=city.office, report_id=report.pk, finding=finding)
    api = Open311("json")
    row = api.get(f"requests/{report.code}")[1][0]
    assert (row["status"], row["status_notes"], row["agency_responsible"]) == ("open", "已受理", "")
    covert.published_at = timezone.now()
    covert.save(update_fields=["published_at"])
    row = api.get(f"requests/{report.code}")[1][0]
    assert row["agency_responsible"] == "东门社区" and row["status_notes"] == "待交办"


def test_a_request_with_a_photo_keeps_it_like_the_form(city, key):
    name, data = jpeg((1, 99, 1))
    response = Client().post("/open311/v2/requests.json", {
        "api_key": key, "service_code": f"C{city.item.category_id}", "address_string": "西湖路",
        "description": "公厕脏乱", "media": SimpleUploadedFile(name, data, content_type="image/jpeg")})
    assert response.status_code == 201
    report = CitizenReport.objects.get(code=response.json()[0]["service_request_id"])
    assert report.category == city.item.category and report.photos.count() == 1


def test_keys_are_issued_from_the_command_line_once_and_can_be_revoked_or_expire(city):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_client", "数字城管", "--open311", "--expires", "2026-12-31", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert len(key) >= 40 and "只显示这一次" in err.getvalue()
    client = ApiClient.objects.get(name="数字城管")
    assert client.key_hash != key and key not in client.key_hash and client.key_prefix == key[:8]

    def post():
        return Client().post("/open311/v2/requests.json", {
            "api_key": key, "service_code": f"T{city.market_type.code}", "address_string": "东门路",
            "description": "井盖缺失"}).status_code

    assert post() == 201
    client.expires_on = dt.date(2026, 1, 1)
    client.save()
    assert post() == 403
    client.expires_on, client.is_active = None, False
    client.save()
    assert post() == 403
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--open311"):
        call_command("create_api_client", "无用途")
    with pytest.raises(CommandError, match="已有名为"):
        call_command("create_api_client", "数字城管", "--open311")


def test_a_hotline_posting_many_requests_is_not_held_to_the_public_limit(city, key, settings):
    settings.REPORTS_PER_HOUR = 2
    for n in range(4):
        assert Open311("json").post(api_key=key, service_code=f"T{city.market_type.code}",
                                    address_string=f"东门路 {n} 号", description="井盖缺失")[0] == 201

"""Reminders and notifications: the bell, email, and WeCom / DingTalk robots on a local capture server."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail

from issues.core.access import Role
from issues.escalation.services import run_escalations
from issues.models import Notification, NotificationKind, OutboundMessage
from issues.notifications import delivery
from issues.notifications import messages as notify
from issues.notifications.tasks import retry_outbound
from tests.conftest import make_user

D = dt.date


class Capture:
    """A local HTTP server that records every robot message and answers like the robots do."""

    def __init__(self):
        self.requests: list[dict] = []
        self.fail_next = 0
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                capture.requests.append({"path": self.path, "body": body, "type": self.headers["Content-Type"]})
                if capture.fail_next:
                    capture.fail_next -= 1
                    answer = {"errcode": 45009, "errmsg": "api freq out of limit"}
                else:
                    answer = {"errcode": 0, "errmsg": "ok"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robots():
    capture = Capture()
    yield capture
    capture.close()


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """The nightly job, with what it queues after its commits delivered as a worker would."""

    def go(today):
        with django_capture_on_commit_callbacks(execute=True):
            return run_escalations(today=today)

    return go


@pytest.fixture
def people(city, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://chuangwen.example.cn"
    head = make_user("dongmen-head", Role.UNIT_HEAD, city.dongmen_sq)
    head.email = "head@dongmen.example.cn"
    head.save()
    city.dongmen_liaison.email = "liaison@dongmen.example.cn"
    city.dongmen_liaison.save()
    return city, head


def test_reminders_two_working_days_before_and_on_the_day(people, run):
    city, head = people
    city.assigned(description="周三到期", issued_on=D(2026, 11, 20), deadline=D(2026, 11, 25))
    city.assigned(description="周五到期", issued_on=D(2026, 11, 20), deadline=D(2026, 11, 27))
    city.assigned(description="下周到期", issued_on=D(2026, 11, 20), deadline=D(2026, 12, 2))
    run(D(2026, 11, 25))  # Wednesday: due today, and due Friday (2 working days)
    titles = sorted(Notification.objects.filter(recipient=head).values_list("kind", "title"))
    assert [k for k, _ in titles] == [NotificationKind.DUE_SOON, NotificationKind.DUE_TODAY]
    assert "2026-11-27" in titles[0][1]
    assert len(mail.outbox) == 4  # two people, two notices
    run(D(2026, 11, 25))
    assert Notification.objects.filter(recipient=head).count() == 2 and len(mail.outbox) == 4


def test_after_an_outage_only_the_last_days_reminders_go_out(people, run):
    city, head = people
    city.assigned(description="早就到期", issued_on=D(2026, 11, 2), deadline=D(2026, 11, 10))
    run(D(2026, 11, 5))
    Notification.objects.all().delete()
    run(D(2026, 11, 25))  # catches up 20 days
    kinds = set(Notification.objects.filter(recipient=head).values_list("kind", flat=True))
    assert NotificationKind.DUE_TODAY not in kinds and NotificationKind.MISS in kinds


def test_a_miss_and_a_sanction_are_notified_once_to_the_bell_and_by_email(people, client, run):
    city, head = people
    finding, _ = city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    run(D(2026, 11, 11))  # misses on 11-04 and 11-09, R1 on 11-09 (the next notice is due 11-12: no reminder yet)
    kinds = list(Notification.objects.filter(recipient=head).order_by("pk").values_list("kind", flat=True))
    assert kinds.count(NotificationKind.MISS) == 2 and kinds.count(NotificationKind.SANCTION) == 1
    sanction_mail = [m for m in mail.outbox if "通报批评" in m.subject]
    assert {m.to[0] for m in sanction_mail} == {"head@dongmen.example.cn", "liaison@dongmen.example.cn"}
    assert f"https://chuangwen.example.cn/findings/{finding.pk}/" in sanction_mail[0].body
    client.force_login(head)
    page = client.get("/inbox/").content.decode()
    assert '<b class="count">3</b>' in page
    assert "问责：东门社区 被通报批评" in client.get("/notifications/").content.decode()
    client.post("/notifications/read/")
    assert 'class="count"' not in client.get("/inbox/").content.decode()


def test_robot_messages_arrive_in_the_wecom_and_dingtalk_formats(people, robots, run):
    city, _ = people
    city.dongmen_sq.wecom_webhook = f"{robots.url}/cgi-bin/webhook/send?key=abc"
    city.dongmen_sq.dingtalk_webhook = f"{robots.url}/robot/send?access_token=xyz"
    city.dongmen_sq.dingtalk_secret = "SECtest"
    city.dongmen_sq.save()
    finding, _ = city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    run(D(2026, 11, 6))  # one miss; the next notice is due 11-09, three working days away: no reminder
    wecom = [r for r in robots.requests if r["path"].startswith("/cgi-bin/webhook/send")]
    ding = [r for r in robots.requests if r["path"].startswith("/robot/send")]
    assert len(wecom) == 1 and len(ding) == 1
    assert wecom[0]["type"].startswith("application/json")
    body = wecom[0]["body"]
    assert body["msgtype"] == "markdown" and set(body) == {"msgtype", "markdown"}
    assert body["markdown"]["content"].startswith(f"**未按期整改：{finding.display_number} 第1次整改通知**")
    assert f"(https://chuangwen.example.cn/findings/{finding.pk}/)" in body["markdown"]["content"]
    body = ding[0]["body"]
    assert body["msgtype"] == "markdown" and body["at"] == {"isAtAll": False}
    assert body["markdown"]["title"] == f"未按期整改：{finding.display_number} 第1次整改通知"
    assert body["markdown"]["text"].startswith("#### 未按期整改")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(ding[0]["path"]).query)
    assert query["access_token"] == ["xyz"]
    expected = base64.b64encode(hmac.new(b"SECtest", f"{query['timestamp'][0]}\nSECtest".encode(),
                                         hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected]
    assert OutboundMessage.objects.filter(status="sent").count() == 4  # two robots, two emails


def test_a_failed_send_is_retried_logged_and_never_blocks_the_job(people, robots, run, caplog):
    city, head = people
    city.dongmen_sq.wecom_webhook = f"{robots.url}/cgi-bin/webhook/send?key=abc"
    city.dongmen_sq.save()
    robots.fail_next = 2  # the robot refuses twice (rate limit), then takes it
    city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    report = run(D(2026, 11, 6))
    assert report.miss_count == 1  # the job went on
    message = OutboundMessage.objects.get(channel="wecom")
    assert message.status == "sent" and message.attempts == 3 and len(robots.requests) == 3
    assert sum("failed, attempt" in r.getMessage() and "45009" in r.getMessage() for r in caplog.records) == 2


def test_messages_left_pending_by_a_down_broker_are_sent_by_the_periodic_retry(people, robots):
    city, _ = people
    message = OutboundMessage.objects.create(
        channel="wecom", target=f"{robots.url}/cgi-bin/webhook/send?key=abc", key="wecom:test", subject="测试",
        payload=notify.wecom_payload("测试", "内容", "https://chuangwen.example.cn/"),
        created_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    assert retry_outbound() == 1
    message.refresh_from_db()
    assert message.status == "sent" and robots.requests[0]["body"]["markdown"]["content"].startswith("**测试**")
    assert retry_outbound() == 0


def test_an_unreachable_robot_gives_up_after_the_configured_attempts(people, settings, run):
    city, _ = people
    settings.OUTBOUND_MAX_ATTEMPTS = 2
    city.dongmen_sq.wecom_webhook = "http://127.0.0.1:9/unreachable"
    city.dongmen_sq.save()
    city.assigned(issued_on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    report = run(D(2026, 11, 6))
    assert report.miss_count == 1
    message = OutboundMessage.objects.get(channel="wecom")
    assert message.status == "failed" and message.attempts == 2 and "Connection refused" in message.last_error
    assert delivery.deliver(message.pk) is False  # a failed message is not tried again


def test_dingtalk_signature_matches_the_documented_algorithm():
    url = delivery.dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=t", "SEC1", now_ms=1700000000000)
    digest = hmac.new(b"SEC1", b"1700000000000\nSEC1", hashlib.sha256).digest()
    assert url.endswith("&timestamp=1700000000000&sign=" + urllib.parse.quote_plus(base64.b64encode(digest).decode()))

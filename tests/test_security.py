"""Login, sessions, production settings, error pages and request limits, as people meet them."""

import datetime as dt
import io
import os
import secrets
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from PIL import Image

from issues.models import Finding, Submission
from tests.conftest import ROOT, jpeg

WRONG = "not-the-password"
RIGHT = "pw-for-tests-2026"


def sign_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


# --- login ---------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_that_username_on_that_address_for_a_while(city, settings):
    client = Client(REMOTE_ADDR="10.1.2.3")
    start = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            response = sign_in(client, "dongmen", WRONG)
            assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode(), attempt
        locked = sign_in(client, "dongmen", WRONG)
        assert locked.status_code == 429
        assert "暂停登录 15 分钟" in locked.content.decode()
        # Now even the right password is refused, from that address, for that username only.
        assert sign_in(client, "dongmen", RIGHT).status_code == 429
        assert sign_in(Client(REMOTE_ADDR="10.9.9.9"), "dongmen", RIGHT).status_code == 302
        assert sign_in(Client(REMOTE_ADDR="10.1.2.3"), "clerk", RIGHT).status_code == 302
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        assert sign_in(client, "dongmen", RIGHT).status_code == 302


def test_a_right_password_clears_the_count(city, settings):
    client = Client(REMOTE_ADDR="10.1.2.4")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "dongmen", WRONG)
    assert sign_in(client, "dongmen", RIGHT).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "dongmen", WRONG).status_code == 200
    assert sign_in(client, "dongmen", RIGHT).status_code == 302


def test_office_staff_lift_a_lockout_in_the_admin(city, settings):
    from axes.models import AccessAttempt

    client = Client(REMOTE_ADDR="10.1.2.5")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "dongmen", WRONG)
    assert sign_in(client, "dongmen", RIGHT).status_code == 429
    attempt = AccessAttempt.objects.get(username="dongmen")
    city.office.is_staff = True
    city.office.save(update_fields=["is_staff"])
    office = Client()
    office.force_login(city.office)
    assert "dongmen" in office.get("/admin/axes/accessattempt/").content.decode()
    assert office.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}).status_code == 302
    assert sign_in(client, "dongmen", RIGHT).status_code == 302


def test_the_admin_s_login_protection_speaks_chinese_and_unlocks_a_selected_account(city, settings):
    from axes.models import AccessAttempt

    from issues.models import AuditEvent

    client = Client(REMOTE_ADDR="10.1.2.6")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "dongmen", WRONG)
    assert sign_in(client, "dongmen", RIGHT).status_code == 429
    city.office.is_staff = True
    city.office.save(update_fields=["is_staff"])
    office = Client()
    office.force_login(city.office)
    index = office.get("/admin/").content.decode()
    assert "登录保护" in index and "失败登录计数（锁定）" in index and "失败登录记录" in index
    assert "Access attempts" not in index and "Axes" not in index
    listing = office.get("/admin/axes/accessattempt/").content.decode()
    assert "解锁所选账号" in listing and "尝试时间" in listing and "IP 地址" in listing
    attempt = AccessAttempt.objects.get(username="dongmen")
    answer = office.post("/admin/axes/accessattempt/", {
        "action": "unlock", "_selected_action": [attempt.pk]}, follow=True)
    assert "已解锁：dongmen。" in answer.content.decode()
    assert not AccessAttempt.objects.exists()
    event = AuditEvent.objects.get(action="login_unlocked")
    assert event.actor == city.office and "dongmen" in event.message
    assert sign_in(client, "dongmen", RIGHT).status_code == 302
    # the same page in English, when chosen
    office.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Access attempts" in office.get("/admin/").content.decode()


def test_weak_new_passwords_are_refused_with_the_reason(client, city):
    client.force_login(city.dongmen_liaison)
    for weak, reason in (("12345678", "这个密码太常见了"), ("a1b2", "密码太短：至少需要 8 个字符"), ("83920174", "密码只包含数字")):
        response = client.post("/accounts/password/", {
            "old_password": RIGHT, "new_password1": weak, "new_password2": weak})
        assert response.status_code == 200 and reason in response.content.decode(), weak
    city.dongmen_liaison.refresh_from_db()
    assert city.dongmen_liaison.check_password(RIGHT)


def test_a_session_ends_twelve_hours_after_sign_in(city):
    client = Client()
    start = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        assert sign_in(client, "dongmen", RIGHT).status_code == 302
    with time_machine.travel(start + dt.timedelta(hours=11, minutes=59), tick=False):
        assert client.get("/inbox/").status_code == 200
    with time_machine.travel(start + dt.timedelta(hours=12, minutes=1), tick=False):
        response = client.get("/inbox/")
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_a_deactivated_user_loses_access_at_once(city):
    client = Client()
    client.force_login(city.office)
    assert client.get("/findings/").status_code == 200
    city.office.is_active = False
    city.office.save(update_fields=["is_active"])
    response = client.get("/findings/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert client.post("/findings/new/", {"description": "x"}).status_code == 302
    assert sign_in(Client(), "clerk", RIGHT).status_code == 200  # and cannot sign in again


def test_a_user_signed_in_through_the_form_is_read_back_with_the_unit_and_signed_out_when_deactivated(city):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    assert sign_in(client, "dongmen", RIGHT).status_code == 302
    assert client.session["_auth_user_backend"] == "issues.core.backends.LedgerBackend"
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/inbox/").status_code == 200
    # the profile and the unit come with the user, not in queries of their own
    assert not [q for q in ctx.captured_queries if 'FROM "issues_profile"' in q["sql"]]
    city.dongmen_liaison.is_active = False
    city.dongmen_liaison.save(update_fields=["is_active"])
    response = client.get("/inbox/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


# --- headers and production settings -------------------------------------------------------------


def test_every_page_carries_a_content_security_policy_and_refuses_framing(client, city):
    client.force_login(city.office)
    for url in ("/accounts/login/", "/dashboard/", "/findings/"):
        response = client.get(url)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert response.headers["X-Frame-Options"] == "DENY"


def test_production_settings_pass_the_deploy_check_with_no_warnings():
    env = {
        # the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never would
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "chuangwen.example.gov.cn", "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3",
    }
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": ""}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY must be set" in result.stderr


# --- error pages ---------------------------------------------------------------------------------


@override_settings(DEBUG=False, ROOT_URLCONF="tests.urls_with_error")
def test_error_pages_speak_chinese_and_show_no_stack_trace(city):
    client = Client(raise_request_exception=False)
    client.force_login(city.office)
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and "没有找到" in missing.content.decode()
    broken = client.get("/boom/")
    text = broken.content.decode()
    assert broken.status_code == 500 and "系统出错了" in text and "数据未被修改" in text
    assert "Traceback" not in text and "ZeroDivisionError" not in text and "boom" not in text


@override_settings(DEBUG=False)
def test_an_expired_form_says_so_in_chinese(city):
    client = Client(enforce_csrf_checks=True)
    client.force_login(city.office)
    response = client.post("/findings/new/", {"description": "x"})
    assert response.status_code == 403 and "页面已过期" in response.content.decode()


# --- request limits -------------------------------------------------------------------------------


def test_a_body_past_the_request_limit_is_refused_before_it_is_read(client, city, settings):
    settings.REQUEST_MAX_BYTES = 100 * 1024
    client.force_login(city.office)
    big = SimpleUploadedFile("big.jpg", b"\xff" * 200 * 1024, content_type="image/jpeg")
    response = client.post("/findings/new/", {"description": "市场垃圾", "photos": big})
    assert response.status_code == 413
    assert "上传的内容有 0.2 MB，超过了 0.1 MB 的上限。请压缩照片或分几次上传。" in response.content.decode()
    assert not Finding.objects.exists()


def test_too_many_files_in_one_form_is_a_clear_400(client, city, settings):
    client.force_login(city.office)
    name, data = jpeg()
    files = [SimpleUploadedFile(f"{i}.jpg", data, content_type="image/jpeg")
             for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)]
    response = client.post("/findings/new/", {"description": "市场垃圾", "photos": files})
    assert response.status_code == 400
    assert f"一次上传的文件太多：最多 {settings.DATA_UPLOAD_MAX_NUMBER_FILES} 个" in response.content.decode()


def test_a_decompression_bomb_photo_is_refused_by_its_pixel_count(client, city):
    finding, _ = city.assigned()
    buf = io.BytesIO()
    Image.new("1", (10000, 10000)).save(buf, "PNG")  # 100 megapixels in a few kilobytes
    assert len(buf.getvalue()) < 100_000
    client.force_login(city.dongmen_liaison)
    response = client.post(f"/findings/{finding.pk}/submit/", {
        "note": "已整改", "photos": SimpleUploadedFile("bomb.png", buf.getvalue(), content_type="image/png")})
    assert response.status_code == 302
    assert "像素过多（10000×10000）" in client.get(response.url).content.decode()
    assert not Submission.objects.filter(notice__finding=finding).exists()


def test_a_robot_address_that_is_not_a_web_address_is_never_opened(tmp_path):
    from issues.notifications import delivery

    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    for address in (f"file://{secret}", "ftp://127.0.0.1/x", "gopher://127.0.0.1/"):
        with pytest.raises(delivery.DeliveryError, match="not an http"):
            delivery._post_json(address, {"msgtype": "text"})

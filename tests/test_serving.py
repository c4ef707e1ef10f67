"""Serving as in production (make run): collected static files, compressed and named by content, a
favicon, the dashboard's weight on a cold phone, and refusals logged in one line."""

import io
import logging
import re

import pytest
from django.core.management import call_command
from django.test import Client

MANIFEST = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}


@pytest.fixture
def collected(settings, tmp_path):
    """The static files as make run serves them: collected into STATIC_ROOT, hashed and compressed."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": MANIFEST}
    settings.WHITENOISE_AUTOREFRESH = False
    settings.WHITENOISE_USE_FINDERS = False
    call_command("collectstatic", interactive=False, verbosity=0)
    return settings.STATIC_ROOT


def _get(client: Client, path: str, **headers):
    response = client.get(path, headers=headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def test_static_files_are_named_by_content_compressed_and_kept_for_a_year(collected, city):
    client = Client()
    page = client.get("/accounts/login/").content.decode()
    css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page)
    assert css, "the page links the collected, content-named stylesheet"
    response, body = _get(client, css.group(1), accept_encoding="br, gzip")
    assert response.status_code == 200 and response["Content-Encoding"] == "br"
    assert "immutable" in response["Cache-Control"] and "max-age=315360000" in response["Cache-Control"]
    plain, plain_body = _get(client, css.group(1))
    assert "Content-Encoding" not in plain and len(body) < len(plain_body) / 2
    gzip, _ = _get(client, css.group(1), accept_encoding="gzip")
    assert gzip["Content-Encoding"] == "gzip"


def test_the_browser_finds_a_favicon(collected):
    response, body = _get(Client(), "/favicon.ico")
    assert response.status_code == 200 and body[:4] == b"\x00\x00\x01\x00"  # an icon file
    page = Client().get("/accounts/login/").content.decode()
    assert 'rel="icon" href="/favicon.ico"' in page


def test_the_dashboard_weighs_under_300_kb_on_a_cold_phone(collected, city, client):
    """Everything a first visit downloads (the page, its styles and scripts, the chart library), compressed
    as the browser asks: ECharts arrives as only the charts the dashboard draws."""
    client.force_login(city.leader)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assets = sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+|/favicon\.ico)"', html)))
    assert any("echarts" in path for path in assets)
    total = len(page.content)
    for path in assets:
        response, body = _get(client, path, accept_encoding="br, gzip")
        assert response.status_code == 200, path
        total += len(body)
    assert total < 300 * 1024, f"{total / 1024:.0f} KB"


@pytest.fixture
def console():
    """What the terminal shows: the console handler's output."""
    handler = next(h for h in logging.getLogger("django").handlers if isinstance(h, logging.StreamHandler))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_a_refused_page_is_one_line_in_the_log_not_a_traceback(city, client, console):
    hidden = city.finding(unit=city.xihu_sq)  # another district's
    client.force_login(city.dongmen_liaison)
    assert client.get("/review/").status_code == 403
    assert client.get(f"/findings/{hidden.pk}/").status_code == 404
    assert console.getvalue().splitlines() == [
        "Forbidden (Permission denied): /review/", f"Not Found: /findings/{hidden.pk}/"]


def test_the_not_found_page_is_ours_on_a_phone_without_django_s_english(city, client, settings):
    settings.DEBUG = False
    hidden = city.finding(unit=city.xihu_sq)
    client.force_login(city.dongmen_liaison)
    page = client.get(f"/findings/{hidden.pk}/")
    text = page.content.decode()
    assert page.status_code == 404 and "没有找到" in text and "返回首页" in text
    assert 'name="viewport" content="width=device-width' in text
    assert "No Finding matches" not in text and "Page not found" not in text and "DEBUG" not in text
    client.cookies["django_language"] = "en"
    english = client.get(f"/findings/{hidden.pk}/").content.decode()
    assert "Not found" in english and "没有找到" not in english

"""README's run command as a newcomer meets it: `make run` starts the whole system served as in
production, answers a refused or missing page with our own page and one line in the terminal, sends the
dashboard under 300 KB, and Ctrl-C stops everything it started and ends without an error."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.conftest import ROOT, _free_port

pytestmark = pytest.mark.services
DEMO_PASSWORD = "demo-pass-2026"


class Browser:
    """Just enough of a browser: cookies, the CSRF token of the login form, compressed answers asked for."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str, **headers) -> tuple[int, bytes, dict]:
        request = urllib.request.Request(self.base + path, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as answer:  # noqa: S310 - our loopback server
                return answer.status, answer.read(), dict(answer.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)

    def sign_in(self, username: str) -> None:
        self.get("/accounts/login/")
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username,
                                       "password": DEMO_PASSWORD}).encode()
        request = urllib.request.Request(self.base + "/accounts/login/", data=data,
                                         headers={"Referer": self.base + "/accounts/login/"})
        with self.opener.open(request, timeout=30) as answer:  # noqa: S310 - our loopback server
            assert "/accounts/login/" not in answer.url, f"{username} could not sign in"


@pytest.fixture
def running(tmp_path):
    port, redis_port = _free_port(), _free_port()
    env = {**os.environ, "PORT": str(port), "REDIS_PORT": str(redis_port),
           "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", "MEDIA_ROOT": str(tmp_path / "media")}
    for name in ("DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL"):
        env.pop(name, None)
    output = (tmp_path / "terminal.txt").open("w+")
    process = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310 - our loopback server
            break
        except OSError:
            assert process.poll() is None, f"make run ended: {(tmp_path / 'terminal.txt').read_text()[-3000:]}"
            time.sleep(1)
    else:
        os.killpg(process.pid, signal.SIGTERM)
        pytest.fail(f"make run did not answer: {(tmp_path / 'terminal.txt').read_text()[-3000:]}")
    yield process, base, tmp_path / "terminal.txt", port, redis_port
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def test_make_run_serves_as_production_and_stops_quietly_on_ctrl_c(running):
    process, base, terminal, port, redis_port = running
    unit = Browser(base)
    unit.sign_in("dongmen")
    status, body, _ = unit.get("/findings/99999999/")
    page = body.decode()
    assert status == 404 and "没有找到" in page and 'name="viewport"' in page
    assert "DEBUG" not in page and "Page not found" not in page and "URLconf" not in page
    status, body, _ = unit.get("/review/")
    assert status == 403 and "没有权限" in body.decode()
    status, icon, _ = unit.get("/favicon.ico")
    assert status == 200 and icon[:4] == b"\x00\x00\x01\x00"

    leader = Browser(base)
    leader.sign_in("leader")
    status, html, _ = leader.get("/dashboard/")
    assert status == 200
    total = len(html)
    for path in sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html.decode()))):
        status, body, headers = leader.get(path, **{"Accept-Encoding": "br, gzip"})
        assert status == 200 and headers.get("Content-Encoding") in ("br", "gzip"), path
        total += len(body)
    assert total < 300 * 1024, f"the dashboard weighs {total / 1024:.0f} KB"

    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
    # make ends as a program stopped by Ctrl-C does (by the signal, as on a terminal), and says nothing of
    # an error: the script under it stopped what it started and exited 0
    assert process.wait(timeout=90) in (0, -signal.SIGINT)
    said = terminal.read_text()
    assert "Traceback" not in said and "make: ***" not in said and "Error" not in said
    assert said.count("Forbidden (Permission denied): /review/") == 1
    assert said.count("Not Found: /findings/99999999/") == 1
    for gone in (port, redis_port):  # the web server and the Redis it started are stopped
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", gone), timeout=2).close()

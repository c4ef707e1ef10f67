"""The web server under load: gunicorn with 2 workers on 127.0.0.1 serving the synthetic city,
wrk with 8 connections for 30 s on a page, as a logged-in office user. Requests per second, p95,
errors (socket errors and answers other than 2xx/3xx), and each worker's resident memory.

Production settings (DEBUG off), except plain HTTP: the load stays on the loopback."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.3f p50=%d p95=%d p99=%d errors=%d status=%d\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of a process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(p) for p in (task / "children").read_text().split()]
    return out


def measure_load(paths: tuple[str, ...] = ("/findings/", "/dashboard/"), seconds: int = 30,
                 connections: int = 8, workers: int = 2, page_cache: bool = True) -> dict:
    """`page_cache=False`: the server keeps no drawn ledger page (LEDGER_PAGE_CACHE=0)."""
    wrk = shutil.which("wrk")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if wrk is None or not gunicorn.exists():
        return {"skipped": "wrk or gunicorn is not installed (make bench installs both)"}
    client = Client()
    client.force_login(User.objects.get(username="bench-leader"))  # sees the ledger and the dashboard
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    port = _free_port()
    # the session was signed with this process's key, so the server gets the same one
    env = {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": settings.SECRET_KEY,
           "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
           "LEDGER_PAGE_CACHE": "1" if page_cache else "0"}
    log = Path(tempfile.mkdtemp(prefix="bench-load-")) / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(gunicorn), "creation_tracker.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--access-logfile", "-", "--timeout", "60"],
            cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=out, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)  # nosec B310  # noqa: S310 - our own loopback server
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn did not start: {log.read_text()[-2000:]}")
        for path in paths:  # logged in: the page itself, not the login form
            request = urllib.request.Request(f"{base}{path}", headers={"Cookie": cookie})
            with urllib.request.urlopen(request, timeout=60) as answer:  # nosec B310  # noqa: S310 - loopback
                if answer.status != 200 or "/accounts/login/" in answer.url:
                    raise RuntimeError(f"{path} answered {answer.status} at {answer.url}")
        script = log.with_name("report.lua")
        script.write_text(WRK_REPORT)
        results = {}
        for path in paths:
            run = subprocess.run(
                [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), "-H", f"Cookie: {cookie}",
                 f"{base}{path}"], capture_output=True, text=True, check=True)
            found = re.search(r"RESULT (.*)", run.stdout)
            if not found:
                raise RuntimeError(f"wrk printed no result: {run.stdout}{run.stderr}")
            numbers = {k: float(v) for k, v in (pair.split("=") for pair in found.group(1).split())}
            results[path] = {
                "requests_per_second": round(numbers["requests"] / numbers["seconds"], 1),
                "p50_ms": round(numbers["p50"] / 1000, 1), "p95_ms": round(numbers["p95"] / 1000, 1),
                "p99_ms": round(numbers["p99"] / 1000, 1),
                "errors": int(numbers["errors"] + numbers["status"]), "requests": int(numbers["requests"]),
            }
        memory = [_rss_mb(pid) for pid in _children(server.pid)]
        return {"workers": workers, "connections": connections, "seconds": seconds, "pages": results,
                "worker_rss_mb": [round(now, 1) for now, _peak in memory],
                "worker_peak_rss_mb": [round(peak, 1) for _now, peak in memory]}
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the process group we started, by its pid
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()

"""The web server under load: gunicorn with 2 workers on 127.0.0.1 serving the synthetic city, wrk
with 16 connections sending a mix of requests as different users: 70 % ledger pages (varied
filters, sorts and pages, office clerks and unit liaisons), 20 % finding pages and inboxes, 10 % the
dashboard. Requests per second, p95, errors (socket errors and answers other than 2xx/3xx), and each
worker's resident memory.

Production settings (DEBUG off), except plain HTTP: the load stays on the loopback."""

from __future__ import annotations

import json
import os
import random
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
from django.contrib.auth.models import Group, User
from django.test import Client

from issues.core import access
from issues.core.access import Role
from issues.models import Finding, FindingStatus, Profile, Unit, UnitKind

WRK_SCRIPT = """
local requests = %(requests)s
local thread_id = 0
setup = function(thread)
  thread_id = thread_id + 1
  thread:set("seed", thread_id)
end
init = function(args)
  math.randomseed(%(seed)d + seed)
end
request = function()
  local r = requests[math.random(#requests)]
  return wrk.format("GET", r[1], {["Cookie"] = r[2]})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%%d seconds=%%.3f p50=%%d p95=%%d p99=%%d errors=%%d status=%%d\\n",
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


def _user(username: str, role: str, unit: Unit | None = None) -> User:
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.groups.add(Group.objects.get(name=role))
        Profile.objects.create(user=user, unit=unit)
    return user


def _cookie(user: User) -> str:
    client = Client()
    client.force_login(user, backend="issues.core.backends.LedgerBackend")  # the backend the login form signs in with
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def request_mix(n: int = 1000, seed: int = 11) -> list[tuple[str, str]]:
    """(path, cookie) pairs in the mix's proportions, each answered 200 for its user."""
    rnd = random.Random(seed)
    offices = [_user(f"bench-load-office-{i}", Role.OFFICE) for i in range(4)]
    leaders = [_user(f"bench-load-leader-{i}", Role.LEADER) for i in range(3)]
    kinds = (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY)
    units = [u for kind in kinds for u in Unit.objects.filter(kind=kind).order_by("pk")[:4]]
    liaisons = [_user(f"bench-load-unit-{u.pk}", Role.UNIT_LIAISON, u) for u in units]
    cookies = {user.pk: _cookie(user) for user in (*offices, *leaders, *liaisons)}
    district = Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("pk").first()
    statuses = [s for s in FindingStatus.values]
    finding_ids = list(Finding.objects.exclude(status=FindingStatus.REGISTERED).order_by("?")
                       .values_list("pk", flat=True)[:500])

    def ledger_query(office: bool) -> str:
        """A ledger page as people ask for it: a status tab, a district, the overdue box, the deadline
        order, some page. (A keyword search reads every description, and a district sorted by
        deadline sorts its rows: both answer, slower, and are left out of the mix; docs/performance.md.)"""
        params = []
        if rnd.random() < 0.5:
            params.append(f"status={rnd.choice(statuses)}")
        by_district = office and rnd.random() < 0.3
        if by_district:
            params.append(f"unit={district.pk}")
        if rnd.random() < 0.15:
            params.append("overdue=on")
        if not by_district and rnd.random() < 0.25:
            params.append(f"o={rnd.choice(['deadline', '-deadline', '-found_on'])}")
        page = 1 if rnd.random() < 0.6 else rnd.choice([2, 3, 5, 10, 20, 50, 100])
        params.append(f"page={page}")  # a page past the last answers the last one
        return "/findings/?" + "&".join(params)

    mix = []
    for _ in range(int(n * 0.7)):
        if rnd.random() < 0.6:
            user = rnd.choice(offices)
            mix.append((ledger_query(True), cookies[user.pk]))
        else:
            user = rnd.choice(liaisons)
            mix.append((ledger_query(False), cookies[user.pk]))
    for _ in range(int(n * 0.2)):
        if rnd.random() < 0.6:
            mix.append((f"/findings/{rnd.choice(finding_ids)}/", cookies[rnd.choice(offices).pk]))
        else:
            mix.append(("/inbox/", cookies[rnd.choice(liaisons).pk]))
    for _ in range(n - len(mix)):
        mix.append(("/dashboard/", cookies[rnd.choice(leaders + offices[:1]).pk]))
    # a unit's liaison sees only its subtree: every path of the mix must answer for its user
    assert all(access.visible_unit_ids(u) for u in liaisons)
    return mix


def _check(base: str, mix: list[tuple[str, str]]) -> None:
    """Every distinct page of the mix answers 200 for its user, logged in (not the login form)."""
    seen = set()
    for path, cookie in mix:
        key = (re.sub(r"page=\d+", "", path), cookie)
        if key in seen:
            continue
        seen.add(key)
        request = urllib.request.Request(f"{base}{path}", headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=60) as answer:  # nosec B310  # noqa: S310 - our loopback server
            if answer.status != 200 or "/accounts/login/" in answer.url:
                raise RuntimeError(f"{path} answered {answer.status} at {answer.url}")


def measure_load(seconds: int = 30, connections: int = 16, workers: int = 2) -> dict:
    wrk = shutil.which("wrk")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if wrk is None or not gunicorn.exists():
        return {"skipped": "wrk or gunicorn is not installed (make bench installs both)"}
    mix = request_mix()
    port = _free_port()
    # the sessions were signed with this process's key, so the server gets the same one
    env = {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": settings.SECRET_KEY,
           "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0"}
    log = Path(tempfile.mkdtemp(prefix="bench-load-")) / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(gunicorn), "creation_tracker.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--timeout", "60"],
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
        _check(base, mix)
        script = log.with_name("mix.lua")
        table = "{" + ",".join(f"{{{json.dumps(path)},{json.dumps(cookie)}}}" for path, cookie in mix) + "}"
        script.write_text(WRK_SCRIPT % {"requests": table, "seed": 20261204})
        run = subprocess.run([wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
                              base], capture_output=True, text=True, check=True)
        found = re.search(r"RESULT (.*)", run.stdout)
        if not found:
            raise RuntimeError(f"wrk printed no result: {run.stdout}{run.stderr}")
        numbers = {k: float(v) for k, v in (pair.split("=") for pair in found.group(1).split())}
        memory = [_rss_mb(pid) for pid in _children(server.pid)]
        return {
            "workers": workers, "connections": connections, "seconds": seconds,
            "requests_per_second": round(numbers["requests"] / numbers["seconds"], 1),
            "p50_ms": round(numbers["p50"] / 1000, 1), "p95_ms": round(numbers["p95"] / 1000, 1),
            "p99_ms": round(numbers["p99"] / 1000, 1),
            "errors": int(numbers["errors"] + numbers["status"]), "requests": int(numbers["requests"]),
            "worker_rss_mb": [round(now, 1) for now, _peak in memory],
            "worker_peak_rss_mb": [round(peak, 1) for _now, peak in memory],
        }
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the process group we started, by its pid
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()

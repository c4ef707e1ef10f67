"""Shared personas and services for the tests.

The personas: an office clerk, the head of 城管局, the liaison of a community under 城东区,
a leader, supervision, and an outsider: the liaison of a community in another district.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import signal
import socket
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from django.contrib.auth.models import Group, User
from PIL import Image

from issues.core.access import Role
from issues.core.roles import ensure_roles
from issues.findings import services as svc
from issues.models import IndexCategory, IndexItem, IndexSystem, Profile, Site, SiteType, Unit, UnitKind

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    from django.conf import settings

    # Hashing passwords properly costs half a second each; tests do not need that strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tasks queued by the code under test run inline; the integration tests start real workers.
    from creation_tracker.celery import app

    app.conf.task_always_eager = True
    # WhiteNoise warns on every request of a clean checkout, where collectstatic (make run) has not yet
    # made the folder it serves; the tests find the static files in static/ anyway
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg(colour=(120, 130, 140), size=(64, 48)) -> tuple[str, bytes]:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "JPEG")
    return "photo.jpg", buf.getvalue()


def make_user(username: str, role: str, unit: Unit | None = None) -> User:
    ensure_roles()
    user = User.objects.create_user(username=username, password="pw-for-tests-2026")
    user.groups.add(Group.objects.get(name=role))
    Profile.objects.create(user=user, unit=unit)
    return user


class City:
    """A small city: departments, two districts, streets and communities, and the personas."""

    def __init__(self):
        self.chengguan = Unit.objects.create(name="市城市管理局", short_names="城管局、市城管局", kind=UnitKind.CITY_DEPT)
        self.gongan = Unit.objects.create(name="市公安局", kind=UnitKind.CITY_DEPT)
        self.east = Unit.objects.create(name="城东区", kind=UnitKind.DISTRICT)
        self.west = Unit.objects.create(name="城西区", kind=UnitKind.DISTRICT)
        self.dongmen = Unit.objects.create(name="东门街道", kind=UnitKind.STREET, parent=self.east)
        self.dongmen_sq = Unit.objects.create(name="东门社区", kind=UnitKind.COMMUNITY, parent=self.dongmen)
        self.xihu = Unit.objects.create(name="西湖街道", kind=UnitKind.STREET, parent=self.west)
        self.xihu_sq = Unit.objects.create(name="西湖社区", kind=UnitKind.COMMUNITY, parent=self.xihu)

        self.office = make_user("clerk", Role.OFFICE)
        self.leader = make_user("leader", Role.LEADER)
        self.supervisor = make_user("supervisor", Role.SUPERVISION)
        self.chengguan_head = make_user("chengguan", Role.UNIT_HEAD, self.chengguan)
        self.east_head = make_user("east-head", Role.UNIT_HEAD, self.east)
        self.dongmen_liaison = make_user("dongmen", Role.UNIT_LIAISON, self.dongmen_sq)
        self.outsider = make_user("xihu", Role.UNIT_LIAISON, self.xihu_sq)

        # migrate loads the reference site types; a test that flushed the database makes it again
        self.market_type, _ = SiteType.objects.get_or_create(code="PT-24", defaults={"name": "集贸市场/农贸市场"})
        self.market = Site.objects.create(name="东门农贸市场", site_type=self.market_type, default_unit=self.dongmen)
        system = IndexSystem.objects.create(name="测试体系", year=2021, is_current=True)
        category = IndexCategory.objects.create(system=system, name="公共环境")
        self.item = IndexItem.objects.create(system=system, category=category, code="NM-08", name="环境卫生")
        self.item2 = IndexItem.objects.create(system=system, category=category, code="NM-09", name="公共卫生间")

    def finding(self, *, unit: Unit | None = None, found_on=dt.date(2026, 11, 2), site=None, item=None,
                **kwargs):
        return svc.register_finding(
            actor=self.office,
            lead_unit=unit or self.dongmen_sq,
            description=kwargs.pop("description", "市场内垃圾未及时清运"),
            found_on=found_on,
            site=site,
            index_item=item,
            deduction=kwargs.pop("deduction", Decimal("1.5")),
            **kwargs,
        )

    def assigned(self, *, deadline=dt.date(2026, 11, 9), issued_on=dt.date(2026, 11, 2), **kwargs):
        finding = self.finding(found_on=issued_on, **kwargs)
        notice = svc.issue_notice(actor=self.office, finding_id=finding.pk, issued_on=issued_on, deadline=deadline)
        finding.refresh_from_db()
        return finding, notice


@pytest.fixture
def city(db) -> City:
    return City()


# --- a real Redis on a free loopback port -------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_binary() -> str:
    candidates = [os.environ.get("REDIS_SERVER_BIN"), shutil.which("redis-server"), str(ROOT / ".venv/bin/redis-server")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("redis-server not found: run the tests through `make test`, which installs it")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """Start redis-server on 127.0.0.1 for the session; stop it by its pid."""
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    pidfile = workdir / "redis.pid"
    subprocess.run(
        [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "yes", "--pidfile", str(pidfile), "--dir", str(workdir)],
        check=True,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        raise RuntimeError("redis-server did not start")
    yield url
    for _ in range(50):
        if pidfile.exists():
            break
        time.sleep(0.05)
    os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)

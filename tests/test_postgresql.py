"""What only PostgreSQL can show: real concurrent writers.

SQLite lets one writer in at a time, so races there are queued by the database. On PostgreSQL two
reviewers or two nightly jobs really run side by side; these tests start them at the same instant
(threads behind a barrier, or two processes) and check that the ledger holds one decision, one
sanction per piece of evidence, one miss per notice. They are skipped when the suite runs on SQLite.
"""

import os
import subprocess
import sys
import threading

import psycopg
import pytest
from django.db import connection, connections
from django.test import Client

from issues.core.access import Role
from issues.findings import services as svc
from issues.models import AuditEvent, Decision, Submission
from tests.conftest import ROOT, City, jpeg, make_user

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")


def _url(name: str) -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"


def _at_once(*calls):
    """Run the calls in threads released together; each thread closes its own connection."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_one_fix_at_the_same_instant_make_one_decision():
    city = City()
    second_clerk = make_user("clerk2", Role.OFFICE)
    finding, notice = city.assigned()
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已清运", photos=[jpeg()])
    clients = []
    for user in (city.office, second_clerk):
        client = Client()
        client.force_login(user)
        clients.append(client)
    approve, reject = _at_once(
        lambda: clients[0].post(f"/submissions/{sub.pk}/approve/", {"next": "/review/"}, follow=True),
        lambda: clients[1].post(f"/submissions/{sub.pk}/reject/", {"next": "/review/", "reason": "照片不清楚"},
                                follow=True),
    )
    sub.refresh_from_db()
    assert sub.decision in (Decision.APPROVED, Decision.REJECTED)
    pages = {"approve": approve.content.decode(), "reject": reject.content.decode()}
    winner, loser = ("approve", "reject") if sub.decision == Decision.APPROVED else ("reject", "approve")
    assert "这份整改反馈已经复核过" in pages[loser] and "不能重复复核" in pages[loser]
    assert "这份整改反馈已经复核过" not in pages[winner]
    assert AuditEvent.objects.filter(finding=finding, action__in=["approve", "reject"]).count() == 1
    assert Submission.objects.filter(notice__finding=finding).count() == 1


def _ledger(url: str) -> dict:
    with psycopg.connect(url) as conn:
        def rows(sql):
            return conn.execute(sql).fetchall()
        return {
            "notices": rows("select finding_id, seq, outcome, outcome_on, deadline, miss_kind from issues_notice "
                            "order by 1, 2"),
            "findings": rows("select id, status, miss_count, deadline from issues_finding order by 1"),
            "sanctions": rows("select rule_id, unit_id, action, evidence_key, decided_on from issues_sanction "
                              "order by evidence_key"),
            "days": rows("select date from issues_jobday order by 1"),
        }


def _manage(url: str, redis_url: str, tmp_path, *args) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "MEDIA_ROOT": str(tmp_path / "media")}
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _run(url, redis_url, tmp_path, *args) -> str:
    proc = _manage(url, redis_url, tmp_path, *args)
    out = proc.communicate(timeout=600)[0]
    assert proc.returncode == 0, out
    return out


def test_two_nightly_jobs_started_at_once_apply_each_sanction_once(tmp_path, redis_server):
    suffix = os.urandom(3).hex()
    twice, once = f"nightly_twice_{suffix}", f"nightly_once_{suffix}"
    admin = psycopg.connect(_url("postgres"), autocommit=True)
    try:
        admin.execute(f"CREATE DATABASE {twice}")
        _run(_url(twice), redis_server, tmp_path, "migrate", "--noinput")
        _run(_url(twice), redis_server, tmp_path, "shell", "-v", "0", "-c",
             "from tests.scenario import build; build(120, 20)")
        admin.execute(f"CREATE DATABASE {once} TEMPLATE {twice}")  # the same ledger, for one clean run
        _run(_url(once), redis_server, tmp_path, "run_escalations")
        runs = [_manage(_url(twice), redis_server, tmp_path, "run_escalations") for _ in range(2)]
        outputs = [run.communicate(timeout=600)[0] for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        clean, raced = _ledger(_url(once)), _ledger(_url(twice))
        assert raced == clean
        assert len(clean["sanctions"]) > 0 and len({s[3] for s in raced["sanctions"]}) == len(raced["sanctions"])
    finally:
        for name in (twice, once):
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()

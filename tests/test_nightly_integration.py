"""The nightly job for real: redis-server, a Celery worker and beat on loopback, SQLite in a file.

One test lets beat fire the task on a short schedule and finds the misses and sanctions in the
database. The other kills the worker with SIGKILL in the middle of a large run, runs the job
again, and compares the ledger with a clean run on a copy of the same database.
"""

import datetime as dt
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.utils import timezone

from issues.escalation.tasks import LOCK_NAME
from tests.conftest import ROOT

pytestmark = pytest.mark.services
PY = sys.executable


def env_for(db: Path, redis_url: str, tmp: Path, **extra) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": f"sqlite:///{db}",
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": str(tmp / "media"),
        "DJANGO_SETTINGS_MODULE": "creation_tracker.settings",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def manage(env, *args, timeout=300):
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True,
                          text=True, timeout=timeout)


def prepare(db: Path, env: dict, findings: int, days_ago: int) -> None:
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "-c", f"from tests.scenario import build; build({findings}, {days_ago})")


def query(db: Path, sql: str):
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute(sql).fetchall()


def ledger(db: Path) -> dict:
    return {
        "notices": query(db, "select finding_id, seq, outcome, outcome_on, deadline, miss_kind from issues_notice order by 1, 2"),
        "findings": query(db, "select id, status, miss_count, current_notice_id from issues_finding order by id"),
        "sanctions": query(db, "select r.code, s.unit_id, s.evidence_key, s.decided_on, s.status from issues_sanction s "
                               "join issues_escalationrule r on r.id = s.rule_id order by 1, 2, 3"),
        "days": query(db, "select date from issues_jobday order by date"),
    }


def start(args, env, log: Path) -> subprocess.Popen:
    return subprocess.Popen([PY, "-m", "celery", "-A", "creation_tracker", *args], cwd=ROOT, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for(predicate, timeout: float, what: str, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    tails = "\n".join(f"--- {log}\n{Path(log).read_text()[-3000:]}" for log in logs)
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


def test_beat_fires_the_job_and_the_worker_records_misses_and_sanctions(tmp_path, redis_server):
    db = tmp_path / "ledger.sqlite3"
    env = env_for(db, redis_server, tmp_path, NIGHTLY_JOB_EVERY_SECONDS="2")
    prepare(db, env, findings=12, days_ago=20)
    assert query(db, "select count(*) from issues_sanction") == [(0,)]
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    started = time.monotonic()
    worker = start(["worker", "--pool=solo", "--loglevel=INFO", "--without-mingle", "--without-gossip"], env, worker_log)
    beat = start(["beat", "--loglevel=INFO", "--schedule", str(tmp_path / "beat-schedule"), "--pidfile="], env, beat_log)
    try:
        yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
        wait_for(lambda: query(db, f"select count(*) from issues_jobday where date = '{yesterday}'") == [(1,)],
                 90, "the job to reach yesterday", (worker_log, beat_log))
        elapsed = time.monotonic() - started
    finally:
        stop(beat)
        stop(worker)
    misses = query(db, "select count(*) from issues_notice where outcome = 'missed'")[0][0]
    circulars = query(db, "select count(*) from issues_sanction s join issues_escalationrule r on r.id = s.rule_id "
                          "where r.code = 'R1'")[0][0]
    assert misses >= 24 and circulars == 12, (misses, circulars)
    assert "issues.run_nightly_job" in beat_log.read_text()
    assert "succeeded" in worker_log.read_text()
    print(f"\nbeat → worker → ledger: {elapsed:.1f}s, {misses} misses, {circulars} circulars")


def test_a_worker_killed_mid_run_then_rerun_ends_like_a_clean_run(tmp_path, redis_server):
    db = tmp_path / "killed.sqlite3"
    env = env_for(db, redis_server, tmp_path)
    prepare(db, env, findings=400, days_ago=30)
    clean_db = tmp_path / "clean.sqlite3"
    shutil.copy(db, clean_db)

    t0 = time.monotonic()
    manage(env_for(clean_db, redis_server, tmp_path), "run_escalations")
    clean_seconds = time.monotonic() - t0
    clean = ledger(clean_db)
    total_days = len(clean["days"])
    assert total_days >= 25 and clean["sanctions"]

    worker_log = tmp_path / "worker.log"
    worker = start(["worker", "--pool=solo", "--loglevel=INFO", "--without-mingle", "--without-gossip"], env, worker_log)
    try:
        subprocess.run([PY, "-c", "from creation_tracker.celery import app; app.send_task('issues.run_nightly_job')"],
                       cwd=ROOT, env=env, check=True, timeout=30)
        wait_for(lambda: query(db, "select count(*) from issues_jobday")[0][0] >= 5, 120,
                 "the run to get going", (worker_log,))
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    finally:
        stop(worker)
        # a killed worker cannot release its lock; the operator clears it (or it expires)
        redis.Redis.from_url(redis_server).delete(LOCK_NAME)
    done_when_killed = query(db, "select count(*) from issues_jobday")[0][0]
    assert 5 <= done_when_killed < total_days, done_when_killed

    manage(env, "run_escalations")
    assert ledger(db) == clean
    print(f"\nclean run {clean_seconds:.1f}s for {total_days} days; killed after {done_when_killed} days; rerun matches")


def test_two_runs_at_once_apply_each_sanction_once(tmp_path, redis_server):
    db = tmp_path / "twice.sqlite3"
    env = env_for(db, redis_server, tmp_path)
    prepare(db, env, findings=120, days_ago=20)
    clean_db = tmp_path / "clean.sqlite3"
    shutil.copy(db, clean_db)
    manage(env_for(clean_db, redis_server, tmp_path), "run_escalations")
    runs = [subprocess.Popen([PY, "manage.py", "run_escalations"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert ledger(db) == ledger(clean_db)
    assert query(db, "select count(*) from issues_sanction")[0][0] == query(clean_db, "select count(*) from issues_sanction")[0][0] > 0

"""Back up the ledger, restore it somewhere fresh, and find every finding and photo there."""

import hashlib
import io
import json
import os
import secrets
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from issues.findings import services as svc
from issues.models import Finding, Photo
from tests.conftest import ROOT, City, jpeg

READ_BACK = """
import json
from issues.models import AuditEvent, Finding, Photo
print(json.dumps({
    "findings": sorted(Finding.objects.values_list("number", "description", "status")),
    "photos": sorted(Photo.objects.values_list("image", "sha256")),
    "audit": AuditEvent.objects.count(),
}, ensure_ascii=False))
"""


def _manage(env: dict, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)


def _fresh_database(tmp_path: Path) -> str:
    """An empty database of the same engine as the suite's, for the restore to fill."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    name = f"restored_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"


@pytest.fixture
def ledger(transactional_db):
    """A few findings with before and after photos, committed so a backup program can see them."""
    city = City()
    made = []
    for i in range(3):
        finding, notice = city.assigned(description=f"第{i}处垃圾堆放", photos=[jpeg((i * 40, 10, 10))])
        svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已清理", photos=[jpeg((10, i * 40, 10))])
        made.append(finding)
    city.finding(description="待交办的问题")
    return city


def test_a_backup_restores_elsewhere_with_every_finding_and_photo(ledger, tmp_path, settings):
    archive = tmp_path / "ledger.tar"
    call_command("backup", output=str(archive))
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["findings"] == Finding.objects.count() == 4
    assert manifest["photos"] == Photo.objects.count() == 6
    assert manifest["engine"] == connection.vendor

    env = {"DATABASE_URL": _fresh_database(tmp_path), "MEDIA_ROOT": str(tmp_path / "restored-media")}
    restored = _manage(env, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "问题 4 条，照片 6 张" in restored.stdout and "均已核对" in restored.stdout

    after = json.loads(_manage(env, "shell", "-v", "0", "-c", READ_BACK).stdout)
    assert after["findings"] == sorted([list(row) for row in Finding.objects.values_list("number", "description",
                                                                                           "status")])
    assert after["photos"] == sorted([list(row) for row in Photo.objects.values_list("image", "sha256")])
    for name, digest in after["photos"]:  # every photo's original bytes, as uploaded
        assert hashlib.sha256((tmp_path / "restored-media" / name).read_bytes()).hexdigest() == digest
        for kind in ("display", "thumb"):
            assert any((tmp_path / "restored-media" / "photos" / kind).rglob("*.jpg"))
    assert after["audit"] == manifest["audit_events"] > 0


def test_a_damaged_backup_is_refused_before_anything_is_replaced(ledger, tmp_path):
    archive = tmp_path / "ledger.tar"
    call_command("backup", output=str(archive))
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("media/photos/original/"):
                data = data[:-1] + bytes([data[-1] ^ 0xFF])  # one bit flipped in a photo
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    before = sorted(Finding.objects.values_list("pk", flat=True))
    with pytest.raises(CommandError, match="照片文件缺失或已损坏"):
        call_command("restore", str(damaged), force=True)
    assert sorted(Finding.objects.values_list("pk", flat=True)) == before
    assert all(Path(p.image.path).exists() for p in Photo.objects.all())


def test_restore_will_not_overwrite_a_ledger_unless_told(ledger, tmp_path):
    archive = tmp_path / "ledger.tar"
    call_command("backup", output=str(archive))
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(archive))

"""Backups of the whole ledger: the database and the uploaded photos, in one tar file, and its restore.

A backup holds:
- manifest.json: when, from which database engine, the latest migration, and how many findings,
  photos and audit rows it holds, with every photo file's SHA-256;
- the database: SQLite copied with its online backup API (consistent while the site runs), or a
  PostgreSQL custom-format dump from pg_dump;
- media/: the photos and documents under MEDIA_ROOT (temporary import and export files left out).

A restore unpacks into a temporary folder, checks every file against the manifest, and only then
replaces the database and the media; afterwards it counts the rows again. Nothing is half-restored:
a damaged backup is refused before the current data is touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from issues.core.exceptions import LedgerError
from issues.models import AuditEvent, Finding, Photo

FORMAT = 1
SKIPPED_MEDIA = {"jobs", "imports", "exports"}  # temporary files of Excel jobs
SQLITE_NAME = "db.sqlite3"
PG_NAME = "db.pgdump"


@dataclass
class Summary:
    path: Path
    findings: int
    photos: int
    audit_events: int
    media_files: int
    bytes: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise LedgerError(f"不支持备份 {vendor} 数据库。")
    return vendor


def _pg_program(name: str) -> str:
    """pg_dump / pg_restore: PG_BIN, then the newest Debian install, then PATH."""
    candidates = []
    if os.environ.get("PG_BIN"):
        candidates.append(Path(os.environ["PG_BIN"]) / name)
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise LedgerError(f"找不到 {name}：请安装 PostgreSQL 客户端程序。")
    return found


def _pg_env(db: dict) -> tuple[list[str], dict]:
    args = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or "postgres"]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _media_files(root: Path):
    if not root.exists():
        return
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and relative.parts[0] not in SKIPPED_MEDIA:
            yield relative


def _counts() -> dict:
    return {"findings": Finding.objects.count(), "photos": Photo.objects.count(),
            "audit_events": AuditEvent.objects.count()}


def create(output: Path) -> Summary:
    """Write a backup of the current database and media to `output` (a .tar file)."""
    engine = _engine()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="ledger-backup-") as work:
        work = Path(work)
        if engine == "sqlite":
            db_file = work / SQLITE_NAME
            connection.ensure_connection()
            target = sqlite3.connect(db_file)
            try:
                connection.connection.backup(target)  # a consistent copy, even while others write
            finally:
                target.close()
        else:
            db_file = work / PG_NAME
            db = connection.settings_dict
            args, env = _pg_env(db)
            result = subprocess.run([_pg_program("pg_dump"), *args, "-Fc", "--no-owner", "-f", str(db_file), db["NAME"]],
                                    env=env, capture_output=True, text=True)
            if result.returncode != 0:
                raise LedgerError(f"pg_dump 失败：{result.stderr.strip()}")
        media = [(rel, _sha256(media_root / rel)) for rel in _media_files(media_root)]
        latest = MigrationRecorder.Migration.objects.filter(app="issues").order_by("-applied", "-id").first()
        manifest = {
            "format": FORMAT, "created_at": timezone.now().isoformat(), "engine": engine,
            "latest_migration": latest.name if latest else None, **_counts(),
            "database": {"file": db_file.name, "sha256": _sha256(db_file)},
            "media": {str(rel): digest for rel, digest in media},
        }
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            tar.add(work / "manifest.json", arcname="manifest.json")
            tar.add(db_file, arcname=db_file.name)
            for rel, _digest in media:
                tar.add(media_root / rel, arcname=f"media/{rel}")
        partial.replace(output)  # a backup file exists only once it is whole
    return Summary(output, manifest["findings"], manifest["photos"], manifest["audit_events"], len(media),
                   output.stat().st_size)


def _safe_members(tar: tarfile.TarFile):
    for member in tar.getmembers():
        name = Path(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise LedgerError(f"备份文件里有不安全的条目：{member.name}")
        yield member


def _unpack(path: Path, into: Path) -> dict:
    try:
        with tarfile.open(path, "r") as tar:
            tar.extractall(into, members=list(_safe_members(tar)), filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise LedgerError(f"备份文件无法读取：{exc}") from None
    manifest_path = into / "manifest.json"
    if not manifest_path.exists():
        raise LedgerError("备份文件里没有 manifest.json，不是本系统的备份。")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise LedgerError(f"备份格式 {manifest.get('format')} 无法识别。")
    db_file = into / manifest["database"]["file"]
    if not db_file.exists() or _sha256(db_file) != manifest["database"]["sha256"]:
        raise LedgerError("备份中的数据库文件缺失或已损坏（校验和不符）。")
    for rel, digest in manifest["media"].items():
        file = into / "media" / rel
        if not file.exists() or _sha256(file) != digest:
            raise LedgerError(f"备份中的照片文件缺失或已损坏：{rel}")
    return manifest


def restore(path: Path, *, force: bool = False) -> Summary:
    """Replace the current database and media with the backup's; refuses a non-empty ledger unless forced."""
    engine = _engine()
    path = Path(path)
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="ledger-restore-") as work:
        work = Path(work)
        manifest = _unpack(path, work)
        if manifest["engine"] != engine:
            raise LedgerError(f"这是 {manifest['engine']} 数据库的备份，当前使用的是 {engine}。")
        if not force and _has_data():
            raise LedgerError("当前数据库里已有问题记录。确认要用备份覆盖时，请加 --force。")
        db_file = work / manifest["database"]["file"]
        if engine == "sqlite":
            _restore_sqlite(db_file)
        else:
            _restore_postgresql(db_file)
        staged = media_root.with_name(media_root.name + ".restoring")
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(work / "media", staged) if (work / "media").exists() else staged.mkdir(parents=True)
        old = media_root.with_name(media_root.name + ".before-restore")
        shutil.rmtree(old, ignore_errors=True)
        if media_root.exists():
            media_root.rename(old)
        staged.rename(media_root)
        for kept in SKIPPED_MEDIA:  # running jobs' files stay where they were
            if (old / kept).exists():
                shutil.move(str(old / kept), str(media_root / kept))
        shutil.rmtree(old, ignore_errors=True)
    counts = _counts()
    expected = {key: manifest[key] for key in counts}
    if counts != expected:
        raise LedgerError(f"恢复后的记录数与备份不符：应为 {expected}，实为 {counts}。")
    missing = [p.image.name for p in Photo.objects.only("image") if not (media_root / p.image.name).exists()]
    if missing:
        raise LedgerError(f"恢复后有 {len(missing)} 张照片的文件不存在，例如 {missing[0]}。")
    return Summary(path, counts["findings"], counts["photos"], counts["audit_events"], len(manifest["media"]),
                   path.stat().st_size)


def _has_data() -> bool:
    try:
        return Finding.objects.exists()
    except Exception:  # noqa: BLE001 - an empty database without tables yet
        return False


def _restore_sqlite(db_file: Path) -> None:
    source = sqlite3.connect(db_file)
    try:
        check = source.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise LedgerError(f"备份中的 SQLite 数据库未通过完整性检查：{check}")
        connection.ensure_connection()
        source.backup(connection.connection)  # page by page into the live database, in one step
    finally:
        source.close()
    for conn in connections.all():
        conn.close()


def _restore_postgresql(dump: Path) -> None:
    db = connection.settings_dict
    args, env = _pg_env(db)
    for conn in connections.all():
        conn.close()
    result = subprocess.run(
        [_pg_program("pg_restore"), *args, "--clean", "--if-exists", "--no-owner", "--single-transaction",
         "--exit-on-error", "-d", db["NAME"], str(dump)],
        env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise LedgerError(f"pg_restore 失败，数据库未改动：{result.stderr.strip()[:2000]}")

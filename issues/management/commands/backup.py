"""python manage.py backup [--output var/backups/ledger-YYYYmmdd-HHMMSS.tar]: the database and photos."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from issues.core.exceptions import LedgerError
from issues.operations import backup


class Command(BaseCommand):
    help = "备份数据库和上传的照片到一个 tar 文件（SQLite 在线备份或 pg_dump）。"

    def add_arguments(self, parser):
        parser.add_argument("--output", help="备份文件路径；默认 var/backups/ledger-<时间>.tar")

    def handle(self, *args, output=None, **options):
        if output is None:
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
            output = Path(settings.BASE_DIR) / "var" / "backups" / f"ledger-{stamp}.tar"
        try:
            summary = backup.create(Path(output))
        except LedgerError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"已备份到 {summary.path}：问题 {summary.findings} 条，照片 {summary.photos} 张，"
            f"操作日志 {summary.audit_events} 条，文件 {summary.media_files} 个，共 {summary.bytes / 1048576:.1f} MB。"
        )

"""python manage.py restore BACKUP.tar [--force]: put a backup's database and photos back."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from issues.core.exceptions import LedgerError
from issues.operations import backup


class Command(BaseCommand):
    help = "从 backup 命令生成的 tar 文件恢复数据库和照片；先校验整个备份，再替换。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="备份文件")
        parser.add_argument("--force", action="store_true", help="当前数据库已有数据时仍然覆盖")

    def handle(self, *args, path, force=False, **options):
        if not Path(path).exists():
            raise CommandError(f"找不到备份文件 {path}")
        try:
            summary = backup.restore(Path(path), force=force)
        except LedgerError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"已从 {summary.path} 恢复：问题 {summary.findings} 条，照片 {summary.photos} 张，"
            f"操作日志 {summary.audit_events} 条，文件 {summary.media_files} 个，均已核对。"
        )

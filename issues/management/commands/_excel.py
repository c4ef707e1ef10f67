"""What the Excel commands share: who they act as, and how a report is printed."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from issues.excel.common import ExcelRefused


def acting_user(username: str | None):
    """The user named by --user, or None: the command then acts as the system (audited without a person)."""
    if not username:
        return None
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist as exc:
        raise CommandError(f"没有用户 {username}") from exc


def print_report(command, report, *, verb: str) -> None:
    out = command.stdout
    if report.unknown_columns:
        out.write("未识别、已忽略的列：" + "、".join(report.unknown_columns))
    for skipped in report.skipped:
        out.write(f"第{skipped['row']}行：{skipped['reason']}")
    if report.errors:
        for error in report.errors:
            command.stderr.write(str(error))
        raise CommandError(f"{len(report.errors)} 处错误，没有导入任何一行。")
    if report.dry_run:
        for row in report.created:
            out.write("将新建 " + "，".join(f"{k}={v}" for k, v in row.items() if v not in ("", None, False)))
        for row in report.updated:
            out.write("将更新 " + "，".join(f"{k}={v}" for k, v in row.items() if v not in ("", None, False)))
        out.write(f"检查通过（只检查，未导入）：将新建 {len(report.created)} 条，更新 {len(report.updated)} 条，"
                  f"跳过 {len(report.skipped)} 条。")
        return
    for note in report.notes:
        out.write(note)
    out.write(f"{verb}：新建 {len(report.created)} 条，更新 {len(report.updated)} 条，跳过 {len(report.skipped)} 条。")


class ImportCommand(BaseCommand):
    """An import command: FILE, --dry-run and --user; subclasses add options and call their service."""

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument("--user", help="以该用户的名义导入（默认：系统）")

    def run_import(self, file, *, actor, dry_run, **options):
        """Each command (import_ledger, import_units, import_index) calls its own service here."""
        raise NotImplementedError(f"{type(self).__name__} must define run_import")

    def handle(self, *args, file, dry_run, user, **options):
        try:
            report = self.run_import(file, actor=acting_user(user), dry_run=dry_run, **options)
        except ExcelRefused as exc:
            raise CommandError(f"{file} 未导入：{exc}") from exc
        except FileNotFoundError as exc:
            raise CommandError(f"找不到文件 {file}") from exc
        print_report(self, report, verb="导入完成")

"""What the Excel commands share: who they act as, and how a report is printed."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


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

from django.core.management.base import BaseCommand, CommandError

from issues.services.excel import ExcelRefused
from issues.services.registry_import import import_index

from ._excel import acting_user, print_report


class Command(BaseCommand):
    help = "导入测评指标与责任分解（.xlsx）：按指标编码更新已有指标。"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--system", default="", help="测评体系名称（默认：当前体系；不存在时新建）")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument("--user", help="以该用户的名义导入（默认：系统）")

    def handle(self, *args, file, system, dry_run, user, **options):
        try:
            report = import_index(file, actor=acting_user(user), system_name=system, dry_run=dry_run)
        except ExcelRefused as exc:
            raise CommandError(f"{file} 未导入：{exc}") from exc
        except FileNotFoundError as exc:
            raise CommandError(f"找不到文件 {file}") from exc
        print_report(self, report, verb="导入完成")

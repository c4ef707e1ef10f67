from django.core.management.base import BaseCommand, CommandError

from issues.services.excel import ExcelRefused
from issues.services.registry_import import import_units

from ._excel import acting_user, print_report


class Command(BaseCommand):
    help = "导入责任单位名册（.xlsx）：按单位名称更新已有单位，新单位只建一次。"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument("--user", help="以该用户的名义导入（默认：系统）")

    def handle(self, *args, file, dry_run, user, **options):
        try:
            report = import_units(file, actor=acting_user(user), dry_run=dry_run)
        except ExcelRefused as exc:
            raise CommandError(f"{file} 未导入：{exc}") from exc
        except FileNotFoundError as exc:
            raise CommandError(f"找不到文件 {file}") from exc
        print_report(self, report, verb="导入完成")

from django.core.management.base import BaseCommand, CommandError

from issues.services.excel import ExcelRefused
from issues.services.ledger_import import import_ledger

from ._excel import acting_user, print_report


class Command(BaseCommand):
    help = "导入交办问题清单（.xlsx）：全部行无误才导入；--dry-run 只检查并列出将新建的问题。"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument("--create-sites", action="store_true", help="点位名称不存在时新建点位（需有点位类型）")
        parser.add_argument("--user", help="以该用户的名义导入（默认：系统）")

    def handle(self, *args, file, dry_run, create_sites, user, **options):
        try:
            report = import_ledger(file, actor=acting_user(user), dry_run=dry_run, create_sites=create_sites)
        except ExcelRefused as exc:
            raise CommandError(f"{file} 未导入：{exc}") from exc
        except FileNotFoundError as exc:
            raise CommandError(f"找不到文件 {file}") from exc
        print_report(self, report, verb="导入完成")

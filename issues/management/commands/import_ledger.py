from issues.excel.ledger_import import import_ledger
from issues.management.commands._excel import ImportCommand


class Command(ImportCommand):
    help = "导入交办问题清单（.xlsx）：全部行无误才导入；--dry-run 只检查并列出将新建的问题。"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--create-sites", action="store_true", help="点位名称不存在时新建点位（需有点位类型）")

    def run_import(self, file, *, actor, dry_run, create_sites, **options):
        return import_ledger(file, actor=actor, dry_run=dry_run, create_sites=create_sites)

from issues.excel.registry_import import import_index
from issues.management.commands._excel import ImportCommand


class Command(ImportCommand):
    help = "导入测评指标与责任分解（.xlsx）：按指标编码更新已有指标。"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--system", default="", help="测评体系名称（默认：当前体系；不存在时新建）")

    def run_import(self, file, *, actor, dry_run, system, **options):
        return import_index(file, actor=actor, system_name=system, dry_run=dry_run)

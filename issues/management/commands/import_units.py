from issues.excel.registry_import import import_units
from issues.management.commands._excel import ImportCommand


class Command(ImportCommand):
    help = "导入责任单位名册（.xlsx）：按单位名称更新已有单位，新单位只建一次。"

    def run_import(self, file, *, actor, dry_run, **options):
        return import_units(file, actor=actor, dry_run=dry_run)

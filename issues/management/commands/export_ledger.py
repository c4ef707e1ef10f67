from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from issues.excel.ledger_export import export_for
from issues.management.commands._excel import acting_user


class Command(BaseCommand):
    help = ("导出台账工作簿（问题台账、问责台账、排名）。筛选条件与台账页面相同，例如 "
            "--status assigned --unit 12 --found-from 2026-11-01，或 --query 'status=assigned&overdue=true'。")

    def add_arguments(self, parser):
        parser.add_argument("out", help="输出文件，如 台账.xlsx")
        parser.add_argument("--query", default="", help="台账页面地址栏中 ? 后面的筛选条件")
        parser.add_argument("--status", action="append", default=[],
                            help="registered / assigned / submitted / closed / void，可重复")
        parser.add_argument("--unit", help="责任单位编号（含下级单位）")
        parser.add_argument("--found-from", help="发现日期从（YYYY-MM-DD）")
        parser.add_argument("--found-to", help="发现日期至（YYYY-MM-DD）")
        parser.add_argument("--overdue", action="store_true", help="只导出超期未整改的问题")
        parser.add_argument("--user", help="以该用户能看到的范围导出（单位用户只得到本单位的行）；默认全部")

    def handle(self, *args, out, query, status, unit, found_from, found_to, overdue, user, **options):
        data = QueryDict(query, mutable=True)
        for value in status:
            data.appendlist("status", value)
        for key, value in (("unit", unit), ("found_from", found_from), ("found_to", found_to)):
            if value:
                data[key] = value
        if overdue:
            data["overdue"] = "true"
        actor = acting_user(user)  # None: the whole ledger
        try:
            count = export_for(actor, data, out)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已导出 {count} 个问题到 {out}")

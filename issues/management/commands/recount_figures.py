from django.core.management.base import BaseCommand, CommandError

from issues.findings.services import refresh_lead_tops
from issues.rankings import aggregates


class Command(BaseCommand):
    help = "重算仪表板使用的月度汇总（单位月度、失分月度）；--check 只比较，不写入。"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只比较存储的汇总与重算结果，有差异时以非零状态退出")

    def handle(self, *args, check: bool, **options):
        if check:
            diffs = aggregates.differences()
            for line in diffs[:200]:
                self.stdout.write(line)
            if diffs:
                raise CommandError(f"月度汇总与重算结果有 {len(diffs)} 处不一致；运行 recount_figures 重算。")
            self.stdout.write("月度汇总与重算结果一致。")
            return
        months = aggregates.rebuild()
        moved = refresh_lead_tops()  # a finding's top unit, should the unit tree have changed behind our back
        self.stdout.write(f"已重算 {months} 个月的汇总；{moved} 个问题的最上级单位已按单位树更正。")

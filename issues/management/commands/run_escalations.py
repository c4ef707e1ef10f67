import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from issues.escalation.services import run_escalations


class Command(BaseCommand):
    help = "运行每日问责任务：处理截至 --date 前一天的每一天（默认今天），逾期、再次交办、问责、到期。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按这一天运行（YYYY-MM-DD），处理到前一天为止；默认今天")
        parser.add_argument("--dry-run", action="store_true", help="只显示将要发生的变化，不写入")

    def handle(self, *args, date=None, dry_run=False, **options):
        try:
            today = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(f"--date 的格式应为 YYYY-MM-DD，收到：{date}") from None
        report = run_escalations(today=today, dry_run=dry_run)
        if not report.days:
            self.stdout.write(f"{today:%Y-%m-%d}：没有需要处理的日期（已处理到 {today - dt.timedelta(days=1):%Y-%m-%d}）。")
            return
        for line in report.lines():
            self.stdout.write(line)
        prefix = "（试运行，未写入）" if dry_run else ""
        self.stdout.write(self.style.SUCCESS(
            f"{prefix}处理 {len(report.days)} 天（{report.days[0].day} 至 {report.days[-1].day}）："
            f"未按期 {report.miss_count}，问责 {report.sanction_count}。"
        ))

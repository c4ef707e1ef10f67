from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.city import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "建立演示城市（单位、指标、点位、用户和近四个月的问题）；可重复运行，不会重复创建。"

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="在 DEBUG 关闭时也运行（会写入演示数据）")

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG 已关闭，这可能是生产环境：拒绝写入演示数据。确需运行请加 --force。")
        summary = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据就绪：{summary.units} 个单位，{summary.users} 个用户，{summary.items} 个测评指标，"
                f"{summary.sites} 个点位；本次新建问题 {summary.findings_created} 个，共 {summary.findings_total} 个。"
            )
        )
        self.stdout.write(f"演示账号密码：{DEMO_PASSWORD}")

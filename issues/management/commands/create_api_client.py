import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from issues.core.exceptions import LedgerError
from issues.models import ApiClient
from issues.reports.services import issue_api_client


class Command(BaseCommand):
    help = ("签发接口客户端及其密钥，密钥只打印这一次（库里只存摘要）。--open311：Open311 市民问题上报"
            "（POST /open311/v2/requests.json 的 api_key）。吊销：在后台“接口客户端”取消勾选“启用”。")

    def add_arguments(self, parser):
        parser.add_argument("name", help="客户端名称，如“12345热线”")
        parser.add_argument("--open311", action="store_true", help="Open311 GeoReport v2 的上报密钥")
        parser.add_argument("--expires", default="", metavar="YYYY-MM-DD", help="有效期至（含当天）；不填为长期有效")

    def handle(self, *args, name: str, open311: bool, expires: str, **options):
        if not open311:
            raise CommandError("请指明密钥的用途：--open311（Open311 市民问题上报）。")
        expires_on = None
        if expires:
            try:
                expires_on = dt.date.fromisoformat(expires)
            except ValueError:
                raise CommandError(f"--expires：“{expires}”不是 YYYY-MM-DD 格式的日期。") from None
        try:
            client, key = issue_api_client(actor=None, name=name, scope=ApiClient.Scope.OPEN311, expires_on=expires_on)
        except LedgerError as error:
            raise CommandError(error.message) from None
        self.stderr.write(f"已签发接口客户端“{client.name}”（{client.get_scope_display()}）。密钥只显示这一次：")
        self.stdout.write(key)

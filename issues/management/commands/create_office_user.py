import getpass
import sys

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from issues.core.access import Role
from issues.core.roles import ensure_roles
from issues.models import Profile


class Command(BaseCommand):
    help = ("新建创文办工作人员账号（不需要演示数据）：可登录台账和后台 /admin/，登记、交办、复核问题，"
            "导入名册、测评体系和问题清单。密码交互输入两次，或用 --password-stdin 从标准输入读一行。")

    def add_arguments(self, parser):
        parser.add_argument("username", help="登录名")
        parser.add_argument("--full-name", default="", help="姓名，显示在页面右上角和审计日志里")
        parser.add_argument("--email", default="", help="邮箱（通知会发到这里）")
        parser.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行）")

    def handle(self, *args, username: str, full_name: str, email: str, password_stdin: bool, **options):
        username = username.strip()
        if not username:
            raise CommandError("登录名不能为空。")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"账号 {username} 已存在。")
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass("密码：")
            if getpass.getpass("再输入一次：") != password:
                raise CommandError("两次输入的密码不一致。")
        user = User(username=username, first_name=full_name.strip(), email=email.strip(), is_staff=True)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError("密码不符合要求：" + "；".join(error.messages)) from None
        ensure_roles()
        with transaction.atomic():
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=Role.OFFICE))
            Profile.objects.create(user=user, unit=None)
        self.stdout.write(f"已新建创文办账号 {username}：登录 /accounts/login/，配置在 /admin/。")

"""Error pages that say, in the user's language, what went wrong and what to do; never a stack trace.

Django's own 403, 404 and 500 pages come from templates/403.html, 404.html and 500.html; these views
cover what Django leaves in English: a request too large or with too many files or fields (400/413)
and a form sent after its page expired (the CSRF failure).
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.shortcuts import render
from django.utils.translation import gettext as _


def _limit_message(exception) -> str:
    if isinstance(exception, TooManyFilesSent):
        return _("一次上传的文件太多：最多 %(n)d 个。请分几次上传。") % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FILES}
    if isinstance(exception, TooManyFieldsSent):
        return _("表单内容太多：一次最多 %(n)d 项。请分几次提交。") % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}
    if isinstance(exception, RequestDataTooBig):
        return _("提交的内容太大：最多 %(mb).0f MB。") % {"mb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1048576}
    return _("请求无法处理：内容不完整或格式不对。请返回上一页重试。")


def bad_request(request, exception=None):
    return render(request, "400.html", {"message": _limit_message(exception)}, status=400)


def _mb(size: int) -> str:
    megabytes = size / 1048576
    return f"{megabytes:.0f}" if megabytes >= 10 else f"{megabytes:.1f}"


def request_too_large(request, length: int, limit: int | None = None):
    message = _("上传的内容有 %(size)s MB，超过了 %(limit)s MB 的上限。请压缩照片或分几次上传。") % {
        "size": _mb(length), "limit": _mb(limit or settings.REQUEST_MAX_BYTES)}
    return render(request, "400.html", {"message": message, "title": _("内容太大")}, status=413)


def csrf_failure(request, reason=""):
    return render(request, "400.html", {
        "title": _("页面已过期"),
        "message": _("这个页面打开太久或登录状态已变化，提交没有生效。请刷新页面后重新提交。"),
    }, status=403)


def login_locked(request, original_response=None, credentials=None):
    """django-axes' answer once a username has failed too often from one address (429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked.html", {"cooloff_minutes": minutes}, status=429)

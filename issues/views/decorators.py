"""View decorators: who may open a page at all (what they may do with an object is issues.core.access)."""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from issues.core import access


def office_required(view):
    """Login, then 403 for anyone who is not office staff."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not access.is_office(request.user):
            raise PermissionDenied(_("只有创文办工作人员可以执行此操作。"))
        return view(request, *args, **kwargs)

    return wrapped


def city_wide_required(view):
    """Login, then 403 for unit users: these pages are the office's and the city leaders'."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not access.sees_everything(request.user):
            raise PermissionDenied(_("此页面只对创文办、市领导和督查纪检开放。"))
        return view(request, *args, **kwargs)

    return wrapped

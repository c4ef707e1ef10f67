"""View decorators: who may open a page at all (what they may do with an object is issues.core.access)."""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from issues.core import access


def _role_required(allowed, refusal):
    """A decorator: login, then 403 with `refusal` for a user `allowed(user)` refuses."""

    def decorator(view):
        @login_required
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not allowed(request.user):
                raise PermissionDenied(str(refusal))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# Login, then 403 for anyone who is not office staff.
office_required = _role_required(access.is_office, _("只有创文办工作人员可以执行此操作。"))
# Login, then 403 for unit users: these pages are the office's and the city leaders'.
city_wide_required = _role_required(access.sees_everything, _("此页面只对创文办、市领导和督查纪检开放。"))

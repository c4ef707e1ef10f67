"""The bell: a user's notifications, newest first; opening the page marks them read."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from issues.models import Notification


@login_required
@require_safe
def notification_list(request):
    items = list(Notification.objects.filter(recipient=request.user)[:200])
    return render(request, "issues/notifications.html", {"items": items})


@login_required
@require_POST
def notifications_read(request):
    Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notifications")

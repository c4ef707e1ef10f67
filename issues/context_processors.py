from issues.core import access
from issues.models import Notification


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_is_office": access.is_office(user),
        "user_is_unit": access.is_unit_user(user),
        "user_unit": access.unit_of(user),
        "user_roles": sorted(access.roles_of(user)),
        "unread_notifications": Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
    }

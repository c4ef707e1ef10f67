from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender, **kwargs):
    from .roles import ensure_roles

    ensure_roles()


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = "创文整改台账"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Groups need the permissions that Django creates after migrate.
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="issues.ensure_roles")

from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_roles(sender, **kwargs):
    from issues.core.roles import ensure_roles

    ensure_roles()


def _ensure_monthly_figures(sender, **kwargs):
    """A ledger that predates the monthly figures (or was loaded in bulk) gets them counted once."""
    from issues.models import Finding, UnitMonth
    from issues.rankings import aggregates

    using = kwargs.get("using", "default")
    if Finding.objects.using(using).exists() and not UnitMonth.objects.using(using).exists():
        aggregates.rebuild()


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = "创文整改台账"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from issues.core import lookups  # noqa: F401 - registers field__in_ids

        # Groups need the permissions that Django creates after migrate.
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="issues.ensure_roles")
        post_migrate.connect(_ensure_monthly_figures, sender=self, dispatch_uid="issues.monthly_figures")


class LoginGuardConfig(AxesAppConfig):
    """django-axes (failed logins and lockouts) under a name the office reads in the admin."""

    verbose_name = _("登录保护")

"""The Celery app: Redis as broker, settings read from Django's CELERY_* names."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creation_tracker.settings")

app = Celery("creation_tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
# each domain keeps its tasks beside its services
app.autodiscover_tasks(["issues.escalation", "issues.notifications", "issues.findings", "issues.excel"])

"""WSGI entry point (gunicorn creation_tracker.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creation_tracker.settings")
application = get_wsgi_application()

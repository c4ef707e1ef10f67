"""/healthz: is the database reachable, is Redis reachable."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # any driver error means "down", reported as text
        return f"error: {exc.__class__.__name__}"


def redis_state() -> str:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return "ok"
    except redis.RedisError as exc:
        return f"error: {exc.__class__.__name__}"


@never_cache
@require_GET
def healthz(request):
    """200 while the database answers (Redis's state is reported beside it), 503 when it does not."""
    db, rd = database_state(), redis_state()
    status = 200 if db == "ok" else 503
    return JsonResponse({"status": "ok" if db == rd == "ok" else "degraded", "database": db, "redis": rd}, status=status)

"""Sending one outbound message: an email, or a post to a WeCom / DingTalk group robot.

Called by the Celery tasks (issues.notifications.tasks); a failed send is logged on the row and
raised as DeliveryError for the task to retry."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from issues.models import OutboundMessage, Unit

log = logging.getLogger(__name__)


def dingtalk_signed_url(url: str, secret: str, now_ms: int | None = None) -> str:
    """DingTalk's signed robot URL: timestamp and HMAC-SHA256 of "timestamp\\nsecret", base64."""
    timestamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


class DeliveryError(Exception):
    pass


def _post_json(url: str, payload: dict) -> None:
    # Only web addresses: a robot address typed as file:// or ftp:// must not make the server read files.
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise DeliveryError(f"not an http(s) address: {url[:80]}")
    request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:  # nosec B310
            answer = json.loads(response.read() or b"{}")
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise DeliveryError(str(exc)) from exc
    if answer.get("errcode", 0) != 0:  # both robots answer {"errcode": 0, "errmsg": "ok"}
        raise DeliveryError(f"errcode {answer.get('errcode')}: {answer.get('errmsg')}")


def deliver(message_id: int) -> bool:
    """Send one message; True when sent (or sent before), DeliveryError to be retried."""
    message = OutboundMessage.objects.get(pk=message_id)
    if message.status != OutboundMessage.Status.PENDING:
        return message.status == OutboundMessage.Status.SENT
    OutboundMessage.objects.filter(pk=message.pk).update(attempts=message.attempts + 1)
    try:
        if message.channel == OutboundMessage.Channel.EMAIL:
            send_mail(message.subject, message.payload.get("body", ""), settings.DEFAULT_FROM_EMAIL, [message.target])
        elif message.channel == OutboundMessage.Channel.DINGTALK:
            unit = Unit.objects.filter(dingtalk_webhook=message.target).exclude(dingtalk_secret="").first()
            url = dingtalk_signed_url(message.target, unit.dingtalk_secret) if unit else message.target
            _post_json(url, message.payload)
        else:
            _post_json(message.target, message.payload)
    except Exception as exc:
        failed = message.attempts + 1 >= settings.OUTBOUND_MAX_ATTEMPTS
        OutboundMessage.objects.filter(pk=message.pk).update(
            last_error=f"{exc.__class__.__name__}: {exc}"[:2000],
            status=OutboundMessage.Status.FAILED if failed else OutboundMessage.Status.PENDING,
        )
        log.warning("outbound message %s (%s) failed, attempt %d: %s", message.pk, message.channel,
                    message.attempts + 1, exc)
        if failed:
            return False
        raise DeliveryError(str(exc)) from exc
    OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.SENT, sent_at=timezone.now(),
                                                         last_error="")
    return True

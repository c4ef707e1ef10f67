"""Telling a unit what happened: the in-app bell, email, and WeCom / DingTalk group robots.

`notify_unit` writes the notifications and the outbound messages in the caller's transaction,
each keyed by its event so nothing is sent twice; after the commit, a Celery task delivers
every outbound message. A failed send is retried with a growing delay, logged on the row, and
never blocks or undoes the work that caused it; a periodic task picks up what a down broker
left behind.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from issues.core.access import UNIT_ROLES, Role
from issues.core.lookups import IdList
from issues.models import Notification, OutboundMessage, Policy, Unit

log = logging.getLogger(__name__)


def _unit_users():
    """Active users with a unit role (heads, liaisons)."""
    return get_user_model().objects.filter(is_active=True, groups__name__in=list(UNIT_ROLES)).distinct()


def recipients(unit: Unit):
    """The active heads and liaisons of the unit."""
    return _unit_users().filter(profile__unit=unit)


def wecom_payload(title: str, body: str, url: str) -> dict:
    """WeCom group robot, markdown message."""
    return {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{body}\n[查看详情]({url})"}}


def dingtalk_payload(title: str, body: str, url: str) -> dict:
    """DingTalk group robot, markdown message."""
    return {"msgtype": "markdown", "markdown": {"title": title, "text": f"#### {title}\n\n{body}\n\n[查看详情]({url})"},
            "at": {"isAtAll": False}}


def _outbound(channel: str, target: str, key: str, subject: str, payload: dict) -> OutboundMessage | None:
    try:
        with transaction.atomic():
            return OutboundMessage.objects.create(channel=channel, target=target, key=key, subject=subject,
                                                  payload=payload)
    except IntegrityError:
        return None  # this event was queued before


def _tell(users, *, kind: str, key: str, title: str, body: str, path: str,
          robots: Iterable[tuple[str, str, str]]) -> int:
    """Each user's bell and email, then each (channel, address, key prefix) robot, once per event."""
    url = f"{settings.SITE_URL}{path}"
    queued: list[int] = []
    for user in users:
        try:
            with transaction.atomic():
                Notification.objects.create(recipient=user, kind=kind, key=key, title=title, body=body, url=path)
        except IntegrityError:
            continue  # told before
        if user.email:
            message = _outbound(OutboundMessage.Channel.EMAIL, user.email, f"email:{user.pk}:{key}", title,
                                {"body": f"{body}\n\n{url}"})
            if message:
                queued.append(message.pk)
    payloads = {OutboundMessage.Channel.WECOM: wecom_payload, OutboundMessage.Channel.DINGTALK: dingtalk_payload}
    for channel, target, prefix in robots:
        if target:
            message = _outbound(channel, target, f"{channel}:{prefix}:{key}", title, payloads[channel](title, body, url))
            if message:
                queued.append(message.pk)
    if queued:
        transaction.on_commit(lambda: enqueue(queued))
    return len(queued)


def notify_unit(*, unit: Unit, kind: str, key: str, title: str, body: str, path: str) -> int:
    """Notify the unit's people once per event; returns how many outbound messages were queued."""
    return _tell(recipients(unit), kind=kind, key=key, title=title, body=body, path=path, robots=[
        (OutboundMessage.Channel.WECOM, unit.wecom_webhook, unit.pk),
        (OutboundMessage.Channel.DINGTALK, unit.dingtalk_webhook, unit.pk),
    ])


def notify_office(*, kind: str, key: str, title: str, body: str, path: str) -> int:
    """Tell the office once per event: every active office user's bell and email, and the office's
    group robots (Policy); returns how many outbound messages were queued."""
    staff = get_user_model().objects.filter(is_active=True, groups__name=Role.OFFICE).distinct().order_by("pk")
    policy = Policy.current()
    return _tell(staff, kind=kind, key=key, title=title, body=body, path=path, robots=[
        (OutboundMessage.Channel.WECOM, policy.office_wecom_webhook, "office"),
        (OutboundMessage.Channel.DINGTALK, policy.office_dingtalk_webhook, "office"),
    ])


@dataclass
class Event:
    """One thing to tell a unit, as `notify_unit` takes it."""

    unit: Unit
    kind: str
    key: str
    title: str
    body: str
    path: str


def reachable(units: Iterable[Unit]) -> set[int]:
    """Of these units, the ids of those with anyone to tell: an active unit user, or a group robot's
    address. `notify_units` writes nothing for the others, so a caller need build no event for them
    (a night's 5,000 misses fall mostly on units nobody reads the ledger for)."""
    units = list(units)
    with_people = _unit_users().filter(profile__unit__in_ids=IdList({unit.pk for unit in units}))
    return set(with_people.values_list("profile__unit_id", flat=True)) | {
        unit.pk for unit in units if unit.wecom_webhook or unit.dingtalk_webhook}


def _people(unit_ids) -> dict[int, list]:
    """The active unit users (liaisons, heads) of these units, by unit, in id order."""
    people: dict[int, list] = defaultdict(list)
    for user in _unit_users().filter(profile__unit__in_ids=IdList(unit_ids)).select_related("profile").order_by("pk"):
        people[user.profile.unit_id].append(user)
    return people


def notify_units(events: list[Event]) -> int:
    """`notify_unit` for many events (the nightly job's misses): the same notifications and messages,
    each once per event, in a few statements per 500 events instead of several per event."""
    queued = 0
    for start in range(0, len(events), 500):
        queued += _notify_batch(events[start:start + 500])
    return queued


def _notify_batch(events: list[Event]) -> int:
    if not events:
        return 0
    people = _people({e.unit.pk for e in events})
    told = set()  # (recipient, key) told before; nobody to tell, nothing to ask
    if people:
        told = set(Notification.objects.filter(
            recipient_id__in_ids=IdList(user.pk for users in people.values() for user in users),
            key__in=[e.key for e in events],
        ).values_list("recipient_id", "key"))
    notes, messages = [], []
    for event in events:
        url = f"{settings.SITE_URL}{event.path}"
        for user in people[event.unit.pk]:
            if (user.pk, event.key) in told:
                continue  # told before
            told.add((user.pk, event.key))
            notes.append(Notification(recipient=user, kind=event.kind, key=event.key, title=event.title,
                                      body=event.body, url=event.path))
            if user.email:
                messages.append(OutboundMessage(channel=OutboundMessage.Channel.EMAIL, target=user.email,
                                                key=f"email:{user.pk}:{event.key}", subject=event.title,
                                                payload={"body": f"{event.body}\n\n{url}"}))
        unit = event.unit
        if unit.wecom_webhook:
            messages.append(OutboundMessage(channel=OutboundMessage.Channel.WECOM, target=unit.wecom_webhook,
                                            key=f"wecom:{unit.pk}:{event.key}", subject=event.title,
                                            payload=wecom_payload(event.title, event.body, url)))
        if unit.dingtalk_webhook:
            messages.append(OutboundMessage(channel=OutboundMessage.Channel.DINGTALK, target=unit.dingtalk_webhook,
                                            key=f"dingtalk:{unit.pk}:{event.key}", subject=event.title,
                                            payload=dingtalk_payload(event.title, event.body, url)))
    if messages:
        sent_before = set(OutboundMessage.objects.filter(key__in=[m.key for m in messages])
                          .values_list("key", flat=True))
        messages = [m for m in messages if m.key not in sent_before]
    if notes or messages:
        with transaction.atomic():
            Notification.objects.bulk_create(notes)
            messages = OutboundMessage.objects.bulk_create(messages)
    ids = [m.pk for m in messages]
    if ids:
        transaction.on_commit(lambda: enqueue(ids))
    return len(ids)


def enqueue(ids: list[int]) -> None:
    from issues.notifications.tasks import deliver_outbound  # the task module imports delivery, not this one

    for pk in ids:
        try:
            deliver_outbound.apply_async((pk,), retry=False)
        except Exception as exc:  # a broker that is down must not break the caller
            log.warning("outbound message %s not queued (%s); the periodic retry will send it", pk, exc)







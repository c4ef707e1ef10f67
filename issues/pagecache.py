"""Drawn pages kept per worker, under the ledger's version stamp (models.LedgerStamp); the ledger
filter's option lists, under the reference stamp (`kept_options`).

The database raises the stamp on every write to a table the ledger draws, whoever writes, in the
same transaction as the write. A page is looked up under the version read before anything else of
the request: a page drawn from older rows is kept under an older version that no later request asks
for, so no one sees a page older than the last committed write. Pages are also keyed by what makes
them differ: who may see what, the language, the day (overdue marks) and the query.

A kept page carries a mark where the CSRF token goes; every answer gets the asker's own token.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from .models import LedgerStamp

CSRF_MARK = "csrf-mark-7f3a91c2"  # drawn in place of the CSRF token; never a real token (those are 64 letters)


def ledger_version() -> int | None:
    """The stamp, or None when the database keeps none (then nothing is kept): PostgreSQL never does
    (migration 0019), so it is not asked."""
    if not settings.LEDGER_PAGE_CACHE:
        return None
    return _stamp(LedgerStamp.LEDGER)


def reference_version() -> int | None:
    """The stamp of the tables the ledger's filter lists its options from (models.LedgerStamp), or
    None when the database keeps none."""
    return _stamp(LedgerStamp.REFERENCE)


def kept_options(version: int | None, name: str, scope: frozenset[int] | None,
                 read: Callable[[], Iterable[tuple]]) -> tuple:
    """The (value, label) pairs `read` gives for the ledger filter's select `name`, kept in the
    worker under the reference version: the same thousand units are read once, not once a page.
    `scope`: the units the asker sees (None: all), for the lists that depend on it. Without a stamp
    (`version` None) they are read every time."""
    if version is None:
        return tuple(read())
    seen = "all" if scope is None else hashlib.sha256(repr(sorted(scope)).encode()).hexdigest()
    key = f"options:{version}:{name}:{seen}"
    store = caches["options"]
    pairs = store.get(key)
    if pairs is None:
        pairs = tuple(read())
        store.set(key, pairs)
    return pairs


def _stamp(row: int) -> int | None:
    if connection.vendor != "sqlite":
        return None
    return LedgerStamp.objects.filter(pk=row).values_list("version", flat=True).first()


def page_key(version: int, *parts) -> str:
    described = repr((version, get_language(), timezone.localdate().isoformat(), *parts))
    return "page:" + hashlib.sha256(described.encode()).hexdigest()


def drawn(request, parts: tuple, draw: Callable[[str], str]) -> SafeString:
    """The HTML `draw(csrf_token)` returns for these parts, drawn once per ledger version.

    `draw` is given the mark to put where the CSRF token goes; the answer has the request's token.
    """
    version = ledger_version()
    store = caches["pages"]
    key = page_key(version, *parts) if version is not None else None
    html = store.get(key) if key else None
    if html is None:
        html = draw(CSRF_MARK)
        if key:
            store.set(key, html)
    return mark_safe(html.replace(CSRF_MARK, get_token(request)))  # nosec B308 B703  # noqa: S308 - our own template, escaped when drawn

"""Small template helpers for the ledger's filters, sorting and pagination links."""

from urllib.parse import urlencode

from django import template
from django.http import QueryDict
from django.utils.html import format_html

register = template.Library()


@register.filter
def status_badge(finding) -> str:
    """A finding's status as a coloured badge (a filter, not an include: the ledger draws 50 a page)."""
    return format_html('<span class="badge status-{}">{}</span>', finding.status, finding.get_status_display())


@register.simple_tag
def query_without(query: str, *names: str) -> str:
    """The current query string without the named parameters (and without the page)."""
    params = QueryDict(query, mutable=True)
    for name in (*names, "page"):
        params.pop(name, None)
    return params.urlencode()


@register.filter
def split(value: str) -> list[str]:
    return value.split()


@register.filter
def field(form, name: str):
    return form[name]


@register.simple_tag(takes_context=True)
def sort_link(context, key: str, label) -> str:
    """A column header that sorts by `key`, and reverses when it is already the sort."""
    current = context.get("current_order", "")
    base = context.get("sort_query", "")
    if current == key:
        target, arrow = f"-{key}", " ↑"
    elif current == f"-{key}":
        target, arrow = key, " ↓"
    else:
        target, arrow = key, ""
    query = QueryDict(base, mutable=True)
    query.pop("page", None)
    href = "?" + (query.urlencode() + "&" if query else "") + urlencode({"o": target})
    return format_html('<a href="{}" class="sort">{}{}</a>', href, label, arrow)


@register.filter
def percent(rate) -> str:
    """A rate (0..1) as a percentage with one decimal: 0.8571 → 85.7%; nothing for None."""
    if rate is None:
        return "—"
    return f"{float(rate) * 100:.1f}%"

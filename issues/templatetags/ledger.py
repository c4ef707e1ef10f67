"""Small template helpers for the ledger's filters, sorting and pagination links."""

from html import escape
from urllib.parse import urlencode

from django import template
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from issues.core.links import path_maker
from issues.models import FindingStatus

register = template.Library()


def badge(status: str, label) -> SafeString:
    return format_html('<span class="badge status-{}">{}</span>', status, label)


@register.filter
def status_badge(finding) -> str:
    """A finding's status as a coloured badge (a filter, not an include: the ledger draws 50 a page)."""
    return badge(finding.status, finding.get_status_display())


@register.simple_tag
def finding_rows(findings, with_checks: bool) -> SafeString:
    """The ledger table's rows, written in one pass (through the template language they were a third
    of drawing the page). Every value is escaped here with html.escape. Each cell repeats its
    column's name (data-label) for the phone layout. `with_checks`: a box on each registered finding."""
    labels = [_("问题编号"), _("发现日期"), _("问题描述"), _("点位"), _("责任单位"), _("状态"), _("整改时限"),
              _("未按期"), _("扣分")]
    # dates, the status and the deadline never wrap; the description takes the width left and is cut
    kinds = ["nowrap", "nowrap", "desc-cell", "name-cell", "name-cell", "nowrap", "nowrap", "", ""]
    heads = [f'<td data-label="{escape(label)}" class="{kind}">' if kind else f'<td data-label="{escape(label)}">'
             for label, kind in zip(labels, kinds, strict=True)]
    badges = {value: badge(value, label) for value, label in FindingStatus.choices}
    link_of = path_maker("finding_detail")
    relapse = f' <span class="badge relapse">{escape(_("反弹"))}</span>'
    overdue = f" <b>{escape(_('超期'))}</b>"
    choose = escape(_("选择"))
    registered = FindingStatus.REGISTERED
    # what a cut description ends with, as Truncator writes it in this language ("..." in Chinese)
    cut = pgettext("String to return when truncating text", "%(truncated_text)s…") % {"truncated_text": ""}

    def row(f) -> str:
        link = escape(link_of(f.pk))
        number = escape(f.display_number)
        check = ""
        if with_checks:
            box = (f'<input type="checkbox" name="ids" value="{f.pk}" aria-label="{choose} {number}">'
                   if f.status == registered else "")
            check = f'<td class="narrow-col">{box}</td>'
        site = (f.site.name if f.site_id else "") or f.address or "—"
        deadline = f"{f.deadline.isoformat()}{overdue if f.is_overdue else ''}" if f.deadline else "—"
        return (
            f'<tr class="{"overdue" if f.is_overdue else ""}">{check}'
            f'{heads[0]}<a class="number" href="{link}">{number}</a>{relapse if f.relapse_of_id else ""}</td>'
            f"{heads[1]}{f.found_on.isoformat()}</td>"
            f'{heads[2]}<a class="desc" href="{link}" title="{escape(shortened(f.description, 300, cut))}">'
            f"{escape(shortened(f.description, 80, cut))}</a></td>"
            f"{heads[3]}{escape(site)}</td>"
            f"{heads[4]}{escape(f.lead_unit.name)}</td>"
            f"{heads[5]}{badges.get(f.status) or badge(f.status, f.status)}</td>"
            f"{heads[6]}{deadline}</td>"
            f"{heads[7]}{f.miss_count}</td>"
            f"{heads[8]}{points(f.deduction)}</td></tr>\n"
        )

    return mark_safe("".join(row(f) for f in findings))  # nosec B308 B703  # noqa: S308 - every value escaped above


def shortened(text: str, limit: int, cut: str) -> str:
    """At most `limit` characters, ending in `cut` when cut (Truncator.chars, without its cost)."""
    return text if len(text) <= limit else text[: limit - len(cut)] + cut


def points(value) -> str:
    """A deduction as the ledger shows it: 2 → "2", 2.5 → "2.50" (floatformat's "-2")."""
    text = f"{value:.2f}"
    return text[:-3] if text.endswith(".00") else text


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

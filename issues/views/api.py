"""Small JSON look-ups for the phone form: sites, index items, and the defaults they imply."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from issues.findings.services import default_deadline, default_units
from issues.models import IndexItem, IndexSystem, Policy, Severity, Site
from issues.views.decorators import office_required

LIMIT = 20


@office_required
@require_safe
def sites(request):
    q = request.GET.get("q", "").strip()
    qs = Site.objects.filter(is_active=True).select_related("site_type", "default_unit")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q))
    return JsonResponse({"results": [
        {"id": s.pk, "name": s.name, "type": s.site_type.name, "address": s.address,
         "default_unit": s.default_unit_id}
        for s in qs.order_by("name")[:LIMIT]
    ]})


def _items():
    system = IndexSystem.objects.filter(is_current=True).first()
    qs = IndexItem.objects.select_related("category")
    return qs.filter(system=system) if system else qs


@office_required
@require_safe
def items(request):
    qs = _items()
    # every word somewhere in the item: its code, name, standard text or category ("垃圾" finds the
    # 环境卫生 items whose standard speaks of it; "NM-08 环境卫生", a picked label, finds that item)
    for word in request.GET.get("q", "").split():
        qs = qs.filter(Q(code__istartswith=word) | Q(name__icontains=word) | Q(standard__icontains=word)
                       | Q(category__name__icontains=word))
    return JsonResponse({"results": [
        {"id": i.pk, "code": i.code, "name": i.name, "category": i.category.name, "label": f"{i.code} {i.name}"}
        for i in qs.order_by("code")[:LIMIT]
    ]})


@office_required
@require_safe
def defaults(request):
    """Lead and co-units from the responsibility matrix (else the site's unit) and the default deadline."""
    result: dict = {"lead_unit": None, "co_units": [], "deadline": None}
    code = request.GET.get("item", "").strip().split(" ")[0]
    item = _items().filter(code=code).select_related("responsibility").first() if code else None
    site_name = request.GET.get("site", "").strip()
    site = Site.objects.filter(name=site_name).select_related("default_unit").first() if site_name else None
    lead, co = default_units(item=item, site=site)
    result["lead_unit"] = lead.pk if lead else None
    result["co_units"] = [unit.pk for unit in co]
    severity = request.GET.get("severity") or Severity.GENERAL
    if severity in Severity.values:
        try:
            issued = dt.date.fromisoformat(request.GET.get("from", ""))
        except ValueError:
            issued = timezone.localdate()
        issued = max(issued, timezone.localdate())
        result["deadline"] = default_deadline(severity=severity, issued_on=issued).isoformat()
        result["working_days"] = Policy.current().deadline_days_for(severity)
    return JsonResponse(result)

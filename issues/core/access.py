"""Who may see and do what. The one way a view or a service reaches an object for a user.

Office staff, leaders and supervision see everything; only office staff change the ledger.
Unit heads and liaisons see their own unit and its descendants (a street sees its
communities) and nothing else: an object of another unit answers 404, as if it did not exist.
Units see a finding once it has been assigned to them (its first notice); findings of a
covert round stay invisible to units until the office publishes the round.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _

from issues.models import Finding, FindingStatus, InspectionRound, NoticeOutcome, Unit


class Role(models.TextChoices):
    """Roles are Django groups; the group's name is the role's value."""

    OFFICE = "创文办工作人员", "创文办工作人员"
    UNIT_HEAD = "责任单位负责人", "责任单位负责人"
    UNIT_LIAISON = "责任单位联络员", "责任单位联络员"
    LEADER = "市领导", "市领导"
    SUPERVISION = "督查纪检", "督查纪检"


UNIT_ROLES = frozenset({Role.UNIT_HEAD, Role.UNIT_LIAISON})
CITY_WIDE_ROLES = frozenset({Role.OFFICE, Role.LEADER, Role.SUPERVISION})


def roles_of(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_ledger_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._ledger_roles = cached
    return cached


def is_office(user) -> bool:
    return bool(getattr(user, "is_active", False) and user.is_superuser) or Role.OFFICE in roles_of(user)


def is_leader(user) -> bool:
    return Role.LEADER in roles_of(user)


def is_supervision(user) -> bool:
    return Role.SUPERVISION in roles_of(user)


def sees_everything(user) -> bool:
    return is_office(user) or bool(roles_of(user) & CITY_WIDE_ROLES)


def is_unit_user(user) -> bool:
    return bool(roles_of(user) & UNIT_ROLES) and not sees_everything(user)


def unit_of(user) -> Unit | None:
    profile = getattr(user, "profile", None) if getattr(user, "is_authenticated", False) else None
    return profile.unit if profile is not None else None


def _parents() -> dict[int, int | None]:
    """Every unit's parent, from one query over the (small) unit table."""
    return dict(Unit.objects.order_by().values_list("pk", "parent_id"))


def subtree(unit_id: int) -> tuple[frozenset[int], bool]:
    """The unit and every unit below it, and whether it is a top unit (no parent: its subtree is the
    findings whose `lead_top` it is)."""
    parents = _parents()
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in parents.items():
        children[parent_id].append(pk)
    return _below(children, unit_id), unit_id in parents and parents[unit_id] is None


def descendant_ids(unit_id: int) -> frozenset[int]:
    """The unit and every unit below it."""
    return subtree(unit_id)[0]


def _top(parents: dict, pk: int) -> int:
    # a loop in the tree (which the roster import refuses) stops at the unit seen twice
    node, seen = pk, {pk}
    while parents.get(node) is not None and parents[node] not in seen:
        node = parents[node]
        seen.add(node)
    return node


def top_units() -> dict[int, int]:
    """Each unit's top unit (itself when it has no parent)."""
    parents = _parents()
    return {pk: _top(parents, pk) for pk in parents}


def top_of(unit: Unit) -> int:
    """The top unit of this one: itself when it has no parent (no query), else up the parents."""
    if unit.parent_id is None:
        return unit.pk
    parents = {unit.pk: unit.parent_id}
    node = unit.parent_id
    while node is not None and node not in parents:
        parents[node] = Unit.objects.filter(pk=node).values_list("parent_id", flat=True).first()
        node = parents[node]
    return _top(parents, unit.pk)


def _below(children: dict[int | None, list[int]], unit_id: int) -> frozenset[int]:
    found, stack = set(), [unit_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, ()))
    return frozenset(found)


def visible_unit_ids(user) -> frozenset[int] | None:
    """None means every unit; an empty set means none."""
    if sees_everything(user):
        return None
    cached = getattr(user, "_ledger_unit_ids", None)
    if cached is not None:
        return cached
    unit = unit_of(user) if is_unit_user(user) else None
    ids = descendant_ids(unit.pk) if unit is not None else frozenset()
    user._ledger_unit_ids = ids
    return ids


def findings_for(user, queryset=None, *, hidden: list[int] | None = None):
    """The findings this user may see; `hidden`: the covert rounds' ids, when the caller read them."""
    qs = Finding.objects.all() if queryset is None else queryset
    ids = visible_unit_ids(user)
    if ids is None:
        return qs
    if not ids:
        return qs.none()
    # A unit learns of a finding through its first notice; a covert round's stay hidden until published.
    # The few such rounds are listed first, so no finding is joined to its round.
    hidden = hidden_round_ids() if hidden is None else hidden
    unit = unit_of(user)
    if unit.parent_id is None:  # a district or a city department: its whole subtree by one key
        qs = qs.filter(lead_top_id=unit.pk, current_notice__isnull=False)
    else:
        qs = qs.filter(lead_unit_id__in=ids, current_notice__isnull=False)
    return qs.exclude(inspection_round_id__in=hidden) if hidden else qs


def hidden_round_ids() -> list[int]:
    """Covert rounds not yet published: their findings are hidden from units. Read afresh each time
    (a handful of rows): a round is published in the middle of anyone's session. A page that asks
    more than once reads them once and passes them on (`hidden`)."""
    return list(InspectionRound.objects.filter(is_covert=True, published_at__isnull=True).values_list("pk", flat=True))


def hidden_from(user) -> list[int]:
    """The covert rounds whose findings this user may not see yet: none for a city-wide role."""
    return [] if visible_unit_ids(user) is None else hidden_round_ids()


def units_for(user):
    ids = visible_unit_ids(user)
    qs = Unit.objects.all()
    return qs if ids is None else qs.filter(pk__in=ids)


def get_finding_for_user(user, pk, *, write: bool = False,
                         related: tuple[str, ...] = ("lead_unit", "site", "index_item")) -> Finding:
    """The finding, or 404 when the user may not see it; PermissionDenied for a write by a reader.
    `related`: the relations read in the same query."""
    try:
        finding = findings_for(user).select_related(*related).get(pk=pk)
    except (Finding.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到这个问题。")) from None
    if write and not is_office(user):
        raise PermissionDenied(_("只有创文办工作人员可以修改问题。"))
    return finding


def acts_for_unit(user, unit: Unit) -> bool:
    try:
        ensure_acts_for_unit(user, unit)
    except PermissionDenied:
        return False
    return True


def ensure_signs_for_unit(user, unit: Unit) -> None:
    """Receipt (签收) is the unit's act (DOMAIN.md, Corrections): its heads and liaisons (or those of a
    unit above it) sign; office staff see the receipt but do not sign on the unit's behalf."""
    if not is_unit_user(user):
        raise PermissionDenied(_("签收是责任单位的事：只有该单位的负责人或联络员可以签收。"))
    ensure_acts_for_unit(user, unit)


def finding_rights(user, finding: Finding, *, current, pending, transfer, pending_extension, today) -> dict[str, bool]:
    """What `user` may do with `finding` now, step by step, as its page offers it. The services check
    the same rules (ensure_office, ensure_acts_for_unit) and the finding's state when the step is taken.
    `current`: its current notice; `pending`: a fix waiting for review; `transfer`, `pending_extension`:
    requests waiting for the office (each None when there is none)."""
    office = is_office(user)
    open_current = current is not None and current.outcome == NoticeOutcome.OPEN
    acts = open_current and acts_for_unit(user, current.unit)
    return {
        "acknowledge": acts and is_unit_user(user) and current.acknowledged_at is None,
        "request_extension": acts and not office and pending_extension is None and today <= current.deadline,
        "decide_extension": office and pending_extension is not None,
        "assign": office and finding.status == FindingStatus.REGISTERED,
        "change_deadline": office and open_current,
        "submit": acts and is_unit_user(user) and finding.status == FindingStatus.ASSIGNED,
        "review": office and pending is not None,
        "request_transfer": acts and not office and finding.status == FindingStatus.ASSIGNED and transfer is None,
        "decide_transfer": office and transfer is not None,
        "void": office and finding.is_open,
    }


# --- checks the services make ---------------------------------------------------------


def ensure_office(user) -> None:
    if user is None:  # the system itself (nightly job, imports run by an operator)
        return
    if not is_office(user):
        raise PermissionDenied(_("只有创文办工作人员可以执行此操作。"))


def ensure_acts_for_unit(user, unit: Unit) -> None:
    """The user answers for this unit: office staff, or a head/liaison of it or of a unit above it."""
    if user is None or is_office(user):
        return
    if is_unit_user(user):
        own = unit_of(user)
        if own is not None and unit.pk in descendant_ids(own.pk):
            return
    raise PermissionDenied(_("您不是该责任单位的负责人或联络员。"))

"""The five roles as Django groups, with the model permissions each needs in the admin.

The groups are (re)created after every migrate, so a new deployment has them at once;
row-level rules (which unit's objects) live in issues/access.py.
"""

from django.contrib.auth.models import Group, Permission

from issues.core.access import Role

LEDGER_MODELS = [
    "policy", "workcalendarday", "rankinggroup", "unit", "profile", "sitetype", "indexsystem",
    "indexcategory", "indexitem", "responsibility", "site", "inspectionround", "finding", "photo",
    "notice", "submission", "transferrequest", "escalationrule", "sanction", "rankingperiod",
    "rankingentry", "auditevent", "jobday", "notification", "outboundmessage", "extensionrequest", "inspection",
    "inspectionresult", "exposure", "replytemplate", "assessmentedition", "opinionscore",
    "materialrequirement", "materialdeadline", "materialsubmission", "materialfile",
    "question", "survey", "surveyresponse",
]
# Citizen reports carry the reporter's phone number: the office's alone (DOMAIN.md).
CITIZEN_MODELS = ["citizenreport", "blockedphone", "apiclient"]
# Configuration the office keeps in the admin: add and change (never delete).
OFFICE_CONFIG = [
    "policy", "workcalendarday", "rankinggroup", "unit", "profile", "sitetype", "indexsystem",
    "indexcategory", "indexitem", "responsibility", "site", "inspectionround", "escalationrule",
    "rankingperiod", "replytemplate", "blockedphone", "apiclient", "assessmentedition", "opinionscore",
    "materialrequirement", "question",
]


def _perms(codenames: list[str]) -> list[Permission]:
    return list(Permission.objects.filter(content_type__app_label="issues", codename__in=codenames))


def role_permissions() -> dict[str, list[Permission]]:
    view_all = [f"view_{m}" for m in LEDGER_MODELS]
    office = view_all + [f"view_{m}" for m in CITIZEN_MODELS] + [
        f"{verb}_{m}" for m in OFFICE_CONFIG for verb in ("add", "change")] + ["delete_blockedphone"]
    auth_perms = list(
        Permission.objects.filter(
            content_type__app_label="auth", codename__in=["view_user", "add_user", "change_user", "view_group"]
        )
    )
    # django-axes: office staff see failed logins and lift a lockout by deleting its attempt row.
    auth_perms += list(Permission.objects.filter(
        content_type__app_label="axes",
        codename__in=["view_accessattempt", "delete_accessattempt", "view_accesslog", "view_accessfailurelog"],
    ))
    return {
        Role.OFFICE: _perms(office) + auth_perms,
        Role.LEADER: _perms(view_all),
        Role.SUPERVISION: _perms(view_all + ["change_sanction"]),
        Role.UNIT_HEAD: _perms(["view_finding", "view_notice", "add_submission", "add_transferrequest",
                                       "add_extensionrequest"]),
        Role.UNIT_LIAISON: _perms(["view_finding", "view_notice", "add_submission", "add_transferrequest",
                                       "add_extensionrequest"]),
    }


def ensure_roles() -> None:
    for name, perms in role_permissions().items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(perms)

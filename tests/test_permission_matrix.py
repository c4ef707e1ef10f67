"""Every route of the site, asked by every persona with GET and with an empty POST.

The routes come from the URL configuration itself: a route added without an entry here fails
`test_every_route_has_an_entry`. The personas, in this order:

    anonymous, office, head_A (head of 城东区), liaison_A (liaison of 东门社区, a community under 城东区),
    other_district (liaison of 西湖社区 in 城西区), leader, supervision

The objects asked about (finding, submission, transfer, photo, sanction, period, job, unit) belong to
东门社区. Answers: 200 the page; 302 a redirect (anonymous: to the login page; after a POST: done);
400 the form shown again with its errors (an empty POST); 403 the role may not do this; 404 the
object is not theirs (never 403, which would tell them it exists); 405 the method is not this route's.
"""

from django.test import Client

from tests.permission_world import ROLES, World, routes

LOGIN = 302


def row(answers: str) -> tuple[int, ...]:
    codes = tuple(int(code) for code in answers.split())
    assert len(codes) == len(ROLES)
    return codes


#                                       GET                        POST (empty)
#                                       anon off  hdA liA oth lea sup
MATRIX = {
    "": ("302 302 302 302 302 302 302", "302 405 405 405 405 405 405"),  # on to the role's start page
    "healthz": ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "i18n/setlang/": ("302 302 302 302 302 302 302", "302 302 302 302 302 302 302"),
    "accounts/login/": ("200 302 302 302 302 302 302", "200 302 302 302 302 302 302"),
    "accounts/logout/": ("405 405 405 405 405 405 405", "302 302 302 302 302 302 302"),
    "accounts/password/": ("302 200 200 200 200 200 200", "302 200 200 200 200 200 200"),
    "accounts/password/done/": ("302 200 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "dashboard/": ("302 200 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "units/<int:pk>/": ("302 200 200 200 404 200 200", "302 405 405 405 405 405 405"),
    "rankings/": ("302 200 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "periods/": ("302 200 403 403 403 200 200", "302 405 405 405 405 405 405"),
    "periods/<int:pk>/close/": ("302 405 403 403 403 403 403", "302 302 403 403 403 403 403"),
    "periods/<int:pk>/reopen/": ("302 405 403 403 403 403 403", "302 302 403 403 403 403 403"),
    "periods/<int:pk>/results/": ("302 200 403 403 403 403 403", "302 200 403 403 403 403 403"),
    "findings/": ("302 200 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "findings/export.xlsx": ("302 200 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "options/<str:kind>/": ("302 200 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "findings/new/": ("302 200 403 403 403 403 403", "302 200 403 403 403 403 403"),
    "findings/batch-assign/": ("302 405 403 403 403 403 403", "302 302 403 403 403 403 403"),
    "findings/<int:pk>/": ("302 200 200 200 404 200 200", "302 405 405 405 405 405 405"),
    "findings/<int:pk>/assign/": ("302 405 403 403 403 403 403", "302 400 403 403 403 403 403"),
    "findings/<int:pk>/deadline/": ("302 405 403 403 403 403 403", "302 400 403 403 403 403 403"),
    "findings/<int:pk>/submit/": ("302 405 405 405 405 405 405", "302 302 302 302 404 403 403"),
    "findings/<int:pk>/transfer/": ("302 405 405 405 405 405 405", "302 400 400 400 404 403 403"),
    "findings/<int:pk>/void/": ("302 405 403 403 403 403 403", "302 400 403 403 403 403 403"),
    "submissions/<int:pk>/approve/": ("302 405 403 403 403 403 403", "302 302 403 403 403 403 403"),
    "submissions/<int:pk>/reject/": ("302 405 403 403 403 403 403", "302 400 403 403 403 403 403"),
    "transfers/<int:pk>/decide/": ("302 405 403 403 403 403 403", "302 400 403 403 403 403 403"),
    "photos/<int:pk>/<str:size>/": ("302 200 200 200 404 200 200", "302 405 405 405 405 405 405"),
    "imports/": ("302 200 403 403 403 403 403", "302 405 403 403 403 403 403"),
    "imports/template.xlsx": ("302 200 403 403 403 403 403", "302 405 403 403 403 403 403"),
    "imports/<str:kind>/": ("302 405 403 403 403 403 403", "302 302 403 403 403 403 403"),
    # An export job started by the office clerk: only its starter sees it; it has no file yet.
    "jobs/<int:pk>/": ("302 200 404 404 404 404 404", "302 405 405 405 405 405 405"),
    "jobs/<int:pk>/status/": ("302 200 404 404 404 404 404", "302 405 405 405 405 405 405"),
    "jobs/<int:pk>/download/": ("302 404 404 404 404 404 404", "302 405 405 405 405 405 405"),
    "inbox/": ("302 200 200 200 200 403 403", "302 405 405 405 405 405 405"),
    "review/": ("302 200 403 403 403 403 403", "302 405 403 403 403 403 403"),
    "api/sites/": ("302 200 403 403 403 403 403", "302 405 403 403 403 403 403"),
    "api/items/": ("302 200 403 403 403 403 403", "302 405 403 403 403 403 403"),
    "api/defaults/": ("302 200 403 403 403 403 403", "302 405 403 403 403 403 403"),
    "notifications/": ("302 200 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "notifications/read/": ("302 405 405 405 405 405 405", "302 302 302 302 302 302 302"),
    "sanctions/": ("302 200 403 403 403 200 200", "302 405 405 405 405 405 405"),
    "sanctions/circular.docx": ("302 200 403 403 403 200 200", "302 405 405 405 405 405 405"),
    "sanctions/<int:pk>/": ("302 200 403 403 403 200 200", "302 405 405 405 405 405 405"),
    "sanctions/<int:pk>/lift/": ("302 405 405 405 405 405 405", "302 400 403 403 403 403 403"),
    "sanctions/<int:pk>/outcome/": ("302 405 405 405 405 405 405", "302 400 403 403 403 403 400"),
    "sanctions/<int:pk>/document.docx": ("302 200 403 403 403 200 200", "302 405 405 405 405 405 405"),
    # Field practice: signing for a notice and asking for more time are the unit's; deciding is the office's.
    # receipt is the unit's act: office staff see it but may not sign (DOMAIN.md, Corrections)
    "findings/<int:pk>/acknowledge/": ("302 405 405 405 405 405 405", "302 403 302 302 404 403 403"),
    "findings/<int:pk>/extension/": ("302 405 405 405 405 405 405", "302 400 400 400 404 403 403"),
    "extensions/<int:pk>/decide/": ("302 405 403 403 403 403 403", "302 400 403 403 403 403 403"),
    # Sites, inspections, rounds and receipts are the city's working material: no unit sees them (a
    # covert round must not leak through them); only the office inspects, creates or publishes.
    "receipts/": ("302 200 403 403 403 200 200", "302 405 403 403 403 405 405"),
    "sites/": ("302 200 403 403 403 200 200", "302 405 403 403 403 405 405"),
    "sites/<int:pk>/": ("302 200 403 403 403 200 200", "302 405 403 403 403 405 405"),
    "sites/<int:pk>/inspect/": ("302 200 403 403 403 403 403", "302 400 403 403 403 403 403"),
    "inspections/": ("302 200 403 403 403 200 200", "302 405 403 403 403 405 405"),
    "inspections/<int:pk>/": ("302 200 403 403 403 200 200", "302 405 403 403 403 405 405"),
    "rounds/": ("302 200 403 403 403 200 200", "302 400 403 403 403 403 403"),
    "rounds/<int:pk>/": ("302 200 403 403 403 200 200", "302 405 403 403 403 405 405"),
    "rounds/<int:pk>/publish/": ("302 405 403 403 403 403 403", "302 302 403 403 403 403 403"),
    "rounds/<int:pk>/circular.docx": ("302 302 403 403 403 403 403", "302 405 403 403 403 403 403"),
    # a mock-assessment draw (an empty post shows the rounds page with the draw form's errors); the
    # plan of a round that drew no sites is 404
    "rounds/draw/": ("302 405 403 403 403 403 403", "302 400 403 403 403 403 403"),
    "rounds/<int:pk>/plan.docx": ("302 404 403 403 403 403 403", "302 405 403 403 403 403 403"),
    # 随手拍: the public's pages are everyone's (an empty post shows the blank form again; an
    # answer before closure is refused with a message); a photo not on the exposure board is no one's;
    # the triage and the exposure board's verbs are the office's.
    "captcha/image/<slug:key>/": ("200 200 200 200 200 200 200", "200 200 200 200 200 200 200"),
    "report/": ("200 200 200 200 200 200 200", "200 200 200 200 200 200 200"),
    "report/track/": ("404 404 404 404 404 404 404", "405 405 405 405 405 405 405"),
    "report/sites/": ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "report/<str:code>/": ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "report/<str:code>/feedback/": ("405 405 405 405 405 405 405", "302 302 302 302 302 302 302"),
    "public/exposure/": ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "public/praise/": ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "public/photos/<int:pk>/<str:size>/": ("404 404 404 404 404 404 404", "405 405 405 405 405 405 405"),
    "reports/": ("302 200 403 403 403 403 403", "302 405 403 403 403 403 403"),
    "reports/decline/": ("302 405 403 403 403 403 403", "302 302 403 403 403 403 403"),
    "reports/<int:pk>/": ("302 200 403 403 403 403 403", "302 405 403 403 403 403 403"),
    "reports/<int:pk>/accept/": ("302 200 403 403 403 403 403", "302 200 403 403 403 403 403"),
    "reports/<int:pk>/merge/": ("302 405 403 403 403 403 403", "302 400 403 403 403 403 403"),
    "reports/photos/<int:pk>/<str:size>/": ("302 200 403 403 403 403 403", "302 405 403 403 403 403 403"),
    "findings/<int:pk>/expose/": ("302 405 403 403 403 403 403", "302 302 403 403 403 403 403"),
    "findings/<int:pk>/withdraw-exposure/": ("302 405 403 403 403 403 403", "302 302 403 403 403 403 403"),
    # the assessment is the city's: office, leaders and supervision read it; the office adds editions
    # (an empty post shows the blank form) and chooses the current one
    "assessment/": ("302 200 403 403 403 200 200", "302 200 403 403 403 403 403"),
    "assessment/<int:pk>/current/": ("302 405 403 403 403 403 403", "302 302 403 403 403 403 403"),
    "assessment/field/": ("302 200 403 403 403 200 200", "302 405 403 403 403 405 405"),
    "assessment/opinion/": ("302 405 403 403 403 403 403", "302 400 403 403 403 403 403"),
    # materials: units see and upload their own, the city-wide roles read all, the office reviews and
    # downloads the approved set (none approved here: back to the list)
    "materials/": ("302 200 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "materials/review/": ("302 200 403 403 403 403 403", "302 405 403 403 403 403 403"),
    "materials/matrix/": ("302 200 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "materials/matrix/export/": ("302 200 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "materials/package.zip": ("302 302 403 403 403 403 403", "302 405 403 403 403 403 403"),
    "materials/<int:pk>/": ("302 200 200 200 404 200 200", "302 405 405 405 405 405 405"),
    "materials/<int:pk>/upload/": ("302 405 405 405 405 405 405", "302 403 400 400 404 403 403"),
    "materials/submissions/<int:pk>/review/": ("302 405 403 403 403 403 403", "302 400 403 403 403 403 403"),
    "materials/files/<int:pk>/": ("302 200 200 200 404 200 200", "302 405 405 405 405 405 405"),
    # surveys: the office sets them up and enters paper answers, the city-wide roles read the results,
    # units see none; the public answers by a link's token, no login
    "surveys/": ("302 200 403 403 403 200 200", "302 400 403 403 403 403 403"),
    "surveys/<int:pk>/": ("302 200 403 403 403 403 403", "302 405 403 403 403 403 403"),
    "surveys/<int:pk>/questions/": ("302 405 403 403 403 403 403", "302 302 403 403 403 403 403"),
    "surveys/<int:pk>/questions/<int:question_pk>/remove/": ("302 405 403 403 403 403 403",
                                                             "302 302 403 403 403 403 403"),
    "surveys/<int:pk>/questions/import/": ("302 405 403 403 403 403 403", "302 302 403 403 403 403 403"),
    "surveys/<int:pk>/quotas/": ("302 405 403 403 403 403 403", "302 302 403 403 403 403 403"),
    "surveys/<int:pk>/links/": ("302 405 403 403 403 403 403", "302 302 403 403 403 403 403"),
    "surveys/<int:pk>/current/": ("302 405 403 403 403 403 403", "302 302 403 403 403 403 403"),
    "surveys/<int:pk>/paper/": ("302 200 403 403 403 403 403", "302 400 403 403 403 403 403"),
    "surveys/<int:pk>/results/": ("302 200 403 403 403 200 200", "302 405 403 403 403 405 405"),
    "surveys/<int:pk>/results/export/": ("302 200 403 403 403 200 200", "302 405 403 403 403 405 405"),
    "surveys/<int:pk>/answers/export/": ("302 200 403 403 403 403 403", "302 405 403 403 403 403 403"),
    "surveys/links/<int:pk>/poster.docx": ("302 200 403 403 403 403 403", "302 405 403 403 403 403 403"),
    "s/<str:token>/": ("200 200 200 200 200 200 200", "200 200 200 200 200 200 200"),
    "s/<str:token>/thanks/": ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    # Open311: reading is public; posting needs an api_key (an empty post has none: 403)
    "open311/v2/discovery.<fmt:fmt>": ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "open311/v2/services.<fmt:fmt>": ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "open311/v2/services/<str:code>.<fmt:fmt>": ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "open311/v2/requests.<fmt:fmt>": ("200 200 200 200 200 200 200", "403 403 403 403 403 403 403"),
    "open311/v2/requests/<str:code>.<fmt:fmt>": ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "open311/v2/tokens/<str:code>.<fmt:fmt>": ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
}

# The admin is for office staff only (is_staff): everyone else is sent to its login page. What office
# staff may do there follows their role: the configuration can be added and changed, the rows the
# services write can only be read, nothing can be deleted, and groups (the roles) only read.
ADMIN_CONFIG = {
    "workcalendarday", "rankinggroup", "unit", "sitetype", "indexsystem", "indexcategory", "indexitem",
    "responsibility", "site", "inspectionround", "escalationrule", "rankingperiod", "user",
    "replytemplate", "apiclient", "assessmentedition", "opinionscore", "materialrequirement", "question",
}
ADMIN_REMOVABLE = {"blockedphone"}  # configuration a row of which the office may also delete
# an API client's change form has no required field left (name and scope are fixed once issued): an
# empty POST saves it, unticking 启用, which revokes the key
ADMIN_EMPTY_CHANGE_SAVES = {"apiclient"}
ADMIN_CHANGE_ONLY = {"policy"}  # one row, made by a migration
ADMIN_READ_ONLY = {
    "finding", "photo", "notice", "submission", "transferrequest", "sanction", "rankingentry", "auditevent",
    "extensionrequest", "inspection", "citizenreport", "exposure", "materialsubmission", "survey", "surveyresponse",
    "jobday", "notification", "outboundmessage", "group",
}
# django-axes' records of sign-ins: read, and a lockout lifted by deleting its attempt.
ADMIN_UNLOCK = {"accessattempt"}
ADMIN_READ_ONLY |= {"accesslog", "accessfailurelog"}
ADMIN_PAGES = {
    "admin/": (200, 200),
    "admin/login/": (302, 200),  # already signed in: on to the admin index; a POST shows the form again
    "admin/logout/": (405, 302),
    "admin/password_change/": (200, 200),
    "admin/password_change/done/": (200, 405),
    "admin/autocomplete/": (403, 405),  # asked with no field to complete
    "admin/jsi18n/": (200, 405),
    "admin/r/<path:content_type_id>/<path:object_id>/": (404, 404),  # findings have no public page
    "admin/<app_label>/": (200, 200),  # an app's index, its pattern listing the registered apps
    "admin/(?P<url>.*)$": (404, 404),
}


def admin_expected(template: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """What the seven personas get from an admin route: (GET answers, POST answers)."""
    outsiders = (LOGIN,) * (len(ROLES) - 2)
    if template.startswith("admin/^(?P<app_label>"):
        template = "admin/<app_label>/"
    if template in ADMIN_PAGES:
        get, post = ADMIN_PAGES[template]
        if template == "admin/login/":  # the login page itself is open to everyone
            return (200, get, *(200,) * 5), (200, post, *(200,) * 5)
        return (LOGIN, get, *outsiders), (LOGIN, post, *outsiders)
    parts = template.split("/")
    model, page = parts[2], "/".join(parts[3:])
    kind = ("config" if model in ADMIN_CONFIG else "removable" if model in ADMIN_REMOVABLE
            else "change-only" if model in ADMIN_CHANGE_ONLY
            else "read-only" if model in ADMIN_READ_ONLY else "unlock" if model in ADMIN_UNLOCK else None)
    assert kind, f"the admin model {model} has no entry in the permission matrix"
    office = {
        "": (200, 200),  # the changelist; a POST with no action shows it again
        "add/": {"config": (200, 200), "removable": (200, 200), "change-only": (403, 403), "read-only": (403, 403),
                 "unlock": (403, 403)}[kind],
        "<path:object_id>/change/": {"config": (200, 200), "removable": (200, 200), "change-only": (200, 200),
                                     "read-only": (200, 403), "unlock": (200, 403)}[kind],
        "<path:object_id>/history/": (200, 200),
        # unlock: the confirmation page; an empty POST shows it again (test_security lifts a lockout)
        "<path:object_id>/delete/": (200, 200) if kind in ("unlock", "removable") else (403, 403),
        "<path:object_id>/": (302, 302),  # the old-style object address, redirected to its change page
        "<id>/password/": (200, 200),
    }[page]
    if model in ADMIN_EMPTY_CHANGE_SAVES and page == "<path:object_id>/change/":
        office = (office[0], 302)
    return (LOGIN, office[0], *outsiders), (LOGIN, office[1], *outsiders)


def expected(template: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    if template.startswith("admin/"):
        return admin_expected(template)
    get, post = MATRIX[template]
    return row(get), row(post)


def test_every_route_has_an_entry():
    missing = [r.template for r in routes() if not r.template.startswith("admin/") and r.template not in MATRIX]
    assert not missing, f"routes without an entry in the permission matrix: {missing}"
    stale = set(MATRIX) - {r.template for r in routes()}
    assert not stale, f"entries for routes that no longer exist: {stale}"
    for route in routes():
        expected(route.template)  # every admin route is classified


def test_every_route_answers_every_persona_as_the_matrix_says(city):
    world = World(city)
    wrong = []
    for route in routes():
        url = world.url(route)
        want = expected(route.template)
        got = tuple(tuple(world.ask(role, method, url) for role in ROLES) for method in ("GET", "POST"))
        if got != want:
            wrong.append(f"{route.template} ({url})\n  GET  want {want[0]} got {got[0]}\n"
                         f"  POST want {want[1]} got {got[1]}")
    assert not wrong, f"roles {ROLES}\n" + "\n".join(wrong)


def test_office_staff_can_neither_change_a_superuser_nor_make_one(city, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="root-pass-2026")
    city.office.is_staff = True
    city.office.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(city.office)
    assert client.get(f"/admin/auth/user/{root.pk}/password/").status_code == 403
    assert client.post(f"/admin/auth/user/{root.pk}/password/",
                       {"password1": "taken-over-2026", "password2": "taken-over-2026"}).status_code == 403
    assert client.get(f"/admin/auth/user/{root.pk}/change/").status_code == 200  # still readable
    form = client.get(f"/admin/auth/user/{city.dongmen_liaison.pk}/change/").context["adminform"].form
    assert "groups" in form.fields and "is_active" in form.fields  # roles and access: the office's job
    assert "is_superuser" not in form.fields and "user_permissions" not in form.fields
    root.refresh_from_db()
    assert root.check_password("root-pass-2026")

"""Every page and action of the browser workflows, for each role, and what each must not see or do."""

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from issues.core.access import Role
from issues.findings import services as svc
from issues.models import (
    AuditEvent,
    Decision,
    Finding,
    FindingStatus,
    IndexCategory,
    IndexItem,
    IndexSystem,
    InspectionRound,
    Notice,
    NoticeOutcome,
    Photo,
    Site,
    Submission,
    TransferRequest,
    TransferStatus,
)
from tests.conftest import jpeg, make_user

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
D = dt.date


def upload(name="after.jpg", colour=(20, 160, 40)):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, jpeg(colour)[1], content_type="image/jpeg")


# --- landing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona, target", [
    ("office", "/findings/"), ("dongmen_liaison", "/inbox/"), ("chengguan_head", "/inbox/"),
    ("leader", "/dashboard/"), ("supervisor", "/dashboard/"),
])
def test_each_role_lands_where_it_works(client, city, persona, target):
    client.force_login(getattr(city, persona))
    response = client.get("/")
    assert response.status_code == 302 and response.url == target
    assert client.get(target).status_code == 200


def test_login_lands_the_unit_liaison_on_the_inbox(client, city):
    response = client.post("/accounts/login/", {"username": "dongmen", "password": "pw-for-tests-2026"}, follow=True)
    assert response.redirect_chain[-1][0] == "/inbox/"


def test_password_change_and_logout(client, city):
    client.force_login(city.dongmen_liaison)
    response = client.post("/accounts/password/", {
        "old_password": "pw-for-tests-2026", "new_password1": "Xk7!rectify-2027", "new_password2": "Xk7!rectify-2027"})
    assert response.status_code == 302
    client.post("/accounts/logout/")
    assert client.post("/accounts/login/", {"username": "dongmen", "password": "pw-for-tests-2026"}).status_code == 200
    response = client.post("/accounts/login/", {"username": "dongmen", "password": "Xk7!rectify-2027"})
    assert response.status_code == 302 and client.get("/inbox/").status_code == 200


def test_the_first_office_account_is_made_without_the_demo(client, db, monkeypatch):
    """A real deployment's first login: `create_office_user`, then the ledger and the admin."""
    import io

    from django.contrib.auth.models import User
    from django.core.management import CommandError, call_command

    from issues.core.access import Role

    monkeypatch.setattr("sys.stdin", io.StringIO("Xk7!rectify-2027\n"))
    out = io.StringIO()
    call_command("create_office_user", "zhangmin", "--full-name", "张敏", "--password-stdin", stdout=out)
    assert "已新建创文办账号 zhangmin" in out.getvalue()
    user = User.objects.get(username="zhangmin")
    assert user.is_staff and user.first_name == "张敏" and user.groups.filter(name=Role.OFFICE).exists()
    response = client.post("/accounts/login/", {"username": "zhangmin", "password": "Xk7!rectify-2027"})
    assert response.status_code == 302
    assert client.get("/findings/").status_code == 200 and client.get("/admin/").status_code == 200
    monkeypatch.setattr("sys.stdin", io.StringIO("Xk7!rectify-2027\n"))
    with pytest.raises(CommandError, match="已存在"):
        call_command("create_office_user", "zhangmin", "--password-stdin")
    monkeypatch.setattr("sys.stdin", io.StringIO("123\n"))
    with pytest.raises(CommandError, match="密码不符合要求"):
        call_command("create_office_user", "lisi", "--password-stdin")
    assert not User.objects.filter(username="lisi").exists()


# --- the ledger ------------------------------------------------------------------------------


def test_ledger_lists_filters_and_counts(client, city):
    market, _ = city.assigned(site=city.market, item=city.item, description="市场垃圾")
    city.finding(description="路面破损", unit=city.xihu_sq)
    client.force_login(city.office)
    page = client.get("/findings/").content.decode()
    assert "市场垃圾" in page and "路面破损" in page
    assert re.search(r"待交办 <b>1</b>", page) and re.search(r"整改中 <b>1</b>", page)

    page = client.get("/findings/", {"q": "垃圾"}).content.decode()
    assert "市场垃圾" in page and "路面破损" not in page
    page = client.get("/findings/", {"status": "registered"}).content.decode()
    assert "路面破损" in page and "市场垃圾" not in page
    page = client.get("/findings/", {"unit": city.east.pk}).content.decode()
    assert "市场垃圾" in page and "路面破损" not in page
    page = client.get("/findings/", {"site_type": city.market_type.pk, "item": city.item.pk}).content.decode()
    assert "市场垃圾" in page and "路面破损" not in page


def test_a_unit_filter_takes_its_subtree_for_rows_and_tabs_reading_the_unit_tree_once(client, city):
    city.assigned(description="东门社区的问题", unit=city.dongmen_sq)
    city.finding(description="东门街道待交办", unit=city.dongmen)
    city.assigned(description="西湖社区的问题", unit=city.xihu_sq)
    client.force_login(city.office)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/findings/", {"unit": city.east.pk}).content.decode()
    assert "东门社区的问题" in page and "东门街道待交办" in page and "西湖社区的问题" not in page
    assert re.search(r"待交办 <b>1</b>", page) and re.search(r"整改中 <b>1</b>", page)
    # the rows and the status tabs are filtered by the same subtree, read from the unit table once
    tree = [q["sql"] for q in ctx.captured_queries
            if '"issues_unit"."parent_id"' in q["sql"] and 'FROM "issues_unit"' in q["sql"] and "WHERE" not in q["sql"]]
    assert len(tree) == 1


def test_ledger_filters_overdue_due_soon_misses_relapse_and_dates(client, city):
    late, _ = city.assigned(description="超期未改", issued_on=D(2026, 10, 20), deadline=D(2026, 10, 23))
    soon, _ = city.assigned(description="三天内到期", issued_on=D(2026, 10, 30), deadline=D(2026, 11, 4))
    missed, notice = city.assigned(description="两次未按期", issued_on=D(2026, 10, 1), deadline=D(2026, 10, 9))
    svc.record_miss(notice_id=notice.pk, missed_on=D(2026, 10, 9), kind="deadline")
    client.force_login(city.office)
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, tzinfo=SH), tick=False):
        overdue = client.get("/findings/", {"overdue": "true"}).content.decode()
        due = client.get("/findings/", {"due_within": 3}).content.decode()
    assert "超期未改" in overdue and "三天内到期" not in overdue
    assert "三天内到期" in due and "超期未改" not in due
    page = client.get("/findings/", {"min_misses": 1}).content.decode()
    assert "两次未按期" in page and "超期未改" not in page
    page = client.get("/findings/", {"found_from": "2026-10-15", "found_to": "2026-10-25"}).content.decode()
    assert "超期未改" in page and "两次未按期" not in page
    assert "没有符合筛选条件的问题" in client.get("/findings/", {"relapse": "true"}).content.decode()


def test_ledger_sorts_by_deadline_both_ways(client, city):
    city.assigned(description="晚到期", deadline=D(2026, 12, 20))
    city.assigned(description="早到期", deadline=D(2026, 11, 20))
    client.force_login(city.office)
    up = client.get("/findings/", {"o": "deadline"}).content.decode()
    down = client.get("/findings/", {"o": "-deadline"}).content.decode()
    assert up.index("早到期") < up.index("晚到期")
    assert down.index("晚到期") < down.index("早到期")


def test_every_order_pages_through_each_finding_once_and_undated_findings_come_last(client, city, monkeypatch):
    """Pages are read ids first; equal deadlines, dates and statuses must not repeat or skip a row."""
    from issues.views import ledger as ledger_view

    for i in range(9):  # three deadlines, three findings each, all found the same day
        city.assigned(description=f"同日到期{i}", deadline=D(2026, 11, 20) + dt.timedelta(days=i % 3))
    for i in range(4):
        city.finding(description=f"未交办{i}")
    monkeypatch.setattr(ledger_view, "PAGE_SIZES", (3, 20, 50))
    client.force_login(city.office)
    every = sorted(Finding.objects.values_list("pk", flat=True))
    for order in ("deadline", "-deadline", "status", "-status", "misses", "unit", "found_on", None):
        seen = []
        for number in range(1, 6):  # 13 findings on five pages of three
            query = {"per_page": 3, "page": number, **({"o": order} if order else {})}
            seen += [f.pk for f in client.get("/findings/", query).context["page"].object_list]
        assert sorted(seen) == every, order
    rows = client.get("/findings/", {"o": "deadline", "per_page": 20}).context["page"].object_list
    deadlines = [f.deadline for f in rows]
    assert deadlines[:9] == sorted(deadlines[:9]) and deadlines[9:] == [None] * 4


def test_pages_of_a_units_ledger_list_its_rows_once_newest_first(client, city, monkeypatch):
    from issues.views import ledger as ledger_view

    for i in range(7):
        city.assigned(description=f"东门{i}", issued_on=D(2026, 11, 2) - dt.timedelta(days=i % 3))
    for i in range(2):
        city.assigned(description=f"西湖{i}", unit=city.xihu_sq)
    city.finding(description="东门未交办")
    monkeypatch.setattr(ledger_view, "PAGE_SIZES", (3, 20, 50))
    client.force_login(city.office)
    rows = []
    for number in (1, 2, 3):
        page = client.get("/findings/", {"unit": city.east.pk, "status": "assigned", "per_page": 3,
                                         "page": number}).context["page"]
        rows += [f.description for f in page.object_list]
    assert sorted(rows) == [f"东门{i}" for i in range(7)]
    assert rows[:3] == ["东门6", "东门3", "东门0"]  # newest first, then the newest id


def test_status_tab_counts_add_up_under_other_filters(client, city):
    for i in range(3):
        city.assigned(description=f"东门{i}")
    closed, notice = city.assigned(description="已办结")
    sub = svc.submit_fix(actor=city.office, notice_id=notice.pk, note="已整改")
    svc.approve_submission(actor=city.office, submission_id=sub.pk, decided_on=D(2026, 11, 5))
    city.finding(description="西湖待交办", unit=city.xihu_sq)
    client.force_login(city.office)
    tabs = {value: n for value, _label, n in client.get("/findings/").context["status_tabs"]}
    assert (tabs["registered"], tabs["assigned"], tabs["closed"], tabs["submitted"], tabs["void"]) == (1, 3, 1, 0, 0)
    response = client.get("/findings/", {"unit": city.east.pk, "status": "closed"})
    tabs = {value: n for value, _label, n in response.context["status_tabs"]}
    assert (tabs["registered"], tabs["assigned"], tabs["closed"]) == (0, 3, 1)
    # the page's own count is the chosen tabs' sum, and it is what the page lists
    assert response.context["page"].paginator.count == 1 == len(response.context["page"].object_list)
    assert "共 1 个问题" in response.content.decode()
    response = client.get("/findings/", {"status": ["assigned", "registered"]})
    assert response.context["page"].paginator.count == 4 == len(response.context["page"].object_list)


def test_status_tabs_come_from_the_kept_counts_unless_other_filters_narrow_the_rows(client, city):
    """The tabs of a ledger narrowed by units only add up LedgerCount rows (no count of the findings);
    they agree with a count for the office, a district, a unit's own ledger, and a unit whose covert
    findings are still hidden."""
    from issues.findings import rounds

    for i in range(2):
        city.assigned(description=f"东门{i}", unit=city.dongmen_sq)
    city.finding(description="东门待交办", unit=city.dongmen_sq)  # no notice yet: not the unit's to see
    city.assigned(description="西湖", unit=city.xihu_sq)
    covert = rounds.create_round(actor=city.office, name="暗访", source="省文明办暗访", held_on=D(2026, 11, 25),
                                 is_covert=True)
    city.finding(description="暗访发现", unit=city.dongmen_sq, inspection_round=covert, found_on=D(2026, 11, 25))

    def tabs(user, query=None):
        client.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/findings/", query or {})
        counted = [q["sql"] for q in ctx.captured_queries if 'COUNT(' in q["sql"] and '"issues_finding"' in q["sql"]]
        return {v: n for v, _label, n in response.context["status_tabs"] if n}, counted

    assert tabs(city.office) == ({"registered": 2, "assigned": 3}, [])
    assert tabs(city.office, {"unit": city.east.pk}) == ({"registered": 2, "assigned": 2}, [])
    assert tabs(city.office, {"lead_unit": city.xihu_sq.pk, "status": "assigned"}) == ({"assigned": 1}, [])
    mine, counted = tabs(city.dongmen_liaison)  # the covert round is not published: its finding stays hidden
    assert mine == {"assigned": 2} and counted
    with time_machine.travel(dt.datetime(2026, 11, 26, 9, tzinfo=SH), tick=False):
        rounds.publish_round(actor=city.office, round_id=covert.pk)
    assert tabs(city.dongmen_liaison) == ({"assigned": 3}, [])
    narrowed, counted = tabs(city.office, {"q": "东门"})  # another filter: the rows are counted
    assert narrowed == {"registered": 1, "assigned": 2} and counted
    due_today, counted = tabs(city.office, {"due_within": 0})  # a zero that filters is still a filter
    assert due_today == {} and counted


def test_ledger_keeps_the_filters_in_pagination_links(client, city):
    for i in range(25):
        city.finding(description=f"垃圾{i}")
    client.force_login(city.office)
    page = client.get("/findings/", {"q": "垃圾", "per_page": 20}).content.decode()
    assert "q=%E5%9E%83%E5%9C%BE&amp;per_page=20&amp;page=2" in page


def test_ledger_empty_state(client, city):
    client.force_login(city.office)
    assert "台账里还没有问题" in client.get("/findings/").content.decode()


def test_unit_users_see_only_their_rows_in_the_ledger(client, city):
    city.assigned(description="东门的问题", unit=city.dongmen_sq)
    city.assigned(description="西湖的问题", unit=city.xihu_sq)
    client.force_login(city.dongmen_liaison)
    page = client.get("/findings/").content.decode()
    assert "东门的问题" in page and "西湖的问题" not in page
    page = client.get("/findings/", {"unit": city.xihu_sq.pk}).content.decode()
    assert "西湖的问题" not in page


def test_ledger_query_count_does_not_grow_with_200_rows(client, city, django_assert_max_num_queries):
    for i in range(200):
        city.assigned(description=f"问题{i}", site=city.market, item=city.item)
    client.force_login(city.office)
    with django_assert_max_num_queries(20):
        page = client.get("/findings/", {"per_page": 200}).content.decode()
    assert page.count('name="ids"') == 0 and page.count("问题1") > 10


def test_batch_assign_issues_all_selected_notices(client, city):
    a, b = city.finding(description="甲"), city.finding(description="乙")
    client.force_login(city.office)
    response = client.post("/findings/batch-assign/", {"ids": [a.pk, b.pk], "working_days": 5, "next": "/findings/"})
    assert response.status_code == 302
    assert set(Finding.objects.values_list("status", flat=True)) == {FindingStatus.ASSIGNED}


def test_batch_assign_is_all_or_nothing(client, city):
    a = city.finding(description="甲")
    b, _ = city.assigned(description="已交办")
    client.force_login(city.office)
    response = client.post("/findings/batch-assign/", {"ids": [a.pk, b.pk], "next": "/findings/"}, follow=True)
    assert "没有任何问题被交办" in response.content.decode()
    a.refresh_from_db()
    assert a.status == FindingStatus.REGISTERED and not a.notices.exists()


def test_batch_assign_is_office_only(client, city):
    a = city.finding()
    client.force_login(city.leader)
    assert client.post("/findings/batch-assign/", {"ids": [a.pk]}).status_code == 403


# --- a finding's page ------------------------------------------------------------------------


def test_finding_page_shows_everything_and_the_office_actions(client, city):
    finding, notice = city.assigned(site=city.market, item=city.item, photos=[jpeg()])
    svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已清运", photos=[jpeg((0, 200, 0))])
    client.force_login(city.office)
    page = client.get(f"/findings/{finding.pk}/").content.decode()
    for text in ("东门农贸市场", "NM-08 环境卫生", "东门社区", "第1次", "已清运", "复核通过，销号", "退回重新整改",
                 "作废此问题", "调整整改时限", "登记问题"):
        assert text in page, text
    assert page.count("/photos/") >= 4  # before and after, thumb and display links
    assert f"/findings/{finding.pk}/submit/" not in page and f"/findings/{finding.pk}/transfer/" not in page


def test_unit_sees_only_its_own_actions(client, city):
    finding, _ = city.assigned()
    client.force_login(city.dongmen_liaison)
    page = client.get(f"/findings/{finding.pk}/").content.decode()
    assert f"/findings/{finding.pk}/submit/" in page and f"/findings/{finding.pk}/transfer/" in page
    for action in ("/approve/", "/reject/", "/void/", "/deadline/", "/assign/"):
        assert action not in page, action


def test_leader_sees_the_page_and_no_action(client, city):
    finding, _ = city.assigned()
    client.force_login(city.leader)
    page = client.get(f"/findings/{finding.pk}/").content.decode()
    assert "东门社区" in page and 'id="actions"' not in page


def test_another_units_finding_and_its_photos_answer_404(client, city):
    finding, _ = city.assigned(unit=city.xihu_sq, photos=[jpeg()])
    photo = Photo.objects.get()
    client.force_login(city.dongmen_liaison)
    assert client.get(f"/findings/{finding.pk}/").status_code == 404
    assert client.get(f"/photos/{photo.pk}/thumb/").status_code == 404
    assert client.post(f"/findings/{finding.pk}/submit/", {"note": "x"}).status_code == 404
    assert client.post(f"/findings/{finding.pk}/transfer/", {"reason": "x"}).status_code == 404


@pytest.mark.parametrize("persona", ["dongmen_liaison", "leader", "supervisor"])
def test_office_actions_answer_403_to_other_roles(client, city, persona):
    finding, notice = city.assigned()
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改")
    client.force_login(getattr(city, persona))
    for url, data in [
        (f"/submissions/{sub.pk}/approve/", {}),
        (f"/submissions/{sub.pk}/reject/", {"reason": "x"}),
        (f"/findings/{finding.pk}/void/", {"reason": "x"}),
        (f"/findings/{finding.pk}/deadline/", {"deadline": "2026-12-01"}),
        (f"/findings/{finding.pk}/assign/", {}),
        ("/findings/new/", {}),
        ("/review/", {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    sub.refresh_from_db()
    assert sub.decision == Decision.PENDING


def test_leader_cannot_submit_a_fix(client, city):
    finding, _ = city.assigned()
    client.force_login(city.leader)
    assert client.post(f"/findings/{finding.pk}/submit/", {"note": "x"}).status_code == 403


def test_photos_are_served_only_through_the_checking_view(client, city, settings):
    finding, _ = city.assigned(photos=[jpeg()])
    photo = Photo.objects.get()
    assert client.get(f"/photos/{photo.pk}/thumb/").status_code == 302  # to login
    client.force_login(city.dongmen_liaison)
    response = client.get(f"/photos/{photo.pk}/thumb/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    assert client.get(f"/media/{photo.image.name}").status_code == 404


# --- actions through the pages ---------------------------------------------------------------


def test_office_assigns_from_the_page(client, city):
    finding = city.finding()
    client.force_login(city.office)
    response = client.post(f"/findings/{finding.pk}/assign/", {"deadline": "2026-12-10", "requirement": "立即清理"}, follow=True)
    assert "已交办 东门社区，整改时限 2026-12-10" in response.content.decode()
    assert Notice.objects.get(finding=finding).deadline == D(2026, 12, 10)


def test_a_refused_step_keeps_the_input_and_says_why(client, city):
    finding = city.finding(found_on=D(2026, 11, 20))
    client.force_login(city.office)
    with time_machine.travel(dt.datetime(2026, 11, 25, 9, tzinfo=SH), tick=False):
        response = client.post(f"/findings/{finding.pk}/assign/", {"deadline": "2026-11-01", "requirement": "保留这段文字"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "早于交办日期" in page and "保留这段文字" in page
    assert not Notice.objects.exists()


def test_unit_submits_a_fix_with_photos_from_the_page(client, city):
    finding, _ = city.assigned()
    client.force_login(city.dongmen_liaison)
    response = client.post(f"/findings/{finding.pk}/submit/", {"note": "已清理完毕", "photos": [upload(), upload("b.png")]},
                           follow=True)
    assert "整改反馈已提交" in response.content.decode()
    finding.refresh_from_db()
    assert finding.status == FindingStatus.SUBMITTED
    assert Photo.objects.filter(kind="after").count() == 2


def test_a_fix_without_photos_or_note_is_refused_next_to_the_fields(client, city):
    finding, _ = city.assigned()
    client.force_login(city.dongmen_liaison)
    response = client.post(f"/findings/{finding.pk}/submit/", {"note": ""})
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "这个字段是必填项" in page and "请至少上传一张照片" in page
    assert not Submission.objects.exists()


def test_a_file_that_is_not_an_image_is_refused_by_name(client, city):
    from django.core.files.uploadedfile import SimpleUploadedFile

    finding, _ = city.assigned()
    client.force_login(city.dongmen_liaison)
    bad = SimpleUploadedFile("报告.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    response = client.post(f"/findings/{finding.pk}/submit/", {"note": "已整改", "photos": [bad]})
    assert response.status_code == 302 and "“报告.jpg”不是可识别的图片文件" in client.get(response.url).content.decode()
    assert not Submission.objects.exists() and not Photo.objects.exists()


def test_a_failed_fix_sends_the_browser_back_to_the_finding_with_the_note_and_the_error(client, city):
    """A reload after a failed upload must not post the files again: the answer is a redirect to the
    finding's page, where the form shows what was typed, the error at the photos, and the photo buttons."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    finding, _ = city.assigned()
    client.force_login(city.dongmen_liaison)
    bad = SimpleUploadedFile("报告.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    response = client.post(f"/findings/{finding.pk}/submit/", {"note": "垃圾已清运，地面已冲洗", "photos": [bad]})
    assert response.status_code == 302 and response.url == f"/findings/{finding.pk}/#submit"
    page = client.get(response.url)
    form = page.context["submit_form"]
    assert form["note"].value() == "垃圾已清运，地面已冲洗"
    assert form.errors["photos"] == ["“报告.jpg”不是可识别的图片文件。"]
    html = page.content.decode()
    assert "照片没有保存" in html and 'capture="environment"' in html and "从相册选择" in html
    # shown once: the next visit is the plain page
    again = client.get(f"/findings/{finding.pk}/")
    assert not again.context["submit_form"].is_bound and "照片没有保存" not in again.content.decode()


def test_a_rejected_fix_keeps_its_photos_under_its_outcome_and_reason_latest_first(client, city):
    finding, notice = city.assigned()
    client.force_login(city.dongmen_liaison)
    client.post(f"/findings/{finding.pk}/submit/", {"note": "已清理", "photos": [upload("first.jpg", (200, 0, 0))]})
    first = Submission.objects.get()
    client.force_login(city.office)
    client.post(f"/submissions/{first.pk}/reject/", {"reason": "角落仍有垃圾"})
    client.force_login(city.dongmen_liaison)
    client.post(f"/findings/{finding.pk}/submit/", {"note": "已彻底清理", "photos": [upload("second.jpg", (0, 200, 0))]})
    second = Submission.objects.exclude(pk=first.pk).get()
    page = client.get(f"/findings/{finding.pk}/")
    assert [fix.pk for fix in page.context["fixes"]] == [second.pk, first.pk]
    html = page.content.decode()
    after = html[html.index("<h2>整改后</h2>"):]
    new_photo = second.photos.get().pk
    old_photo = first.photos.get().pk
    # the pending fix and its photo come first; the rejected one is marked 退回 with its reason
    assert after.index("待复核") < after.index(f"/photos/{new_photo}/") < after.index("退回") \
        < after.index("退回原因：角落仍有垃圾") < after.index(f"/photos/{old_photo}/")


def test_a_new_finding_with_a_bad_photo_keeps_nothing_and_says_so_at_the_photos(client, city):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(city.office)
    bad = SimpleUploadedFile("现场.jpg", b"not an image at all", content_type="image/jpeg")
    response = client.post("/findings/new/", {
        "description": "新点位的垃圾", "lead_unit": city.dongmen_sq.pk, "found_on": "2026-11-02", "deduction": "1",
        "severity": "general", "site_name": "新建的农贸市场", "new_site_type": city.market_type.pk,
        "photos": [bad]})
    assert response.status_code == 400
    assert response.context["form"].errors["photos"] == ["“现场.jpg”不是可识别的图片文件。"]
    assert not Finding.objects.exists() and not Site.objects.filter(name="新建的农贸市场").exists()


def test_a_new_finding_at_a_new_site_records_the_site_in_the_audit_log(client, city):
    client.force_login(city.office)
    response = client.post("/findings/new/", {
        "description": "新点位的垃圾", "lead_unit": city.dongmen_sq.pk, "found_on": "2026-11-02", "deduction": "1",
        "severity": "general", "site_name": "新建的农贸市场", "new_site_type": city.market_type.pk,
        "photos": [upload()]})
    assert response.status_code == 302
    site = Site.objects.get(name="新建的农贸市场")
    assert Finding.objects.get().site == site
    assert AuditEvent.objects.filter(action="site_created", object_type="site", object_id=str(site.pk)).exists()


def test_photo_size_limit_is_configurable(client, city, settings):
    settings.PHOTO_MAX_BYTES = 200
    finding, _ = city.assigned()
    client.force_login(city.dongmen_liaison)
    response = client.post(f"/findings/{finding.pk}/submit/", {"note": "已整改", "photos": [upload()]})
    assert response.status_code == 302 and "上限" in client.get(response.url).content.decode()


def test_heic_webp_and_png_photos_are_accepted_and_get_thumbnails(city):
    import io

    import pillow_heif
    from PIL import Image

    files = []
    for fmt, name in (("PNG", "a.png"), ("WEBP", "b.webp")):
        buf = io.BytesIO()
        Image.new("RGB", (800, 600), (200, 10, 10)).save(buf, fmt)
        files.append((name, buf.getvalue()))
    heif = pillow_heif.from_pillow(Image.new("RGB", (640, 480), (10, 10, 200)))
    buf = io.BytesIO()
    heif.save(buf, quality=60)
    files.append(("iphone.heic", buf.getvalue()))
    finding = city.finding(photos=files)
    photos = list(finding.photos.order_by("pk"))
    assert [p.content_type for p in photos] == ["image/png", "image/webp", "image/heif"]
    for p in photos:
        with Image.open(p.thumbnail.open("rb")) as thumb:
            assert max(thumb.size) <= 320 and thumb.format == "JPEG"


def test_office_rejects_from_the_review_queue_and_the_next_notice_appears(client, city):
    finding, notice = city.assigned()
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改", photos=[jpeg()])
    client.force_login(city.office)
    queue = client.get("/review/").content.decode()
    assert finding.display_number in queue and "已整改" in queue
    response = client.post(f"/submissions/{sub.pk}/reject/", {"reason": "仍有垃圾", "next": "/review/"}, follow=True)
    assert "并下发第2次整改通知" in response.content.decode()
    finding.refresh_from_db()
    assert finding.status == FindingStatus.ASSIGNED and finding.current_notice.seq == 2
    page = client.get(f"/findings/{finding.pk}/").content.decode()
    assert "复核不通过：仍有垃圾" in page and "系统" in page  # the automatic next notice in the timeline


def test_reject_without_reason_from_the_finding_page_keeps_the_page(client, city):
    finding, notice = city.assigned()
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改")
    client.force_login(city.office)
    response = client.post(f"/submissions/{sub.pk}/reject/", {"reason": ""})
    assert response.status_code == 400 and "这个字段是必填项" in response.content.decode()
    sub.refresh_from_db()
    assert sub.decision == Decision.PENDING


def test_approve_twice_says_it_was_reviewed(client, city):
    finding, notice = city.assigned()
    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改")
    client.force_login(city.office)
    client.post(f"/submissions/{sub.pk}/approve/")
    response = client.post(f"/submissions/{sub.pk}/approve/", follow=True)
    assert "已经复核过" in response.content.decode()
    assert Finding.objects.get().status == FindingStatus.CLOSED


def test_review_queue_is_oldest_first(client, city):
    f1, n1 = city.assigned(description="先交的")
    f2, n2 = city.assigned(description="后交的")
    svc.submit_fix(actor=city.dongmen_liaison, notice_id=n2.pk, note="b", submitted_at=dt.datetime(2026, 11, 5, 9, tzinfo=SH))
    svc.submit_fix(actor=city.dongmen_liaison, notice_id=n1.pk, note="a", submitted_at=dt.datetime(2026, 11, 4, 9, tzinfo=SH))
    client.force_login(city.office)
    page = client.get("/review/").content.decode()
    assert page.index("先交的") < page.index("后交的")


def test_transfer_round_trip_through_the_pages(client, city):
    finding, _ = city.assigned()
    client.force_login(city.dongmen_liaison)
    client.post(f"/findings/{finding.pk}/transfer/", {"reason": "属于城管执法", "to_unit": city.chengguan.pk})
    transfer = TransferRequest.objects.get()
    client.force_login(city.office)
    assert "属于城管执法" in client.get("/review/").content.decode()
    client.post(f"/transfers/{transfer.pk}/decide/", {"approve": "1", "to_unit": city.chengguan.pk, "next": "/review/"})
    transfer.refresh_from_db()
    finding.refresh_from_db()
    assert transfer.status == TransferStatus.APPROVED and finding.lead_unit == city.chengguan
    assert finding.notices.filter(outcome=NoticeOutcome.SUPERSEDED).count() == 1


def test_refusing_a_transfer_needs_a_reason(client, city):
    finding, _ = city.assigned()
    transfer = svc.request_transfer(actor=city.dongmen_liaison, finding_id=finding.pk, reason="不归我们")
    client.force_login(city.office)
    response = client.post(f"/transfers/{transfer.pk}/decide/", {"approve": "0"})
    assert response.status_code == 400 and "不同意转办必须填写理由" in response.content.decode()


def test_void_from_the_page(client, city):
    finding, _ = city.assigned()
    client.force_login(city.office)
    client.post(f"/findings/{finding.pk}/void/", {"reason": "重复登记"})
    assert Finding.objects.get().status == FindingStatus.VOID


def test_change_deadline_from_the_page(client, city):
    finding, notice = city.assigned()
    client.force_login(city.office)
    client.post(f"/findings/{finding.pk}/deadline/", {"deadline": "2026-11-30", "reason": "雨天"})
    notice.refresh_from_db()
    assert notice.deadline == D(2026, 11, 30)


# --- logging a finding ------------------------------------------------------------------------


def test_the_log_form_carries_the_labels_the_office_uses(client, city):
    client.force_login(city.office)
    page = client.get("/findings/new/").content.decode()
    for label in ("问题描述", "点位", "测评指标", "责任单位", "配合单位", "扣分", "整改时限", "现场照片"):
        assert f">{label}" in page, label
    assert 'capture="environment"' in page and 'multiple' in page


def test_log_and_issue_in_one_step_with_photos(client, city):
    client.force_login(city.office)
    with time_machine.travel(dt.datetime(2026, 9, 29, 10, tzinfo=SH), tick=False):
        response = client.post("/findings/new/", {
            "description": "市场入口垃圾堆放", "site_name": "东门农贸市场", "item_code": "NM-08 环境卫生",
            "lead_unit": city.dongmen_sq.pk, "co_units": [city.chengguan.pk], "deduction": "1.5",
            "severity": "general", "found_on": "2026-09-29", "issue_now": "on", "deadline": "",
            "photos": [upload("scene1.jpg"), upload("scene2.jpg")],
        })
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.site == city.market and finding.index_item == city.item
    assert finding.status == FindingStatus.ASSIGNED
    assert finding.current_notice.deadline == D(2026, 10, 12)  # by severity, over National Day
    assert finding.photos.count() == 2 and list(finding.co_units.all()) == [city.chengguan]


def test_log_creates_a_site_on_the_spot(client, city):
    client.force_login(city.office)
    client.post("/findings/new/", {
        "description": "路边乱堆放", "site_name": "新华路口", "new_site_type": city.market_type.pk,
        "address": "新华路1号", "lead_unit": city.dongmen.pk, "deduction": "0", "severity": "general",
        "found_on": timezone_today(),
    })
    site = Site.objects.get(name="新华路口")
    assert site.address == "新华路1号" and Finding.objects.get().site == site
    assert AuditEvent.objects.filter(action="site_created").exists()


def timezone_today() -> str:
    from django.utils import timezone

    return timezone.localdate().isoformat()


def test_log_form_errors_are_in_chinese_next_to_the_fields_and_input_is_kept(client, city):
    client.force_login(city.office)
    response = client.post("/findings/new/", {
        "description": "保留我", "site_name": "不存在的点位", "item_code": "XX-99", "deduction": "-1",
        "severity": "general", "found_on": timezone_today(),
    })
    page = response.content.decode()
    assert response.status_code == 400
    assert "没有名为“不存在的点位”的点位" in page and "没有编码或名称为“XX-99”的测评指标" in page
    assert "保留我" in page and "这个字段是必填项" in page
    assert not Finding.objects.exists()


def test_site_item_and_default_lookups_for_the_phone_form(client, city):
    from issues.models import Responsibility

    Responsibility.objects.create(item=city.item, lead_unit=city.chengguan)
    client.force_login(city.office)
    assert client.get("/api/sites/", {"q": "东门"}).json()["results"][0]["name"] == "东门农贸市场"
    assert client.get("/api/items/", {"q": "NM-0"}).json()["results"][0]["code"] == "NM-08"
    assert client.get("/api/items/", {"q": "卫生间"}).json()["results"][0]["code"] == "NM-09"
    # an everyday word finds the items whose standard text speaks of it; a picked label finds its item
    IndexItem.objects.filter(pk=city.item.pk).update(standard="农贸市场内外无暴露垃圾、无积存垃圾")
    assert [r["code"] for r in client.get("/api/items/", {"q": "垃圾"}).json()["results"]] == ["NM-08"]
    assert [r["code"] for r in client.get("/api/items/", {"q": "NM-08 环境卫生"}).json()["results"]] == ["NM-08"]
    assert [r["code"] for r in client.get("/api/items/", {"q": "公共环境"}).json()["results"]] == ["NM-08", "NM-09"]
    with time_machine.travel(dt.datetime(2026, 9, 29, 10, tzinfo=SH), tick=False):
        data = client.get("/api/defaults/", {"item": "NM-08", "severity": "general", "from": "2026-09-29"}).json()
    assert data["lead_unit"] == city.chengguan.pk and data["deadline"] == "2026-10-12"
    data = client.get("/api/defaults/", {"item": "", "site": "东门农贸市场"}).json()
    assert data["lead_unit"] == city.dongmen.pk
    client.force_login(city.dongmen_liaison)
    assert client.get("/api/sites/").status_code == 403


# --- the inbox ---------------------------------------------------------------------------------


def test_inbox_overdue_first_in_red_then_by_deadline_with_working_days_left(client, city):
    city.assigned(description="下周到期", issued_on=D(2026, 10, 30), deadline=D(2026, 11, 9))
    city.assigned(description="已经超期", issued_on=D(2026, 10, 20), deadline=D(2026, 10, 23))
    city.assigned(description="明天到期", issued_on=D(2026, 10, 30), deadline=D(2026, 11, 3))
    city.assigned(description="别人的", unit=city.xihu_sq)
    client.force_login(city.dongmen_liaison)
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, tzinfo=SH), tick=False):
        page = client.get("/inbox/").content.decode()
    assert page.index("已经超期") < page.index("明天到期") < page.index("下周到期")
    assert "别人的" not in page
    assert "超期 10 天" in page and "剩余 1 个工作日" in page and "剩余 5 个工作日" in page
    assert page.count("notice overdue") == 1


def test_inbox_query_count_does_not_grow_with_200_notices(client, city, django_assert_max_num_queries):
    for i in range(200):
        city.assigned(description=f"问题{i}")
    client.force_login(city.dongmen_liaison)
    with django_assert_max_num_queries(14):
        page = client.get("/inbox/").content.decode()
    assert page.count('class="card notice') == 50 and "共 200 条未办结的整改通知" in page
    # 200 notices due 2026-11-09, all overdue by now: four pages of 50, nothing shown twice
    numbers = set()
    for number in (1, 2, 3, 4):
        listed = client.get("/inbox/", {"page": number}).context["notices"]
        numbers |= {n.pk for n in listed}
        assert len(listed) == 50
    assert len(numbers) == 200 and "第 1 / 4 页" in page and "其中 200 条已超期" in page


def test_review_queue_query_count_is_flat(client, city, django_assert_max_num_queries):
    for i in range(30):
        _, notice = city.assigned(description=f"问题{i}", photos=[jpeg()])
        svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改", photos=[jpeg()])
    client.force_login(city.office)
    with django_assert_max_num_queries(16):
        page = client.get("/review/").content.decode()
    # oldest first, twenty a page: the 30 fixes on two pages
    assert page.count('class="card review-item"') == 20 and "第 1 / 2 页" in page
    second = client.get("/review/", {"page": 2})
    assert [s.notice.finding.description for s in second.context["submissions"]] == [f"问题{i}" for i in range(20, 30)]


def test_english_pages_through_the_switcher(client, city):
    city.assigned()
    client.force_login(city.office)
    client.post("/i18n/setlang/", {"language": "en", "next": "/findings/"})
    page = client.get("/findings/").content.decode()
    assert "Ledger" in page and "问题台账" not in page


def test_every_workflow_url_is_listed_here():
    """A new page must get a test here: the names below are every route of the app."""
    from issues import urls

    names = {p.name for p in urls.urlpatterns}
    assert names == {
        "home", "healthz", "login", "logout", "password_change", "password_change_done", "dashboard", "ledger",
        "finding_create", "batch_assign", "finding_detail", "finding_assign", "finding_deadline", "finding_submit",
        "finding_transfer", "finding_void", "submission_approve", "submission_reject", "transfer_decide", "photo",
        "inbox", "review", "api_sites", "api_items", "api_defaults", "sanctions", "circular_collection",
        "sanction_detail", "sanction_lift", "sanction_outcome", "sanction_document", "notifications",
        "notifications_read", "unit_page", "ranking_table", "periods", "period_close", "period_reopen",
        "period_results", "export_ledger", "imports", "import_template", "import_upload", "excel_job",
        "excel_job_status", "excel_job_download", "finding_acknowledge", "finding_extension", "extension_decide",
        "receipts", "sites", "site_page", "site_inspect", "inspections", "inspection_detail", "rounds",
        "round_detail", "round_publish", "round_circular", "round_draw", "round_plan", "filter_options",
        # citizen reports and Open311: tests/test_citizen_reports.py and tests/test_open311.py
        "report_form", "report_lookup", "report_sites", "report_track", "report_feedback", "exposure_board",
        "praise_board", "public_photo", "reports", "report_decline", "report_detail", "report_accept",
        "report_merge", "report_photo", "finding_expose", "finding_withdraw_exposure", "open311_discovery",
        "open311_services", "open311_service", "open311_requests", "open311_request", "open311_token",
        # the assessment: tests/test_assessment.py
        "assessment", "assessment_current", "assessment_field", "assessment_opinion",
        # materials: tests/test_materials.py
        "materials", "material_review_queue", "material_matrix", "material_matrix_export", "material_package",
        "material_detail", "material_upload", "material_review", "material_file",
        # surveys: tests/test_surveys.py
        "surveys", "survey_detail", "survey_add_question", "survey_remove_question", "survey_import_questions",
        "survey_quota", "survey_link", "survey_make_current", "survey_paper", "survey_results",
        "survey_rates_export", "survey_answers_export", "survey_poster", "survey_answer", "survey_thanks",
    }
    assert reverse("ledger") == "/findings/"


def test_the_ledger_selects_show_the_choice_and_escape_names(client, city):
    from django.http import QueryDict

    from issues.forms import QuickSelect, QuickSelectMultiple

    client.force_login(city.office)
    page = client.get("/findings/", {"site_type": city.market_type.pk}).content.decode()
    assert f'<option value="{city.market_type.pk}" selected>{city.market_type.name}</option>' in page
    html = QuickSelectMultiple(choices=[(1, "甲"), (2, "乙"), (3, "丙")]).render("co", [1, 3], {"id": "x"})
    assert html == ('<select name="co" id="x" multiple><option value="1" selected>甲</option>'
                    '<option value="2">乙</option><option value="3" selected>丙</option></select>')
    assert QuickSelectMultiple().value_from_datadict(QueryDict("co=1&co=3"), {}, "co") == ["1", "3"]
    assert "required" not in QuickSelect(choices=[("", "—"), (1, "甲")]).render("a", None)


@pytest.mark.parametrize("ours, django_widget, value, attrs", [
    ("TextInput", forms.TextInput(attrs={"placeholder": "描述、地址"}), 'a "quoted" <b>& \'x\'', {"id": "id_q"}),
    ("TextInput", forms.TextInput(), None, {"id": "id_q", "required": True, "disabled": False}),
    ("NumberInput", forms.NumberInput(), 3, {"id": "id_n", "min": "0", "step": "any"}),
    ("CheckboxInput", forms.CheckboxInput(), True, {"id": "id_c"}),
    ("CheckboxInput", forms.CheckboxInput(), False, {"id": "id_c"}),
    ("DateInput", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), D(2026, 11, 2), {"id": "id_d"}),
])
def test_one_pass_inputs_write_what_django_writes(ours, django_widget, value, attrs):
    """The filter form's inputs are written without the template language; the HTML is Django's, byte for byte."""
    from issues import forms as ledger_forms

    widget = getattr(ledger_forms, ours)(attrs=dict(django_widget.attrs)) if ours != "DateInput" \
        else ledger_forms.DateInput()
    assert widget.render("f", value, attrs) == django_widget.render("f", value, attrs)


def test_the_unit_and_item_filters_are_search_boxes_that_take_a_name_or_an_id(client, city):
    """A city has a thousand units: the ledger does not carry them all as <option>s on every page."""
    market, _ = city.assigned(site=city.market, item=city.item, description="市场垃圾", unit=city.dongmen_sq)
    city.assigned(description="西湖的问题", unit=city.xihu_sq, item=city.item2)
    city.east.name = '城东区<b>"'
    city.east.save()
    client.force_login(city.office)

    by_id = client.get("/findings/", {"unit": city.east.pk}).content.decode()
    assert "市场垃圾" in by_id and "西湖的问题" not in by_id
    # the box shows the chosen unit by name, escaped, and offers the names from a list fetched on use
    assert 'value="城东区&lt;b&gt;&quot;"' in by_id
    assert 'list="unit-options" data-options="/options/units/"' in by_id and '<datalist id="unit-options">' in by_id
    assert "<option" not in by_id.split('id="id_unit"')[1].split("</div>")[0]

    by_name = client.get("/findings/", {"unit": ' 城东区<b>" '}).content.decode()
    assert "市场垃圾" in by_name and "西湖的问题" not in by_name
    short = client.get("/findings/", {"unit": "城管局"}).content.decode()  # a registered short name
    assert "没有找到" not in short and "市场垃圾" not in short

    for value in (city.item.pk, "NM-08", "NM-08 环境卫生"):
        page = client.get("/findings/", {"item": value}).content.decode()
        assert "市场垃圾" in page and "西湖的问题" not in page, value
    assert 'value="NM-08 环境卫生"' in client.get("/findings/", {"item": city.item.pk}).content.decode()

    unknown = client.get("/findings/", {"unit": "城北区"})
    assert unknown.status_code == 200
    page = unknown.content.decode()
    assert "没有找到单位“城北区”" in page and "市场垃圾" not in page and "西湖的问题" not in page


def test_an_item_code_two_index_systems_share_is_told_apart_by_the_system(client, city):
    old = IndexSystem.objects.create(name="2017年版测评体系", year=2017)
    old_category = IndexCategory.objects.create(system=old, name="市容环境")
    old_item = IndexItem.objects.create(system=old, category=old_category, code="NM-08", name="环境卫生")
    city.assigned(description="按新体系", item=city.item)
    city.assigned(description="按旧体系", item=old_item)
    client.force_login(city.office)
    labels = client.get("/options/items/").json()
    assert labels[0].startswith("NM-08 环境卫生（") and "NM-08 环境卫生（2017年版测评体系）" in labels

    page = client.get("/findings/", {"item": "NM-08 环境卫生"}).content.decode()
    assert "有 2 个指标叫“NM-08 环境卫生”，请从列表中选择：" in page and "按新体系" not in page
    page = client.get("/findings/", {"item": "NM-08 环境卫生（2017年版测评体系）"}).content.decode()
    assert "按旧体系" in page and "按新体系" not in page
    page = client.get("/findings/", {"item": "NM-08"}).content.decode()  # a code alone: the newest system's
    assert "按新体系" in page and "按旧体系" not in page
    assert 'value="NM-08 环境卫生（2017年版测评体系）"' in client.get(
        "/findings/", {"item": old_item.pk}).content.decode()


def test_the_filter_lists_hold_what_the_user_may_see(client, city):
    assert client.get("/options/units/").status_code == 302  # the login page first
    client.force_login(city.office)
    units = client.get("/options/units/")
    assert units["Content-Type"] == "application/json" and "private" in units["Cache-Control"]
    assert {"市城市管理局", "城东区", "东门社区", "西湖社区"} <= set(units.json())
    assert client.get("/options/items/").json() == ["NM-08 环境卫生", "NM-09 公共卫生间"]
    assert client.get("/options/sites/").status_code == 404

    client.force_login(city.dongmen_liaison)  # a community's liaison sees its community only
    assert client.get("/options/units/").json() == ["东门社区"]


def test_a_ledger_row_shows_each_cell_with_its_column_name_for_the_phone(client, city):
    """The rows are written in one pass (templatetags.ledger.finding_rows): what each cell says."""
    late, _ = city.assigned(description="超期未改<script>", issued_on=D(2026, 10, 20), deadline=D(2026, 10, 23),
                            site=city.market, deduction=Decimal("2.00"))
    long = "又出现了" + "很长的描述" * 20
    again = city.finding(description=long, address="东门路12号")
    Finding.objects.filter(pk=again.pk).update(relapse_of=late)
    client.force_login(city.office)
    page = client.get("/findings/").content.decode()
    row_late = re.search(r'<tr class="overdue">.*?</tr>', page, re.S).group(0)
    assert (f'<td data-label="问题编号" class="nowrap"><a class="number" href="/findings/{late.pk}/">'
            f'{late.display_number}</a></td>') in row_late
    assert "超期未改&lt;script&gt;" in row_late and "<script>" not in row_late
    assert '<td data-label="点位" class="name-cell">东门农贸市场</td>' in row_late
    assert '<td data-label="状态" class="nowrap"><span class="badge status-assigned">整改中</span></td>' in row_late
    assert '<td data-label="整改时限" class="nowrap">2026-10-23 <b>超期</b></td>' in row_late
    assert '<td data-label="扣分">2</td>' in row_late and '<td data-label="未按期">0</td>' in row_late
    row_again = re.search(rf'<tr class="">.*?{again.display_number}.*?</tr>', page, re.S).group(0)
    # a registered finding gets a box for batch assignment, a relapse its badge, no site its address
    assert f'<input type="checkbox" name="ids" value="{again.pk}" aria-label="选择 {again.display_number}">' in row_again
    assert '<span class="badge relapse">反弹</span>' in row_again
    assert '<td data-label="点位" class="name-cell">东门路12号</td>' in row_again
    assert '<td data-label="整改时限" class="nowrap">—</td>' in row_again
    # 80 characters, as Django's truncatechars cuts: Django's Chinese catalog ends the cut with "..."; the
    # tooltip holds the whole text (to 300)
    assert f'<a class="desc" href="/findings/{again.pk}/" title="{long}">{long[:77]}...</a>' in row_again
    client.post("/i18n/setlang/", {"language": "en", "next": "/findings/"})
    english = client.get("/findings/").content.decode()
    assert 'data-label="Deadline"' in english and "<b>overdue</b>" in english


def test_a_finding_logged_in_the_browser_carries_its_source_into_the_filter_and_the_export(client, city, tmp_path):
    import openpyxl

    from issues.excel.ledger_export import LEDGER_HEADERS, export_for

    client.force_login(city.office)
    form = client.get("/findings/new/").context["form"]
    assert form["source"].value() == "市创文办日常督查"  # the default the first time
    fields = {"description": "垃圾桶满溢", "lead_unit": city.dongmen_sq.pk, "found_on": "2026-11-02",
              "deduction": "1", "severity": "general", "photos": [upload()]}
    assert client.post("/findings/new/", {**fields, "source": "市创文办日常督查"}).status_code == 302
    daily = Finding.objects.get()
    assert daily.inspection_round.name == "市创文办日常督查（2026-11-02）"
    assert client.post("/findings/new/", {**fields, "source": "专项督查", "photos": [upload()]}).status_code == 302
    # the clerk's next form offers the source used last; another clerk still starts from the default
    assert client.get("/findings/new/").context["form"]["source"].value() == "专项督查"
    other = make_user("clerk-2", Role.OFFICE)
    client.force_login(other)
    assert client.get("/findings/new/").context["form"]["source"].value() == "市创文办日常督查"

    client.force_login(city.office)
    listed = client.get("/findings/", {"source": "市创文办日常督查"}).content.decode()
    assert daily.display_number in listed and listed.count('class="number"') == 1
    out = tmp_path / "ledger.xlsx"
    export_for(None, {}, out)
    rows = [dict(zip(LEDGER_HEADERS, (c.value for c in row), strict=True))
            for row in openpyxl.load_workbook(out)["问题台账"].iter_rows(min_row=2)]
    assert sorted((r["问题来源"], r["督查批次"]) for r in rows) == [
        ("专项督查", "专项督查（2026-11-02）"), ("市创文办日常督查", "市创文办日常督查（2026-11-02）")]


def test_a_chosen_round_decides_the_source(client, city):
    batch = InspectionRound.objects.create(name="第一批", source="省文明办暗访", held_on=dt.date(2026, 11, 2))
    client.force_login(city.office)
    response = client.post("/findings/new/", {
        "description": "垃圾桶满溢", "lead_unit": city.dongmen_sq.pk, "found_on": "2026-11-02", "deduction": "1",
        "severity": "general", "photos": [upload()], "source": "专项督查", "inspection_round": batch.pk})
    assert response.status_code == 302
    assert Finding.objects.get().inspection_round == batch and InspectionRound.objects.count() == 1


def test_the_reference_checklists_join_the_item_filter_once_a_finding_names_one_of_their_items(client, city):
    client.force_login(city.office)
    assert client.get("/options/items/").json() == ["NM-08 环境卫生", "NM-09 公共卫生间"]
    reference = IndexItem.objects.get(system__is_reference=True, code="NM-08")
    checked = city.finding(item=reference, description="按参考标准检查发现")
    labels = client.get("/options/items/").json()
    assert "NM-08 环境卫生（点位检查参考标准）" in labels and "NM-08 环境卫生（测试体系）" in labels
    assert not any(label.startswith("NM-01") for label in labels)  # reference items no finding names
    listed = client.get("/findings/", {"item": "NM-08 环境卫生（点位检查参考标准）"}).content.decode()
    assert checked.display_number in listed and listed.count('class="number"') == 1


def test_a_clerk_made_in_the_admin_without_a_profile_still_has_the_source_remembered(client, city):
    from django.contrib.auth.models import Group, User

    clerk = User.objects.create_user(username="admin-made", password="pw-for-tests-2026")
    clerk.groups.add(Group.objects.get(name=Role.OFFICE))
    client.force_login(clerk)
    response = client.post("/findings/new/", {
        "description": "垃圾桶满溢", "lead_unit": city.dongmen_sq.pk, "found_on": "2026-11-02", "deduction": "1",
        "severity": "general", "photos": [upload()], "source": "随机督查"})
    assert response.status_code == 302
    assert client.get("/findings/new/").context["form"]["source"].value() == "随机督查"

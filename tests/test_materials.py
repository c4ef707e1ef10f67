"""Materials (材料申报): requirements, uploads checked by content, the office's review, misses on the due
date judged like a notice's (R1 at the second), the completeness matrix, the zip, the import columns
and the materials part of the predicted score."""

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from issues.assessment import reads as assessment_reads
from issues.core.exceptions import LedgerError
from issues.escalation.services import run_escalations
from issues.excel.registry_import import import_index
from issues.materials import reads
from issues.materials import services as materials
from issues.models import (
    AssessmentEdition,
    AuditEvent,
    IndexItem,
    MaterialDeadline,
    MaterialFile,
    MaterialKind,
    MaterialRequirement,
    MaterialState,
    MaterialSubmission,
    MissKind,
    NoticeOutcome,
    Notification,
    Responsibility,
    Sanction,
    SanctionAction,
)
from tests.test_assessment import TODAY, worked  # noqa: F401 (the worked example's fixture)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.fixture
def edition(city):
    """The current edition: assessed on 2027-05-20, so materials must date from 2026-05-21 to 2027-05-20."""
    return AssessmentEdition.objects.create(name="2027年测评", assessed_on=dt.date(2027, 5, 20),
                                            index_system=city.item.system, is_current=True)


@pytest.fixture
def requirement(city, edition):
    """A requirement of 环境卫生 led by 东门社区 with 城东区 helping, due Monday 2026-12-07."""
    return materials.create_requirement(actor=city.office, item=city.item, title="环境卫生长效管理制度",
                                        kind=MaterialKind.REGULATION, lead_unit=city.dongmen_sq,
                                        co_units=[city.east], due_on=dt.date(2026, 12, 7))


def upload(city, requirement, *, files=None, on=dt.date(2026, 9, 1), actor=None, title="管理制度"):
    return materials.submit_material(actor=actor or city.dongmen_liaison, requirement_id=requirement.pk, title=title,
                                     effective_on=on, uploads=files or [("制度.pdf", PDF)])


def media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "materials"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- uploads -------------------------------------------------------------------------------------


def test_a_liaison_uploads_on_the_page_and_the_file_is_kept_under_a_generated_name(client, city, requirement, settings):
    client.force_login(city.dongmen_liaison)
    page = client.get(f"/materials/{requirement.pk}/").content.decode()
    assert "报送材料" in page and "2026-05-21" in page and "2027-05-20" in page  # the evidence window
    answer = client.post(f"/materials/{requirement.pk}/upload/", {
        "title": "东门社区环境卫生管理制度", "effective_on": "2026-09-01",
        "files": [SimpleUploadedFile("管理制度.pdf", PDF, "application/pdf"),
                  SimpleUploadedFile("台账.docx", docx_bytes(), "application/octet-stream")],
    })
    assert answer.status_code == 302
    sub = MaterialSubmission.objects.get()
    assert (sub.unit, sub.effective_on, sub.submitted_on) == (city.dongmen_sq, dt.date(2026, 9, 1), sub.submitted_on)
    names = sorted(sub.files.values_list("original_name", "content_type"))
    assert names == [("台账.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                     ("管理制度.pdf", "application/pdf")]
    for f in sub.files.all():
        assert "管理制度" not in f.file.name and "台账" not in f.file.name  # stored under a generated name
    requirement.refresh_from_db()
    assert requirement.status == MaterialState.PENDING
    # served to those who see the requirement, under its uploaded name; another district gets 404
    pdf = sub.files.get(content_type="application/pdf")
    got = client.get(f"/materials/files/{pdf.pk}/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    assert "%E7%AE%A1%E7%90%86%E5%88%B6%E5%BA%A6.pdf" in got["Content-Disposition"]
    client.force_login(city.outsider)
    assert client.get(f"/materials/files/{pdf.pk}/").status_code == 404
    assert client.get(f"/materials/{requirement.pk}/").status_code == 404


@pytest.mark.parametrize("case", ["bad type", "renamed text", "too large", "outside window", "empty"])
def test_a_bad_upload_is_refused_with_its_reason_and_nothing_is_stored(client, city, requirement, settings, case):
    settings.MATERIAL_MAX_BYTES = 1024
    files = [SimpleUploadedFile("制度.pdf", PDF)]
    day = "2026-09-01"
    expected = {"bad type": "不是可接受的文件", "renamed text": "不是可接受的文件", "too large": "超过",
                "outside window": "不在材料时间范围", "empty": "请选择要上传的文件"}[case]
    if case == "bad type":
        files = [SimpleUploadedFile("good.pdf", PDF), SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 60)]
    elif case == "renamed text":
        files = [SimpleUploadedFile("看起来是.pdf", b"just some text, not a PDF")]
    elif case == "too large":
        files = [SimpleUploadedFile("大文件.pdf", PDF + b"0" * 2000)]
    elif case == "outside window":
        day = "2026-05-20"  # a day before the window opens
    elif case == "empty":
        files = []
    client.force_login(city.dongmen_liaison)
    answer = client.post(f"/materials/{requirement.pk}/upload/",
                         {"title": "制度", "effective_on": day, "files": files})
    assert answer.status_code == 400
    assert expected in answer.content.decode()
    assert not MaterialSubmission.objects.exists() and not MaterialFile.objects.exists()
    assert media_files(settings) == []
    requirement.refresh_from_db()
    assert requirement.status == MaterialState.MISSING


def test_only_the_requirements_units_upload(city, requirement):
    other = materials.create_requirement(actor=city.office, item=city.item2, title="公厕保洁台账",
                                         lead_unit=city.chengguan, due_on=dt.date(2026, 12, 7))
    with pytest.raises(PermissionDenied):
        upload(city, other)  # 东门社区's liaison: not a unit of this requirement
    with pytest.raises(PermissionDenied):
        upload(city, requirement, actor=city.office)  # the office reviews; it does not upload for a unit
    # the head of 城东区 (a co-unit) uploads as 城东区
    assert upload(city, requirement, actor=city.east_head).unit == city.east
    assert reads.requirements_for(city.outsider).count() == 0
    assert set(reads.requirements_for(city.east_head)) == {requirement}
    assert set(reads.requirements_for(city.chengguan_head)) == {other}


# --- review ----------------------------------------------------------------------------------------


def test_the_office_returns_with_a_reason_then_approves_the_second_upload(client, city, requirement):
    first = upload(city, requirement)
    client.force_login(city.office)
    queue = client.get("/materials/review/").content.decode()
    assert "管理制度" in queue and "东门社区" in queue
    assert client.post(f"/materials/submissions/{first.pk}/review/", {"reason": ""}).status_code == 400
    client.post(f"/materials/submissions/{first.pk}/review/", {"reason": "缺少盖章页", "next": "queue"})
    requirement.refresh_from_db()
    first.refresh_from_db()
    assert (first.decision, first.reason, requirement.status) == ("returned", "缺少盖章页", MaterialState.RETURNED)
    told = Notification.objects.filter(recipient=city.dongmen_liaison, kind="material").get()
    assert "缺少盖章页" in told.body
    second = upload(city, requirement, title="管理制度（盖章版）")
    client.post(f"/materials/submissions/{second.pk}/review/", {"approve": "1"})
    requirement.refresh_from_db()
    assert requirement.status == MaterialState.APPROVED and requirement.miss_count == 0
    deadline = requirement.deadlines.get()
    assert deadline.outcome == NoticeOutcome.MET  # returned before the due date: no miss
    assert AuditEvent.objects.filter(action="material_reviewed").count() == 2
    with pytest.raises(LedgerError):
        upload(city, requirement)  # approved: nothing more to send


# --- misses ----------------------------------------------------------------------------------------


def test_a_due_date_passed_with_nothing_approved_is_a_miss_and_the_second_brings_a_circular(city, requirement):
    run_escalations(today=dt.date(2026, 12, 8))
    requirement.refresh_from_db()
    first = requirement.deadlines.get(seq=1)
    assert (first.outcome, first.outcome_on, first.miss_kind) == (NoticeOutcome.MISSED, dt.date(2026, 12, 7),
                                                                  MissKind.DEADLINE)
    # the next due date: 3 working days after the miss date (Mon 12-07 → Thu 12-10)
    assert (requirement.miss_count, requirement.due_on) == (1, dt.date(2026, 12, 10))
    assert reads.state_of(requirement.status, requirement.miss_count) == MaterialState.OVERDUE
    assert Notification.objects.filter(recipient=city.dongmen_liaison, kind="material").count() == 1
    assert not Sanction.objects.exists()
    run_escalations(today=dt.date(2026, 12, 11))
    requirement.refresh_from_db()
    assert (requirement.miss_count, requirement.due_on) == (2, dt.date(2026, 12, 15))
    circular = Sanction.objects.get()
    assert (circular.rule.code, circular.action, circular.unit, circular.requirement) == (
        "R1", SanctionAction.CIRCULAR, city.dongmen_sq, requirement)
    assert circular.decided_on == dt.date(2026, 12, 10)
    assert sorted(circular.evidence_deadlines.values_list("seq", flat=True)) == [1, 2]
    assert "环境卫生长效管理制度" in circular.reason
    # the job run again changes nothing
    before = (MaterialDeadline.objects.count(), Sanction.objects.count(), AuditEvent.objects.count())
    run_escalations(today=dt.date(2026, 12, 11))
    assert before == (MaterialDeadline.objects.count(), Sanction.objects.count(), AuditEvent.objects.count())


def test_the_list_shows_a_units_overdue_requirements_first_to_it_and_all_to_the_office(client, city, requirement):
    other = materials.create_requirement(actor=city.office, item=city.item2, title="公厕保洁台账",
                                         lead_unit=city.chengguan, due_on=dt.date(2027, 1, 8))
    run_escalations(today=dt.date(2026, 12, 8))
    client.force_login(city.dongmen_liaison)
    page = client.get("/materials/").content.decode()
    assert "环境卫生长效管理制度" in page and "公厕保洁台账" not in page and "逾期 1 次" in page
    assert "环境卫生长效管理制度" in client.get("/materials/?state=overdue").content.decode()
    assert "环境卫生长效管理制度" not in client.get("/materials/?state=missing").content.decode()
    client.force_login(city.office)
    page = client.get(f"/materials/?unit={city.chengguan.pk}").content.decode()
    assert other.title in page and requirement.title not in page


def test_an_upload_in_time_holds_the_due_date_and_a_late_return_is_a_miss_dated_on_the_review(city, requirement):
    with time_machine.travel(dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)):  # on the due date
        sub = upload(city, requirement)
    run_escalations(today=dt.date(2026, 12, 9))
    requirement.refresh_from_db()
    assert requirement.miss_count == 0  # waiting for the office is not the unit's fault
    with time_machine.travel(dt.datetime(2026, 12, 9, 2, 0, tzinfo=dt.UTC)):
        materials.review_material(actor=city.office, submission_id=sub.pk, approve=False, reason="内容不全")
    requirement.refresh_from_db()
    first = requirement.deadlines.get(seq=1)
    assert (first.outcome_on, first.miss_kind) == (dt.date(2026, 12, 9), MissKind.REJECTED)
    assert (requirement.miss_count, requirement.due_on) == (1, dt.date(2026, 12, 14))  # Wed + 3 working days


def test_the_sanction_page_links_the_requirement_and_its_circular_names_the_materials(client, city, requirement):
    run_escalations(today=dt.date(2026, 12, 11))
    sanction = Sanction.objects.get()
    client.force_login(city.supervisor)
    page = client.get(f"/sanctions/{sanction.pk}/").content.decode()
    assert "环境卫生长效管理制度" in page and "逾期未报送的材料期限" in page
    doc = client.get(f"/sanctions/{sanction.pk}/document.docx")
    assert doc.status_code == 200
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(doc.content)).paragraphs)
    assert "申报材料" in text and "东门社区" in text


# --- the matrix, the zip -----------------------------------------------------------------------------


@pytest.fixture
def three(city, requirement):
    """环境卫生 asks two documents (东门社区 leads both), 公共卫生间 one (城管局); one approved, one waiting."""
    second = materials.create_requirement(actor=city.office, item=city.item, title="保洁作业照片",
                                          kind=MaterialKind.PHOTOS, lead_unit=city.dongmen_sq, due_on=dt.date(2027, 1, 8))
    toilets = materials.create_requirement(actor=city.office, item=city.item2, title="公厕保洁台账",
                                           lead_unit=city.chengguan, due_on=dt.date(2027, 1, 8))
    IndexItem.objects.filter(pk=city.item.pk).update(points=Decimal("4"))
    IndexItem.objects.filter(pk=city.item2.pk).update(points=Decimal("2"))
    sub = upload(city, requirement)
    materials.review_material(actor=city.office, submission_id=sub.pk, approve=True)
    upload(city, second, files=[("作业.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32)])
    sub = upload(city, toilets, actor=city.chengguan_head, title="公厕台账", files=[("台账.docx", docx_bytes())])
    materials.review_material(actor=city.office, submission_id=sub.pk, approve=True)
    return requirement, second, toilets


def test_the_matrix_counts_what_each_unit_owes(client, city, three):
    table = reads.matrix(city.item.system)
    rows = {r.unit.name: r for r in table.rows}
    # 东门社区 owes 环境卫生 (4 points: one approved, one waiting); 城东区 helps on the first; 城管局 is complete
    assert set(rows) == {"东门社区", "城东区", "市城市管理局"}
    assert (rows["东门社区"].points, rows["东门社区"].covered) == (Decimal("4"), Decimal("0"))
    assert (rows["城东区"].points, rows["城东区"].covered) == (Decimal("4"), Decimal("4"))
    assert rows["市城市管理局"].share == Decimal("1")
    assert [r.unit.name for r in table.rows][0] == "东门社区"  # the most points missing first
    assert table.counts == {"approved": 2, "pending": 1}
    by_item = reads.matrix(city.item.system, category_id=city.item.category_id)
    cell = by_item.rows[0].cells[[c.code for c in by_item.columns].index("NM-08")]
    assert (cell.state, cell.done, cell.total) == (MaterialState.PENDING, 1, 2)
    client.force_login(city.leader)
    page = client.get("/materials/matrix/").content.decode()
    assert "东门社区" in page and "1/1" in page
    # the workbook: a column per item, a row per unit
    book = openpyxl.load_workbook(io.BytesIO(b"".join(client.get("/materials/matrix/export/").streaming_content)))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["单位", "NM-08 环境卫生", "NM-09 公共卫生间"]
    values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["东门社区"][1] == "待审核 1/2" and values["市城市管理局"][2] == "已通过"
    # a unit sees its own rows only
    client.force_login(city.chengguan_head)
    assert "东门社区" not in client.get("/materials/matrix/").content.decode()


def test_the_package_is_the_approved_files_in_index_order(client, city, three):
    client.force_login(city.office)
    answer = client.get("/materials/package.zip")
    assert answer.status_code == 200 and answer.streaming
    archive = zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))
    names = archive.namelist()
    assert names == ["00 公共环境/NM-08 环境卫生/NM-08 管理制度.pdf", "00 公共环境/NM-09 公共卫生间/NM-09 公厕台账.docx"]
    assert archive.read(names[0]) == PDF  # the waiting photo is not in it


# --- the predicted score -------------------------------------------------------------------------------


def test_the_worked_example_gives_the_materials_score_by_hand(city, worked):  # noqa: F811
    """Items A (4 points, two documents), C (2, one) and E (5, one) ask for materials: A's two and C's are
    approved, E's is not: 39.7 × (4 + 2) / (4 + 2 + 5) = 21.654… → 21.65; the field part stays 35.34."""
    items = {i.code: i for i in IndexItem.objects.filter(system=worked.index_system)}
    day = dt.date(2026, 11, 20)
    reqs = []
    for code, title in (("A", "方案"), ("A", "总结"), ("C", "台账"), ("E", "照片")):
        reqs.append(materials.create_requirement(actor=city.office, item=items[code], title=title,
                                                 lead_unit=city.chengguan, due_on=dt.date(2027, 3, 1)))
    for req in reqs[:3]:
        with time_machine.travel(dt.datetime.combine(day, dt.time(2), tzinfo=dt.UTC)):
            sub = upload(city, req, actor=city.chengguan_head)
            materials.review_material(actor=city.office, submission_id=sub.pk, approve=True)
    upload(city, reqs[3], actor=city.chengguan_head)
    part = reads.materials_part(worked, before=dt.date(2026, 10, 31))
    assert part.score == Decimal("21.65") and part.score_before == Decimal("0.00")
    assert [i.code for i in part.incomplete] == ["E"]
    predicted = assessment_reads.predicted(worked, TODAY)
    scores = {p.label: p.score for p in predicted["parts"]}
    assert scores["实地考察"] == Decimal("35.34") and scores["材料审核"] == Decimal("21.65")
    assert predicted["total"] == Decimal("35.34") + Decimal("21.65")  # no survey, no opinion yet


def test_the_dashboard_and_the_inbox_show_the_materials(client, city, three):
    client.force_login(city.leader)
    page = client.get("/dashboard/").content.decode()
    # 环境卫生 (4) waits, 公共卫生间 (2) is complete: 39.7 × 2 / 6 = 13.23
    assert "13.23" in page and "1 项指标材料未齐全" in page
    client.force_login(city.dongmen_liaison)
    inbox = client.get("/inbox/").content.decode()
    assert "inbox-materials" in inbox and "待审核" in inbox


# --- the index workbook's columns ----------------------------------------------------------------------


def index_book(tmp_path, rows) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["指标编码", "测评项目", "测评内容", "分值", "牵头单位", "配合单位", "材料要求", "材料截止日期"])
    for row in rows:
        sheet.append(row)
    path = tmp_path / "index.xlsx"
    book.save(path)
    return path


def test_import_index_reads_the_material_requirements(city, tmp_path):
    path = index_book(tmp_path, [
        ["NM-08", "公共环境", "环境卫生", 4, "东门社区", "城东区", "长效管理制度（规范文件）\n保洁作业照片（实景图片）",
         dt.date(2027, 3, 1)],
        ["NM-09", "公共环境", "公共卫生间", 2, "城管局", None, None, None],
    ])
    report = import_index(path, actor=city.office, system_name="测试体系")
    assert report.ok, report.errors
    reqs = {r.title: r for r in MaterialRequirement.objects.all()}
    assert set(reqs) == {"长效管理制度", "保洁作业照片"}
    assert reqs["保洁作业照片"].kind == MaterialKind.PHOTOS
    assert reqs["长效管理制度"].lead_unit == city.dongmen_sq
    assert set(reqs["长效管理制度"].co_units.all()) == {city.east}
    assert reqs["长效管理制度"].deadlines.get().due_on == dt.date(2027, 3, 1)
    # importing again with a new date moves it; nothing is doubled
    path = index_book(tmp_path, [["NM-08", "公共环境", "环境卫生", 4, "东门社区", "城东区",
                                  "长效管理制度（规范文件）\n保洁作业照片（实景图片）", dt.date(2027, 3, 15)]])
    assert import_index(path, actor=city.office, system_name="测试体系").ok
    assert MaterialRequirement.objects.count() == 2
    assert MaterialRequirement.objects.get(title="长效管理制度").due_on == dt.date(2027, 3, 15)


def test_import_index_refuses_bad_material_cells_with_row_and_column(city, tmp_path):
    Responsibility.objects.filter(item__code="NM-09").delete()
    path = index_book(tmp_path, [
        ["NM-08", "公共环境", "环境卫生", 4, "东门社区", None, "制度（会议纪要）", dt.date(2027, 3, 1)],
        ["NM-09", "公共环境", "公共卫生间", 2, None, None, "台账（工作台账）", None],
    ])
    report = import_index(path, actor=city.office, system_name="测试体系")
    found = {(e.row, e.column) for e in report.errors}
    assert (2, "材料要求") in found  # 会议纪要 is not a kind
    assert (3, "材料截止日期") in found and (3, "牵头单位") in found
    assert not MaterialRequirement.objects.exists()

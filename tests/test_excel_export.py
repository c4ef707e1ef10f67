"""The ledger workbook: sheets and columns of the contract, real dates, a frozen filtered header,
no formula injection, a unit's own rows only, and a round trip through import and LibreOffice."""

import csv
import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.db import transaction

from issues.escalation.services import run_escalations
from issues.excel.ledger_export import LEDGER_HEADERS, RANKING_HEADERS, SANCTION_HEADERS, export_for
from issues.excel.ledger_import import import_ledger
from issues.models import Finding, InspectionRound, Sanction

D = dt.date
INJECTIONS = ["=HYPERLINK(\"http://127.0.0.1/x\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)", "=1+1"]
TAB_REMARK = "\t=2+2"  # descriptions are trimmed when logged; a remark keeps its leading tab


def read(path_or_bytes):
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    return openpyxl.load_workbook(source)


def ledger_values(wb):
    return [tuple(c.value for c in row) for row in wb["问题台账"].iter_rows(min_row=2)]


def seed(city):
    batch = InspectionRound.objects.create(name="第一批", source="省文明办暗访", held_on=D(2026, 11, 2))
    first, _ = city.assigned(description="垃圾未清运", site=city.market, item=city.item, deduction=Decimal("1.5"),
                             issued_on=D(2026, 11, 2), deadline=D(2026, 11, 6), inspection_round=batch,
                             co_units=[city.chengguan, city.gongan], remarks="复查")
    city.assigned(description="占道经营", issued_on=D(2026, 11, 3), deadline=D(2026, 11, 20), unit=city.xihu_sq)
    for n, text in enumerate(INJECTIONS):
        city.assigned(description=text, issued_on=D(2026, 11, 4), deadline=D(2026, 11, 25), number=f"INJ-{n}",
                      remarks=TAB_REMARK if n == 0 else "")
    return first


def test_the_workbook_follows_the_contract(tmp_path, city):
    first = seed(city)
    run_escalations(today=D(2026, 11, 8))  # the first one misses on the 6th and gets a second notice
    out = tmp_path / "ledger.xlsx"
    assert export_for(None, {}, out) == 7
    wb = read(out)
    assert wb.sheetnames == ["问题台账", "问责台账", "排名"]
    ws = wb["问题台账"]
    assert tuple(c.value for c in ws[1]) == LEDGER_HEADERS
    assert tuple(c.value for c in wb["问责台账"][1]) == SANCTION_HEADERS
    assert tuple(c.value for c in wb["排名"][1]) == RANKING_HEADERS
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:Y8"
    assert ws.column_dimensions["I"].width == 40
    rows = {row[1]: dict(zip(LEDGER_HEADERS, row, strict=True)) for row in ledger_values(wb)}
    row = rows[first.display_number]
    assert row["问题来源"] == "省文明办暗访" and row["督查批次"] == "第一批"
    assert row["发现日期"] == dt.datetime(2026, 11, 2) and row["交办日期"] == dt.datetime(2026, 11, 2)
    assert row["整改时限"] > dt.datetime(2026, 11, 6)  # the second notice's deadline
    assert row["通知次数"] == 2 and row["未按期整改次数"] == 1 and row["状态"] == "整改中"
    assert row["点位名称"] == "东门农贸市场" and row["点位类型"] == "集贸市场/农贸市场"
    assert row["测评指标编码"] == "NM-08" and row["扣分"] == 1.5 and row["备注"] == "复查"
    assert row["配合单位"] == "市城市管理局、市公安局" and row["是否反弹"] == "否"
    for cell in ws["E"][1:]:
        assert cell.is_date  # real Excel dates, not text
    sanctions = [tuple(c.value for c in r) for r in wb["问责台账"].iter_rows(min_row=2)]
    assert len(sanctions) == Sanction.objects.count()
    for sheet in wb.worksheets:  # printed: A4 landscape, all columns on the page's width, the header on each page
        setup = sheet.page_setup
        assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$1:$1"
        assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"


def test_cells_starting_with_formula_characters_are_text(tmp_path, city):
    seed(city)
    out = tmp_path / "ledger.xlsx"
    export_for(None, {}, out)
    ws = read(out)["问题台账"]
    cells = {c.value: c for c in ws["I"][1:]}
    for text in INJECTIONS:
        cell = cells[text]
        assert cell.data_type == "s" and cell.quotePrefix, text
    remark = next(c for c in ws["Y"][1:] if c.value == TAB_REMARK)
    assert remark.data_type == "s" and remark.quotePrefix


def test_a_unit_user_gets_only_their_own_rows(tmp_path, city):
    seed(city)
    out = tmp_path / "mine.xlsx"
    export_for(city.outsider, {}, out)  # 西湖社区's liaison
    wb = read(out)
    assert [r[8] for r in ledger_values(wb)] == ["占道经营"]
    assert all(r[1] == "西湖社区" for r in wb["问责台账"].iter_rows(min_row=2, values_only=True))


def test_the_page_exports_its_current_filters_and_a_big_export_is_a_job(client, tmp_path, city, settings,
                                                                       django_capture_on_commit_callbacks):
    seed(city)
    client.force_login(city.office)
    response = client.get(f"/findings/export.xlsx?unit={city.xihu_sq.pk}&q=占道")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert [r[8] for r in ledger_values(read(b"".join(response.streaming_content)))] == ["占道经营"]
    settings.EXPORT_ASYNC_ROWS = 3
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/findings/export.xlsx?status=assigned")
    assert response.status_code == 302
    job_url = response["Location"]
    assert client.get(job_url + "status/").json()["status"] == "done"
    assert "下载（7 个问题）" in client.get(job_url).content.decode()
    download = client.get(job_url + "download/")
    assert len(ledger_values(read(b"".join(download.streaming_content)))) == 7
    client.force_login(city.leader)
    assert client.get(job_url + "download/").status_code == 404


def test_the_command_exports_with_filters(tmp_path, city, capsys):
    seed(city)
    out = tmp_path / "cmd.xlsx"
    call_command("export_ledger", str(out), "--unit", str(city.xihu_sq.pk))
    assert "已导出 1 个问题" in capsys.readouterr().out
    call_command("export_ledger", str(out), "--query", "q=INJ&status=assigned")
    assert len(ledger_values(read(out))) == 5  # the keyword matches numbers too
    call_command("export_ledger", str(out), "--found-from", "2026-11-04")
    assert len(ledger_values(read(out))) == 5


def test_round_trip_export_import_into_an_empty_ledger_export_again(tmp_path, city):
    with transaction.atomic():
        seed(city)
        first = tmp_path / "first.xlsx"
        export_for(None, {}, first)
        transaction.set_rollback(True)
    assert Finding.objects.count() == 0
    report = import_ledger(first, actor=city.office)
    assert report.ok and len(report.created) == 7, report.errors
    assert set(report.unknown_columns) == {"交办日期", "通知次数", "未按期整改次数", "状态", "整改情况", "复核结果", "销号日期",
                                           "是否反弹", "问责措施"}
    second = tmp_path / "second.xlsx"
    export_for(None, {}, second)
    # the same rows (序号 is the position, and rows of one day may come in another order)
    assert sorted(r[1:] for r in ledger_values(read(second))) == sorted(r[1:] for r in ledger_values(read(first)))


def soffice():
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    assert binary, "make test installs LibreOffice (writer and calc)"
    return binary


def convert(tmp_path, path, to):
    subprocess.run([soffice(), "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", to,
                    "--outdir", str(tmp_path / "lo-out"), str(path)], check=True, capture_output=True, timeout=180)
    return tmp_path / "lo-out" / (path.stem + "." + to.split(":")[0])


def test_libreoffice_reads_the_same_values_and_its_saved_file_imports(tmp_path, city):
    seed(city)
    out = tmp_path / "ledger.xlsx"
    export_for(None, {}, out)
    csv_path = convert(tmp_path, out, "csv:Text - txt - csv (StarCalc):44,34,76")  # the first sheet, UTF-8
    with csv_path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == LEDGER_HEADERS
    by_number = {r[1]: r for r in rows[1:]}
    for n, text in enumerate(INJECTIONS):
        assert by_number[f"INJ-{n}"][8] == text  # shown as text, not evaluated
    first = by_number[Finding.objects.get(description="垃圾未清运").display_number]
    assert first[4] == "2026-11-02" and first[13] == "1.5"
    # a file saved by LibreOffice imports correctly
    saved = convert(tmp_path, out, "xlsx")
    with transaction.atomic():
        Finding.objects.update(number=None)  # keep the rows, free the numbers for the re-import
        report = import_ledger(saved, actor=city.office)
        assert report.ok, report.errors
        assert len(report.created) == 7
        imported = Finding.objects.filter(number__startswith="INJ-")
        assert sorted(f.description for f in imported) == sorted(INJECTIONS)
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"

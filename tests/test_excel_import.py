"""Importing 交办问题清单, unit rosters and the index from xlsx, as ledger_columns.md says."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issues.excel.common import ExcelRefused, Row, RowError
from issues.excel.ledger_import import COLUMNS, Lookups, import_ledger, parse_row
from issues.excel.registry_import import import_index, import_units
from issues.models import (
    AuditEvent,
    Finding,
    FindingStatus,
    IndexItem,
    InspectionRound,
    Notice,
    RankingGroup,
    Responsibility,
    Site,
    SiteType,
    Unit,
    UnitMonth,
)
from issues.rankings import aggregates

D = dt.date


def workbook_file(path, header, rows, *, title=True, sheet_title="Sheet"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_title
    if title:  # what offices put above the headers
        ws.append(["2026年11月交办问题清单"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        ws.append(["说明：请于时限内整改并反馈"])
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def ledger_file(tmp_path, rows, *, header=("问题编号", "发现日期", "点位名称", "问题描述*", "责任单位（必填）", "配合单位",
                                           "扣分", "整改时限", "督查批次", "问题来源"), name="list.xlsx", **kw):
    return workbook_file(tmp_path / name, list(header), rows, **kw)


def test_a_list_with_title_rows_imports_every_date_and_duration_form(tmp_path, city):
    path = ledger_file(tmp_path, [
        ["A-1", dt.datetime(2026, 11, 2), "东门农贸市场", "垃圾未清运", "东门社区", "城管局、 市公安局", 2, "3天", "第一批", "市创文办日常督查"],
        ["A-2", "2026/11/03", None, "占道经营", " 东门社区\u3000", None, "0.5", "2026-11-20", "第一批", None],
        ["A-3", "2026.11.04", None, "牛皮癣", "东门社区", None, None, "2026年11月25日", None, "市民随手拍"],
        ["A-4", "2026年11月5日", None, "井盖缺失", "东门社区", None, None, 20261130, None, None],
        ["A-5", 20261106, None, "路灯不亮", "东门社区", None, None, "5个工作日", None, None],
        ["A-6", "2026-09-29", None, "国庆前发现", "东门社区", None, None, "5个工作日", None, None],
    ])
    report = import_ledger(path, actor=city.office, today=D(2026, 11, 10))
    assert report.ok and report.rows == 6 and len(report.created) == 6, report.errors
    got = {f.number: f for f in Finding.objects.select_related("current_notice", "inspection_round")}
    assert got["A-1"].found_on == D(2026, 11, 2) and got["A-1"].current_notice.deadline == D(2026, 11, 5)
    assert got["A-1"].deduction == Decimal("2") and got["A-1"].site.name == "东门农贸市场"
    assert sorted(u.name for u in got["A-1"].co_units.all()) == ["市公安局", "市城市管理局"]
    assert got["A-2"].found_on == D(2026, 11, 3) and got["A-2"].current_notice.deadline == D(2026, 11, 20)
    assert got["A-3"].current_notice.deadline == D(2026, 11, 25)
    assert got["A-4"].found_on == D(2026, 11, 5) and got["A-4"].current_notice.deadline == D(2026, 11, 30)
    assert got["A-5"].found_on == D(2026, 11, 6)
    assert got["A-5"].current_notice.deadline == D(2026, 11, 13)  # Mon 9 … Fri 13
    # across the National Day holiday: 30 Sep, 8 Oct, 9 Oct, Sat 10 Oct (an adjusted working day), 12 Oct
    assert got["A-6"].current_notice.deadline == D(2026, 10, 12)
    for f in got.values():
        assert f.status == FindingStatus.ASSIGNED and f.lead_unit == city.dongmen_sq
        assert f.current_notice.seq == 1 and f.current_notice.issued_on == f.found_on
    assert got["A-1"].inspection_round == got["A-2"].inspection_round
    assert got["A-1"].inspection_round.name == "第一批" and got["A-1"].inspection_round.source == "市创文办日常督查"
    assert got["A-3"].inspection_round.source == "市民随手拍"
    assert AuditEvent.objects.filter(action="import").count() == 6
    assert aggregates.differences() == []
    assert UnitMonth.objects.get(unit=city.dongmen_sq, month=D(2026, 11, 1)).found == 5


def test_any_row_error_imports_nothing_and_every_error_is_listed(tmp_path, city):
    path = ledger_file(tmp_path, [
        ["B-1", "2026-11-02", None, "好的一行", "东门社区", None, None, None, None, None],
        ["B-2", "2026-13-02", None, "日期不存在", "东门社区", None, None, None, None, None],
        ["B-3", "下周", None, "不是日期", "东门社区", None, None, None, None, None],
        ["B-4", "2026-11-02", None, None, "东门社区", None, None, None, None, None],
        ["B-5", "2026-11-02", None, "没有单位", "不存在的单位", None, "-1", "三天", None, None],
        ["B-6", "2026-11-02", "没有的点位", "点位", "东门社区", None, None, "2026-10-01", None, None],
        ["B-1", "2026-11-02", None, "编号重复", "东门社区", None, None, None, None, None],
    ])
    report = import_ledger(path, actor=city.office, today=D(2026, 11, 10))
    assert not report.ok
    assert Finding.objects.count() == 0 and Notice.objects.count() == 0
    errors = {(e.row, e.column) for e in report.errors}
    assert errors == {(5, "发现日期"), (6, "发现日期"), (7, "问题描述"), (8, "责任单位"), (8, "扣分"), (8, "整改时限"),
                      (9, "点位名称"), (9, "整改时限"), (10, "问题编号")}
    text = "\n".join(str(e) for e in report.errors)
    assert "第5行“发现日期”列（值：2026-13-02）：日期不存在" in text
    assert "第8行“责任单位”列（值：不存在的单位）：没有这个单位" in text
    assert "第10行“问题编号”列（值：B-1）：与第4行的问题编号重复" in text


def test_reimporting_the_same_file_creates_nothing_and_says_so_row_by_row(tmp_path, city):
    path = ledger_file(tmp_path, [
        ["C-1", "2026-11-02", None, "一", "东门社区", None, None, None, None, None],
        ["C-2", "2026-11-02", None, "二", "东门社区", None, None, None, None, None],
    ])
    assert len(import_ledger(path, actor=city.office).created) == 2
    again = import_ledger(path, actor=city.office)
    assert again.ok and again.created == [] and Finding.objects.count() == 2
    assert [s["row"] for s in again.skipped] == [4, 5]
    assert "问题编号 C-1 已在台账中，跳过" in again.skipped[0]["reason"]


def test_a_fresh_install_knows_the_reference_site_types_by_their_everyday_names(tmp_path, city):
    """migrate loads the 41 reference site types (issues/data/site_types.csv): a problem list that says
    农贸市场, 医院 or 小区 imports, with --create-sites, on a database that never saw the demo."""
    assert SiteType.objects.filter(code__startswith="PT-").count() == 41
    path = ledger_file(tmp_path, [
        ["F-1", "2026-11-02", "城东菜市场", "垃圾未清运", "东门社区", None, None, None, None, "农贸市场"],
        ["F-2", "2026-11-02", "市人民医院", "车辆乱停", "东门社区", None, None, None, None, "医院"],
        ["F-3", "2026-11-02", "幸福小区", "楼道堆物", "东门社区", None, None, None, None, " 小区 "],
        ["F-4", "2026-11-02", "新华实践站", "宣传栏破损", "东门社区", None, None, None, None, "新时代文明实践中心"],
    ], header=("问题编号", "发现日期", "点位名称", "问题描述", "责任单位", "配合单位", "扣分", "整改时限", "督查批次",
               "点位类型"))
    report = import_ledger(path, actor=city.office, create_sites=True)
    assert report.ok, report.errors
    assert {s.name: s.site_type.code for s in Site.objects.filter(name__in=["城东菜市场", "市人民医院", "幸福小区",
                                                                           "新华实践站"])} == {
        "城东菜市场": "PT-24", "市人民医院": "PT-17", "幸福小区": "PT-25", "新华实践站": "PT-01"}


def test_dry_run_shows_the_rows_and_writes_nothing(tmp_path, city):
    path = ledger_file(tmp_path, [["D-1", "2026-11-02", "新点位", "x", "东门社区", None, None, None, None, None]],
                       header=("问题编号", "发现日期", "点位名称", "问题描述", "责任单位", "配合单位", "扣分", "整改时限",
                               "督查批次", "点位类型"))
    report = import_ledger(path, actor=city.office, dry_run=True)
    assert not report.ok and report.errors[0].column == "点位名称"  # unknown site without --create-sites
    path = ledger_file(tmp_path, [["D-1", "2026-11-02", "新点位", "x", "东门社区", None, None, None, None, "PT-24"]],
                       header=("问题编号", "发现日期", "点位名称", "问题描述", "责任单位", "配合单位", "扣分", "整改时限",
                               "督查批次", "点位类型"), name="b.xlsx")
    report = import_ledger(path, actor=city.office, dry_run=True, create_sites=True)
    assert report.ok and report.created[0]["number"] == "D-1" and report.created[0]["new_site"]
    assert Finding.objects.count() == 0 and not Site.objects.filter(name="新点位").exists()
    import_ledger(path, actor=city.office, create_sites=True)
    site = Site.objects.get(name="新点位")
    assert site.site_type == city.market_type and Finding.objects.get().site == site
    # a site the import creates is in the audit log, as one made while logging a finding
    assert AuditEvent.objects.filter(action="site_created", object_type="site", object_id=str(site.pk),
                                     actor=city.office).exists()


def test_unit_names_match_full_names_and_short_names_with_stray_spaces(tmp_path, city):
    Unit.objects.filter(pk=city.xihu.pk).update(short_names="西湖街、城管局")  # 城管局 now ambiguous
    path = ledger_file(tmp_path, [
        ["E-1", "2026-11-02", None, "a", "市城管局", None, None, None, None, None],
        ["E-2", "2026-11-02", None, "b", "西 湖 街", None, None, None, None, None],
        ["E-3", "2026-11-02", None, "c", "城管局", None, None, None, None, None],
    ])
    report = import_ledger(path, actor=city.office)
    assert [(e.row, e.reason) for e in report.errors] == [(6, "简称“城管局”对应多个单位，请写全称")]
    Unit.objects.filter(pk=city.xihu.pk).update(short_names="西湖街")
    report = import_ledger(path, actor=city.office)
    assert report.ok
    assert {f.number: f.lead_unit.name for f in Finding.objects.all()} == {
        "E-1": "市城市管理局", "E-2": "西湖街道", "E-3": "市城市管理局"}


def test_a_repeat_at_a_site_and_item_recently_closed_is_imported_as_a_relapse(tmp_path, city):
    finding, notice = city.assigned(site=city.market, item=city.item, issued_on=D(2026, 11, 2), deadline=D(2026, 11, 9))
    from issues.findings import services as svc

    sub = svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="ok")
    svc.approve_submission(actor=city.office, submission_id=sub.pk, decided_on=D(2026, 11, 5))
    path = ledger_file(tmp_path, [["F-1", "2026-11-20", "东门农贸市场", "又有垃圾", "东门社区", "NM-08"]],
                       header=("问题编号", "发现日期", "点位名称", "问题描述", "责任单位", "测评指标编码"))
    import_ledger(path, actor=city.office)
    assert Finding.objects.get(number="F-1").relapse_of == finding
    assert aggregates.differences() == []  # the import's counts added to figures that already existed


@pytest.mark.parametrize("case", ["not-xlsx", "xls", "encrypted", "empty", "no-header", "too-big", "too-many-rows",
                                  "zip-bomb", "broken-zip", "broken-workbook", "no-sheet"])
def test_files_that_cannot_be_read_are_refused_with_one_clear_message(tmp_path, city, settings, case):
    path = tmp_path / "f.xlsx"
    expected = {
        "not-xlsx": "这不是 Excel（.xlsx）文件", "xls": "旧版 Excel（.xls）", "encrypted": "已加密",
        "empty": "文件是空的", "no-header": "没有找到“问题描述”表头", "too-big": "超过了 1 MB 的上限",
        "too-many-rows": "超过了 3 行的上限", "zip-bomb": "压缩炸弹", "broken-zip": "文件已损坏",
        "broken-workbook": "文件已损坏", "no-sheet": "没有工作表|文件已损坏",
    }[case]
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    if case == "not-xlsx":
        path.write_text("序号,问题描述\n1,垃圾\n", encoding="utf-8")
    elif case == "xls":
        path.write_bytes(ole + b"\x00" * 600)
    elif case == "encrypted":
        path.write_bytes(ole + b"\x00" * 100 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 100)
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "no-header":
        workbook_file(path, ["序号", "描述", "单位"], [[1, "垃圾", "东门社区"]])
    elif case == "too-big":
        settings.IMPORT_MAX_BYTES = 1024 * 1024
        path.write_bytes(b"PK\x03\x04" + b"\x00" * (1024 * 1024 + 10))
    elif case == "too-many-rows":
        from issues.models import Policy

        Policy.objects.filter(pk=1).update(max_import_rows=3)
        ledger_file(tmp_path, [[f"R{i}", "2026-11-02", None, "x", "东门社区", None, None, None, None, None]
                               for i in range(5)], name="f.xlsx")
    elif case == "zip-bomb":
        workbook_file(path, ["问题描述", "责任单位"], [["x", "东门社区"]])
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/media/bomb.bin", b"\x00" * (50 * 1024 * 1024))
    elif case == "broken-zip":
        path.write_bytes(b"PK\x03\x04" + b"\x01" * 200)
    elif case == "broken-workbook":  # a zip that says it is a workbook and is not
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("xl/workbook.xml", "这不是 XML")
    elif case == "no-sheet":
        workbook_file(path, ["问题描述", "责任单位"], [["x", "东门社区"]])
        with zipfile.ZipFile(path) as source:
            parts = {name: source.read(name) for name in source.namelist() if "worksheets/" not in name}
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in parts.items():
                archive.writestr(name, data)
    with pytest.raises(ExcelRefused, match=expected):
        import_ledger(path, actor=city.office)
    assert Finding.objects.count() == 0


def _many_rows(count, *, prefix="L", bad=()):
    rows = []
    for i in range(count):
        found = "2026-13-01" if i in bad else D(2026, 11, 2) + dt.timedelta(days=i % 5)
        rows.append([f"{prefix}-{i}", found, "东门农贸市场" if i % 2 else None, f"问题{i}", "东门社区",
                     "西湖社区" if i % 3 == 0 else None, (i % 4) / 2, "5个工作日" if i % 2 else None,
                     f"批次{i % 3}", "市创文办日常督查"])
    return rows


def test_a_large_file_imports_as_its_dry_run_said(tmp_path, city):
    path = ledger_file(tmp_path, _many_rows(1200))
    dry = import_ledger(path, actor=city.office, dry_run=True, today=D(2026, 11, 10))
    real = import_ledger(path, actor=city.office, today=D(2026, 11, 10))
    assert real.ok and dry.ok and real.rows == dry.rows == 1200
    assert real.created == dry.created and len(real.created) == 1200
    assert Finding.objects.count() == 1200 and Notice.objects.count() == 1200
    assert Finding.objects.get(number="L-1199").site == city.market
    assert Finding.objects.get(number="L-3").co_units.get() == city.xihu_sq
    assert set(InspectionRound.objects.values_list("name", flat=True)) == {"批次0", "批次1", "批次2"}
    assert aggregates.differences() == []
    again = import_ledger(path, actor=city.office)
    assert again.ok and again.created == [] and len(again.skipped) == 1200 and Finding.objects.count() == 1200


def test_an_error_after_hundreds_of_rows_were_written_leaves_nothing_written(tmp_path, city):
    """Rows are written 500 at a time while the file is still being read: an error in row 1,153
    (and a number repeated from row 6 in row 1,195) undoes the thousand rows already written."""
    rows = _many_rows(1200, bad={1149})
    rows[1191][0] = "L-2"
    before = {model: model.objects.count() for model in (Finding, Notice, AuditEvent, InspectionRound, UnitMonth)}
    report = import_ledger(ledger_file(tmp_path, rows), actor=city.office, today=D(2026, 11, 10))
    assert not report.ok and report.created == []
    assert [(e.row, e.column) for e in report.errors] == [(1153, "发现日期"), (1195, "问题编号")]
    assert "与第6行的问题编号重复" in str(report.errors[1])
    assert {model: model.objects.count() for model in before} == before


def test_formulas_are_read_as_their_cached_values(tmp_path, city):
    """A file saved by Excel or LibreOffice holds each formula's last value; that value is imported."""
    path = ledger_file(tmp_path, [["G-1", "2026-11-02", None, "扣分是公式", "东门社区", None, "=1+1", None, None, None]])
    # openpyxl writes no cached values; put one in the XML as Excel would
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    assert "<f>1+1</f><v></v>" in sheet or "<f>1+1</f><v/>" in sheet
    sheet = sheet.replace("<f>1+1</f><v></v>", "<f>1+1</f><v>2</v>").replace("<f>1+1</f><v/>", "<f>1+1</f><v>2</v>")
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    assert import_ledger(path, actor=city.office).ok
    assert Finding.objects.get(number="G-1").deduction == Decimal("2")


def test_the_command_exits_non_zero_with_the_errors_and_imports_with_a_dry_run_first(tmp_path, city, capsys):
    bad = ledger_file(tmp_path, [["H-1", "明天", None, "x", "东门社区", None, None, None, None, None]], name="bad.xlsx")
    with pytest.raises(CommandError, match="1 处错误，没有导入任何一行"):
        call_command("import_ledger", str(bad))
    assert "第4行“发现日期”列（值：明天）" in capsys.readouterr().err
    good = ledger_file(tmp_path, [["H-1", "2026-11-02", None, "x", "东门社区", None, None, None, None, None]])
    call_command("import_ledger", str(good), "--dry-run")
    assert "将新建 row=4，number=H-1" in capsys.readouterr().out and Finding.objects.count() == 0
    call_command("import_ledger", str(good))
    assert "新建 1 条" in capsys.readouterr().out and Finding.objects.count() == 1
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_ledger", str(tmp_path / "missing.xlsx"))


CELLS = st.one_of(
    st.none(), st.text(max_size=30), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.dates(), st.datetimes(), st.sampled_from(["3天", "5个工作日", "2026年2月30日", "东门社区", "城管局",
                                                                "-0", "1e400", "NaN", "0.005", " ", "\u3000"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(CELLS, min_size=len(COLUMNS), max_size=len(COLUMNS)))
def test_the_row_parser_turns_any_cell_values_into_a_row_or_row_errors(city, values):
    look = Lookups()
    parsed, errors = parse_row(Row(7, tuple(values), {name: i for i, name in enumerate(COLUMNS)}), look,
                               today=D(2026, 11, 10), create_sites=False)
    assert (parsed is None) == bool(errors)
    assert all(isinstance(e, RowError) and e.row == 7 and e.column in COLUMNS and e.reason for e in errors)


# --- units and the index -----------------------------------------------------------------------


def test_the_unit_roster_imports_a_tree_and_reimports_without_duplicates(tmp_path, city):
    header = ["单位名称", "简称", "单位类型", "上级单位", "排名分组", "文明单位", "获评日期", "党组织主要负责人", "行政主要负责人",
              "联系人", "联系电话"]
    rows = [
        ["南湖社区", "南湖", "社区", "南湖街道", "社区", "是", "2024-05-01", "李四（党委书记）", "王五 主任", "赵六", "0571-1234"],
        ["南湖街道", "南湖街", "街道", "城东区", "街道", "否", None, None, None, None, None],
    ]
    path = workbook_file(tmp_path / "units.xlsx", header, rows, title=False)
    report = import_units(path, actor=city.office)
    assert report.ok and [r["name"] for r in report.created] == ["南湖社区", "南湖街道"]
    community = Unit.objects.get(name="南湖社区")
    assert community.parent.name == "南湖街道" and community.parent.parent == city.east
    assert community.kind == "community" and community.is_civilized and community.civilized_since == D(2024, 5, 1)
    assert (community.party_leader_name, community.party_leader_post) == ("李四", "党委书记")
    assert (community.admin_leader_name, community.admin_leader_post) == ("王五", "主任")
    assert community.ranking_group == RankingGroup.objects.get(name="社区")
    rows[0][9] = "钱七"
    workbook_file(tmp_path / "units.xlsx", header, rows, title=False)
    again = import_units(path, actor=city.office)
    assert again.created == [] and len(again.updated) == 2
    assert Unit.objects.filter(name="南湖社区").count() == 1 and Unit.objects.get(name="南湖社区").contact_name == "钱七"


def test_a_street_moved_to_another_district_takes_its_findings_into_that_districts_ledger(tmp_path, city, client):
    """Findings are read by their lead unit's top unit (a district's ledger by one key): a roster that moves
    a street keeps that key true, and so does a transfer to a unit in another district."""
    from issues.core import access
    from issues.core.access import Role
    from issues.findings import services as svc
    from tests.conftest import make_user

    moved, _ = city.assigned(description="东门社区的问题", unit=city.dongmen_sq)
    stays, _ = city.assigned(description="西湖社区的问题", unit=city.xihu_sq)
    assert Finding.objects.get(pk=moved.pk).lead_top == city.east
    client.force_login(city.office)
    assert "东门社区的问题" in client.get("/findings/", {"unit": city.east.pk}).content.decode()

    path = workbook_file(tmp_path / "units.xlsx", ["单位名称", "单位类型", "上级单位"],
                         [["东门街道", "街道", "城西区"]], title=False)
    assert import_units(path, actor=city.office).ok
    assert Finding.objects.get(pk=moved.pk).lead_top == city.west
    east = client.get("/findings/", {"unit": city.east.pk}).content.decode()
    west = client.get("/findings/", {"unit": city.west.pk}).content.decode()
    assert "东门社区的问题" not in east and "东门社区的问题" in west and "西湖社区的问题" in west
    west_liaison = make_user("west", Role.UNIT_LIAISON, city.west)  # 城西区's liaison sees it now
    assert access.findings_for(west_liaison).filter(pk=moved.pk).exists()

    transfer = svc.request_transfer(actor=city.outsider, finding_id=stays.pk, reason="属市城管局职责",
                                    to_unit=city.chengguan)
    svc.decide_transfer(actor=city.office, transfer_id=transfer.pk, approve=True)
    assert Finding.objects.get(pk=stays.pk).lead_top == city.chengguan
    assert aggregates.differences() == []


def test_the_unit_roster_refuses_unknown_parents_cycles_and_kinds(tmp_path, city):
    header = ["单位名称", "单位类型", "上级单位"]
    path = workbook_file(tmp_path / "units.xlsx", header, [["甲", "社区", "乙"], ["乙", "街道", "甲"],
                                                          ["丙", "村委", None], ["丁", "社区", "不存在"]], title=False)
    report = import_units(path, actor=city.office)
    assert {(e.row, e.column) for e in report.errors} == {(2, "上级单位"), (3, "上级单位"), (4, "单位类型"), (5, "上级单位")}
    assert not Unit.objects.filter(name__in=["甲", "乙"]).exists()


def test_a_real_office_starts_from_its_own_roster_index_and_list_without_the_demo(tmp_path, db):
    """DOMAIN.md, Corrections: migrate, then the roster, the index (its first system named after the
    file) and a problem list whose sites are new and typed by everyday names."""
    from issues.core.access import Role
    from issues.field.services import checklist
    from issues.models import IndexSystem, SiteType
    from tests.conftest import make_user

    office = make_user("clerk", Role.OFFICE)
    market = Site.objects.create(name="城东菜市场（老）", site_type=SiteType.objects.get(code="PT-24"))
    lane = Site.objects.create(name="朝阳巷", site_type=SiteType.objects.get(code="PT-20"))
    # before any index: the reference checklists installed by migrate
    assert [i.code for i in checklist(market)] == [f"NM-{n:02d}" for n in range(1, 13)]
    assert {i.system.name for i in checklist(market) + checklist(lane)} == {"点位检查参考标准"}
    assert "Y15-05" in {i.code for i in checklist(lane)}
    roster = workbook_file(tmp_path / "名册.xlsx", ["单位名称", "单位类型", "上级单位"],
                           [["城东区", "区县", None], ["东门街道", "街道", "城东区"], ["东门社区", "社区", "东门街道"]],
                           title=False)
    assert import_units(roster, actor=office).ok
    index = workbook_file(tmp_path / "2021年版测评体系.xlsx",
                          ["指标编码", "测评项目", "测评内容", "测评标准", "适用点位类型", "牵头单位"],
                          [["NM-08", "公共环境", "环境卫生", "无暴露垃圾", "农贸市场、小区", "东门街道"]])
    report = import_index(index, actor=office)
    assert report.ok and "已按文件名新建“2021年版测评体系”" in report.notes[0]
    system = IndexSystem.objects.get(is_reference=False)
    assert (system.name, system.year, system.is_current) == ("2021年版测评体系", 2021, True)
    assert set(system.items.get(code="NM-08").site_types.values_list("code", flat=True)) == {"PT-24", "PT-25"}
    # the office's index decides a market's checklist; a lane, which it does not cover, keeps the reference
    assert [(i.system, i.code) for i in checklist(market)] == [(system, "NM-08")]
    assert {i.system.is_reference for i in checklist(lane)} == {True}
    problems = ledger_file(tmp_path, [["G-1", "2026-11-02", "城东菜市场", "垃圾未清运", "东门社区", None, None, None,
                                       None, "农贸市场", "NM-08"]],
                           header=("问题编号", "发现日期", "点位名称", "问题描述", "责任单位", "配合单位", "扣分",
                                   "整改时限", "督查批次", "点位类型", "测评指标编码"))
    report = import_ledger(problems, actor=office, create_sites=True)
    assert report.ok, report.errors
    finding = Finding.objects.get()
    assert finding.site.site_type.code == "PT-24" and finding.index_item.code == "NM-08"
    assert finding.lead_top.name == "城东区"


def test_the_index_and_its_responsibility_matrix_import_and_reimport(tmp_path, city):
    header = ["指标编码", "测评项目", "测评内容", "测评标准", "分值", "关键项目", "适用点位类型", "牵头单位", "配合单位", "责任领导"]
    rows = [["NM-08", "公共环境", "环境卫生（改）", "无垃圾", 2, "是", "PT-24", "城管局", "市公安局", "张副市长"],
            ["NM-20", "公共秩序", "交通秩序", None, 1.5, "否", "集贸市场/农贸市场", "市公安局", None, None]]
    path = workbook_file(tmp_path / "index.xlsx", header, rows)
    report = import_index(path, actor=city.office)
    assert report.ok and [r["code"] for r in report.updated] == ["NM-08"] and [r["code"] for r in report.created] == ["NM-20"]
    item = IndexItem.objects.get(system=city.item.system, code="NM-08")
    assert item.name == "环境卫生（改）" and item.is_key and item.points == Decimal("2")
    assert list(item.site_types.all()) == [city.market_type]
    resp = Responsibility.objects.get(item=item)
    assert resp.lead_unit == city.chengguan and list(resp.co_units.all()) == [city.gongan]
    assert resp.responsible_leader == "张副市长"
    assert IndexItem.objects.get(system=city.item.system, code="NM-20").category.name == "公共秩序"
    assert import_index(path, actor=city.office).created == []
    assert IndexItem.objects.filter(system=city.item.system, code__in=["NM-08", "NM-20"]).count() == 2


def test_the_browser_upload_shows_the_errors_in_chinese_and_a_good_file_lands(client, tmp_path, city):
    client.force_login(city.office)
    bad = ledger_file(tmp_path, [["I-1", "2026-11-02", None, "x", "火星社区", None, None, None, None, None]], name="bad.xlsx")
    with bad.open("rb") as handle:
        page = client.post("/imports/ledger/", {"file": handle}).content.decode()
    assert "有 1 处错误，一行也没有导入" in page and "火星社区" in page and "没有这个单位" in page
    good = ledger_file(tmp_path, [["I-1", "2026-11-02", None, "x", "东门社区", None, None, None, None, None]])
    with good.open("rb") as handle:
        page = client.post("/imports/ledger/", {"file": handle}).content.decode()
    assert "已导入 1 条" in page and Finding.objects.filter(number="I-1").exists()
    with (tmp_path / "x.txt").open("w") as handle:
        handle.write("hello")
    with (tmp_path / "x.txt").open("rb") as handle:
        response = client.post("/imports/ledger/", {"file": handle}, follow=True)
    assert "这不是 Excel（.xlsx）文件" in response.content.decode()
    client.force_login(city.dongmen_liaison)
    with good.open("rb") as handle:
        assert client.post("/imports/ledger/", {"file": handle}).status_code == 403


def test_a_large_list_runs_as_a_job_with_progress(client, tmp_path, city, settings,
                                                  django_capture_on_commit_callbacks):
    settings.IMPORT_ASYNC_ROWS = 5
    rows = [[f"J-{i}", "2026-11-02", None, f"问题{i}", "东门社区", None, None, None, None, None] for i in range(12)]
    path = ledger_file(tmp_path, rows)
    client.force_login(city.office)
    with django_capture_on_commit_callbacks(execute=True), path.open("rb") as handle:
        response = client.post("/imports/ledger/", {"file": handle})
    assert response.status_code == 302 and "/jobs/" in response["Location"]
    status = client.get(response["Location"] + "status/").json()  # Celery runs eagerly in these tests
    assert status["finished"] and status["status"] == "done" and status["percent"] == 100
    assert Finding.objects.filter(number__startswith="J-").count() == 12
    page = client.get(response["Location"]).content.decode()
    assert "已导入 12 条" in page
    client.force_login(city.leader)
    assert client.get(response["Location"]).status_code == 404  # another user's job


def test_a_running_job_shows_how_far_it_is_while_its_import_writes_in_a_transaction(client, tmp_path, city,
                                                                                   settings):
    """The importer writes inside one transaction, so its progress goes beside the database, where
    the page polling the job reads it at once; finishing the job clears it."""
    from issues.excel import jobs as excel_jobs
    from issues.models import ExcelJob

    settings.MEDIA_ROOT = tmp_path
    path = ledger_file(tmp_path, _many_rows(1100))
    job = ExcelJob.objects.create(kind=ExcelJob.Kind.IMPORT_LEDGER, created_by=city.office, filename="list.xlsx",
                                  source=excel_jobs.relative(path), total=1100)
    seen = []
    report = excel_jobs._progress(job)

    def watched(done, total):
        report(done, total)
        seen.append(client.get(f"/jobs/{job.pk}/status/").json())

    client.force_login(city.office)
    ExcelJob.objects.filter(pk=job.pk).update(status=ExcelJob.Status.RUNNING)
    import_ledger(path, actor=city.office, progress=watched)
    assert [(s["done"], s["percent"], s["status"]) for s in seen] == [(500, 45, "running"), (1000, 90, "running")]
    assert excel_jobs.progress_path(job.pk).exists()
    ExcelJob.objects.filter(pk=job.pk).update(status=ExcelJob.Status.QUEUED)
    finished = excel_jobs.run(job.pk)
    assert finished.status == "done" and finished.percent == 100 and not excel_jobs.progress_path(job.pk).exists()


def test_the_template_has_the_headers_an_example_and_drop_down_lists(client, city):
    client.force_login(city.office)
    response = client.get("/imports/template.xlsx")
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb["交办问题清单"]
    headers = [c.value for c in ws[3]]
    assert [h.rstrip("*") for h in headers] == list(COLUMNS) and "问题描述*" in headers
    validations = {str(dv.sqref).split(":")[0][0:2].rstrip("0123456789"): dv.formula1 for dv in ws.data_validations.dataValidation}
    letters = {name: openpyxl.utils.get_column_letter(COLUMNS.index(name) + 1) for name in ("问题来源", "点位类型", "责任单位")}
    assert set(letters.values()) <= set(validations)
    units = [c.value for c in wb["选项"]["C"][1:]]
    assert "东门社区" in units and wb["选项"].sheet_state == "hidden"
    assert InspectionRound.objects.count() == 0

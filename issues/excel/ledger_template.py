"""The downloadable 交办问题清单 template: the contract's headers, an example row, and drop-down
lists for 问题来源, 点位类型 and 责任单位 (kept on a hidden sheet, so long lists work)."""

from __future__ import annotations

from pathlib import Path

from django.utils import timezone

from issues.excel.ledger_import import COLUMNS
from issues.models import RoundSource, SiteType, Unit

REQUIRED = {"问题描述", "责任单位"}
WIDTHS = {"序号": 6, "问题编号": 16, "问题来源": 18, "督查批次": 18, "发现日期": 12, "点位名称": 20, "点位类型": 18,
          "具体地址": 24, "问题描述": 40, "测评指标编码": 12, "测评指标": 20, "责任单位": 20, "配合单位": 20, "扣分": 7,
          "整改时限": 12, "整改要求": 24, "备注": 20}


def write_template(path: Path | str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "交办问题清单"
    last = get_column_letter(len(COLUMNS))
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"] = "交办问题清单"
    sheet["A1"].font = Font(size=16, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.merge_cells(f"A2:{last}2")
    sheet["A2"] = ("说明：带 * 的列必填。发现日期可写 2026-12-05、2026/12/05、2026年12月5日 等；整改时限可写日期，"
                   "或“3天”（自然日）、“5个工作日”（按法定工作日），从发现日期起算；不填按问题严重程度的默认期限。"
                   "责任单位、配合单位写全称或已登记的简称，配合单位多个用“、”分隔。")
    sheet["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[2].height = 48
    headers = [f"{name}*" if name in REQUIRED else name for name in COLUMNS]
    sheet.append(headers)
    for index, name in enumerate(COLUMNS, 1):
        cell = sheet.cell(row=3, column=index)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFF2CC" if name in REQUIRED else "EDEDED")
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(name, 14)
    units = list(Unit.objects.filter(is_active=True).order_by("kind", "name").values_list("name", flat=True))
    site_types = list(SiteType.objects.order_by("order", "code").values_list("name", flat=True))
    today = timezone.localdate()
    example = {
        "序号": 1, "问题编号": "", "问题来源": RoundSource.DAILY.value, "督查批次": f"{today.month}月第一批交办问题",
        "发现日期": today, "点位名称": "", "点位类型": site_types[0] if site_types else "", "具体地址": "",
        "问题描述": "（示例，导入前请删除本行）农贸市场内垃圾未及时清运", "测评指标编码": "", "测评指标": "",
        "责任单位": units[0] if units else "", "配合单位": "", "扣分": 0.5, "整改时限": "5个工作日", "整改要求": "立即整改",
        "备注": "",
    }
    sheet.append([example[name] for name in COLUMNS])
    sheet.cell(row=4, column=COLUMNS.index("发现日期") + 1).number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A4"

    lists = workbook.create_sheet("选项")
    lists.sheet_state = "hidden"
    columns = {"问题来源": [s.value for s in RoundSource], "点位类型": site_types, "责任单位": units}
    for index, (name, values) in enumerate(columns.items(), 1):
        letter = get_column_letter(index)
        lists.cell(row=1, column=index, value=name)
        for row, value in enumerate(values, 2):
            lists.cell(row=row, column=index, value=value)
        if not values:
            continue
        target = get_column_letter(COLUMNS.index(name) + 1)
        # 问题来源 also takes sources not in the list ("unknown text is kept as given"): warn, do not stop
        strict = name != "问题来源"
        validation = DataValidation(type="list", formula1=f"=选项!${letter}$2:${letter}${len(values) + 1}",
                                    allow_blank=True, showErrorMessage=True,
                                    errorStyle="stop" if strict else "warning",
                                    errorTitle=name, error=f"请从下拉列表中选择{name}")
        validation.add(f"{target}4:{target}5000")
        sheet.add_data_validation(validation)
    workbook.save(path)

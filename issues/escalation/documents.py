"""Official documents for sanctions, as Word files: a circular (通报) and an interview notice
(约谈通知书), laid out like a government document: title, number, addressee, body, issuing
office and date. Fonts follow the usual practice (title in 小标宋, body in 仿宋, 三号); Word
and LibreOffice fall back to a Song face where those are missing.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from issues.models import Finding, FindingStatus, InspectionRound, Policy, Sanction, SanctionAction

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
RED = RGBColor(0xC8, 0x10, 0x1E)


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _run(paragraph, text: str, *, font: str = BODY_FONT, size: float = 16, bold: bool = False):
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = font
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    return run


def _paragraph(doc, text: str = "", *, align=None, indent: bool = False, font: str = BODY_FONT, size: float = 16,
               bold: bool = False, space_after: float = 0):
    paragraph = doc.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.line_spacing = Pt(28)
    fmt.space_after = Pt(space_after)
    if align is not None:
        paragraph.alignment = align
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if text:
        _run(paragraph, text, font=font, size=size, bold=bold)
    return paragraph


def _new_document():
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    return doc


def _head(doc, *, policy: Policy, title: str, number: str) -> None:
    masthead = _paragraph(doc, policy.office_name, align=WD_ALIGN_PARAGRAPH.CENTER, font=TITLE_FONT, size=26,
                          space_after=12)
    for run in masthead.runs:
        run.font.color.rgb = RED  # the red masthead (红头) of an official document
    _paragraph(doc, number, align=WD_ALIGN_PARAGRAPH.CENTER, size=16, space_after=12)
    _paragraph(doc, title, align=WD_ALIGN_PARAGRAPH.CENTER, font=TITLE_FONT, size=22, space_after=18)


def _sign(doc, *, policy: Policy, day: dt.date) -> None:
    _paragraph(doc)
    _paragraph(doc, policy.office_name, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(doc, chinese_date(day), align=WD_ALIGN_PARAGRAPH.RIGHT)


def _bytes(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def circular_number(policy: Policy, first: dt.date, last: dt.date) -> str:
    span = f"{first:%m%d}" if first == last else f"{first:%m%d}-{last:%m%d}"
    return f"{policy.document_prefix}通〔{last.year}〕{span}号"


def circular_document(sanctions: Sequence[Sanction]) -> bytes:
    """One circular criticising every unit in `sanctions` (the circulars of one night or a period)."""
    if not sanctions:
        raise ValueError("a circular needs at least one sanction")
    policy = Policy.current()
    days = sorted(s.decided_on for s in sanctions)
    doc = _new_document()
    _head(doc, policy=policy, title="关于对创文问题整改不力单位的通报",
          number=circular_number(policy, days[0], days[-1]))
    _paragraph(doc, "各区县、市直各部门：")
    _paragraph(doc, (
        f"根据全国文明城市创建问题整改工作要求，{chinese_date(days[0])}"
        + (f"至{chinese_date(days[-1])}" if days[0] != days[-1] else "")
        + f"，经逐项复核，以下{len({s.unit_id for s in sanctions})}个单位"
        + ("交办问题或申报材料两次以上未按期整改、报送或未达到要求，" if any(s.requirement_id for s in sanctions)
           else "交办问题两次以上未按期整改或未达到整改要求，")
        + "影响全市创建工作进度。为严明纪律、压实责任，经研究，决定对以下单位予以全市通报批评："
    ), indent=True)
    for number, sanction in enumerate(sanctions, 1):
        _paragraph(doc, f"{number}. {sanction.unit.name}：{sanction.reason}。", indent=True)
    _paragraph(doc, (
        "被通报单位要深刻反思，主要负责同志要亲自研究、亲自部署，立即对照问题清单逐项整改，"
        "于3个工作日内将整改情况书面报送市创文办。对再次未按期整改的，将按规定约谈单位党政主要负责人。"
    ), indent=True)
    _sign(doc, policy=policy, day=days[-1])
    return _bytes(doc)


def interview_document(sanction: Sanction) -> bytes:
    """An interview notice to the unit's party and government principal leaders."""
    if sanction.action != SanctionAction.INTERVIEW:
        raise ValueError("an interview notice is for an interview sanction")
    policy = Policy.current()
    unit = sanction.unit
    leaders = []
    if unit.party_leader_name:
        leaders.append(f"{unit.party_leader_name}（{unit.party_leader_post or '党组织主要负责人'}）")
    if unit.admin_leader_name and unit.admin_leader_name != unit.party_leader_name:
        leaders.append(f"{unit.admin_leader_name}（{unit.admin_leader_post or '行政主要负责人'}）")
    addressee = "、".join(leaders) + "同志：" if leaders else f"{unit.name}党政主要负责同志："
    doc = _new_document()
    _head(doc, policy=policy, title="约谈通知书",
          number=f"{policy.document_prefix}约〔{sanction.decided_on.year}〕{sanction.pk}号")
    _paragraph(doc, addressee)
    _paragraph(doc, (
        f"经核查，{unit.name}{sanction.reason}。根据全国文明城市创建问责有关规定，"
        + ("材料报送三次未达到要求的" if sanction.requirement_id else "整改通知三次未达到整改要求的")
        + "，约谈单位党政主要负责人。"
    ), indent=True)
    _paragraph(doc, "请你们于____年__月__日__时到________（地点）接受约谈，并书面说明以下情况：", indent=True)
    for number, item in enumerate(["问题未按期整改的原因；", "已采取的整改措施和目前进展；",
                                   "下一步整改计划、完成时限和长效管理措施。"], 1):
        _paragraph(doc, f"{number}. {item}", indent=True)
    _paragraph(doc, "约谈情况将记入单位创建工作考核档案。", indent=True)
    _sign(doc, policy=policy, day=sanction.decided_on)
    return _bytes(doc)


def round_circular(inspection_round: InspectionRound) -> bytes:
    """The circular of a covert round (暗访情况通报): what was found, unit by unit, with the deadlines."""
    policy = Policy.current()
    findings = list(
        Finding.objects.filter(inspection_round=inspection_round).exclude(status=FindingStatus.VOID)
        .select_related("lead_unit", "site", "index_item").order_by("lead_unit__name", "pk")
    )
    if not findings:
        raise ValueError("a round's circular needs at least one finding")
    day = timezone.localdate(inspection_round.published_at) if inspection_round.published_at else inspection_round.held_on
    doc = _new_document()
    _head(doc, policy=policy, title=f"关于{inspection_round.name}发现问题的通报",
          number=f"{policy.document_prefix}通〔{day.year}〕{day:%m%d}-{inspection_round.pk}号")
    _paragraph(doc, "各区县、市直各部门：")
    units = {f.lead_unit_id for f in findings}
    _paragraph(doc, (
        f"{chinese_date(inspection_round.held_on)}，{inspection_round.source}对我市创建点位进行了暗访，"
        f"共发现问题{len(findings)}个，涉及{len(units)}个责任单位。现将有关情况通报如下："
    ), indent=True)
    current = None
    number = 0
    for finding in findings:
        if finding.lead_unit_id != current:
            current = finding.lead_unit_id
            _paragraph(doc, f"{finding.lead_unit.name}：", bold=True)
        number += 1
        where = finding.site.name if finding.site else finding.address
        deadline = f"（整改时限 {finding.deadline.isoformat()}）" if finding.deadline else ""
        _paragraph(doc, f"{number}. {where + '：' if where else ''}{finding.description}{deadline}", indent=True)
    _paragraph(doc, (
        "各责任单位要立即签收、逐项整改，按期将整改情况和整改后照片报送市创文办。"
        "市创文办将逐项复核销号，对未按期整改的按规定通报、约谈。"
    ), indent=True)
    _sign(doc, policy=policy, day=day)
    return _bytes(doc)

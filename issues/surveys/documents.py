"""A survey link's poster sheet (Word): the survey's name, whom it asks, the QR code drawn here and the
address under it, to print and put up in a community, a school or a shop."""

from __future__ import annotations

import io

import segno

from issues.escalation import documents
from issues.models import Policy, SurveyLink


def poster(link: SurveyLink, url: str, out) -> None:
    """Write the poster of `link` (answering at `url`) to the binary file `out`."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    survey = link.survey
    doc = documents._new_document()
    documents._paragraph(doc, survey.name, align=WD_ALIGN_PARAGRAPH.CENTER, font=documents.TITLE_FONT, size=26,
                         space_after=12)
    whom = f"（{link.version.group}）" if link.version else ""
    documents._paragraph(doc, f"扫码参与问卷调查{whom}", align=WD_ALIGN_PARAGRAPH.CENTER, size=18, space_after=12)
    image = io.BytesIO()
    segno.make(url, error="m").save(image, kind="png", scale=10, border=2)
    image.seek(0)
    doc.add_picture(image, width=Cm(11))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    documents._paragraph(doc, url, align=WD_ALIGN_PARAGRAPH.CENTER, size=12)
    documents._paragraph(doc, (f"作答时间：{documents.chinese_date(survey.starts_on)}至"
                               f"{documents.chinese_date(survey.ends_on)}。问卷不记录姓名、电话等个人信息，"
                               "每台手机只需作答一次，约需三分钟。"), indent=True, size=14)
    documents._paragraph(doc, Policy.current().office_name, align=WD_ALIGN_PARAGRAPH.RIGHT, size=14)
    out.write(documents._bytes(doc))

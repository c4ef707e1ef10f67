"""What a material file is, decided by its first bytes and never by its name: PDF, Word, Excel, JPEG,
PNG or HEIC. The uploaded name is kept for display; the file is stored under a generated one."""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from issues.core.exceptions import LedgerError

ACCEPTED = _("PDF、Word、Excel、JPEG、PNG 或 HEIC")


@dataclass
class Checked:
    name: str  # as uploaded, for display
    data: bytes
    content_type: str
    extension: str


def _office_zip(data: bytes) -> tuple[str, str] | None:
    """A .docx or .xlsx is a zip whose parts say which it is."""
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "word/document.xml" in names:
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"
    if "xl/workbook.xml" in names:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"
    return None


def kind_of(name: str, data: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the content, or None for anything not accepted."""
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return "application/pdf", ".pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"heif", b"mif1", b"msf1", b"hevc"):
        return "image/heic", ".heic"
    if head.startswith(b"PK\x03\x04"):
        return _office_zip(data)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # Word 97 and Excel 97 share one container; the name tells which of the two it is
        lower = name.lower()
        if lower.endswith(".xls"):
            return "application/vnd.ms-excel", ".xls"
        if lower.endswith(".doc"):
            return "application/msword", ".doc"
    return None


def check(uploads) -> list[Checked]:
    """Every upload checked before anything is stored, so one bad file keeps nothing."""
    files = list(uploads)
    if not files:
        raise LedgerError(_("请选择要上传的文件。"), field="files")
    if len(files) > settings.MATERIAL_MAX_FILES:
        raise LedgerError(_("一次最多上传 {n} 个文件。").format(n=settings.MATERIAL_MAX_FILES), field="files")
    checked = []
    for upload in files:
        if isinstance(upload, tuple):
            name, data = upload
        else:
            name = upload.name or "file"
            if upload.size > settings.MATERIAL_MAX_BYTES:
                data = b""
            else:
                upload.seek(0)
                data = upload.read()
        size = len(data) if isinstance(upload, tuple) else upload.size
        if size > settings.MATERIAL_MAX_BYTES:
            raise LedgerError(_("“{name}”有 {size}，超过 {limit} 的上限。").format(
                name=name, size=filesizeformat(size), limit=filesizeformat(settings.MATERIAL_MAX_BYTES)), field="files")
        if not data:
            raise LedgerError(_("“{name}”是空文件。").format(name=name), field="files")
        kind = kind_of(name, data)
        if kind is None:
            raise LedgerError(_("“{name}”不是可接受的文件：请上传 {accepted} 文件（按文件内容判断，不看扩展名）。").format(
                name=name, accepted=ACCEPTED), field="files")
        checked.append(Checked(name=name.rsplit("/", 1)[-1][:200], data=data, content_type=kind[0], extension=kind[1]))
    return checked


def stored_name(checked: Checked) -> str:
    return f"{uuid.uuid4().hex}{checked.extension}"

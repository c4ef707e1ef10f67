"""Storing photos of findings and fixes, as uploaded, with their hash."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from ..exceptions import LedgerError
from ..models import Finding, Photo, PhotoKind, Submission

MAX_PIXELS = 40_000_000  # a 40-megapixel photo is larger than any phone takes


def _read(upload) -> tuple[str, bytes]:
    """Accepts Django's UploadedFile, or a (name, bytes) pair from imports and the demo."""
    if isinstance(upload, tuple):
        return upload[0], upload[1]
    upload.seek(0)
    return getattr(upload, "name", "photo.jpg"), upload.read()


def check_image(name: str, data: bytes) -> None:
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise LedgerError(_("照片“%(name)s”像素过多（%(w)d×%(h)d），请压缩后再上传。") % {
                    "name": name, "w": width, "h": height})
            img.verify()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise LedgerError(_("“%(name)s”不是可识别的图片文件。") % {"name": name}) from None


def attach_photos(
    *,
    finding: Finding,
    uploads: Iterable,
    kind: str,
    actor=None,
    submission: Submission | None = None,
) -> list[Photo]:
    """Validate and store photos; called inside the service transaction that owns them."""
    photos = []
    for upload in uploads:
        name, data = _read(upload)
        check_image(name, data)
        photo = Photo(
            finding=finding,
            submission=submission if kind == PhotoKind.AFTER else None,
            kind=kind,
            sha256=hashlib.sha256(data).hexdigest(),
            original_name=name[:200],
            uploaded_by=actor if getattr(actor, "pk", None) else None,
        )
        photo.image.save(name.rsplit("/", 1)[-1] or "photo.jpg", ContentFile(data), save=False)
        photo.save()
        photos.append(photo)
    return photos

"""Photos of findings and fixes: kept as uploaded (bytes and SHA-256), with a display copy
and a thumbnail made from them.

JPEG, PNG, WebP and HEIC/HEIF (iPhones) are accepted; each file is verified by decoding it,
refused past PHOTO_MAX_BYTES or MAX_PIXELS (decompression bombs), and turned upright by its
EXIF orientation for display. The files are served only through issues.views.photos.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable

import pillow_heif
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from ..exceptions import LedgerError
from ..models import Finding, Photo, PhotoKind, Submission

pillow_heif.register_heif_opener()

MAX_PIXELS = 60_000_000  # a 50-megapixel phone photo is the largest real one
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heif"}
DISPLAY_EDGE = 1600
THUMB_EDGE = 320


def _read(upload) -> tuple[str, bytes]:
    """Django's UploadedFile, or a (name, bytes) pair from imports and the demo."""
    if isinstance(upload, tuple):
        return upload[0], upload[1]
    upload.seek(0)
    return getattr(upload, "name", None) or "photo.jpg", upload.read()


def decode(name: str, data: bytes) -> tuple[Image.Image, str]:
    """The decoded, upright image and its MIME type; LedgerError naming the file otherwise."""
    limit = settings.PHOTO_MAX_BYTES
    if len(data) > limit:
        raise LedgerError(
            _("照片“%(name)s”有 %(size).1f MB，超过 %(limit).0f MB 的上限。")
            % {"name": name, "size": len(data) / 1048576, "limit": limit / 1048576}
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
            if fmt not in ACCEPTED_FORMATS:
                raise LedgerError(
                    _("“%(name)s”的格式 %(fmt)s 不支持，请上传 JPEG、PNG、WebP 或 HEIC 照片。") % {"name": name, "fmt": fmt}
                )
            if width * height > MAX_PIXELS:
                raise LedgerError(_("照片“%(name)s”像素过多（%(w)d×%(h)d），请压缩后再上传。") % {
                    "name": name, "w": width, "h": height})
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise LedgerError(_("“%(name)s”不是可识别的图片文件。") % {"name": name}) from None
    return ImageOps.exif_transpose(image), ACCEPTED_FORMATS[fmt]


def _jpeg(image: Image.Image, edge: int) -> bytes:
    copy = image.convert("RGB")
    copy.thumbnail((edge, edge))
    buf = io.BytesIO()
    copy.save(buf, "JPEG", quality=82, optimize=True)
    return buf.getvalue()


def check_uploads(uploads: Iterable) -> list[tuple[str, bytes, Image.Image, str]]:
    """Decode every upload before anything is written, so one bad file keeps nothing."""
    files = list(uploads)
    if len(files) > settings.PHOTO_MAX_FILES:
        raise LedgerError(_("一次最多上传 %(n)d 张照片。") % {"n": settings.PHOTO_MAX_FILES})
    checked = []
    for upload in files:
        name, data = _read(upload)
        image, mime = decode(name, data)
        checked.append((name, data, image, mime))
    return checked


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
    for name, data, image, mime in check_uploads(uploads):
        stem = (name.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "photo")[:60]
        photo = Photo(
            finding=finding,
            submission=submission if kind == PhotoKind.AFTER else None,
            kind=kind,
            sha256=hashlib.sha256(data).hexdigest(),
            original_name=name[:200],
            content_type=mime,
            width=image.width,
            height=image.height,
            size_bytes=len(data),
            uploaded_by=actor if getattr(actor, "pk", None) else None,
        )
        photo.image.save(name.rsplit("/", 1)[-1] or "photo.jpg", ContentFile(data), save=False)
        photo.display.save(f"{stem}.jpg", ContentFile(_jpeg(image, DISPLAY_EDGE)), save=False)
        photo.thumbnail.save(f"{stem}.jpg", ContentFile(_jpeg(image, THUMB_EDGE)), save=False)
        photo.save()
        photos.append(photo)
    return photos

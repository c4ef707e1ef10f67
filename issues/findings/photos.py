"""Photos of findings and fixes: kept as uploaded (bytes and SHA-256), with a display copy
and a thumbnail made from them.

JPEG, PNG, WebP and HEIC/HEIF (iPhones) are accepted; each file is verified by decoding it,
refused past PHOTO_MAX_BYTES or MAX_PIXELS (decompression bombs), and turned upright by its
EXIF orientation for display. The files are served only through issues.views.photos.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

import pillow_heif
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from issues.core.exceptions import PhotoRejected
from issues.models import Finding, Photo, PhotoKind, Submission

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


Facts = tuple[dt.datetime | None, Decimal | None, Decimal | None]  # taken at, latitude, longitude


def decode(name: str, data: bytes) -> tuple[Image.Image, str, Facts]:
    """The decoded, upright image, its MIME type and its EXIF facts; LedgerError naming the file otherwise."""
    limit = settings.PHOTO_MAX_BYTES
    if len(data) > limit:
        raise PhotoRejected(
            _("照片“%(name)s”有 %(size).1f MB，超过 %(limit).0f MB 的上限。")
            % {"name": name, "size": len(data) / 1048576, "limit": limit / 1048576}
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
            if fmt not in ACCEPTED_FORMATS:
                raise PhotoRejected(
                    _("“%(name)s”的格式 %(fmt)s 不支持，请上传 JPEG、PNG、WebP 或 HEIC 照片。") % {"name": name, "fmt": fmt}
                )
            if width * height > MAX_PIXELS:
                raise PhotoRejected(_("照片“%(name)s”像素过多（%(w)d×%(h)d），请压缩后再上传。") % {
                    "name": name, "w": width, "h": height})
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoRejected(_("“%(name)s”不是可识别的图片文件。") % {"name": name}) from None
    return ImageOps.exif_transpose(image), ACCEPTED_FORMATS[fmt], exif_facts(image)


# --- what the camera says: EXIF time and place ---------------------------------------------------

_EXIF_TIME_FORMATS = ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y:%m:%d %H:%M")


def _exif_time(value, offset) -> dt.datetime | None:
    """EXIF's local 'YYYY:MM:DD HH:MM:SS', in its OffsetTime when written, else in the site's time zone."""
    if not isinstance(value, str):
        return None
    text = value.strip().rstrip("\x00")
    for fmt in _EXIF_TIME_FORMATS:
        try:
            naive = dt.datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    else:
        return None
    offset = offset.strip() if isinstance(offset, str) else ""
    if len(offset) == 6 and offset[0] in "+-":
        sign = 1 if offset[0] == "+" else -1
        try:
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            return naive.replace(tzinfo=dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes)))
        except ValueError:
            pass
    return timezone.make_aware(naive)


def _gps_degrees(parts, ref) -> Decimal | None:
    """(degrees, minutes, seconds) rationals and N/S/E/W to signed decimal degrees, 6 places."""
    try:
        degrees, minutes, seconds = (float(part) for part in parts)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = degrees + minutes / 60 + seconds / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    if str(ref).strip().upper() in ("S", "W"):
        value = -value
    if value != value or abs(value) > 180:  # NaN or nonsense
        return None
    return Decimal(str(value)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def exif_facts(image: Image.Image) -> Facts:
    """When and where the photo was taken, by its EXIF: (taken_at, latitude, longitude), None where absent."""
    try:
        exif = image.getexif()
        details = exif.get_ifd(ExifTags.IFD.Exif)
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:  # noqa: BLE001 - a photo with broken EXIF is still a photo
        return None, None, None
    taken = _exif_time(details.get(ExifTags.Base.DateTimeOriginal), details.get(ExifTags.Base.OffsetTimeOriginal))
    if taken is None:
        taken = _exif_time(exif.get(ExifTags.Base.DateTime), details.get(ExifTags.Base.OffsetTime))
    lat = lon = None
    if gps:
        lat = _gps_degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef))
        lon = _gps_degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef))
        if lat is None or lon is None or abs(lat) > 90 or (lat == 0 and lon == 0):  # 0, 0: no fix
            lat = lon = None
    return taken, lat, lon


def flag_after_photos(finding, after_photos, before_photos) -> None:
    """Set `.warnings` on each after-photo: what the reviewer should look at before crossing the item off.

    An after-photo that is byte for byte a before-photo shows no fix; one taken (by its EXIF) before the
    finding was found cannot show the fix either.
    """
    before_hashes = {p.sha256 for p in before_photos}
    for photo in after_photos:
        warnings = []
        if photo.sha256 in before_hashes:
            warnings.append(_("与整改前照片是同一个文件"))
        if photo.taken_at is not None:
            taken_on = timezone.localtime(photo.taken_at).date()
            if taken_on < finding.found_on:
                warnings.append(_("拍摄于 %(taken)s，早于问题发现日期 %(found)s") % {
                    "taken": taken_on.isoformat(), "found": finding.found_on.isoformat()})
        photo.warnings = warnings


def _jpeg(image: Image.Image, edge: int) -> bytes:
    copy = image.convert("RGB")
    copy.thumbnail((edge, edge))
    buf = io.BytesIO()
    copy.save(buf, "JPEG", quality=82, optimize=True)
    return buf.getvalue()


def check_uploads(uploads: Iterable) -> list[tuple[str, bytes, Image.Image, str, Facts]]:
    """Decode every upload before anything is written, so one bad file keeps nothing."""
    files = list(uploads)
    if len(files) > settings.PHOTO_MAX_FILES:
        raise PhotoRejected(_("一次最多上传 %(n)d 张照片。") % {"n": settings.PHOTO_MAX_FILES})
    checked = []
    for upload in files:
        name, data = _read(upload)
        checked.append((name, data, *decode(name, data)))
    return checked


def keep(photo, name: str, data: bytes, image: Image.Image, mime: str, facts: Facts):
    """Fill a photo row (a finding's Photo or a citizen's ReportPhoto) from one checked upload: the
    file as uploaded, a display copy and a thumbnail, and what its EXIF says; the caller saves it."""
    photo.taken_at, photo.gps_latitude, photo.gps_longitude = facts
    photo.sha256 = hashlib.sha256(data).hexdigest()
    photo.original_name = name[:200]
    photo.content_type = mime
    photo.width, photo.height = image.width, image.height
    photo.size_bytes = len(data)
    stem = (name.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "photo")[:60]
    photo.image.save(name.rsplit("/", 1)[-1] or "photo.jpg", ContentFile(data), save=False)
    photo.display.save(f"{stem}.jpg", ContentFile(_jpeg(image, DISPLAY_EDGE)), save=False)
    photo.thumbnail.save(f"{stem}.jpg", ContentFile(_jpeg(image, THUMB_EDGE)), save=False)
    return photo


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
    for name, data, image, mime, facts in check_uploads(uploads):
        photo = keep(Photo(
            finding=finding,
            submission=submission if kind == PhotoKind.AFTER else None,
            kind=kind,
            uploaded_by=actor if getattr(actor, "pk", None) else None,
        ), name, data, image, mime, facts)
        photo.save()
        photos.append(photo)
    return photos

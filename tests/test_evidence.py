"""Photos as evidence: kept byte for byte, with the camera's time and place shown beside them, and an
after-photo that cannot show a fix flagged to the reviewer."""

import datetime as dt
import hashlib
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from issues.findings import services as svc
from issues.models import Photo, PhotoKind
from tests.conftest import jpeg


def camera_jpeg(colour, taken: str | None = None, offset: str | None = "+08:00", gps=None) -> tuple[str, bytes]:
    """A phone-like JPEG: DateTimeOriginal (local), its offset, and GPS as degrees/minutes/seconds."""
    exif = Image.Exif()
    if taken:
        details = {ExifTags.Base.DateTimeOriginal: taken}
        if offset:
            details[ExifTags.Base.OffsetTimeOriginal] = offset
        exif[ExifTags.IFD.Exif] = details
    if gps:
        (lat_ref, lat), (lon_ref, lon) = gps
        exif[ExifTags.IFD.GPSInfo] = {1: lat_ref, 2: tuple(IFDRational(v) for v in lat),
                                      3: lon_ref, 4: tuple(IFDRational(v) for v in lon)}
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, "JPEG", exif=exif)
    return "IMG_2041.jpg", buf.getvalue()


def test_a_photo_is_kept_as_uploaded_with_its_time_and_place_shown(client, city):
    name, data = camera_jpeg((200, 10, 10), "2026:11:02 09:15:00", gps=(("N", (22, 32, 37.2)), ("E", (114, 3, 30))))
    finding = city.finding(photos=[(name, data)])
    photo = Photo.objects.get(finding=finding)
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    with photo.image.open("rb") as stored:
        assert stored.read() == data  # the original bytes, not a re-encoded copy
    assert photo.taken_at == dt.datetime(2026, 11, 2, 1, 15, tzinfo=dt.UTC)
    assert (photo.gps_latitude, photo.gps_longitude) == (Decimal("22.543667"), Decimal("114.058333"))
    client.force_login(city.office)
    page = client.get(f"/findings/{finding.pk}/").content.decode()
    assert "拍摄于 2026-11-02 09:15" in page and "位置 22.543667, 114.058333" in page
    original = client.get(f"/photos/{photo.pk}/original/")
    assert b"".join(original.streaming_content) == data


def test_a_photo_without_exif_says_so(client, city):
    finding = city.finding(photos=[jpeg()])
    photo = Photo.objects.get(finding=finding)
    assert photo.taken_at is None and photo.gps_latitude is None
    client.force_login(city.office)
    assert "照片未记录拍摄时间" in client.get(f"/findings/{finding.pk}/").content.decode()


def test_a_camera_time_without_offset_is_read_in_the_city_time_zone(city):
    name, data = camera_jpeg((1, 2, 3), "2026:11:05 23:30:00", offset=None)
    finding = city.finding(photos=[(name, data)])
    assert Photo.objects.get(finding=finding).taken_at == dt.datetime(2026, 11, 5, 15, 30, tzinfo=dt.UTC)


def _submit(city, finding, notice, photo):
    return svc.submit_fix(actor=city.dongmen_liaison, notice_id=notice.pk, note="已整改", photos=[photo])


def test_the_reviewer_is_warned_of_an_after_photo_that_is_the_before_photo(client, city):
    before = camera_jpeg((90, 90, 90), "2026:11:02 08:00:00")
    finding, notice = city.assigned(photos=[before])
    _submit(city, finding, notice, before)  # the same file sent back as the fix
    client.force_login(city.office)
    review = client.get("/review/").content.decode()
    assert "照片存疑，请核对" in review and "与整改前照片是同一个文件" in review
    detail = client.get(f"/findings/{finding.pk}/").content.decode()
    assert "与整改前照片是同一个文件" in detail


def test_the_reviewer_is_warned_of_an_after_photo_taken_before_the_finding(client, city):
    finding, notice = city.assigned(photos=[camera_jpeg((90, 90, 90), "2026:11:02 08:00:00")])
    _submit(city, finding, notice, camera_jpeg((10, 200, 10), "2026:10:28 16:40:00"))
    client.force_login(city.office)
    review = client.get("/review/").content.decode()
    assert "拍摄于 2026-10-28，早于问题发现日期 2026-11-02" in review and "照片存疑，请核对" in review


def test_an_honest_after_photo_carries_no_warning(client, city):
    finding, notice = city.assigned(photos=[camera_jpeg((90, 90, 90), "2026:11:02 08:00:00")])
    _submit(city, finding, notice, camera_jpeg((10, 200, 10), "2026:11:04 10:00:00"))
    after = Photo.objects.get(finding=finding, kind=PhotoKind.AFTER)
    assert after.taken_at.date() == dt.date(2026, 11, 4)
    client.force_login(city.office)
    review = client.get("/review/").content.decode()
    assert "照片存疑" not in review and "⚠" not in review
    client.force_login(city.dongmen_liaison)  # the unit sees its own photos' facts too
    assert "拍摄于 2026-11-04 10:00" in client.get(f"/findings/{finding.pk}/").content.decode()


def test_a_photo_with_broken_exif_is_still_accepted(client, city):
    name, data = camera_jpeg((5, 5, 5), "not a date", gps=(("N", (0, 0, 0)), ("E", (0, 0, 0))))
    finding, notice = city.assigned()
    client.force_login(city.dongmen_liaison)
    response = client.post(f"/findings/{finding.pk}/submit/", {
        "note": "已整改", "photos": SimpleUploadedFile(name, data, content_type="image/jpeg")})
    assert response.status_code == 302
    after = Photo.objects.get(finding=finding, kind=PhotoKind.AFTER)
    assert after.taken_at is None and after.gps_latitude is None  # 0°N 0°E is a phone without a fix

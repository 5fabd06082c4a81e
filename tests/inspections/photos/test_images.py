import os
import struct
import zlib
from datetime import UTC, datetime, timedelta, timezone
from io import BytesIO

import pytest
from PIL import ExifTags, Image

from ecogrid.inspections.photos.images import ImageRejected, inspect_image, make_thumbnail, safe_filename

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def noisy_image(width: int, height: int) -> Image.Image:
    # Random pixels do not compress, so the scan data fills most of the file.
    return Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))


def camera_exif(
    *,
    taken: str | None = "2024:05:01 10:30:00",
    offset: str | None = None,
    lat: tuple[str, tuple[float, float, float]] | None = ("N", (31.0, 14.0, 2.5)),
    lon: tuple[str, tuple[float, float, float]] | None = ("E", (121.0, 28.0, 30.0)),
    orientation: int | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"
    exif[0x0110] = "P60 Pro"
    if orientation is not None:
        exif[0x0112] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    if taken is not None:
        sub[0x9003] = taken
    if offset is not None:
        sub[0x9011] = offset
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if lat is not None:
        gps[1], gps[2] = lat
    if lon is not None:
        gps[3], gps[4] = lon
    return exif


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_with_header(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height but which holds only a tiny IDAT."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_type_is_read_from_the_bytes(fmt: str, mime: str) -> None:
    data = encode(Image.new("RGB", (40, 30), "green"), fmt)

    info = inspect_image(data, **LIMITS)

    assert (info.format, info.mime, info.width, info.height) == (fmt, mime, 40, 30)
    assert info.size == len(data)


def test_hash_is_of_the_original_bytes() -> None:
    import hashlib

    data = encode(Image.new("RGB", (10, 10), "blue"), "PNG")

    assert inspect_image(data, **LIMITS).sha256 == hashlib.sha256(data).hexdigest()


def test_text_file_named_jpg_is_refused(tmp_path) -> None:
    path = tmp_path / "site-photo.jpg"
    path.write_text("these are my notes, not a photo\n")

    with pytest.raises(ImageRejected, match="not a picture") as caught:
        inspect_image(path.read_bytes(), **LIMITS)
    assert caught.value.field == "file"


def test_truncated_jpeg_is_refused() -> None:
    data = encode(noisy_image(200, 150), "JPEG", quality=90)

    with pytest.raises(ImageRejected, match="damaged or incomplete"):
        inspect_image(data[: len(data) // 2], **LIMITS)


def test_png_with_a_broken_checksum_is_refused() -> None:
    data = bytearray(encode(noisy_image(30, 30), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 20] ^= 0xFF

    with pytest.raises(ImageRejected, match="damaged or incomplete"):
        inspect_image(bytes(data), **LIMITS)


def test_png_declaring_50000_by_50000_pixels_is_refused() -> None:
    data = png_with_header(50_000, 50_000)
    assert len(data) < 200

    with pytest.raises(ImageRejected, match="pixels"):
        inspect_image(data, **LIMITS)


def test_pixel_limit_is_checked_from_the_header_before_decoding() -> None:
    # The IDAT is far too short for 2000 x 2000; a decode would fail as "damaged" instead.
    data = png_with_header(2000, 2000)

    with pytest.raises(ImageRejected, match="2000 x 2000 pixels, more than the limit of 1,000,000"):
        inspect_image(data, max_bytes=1_000_000, max_pixels=1_000_000)


def test_pillow_decompression_bomb_warning_becomes_a_rejection(monkeypatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    data = encode(Image.new("RGB", (12, 12), "white"), "PNG")  # 144 pixels: Pillow only warns

    with pytest.raises(ImageRejected, match="decompression bomb"):
        inspect_image(data, **LIMITS)


def test_file_over_the_size_limit_is_refused_and_at_the_limit_accepted() -> None:
    data = encode(Image.new("RGB", (20, 20), "white"), "JPEG")

    assert inspect_image(data, max_bytes=len(data), max_pixels=1000).size == len(data)
    with pytest.raises(ImageRejected, match="more than the limit"):
        inspect_image(data, max_bytes=len(data) - 1, max_pixels=1000)


def test_empty_file_is_refused() -> None:
    with pytest.raises(ImageRejected, match="empty"):
        inspect_image(b"", **LIMITS)


def test_other_picture_formats_are_refused() -> None:
    data = encode(Image.new("RGB", (20, 20), "white"), "GIF")

    with pytest.raises(ImageRejected, match="GIF pictures are not accepted"):
        inspect_image(data, **LIMITS)


def test_heic_from_a_phone_is_read_with_its_exif_and_thumbnailed_as_jpeg() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    exif = camera_exif(offset="+08:00")
    data = encode(Image.new("RGB", (64, 48), "gray"), "HEIF", exif=exif.tobytes())
    assert data[4:12] == b"ftypheic"

    info = inspect_image(data, **LIMITS)

    assert info.mime == "image/heic"
    assert (info.width, info.height) == (64, 48)
    assert info.exif_lat is not None and abs(info.exif_lat - (31 + 14 / 60 + 2.5 / 3600)) < 1e-6
    thumb = Image.open(BytesIO(make_thumbnail(data, max_side=32)))
    assert thumb.format == "JPEG" and "exif" not in thumb.info


def test_a_truncated_heic_is_refused() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    data = encode(Image.new("RGB", (64, 48), "gray"), "HEIF")

    with pytest.raises(ImageRejected):
        inspect_image(data[: len(data) // 2], **LIMITS)


def test_exif_time_with_offset_and_gps_are_read_back() -> None:
    exif = camera_exif(offset="+08:00")
    data = encode(Image.new("RGB", (64, 48), "gray"), "JPEG", exif=exif)

    info = inspect_image(data, **LIMITS)

    assert info.exif_taken_at == datetime(2024, 5, 1, 2, 30, tzinfo=UTC)
    assert info.exif_taken_at.utcoffset() == timedelta(hours=8)
    assert info.exif_time_zone_assumed is False
    assert info.exif_lat == pytest.approx(31 + 14 / 60 + 2.5 / 3600, abs=1e-7)
    assert info.exif_lon == pytest.approx(121 + 28 / 60 + 30 / 3600, abs=1e-7)
    assert (info.camera_make, info.camera_model) == ("HUAWEI", "P60 Pro")


def test_exif_time_without_offset_is_read_as_shanghai_time_and_says_so() -> None:
    data = encode(Image.new("RGB", (64, 48), "gray"), "JPEG", exif=camera_exif(offset=None))

    info = inspect_image(data, **LIMITS)

    assert info.exif_taken_at == datetime(2024, 5, 1, 10, 30, tzinfo=timezone(timedelta(hours=8)))
    assert info.exif_time_zone_assumed is True
    assert info.exif_assumed_zone == "Asia/Shanghai"


def test_southern_and_western_references_give_negative_degrees() -> None:
    exif = camera_exif(lat=("S", (33.0, 52.0, 0.0)), lon=("W", (70.0, 30.0, 0.0)))
    data = encode(Image.new("RGB", (16, 16), "gray"), "JPEG", exif=exif)

    info = inspect_image(data, **LIMITS)

    assert info.exif_lat == pytest.approx(-(33 + 52 / 60))
    assert info.exif_lon == pytest.approx(-70.5)


def test_photo_without_exif_has_no_time_place_or_camera() -> None:
    info = inspect_image(encode(Image.new("RGB", (16, 16), "gray"), "JPEG"), **LIMITS)

    assert (info.exif_taken_at, info.exif_lon, info.exif_lat, info.camera_make) == (None, None, None, None)


def test_gps_without_hemisphere_reference_is_treated_as_missing() -> None:
    exif = camera_exif()
    del exif.get_ifd(ExifTags.IFD.GPSInfo)[1]
    info = inspect_image(encode(Image.new("RGB", (16, 16), "gray"), "JPEG", exif=exif), **LIMITS)

    assert (info.exif_lon, info.exif_lat) == (None, None)


def left_red_right_blue(width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height), "red")
    image.paste((0, 0, 255), (width // 2, 0, width, height))
    return image


def test_orientation_6_is_reported_as_the_upright_size() -> None:
    data = encode(left_red_right_blue(200, 100), "JPEG", exif=camera_exif(orientation=6))

    info = inspect_image(data, **LIMITS)

    assert (info.width, info.height) == (100, 200)


def test_thumbnail_is_upright_and_carries_no_metadata() -> None:
    data = encode(left_red_right_blue(200, 100), "JPEG", exif=camera_exif(orientation=6))

    thumb_bytes = make_thumbnail(data, max_side=320)
    thumb = Image.open(BytesIO(thumb_bytes))

    assert thumb.format == "JPEG"
    assert thumb.size == (100, 200)  # never enlarged
    # Orientation 6: rotate 90 degrees clockwise to view, so the left (red) half ends on top.
    top, bottom = thumb.getpixel((50, 20)), thumb.getpixel((50, 180))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60
    assert len(thumb.getexif()) == 0
    assert b"Exif" not in thumb_bytes and b"HUAWEI" not in thumb_bytes
    assert "exif" not in thumb.info and "xmp" not in thumb.info


def test_thumbnail_fits_the_requested_side_in_proportion() -> None:
    data = encode(left_red_right_blue(200, 100), "JPEG", exif=camera_exif(orientation=6))

    thumb = Image.open(BytesIO(make_thumbnail(data, max_side=50)))

    assert thumb.size == (25, 50)


def test_large_photo_gets_320_and_1280_thumbnails() -> None:
    data = encode(noisy_image(2000, 1500), "JPEG", quality=70)

    sizes = [Image.open(BytesIO(make_thumbnail(data, max_side=side))).size for side in (320, 1280)]

    assert sizes == [(320, 240), (1280, 960)]


def test_thumbnail_of_transparent_png_is_on_white() -> None:
    data = encode(Image.new("RGBA", (40, 40), (0, 0, 0, 0)), "PNG")

    thumb = Image.open(BytesIO(make_thumbnail(data, max_side=20)))

    assert thumb.mode == "RGB"
    assert min(thumb.getpixel((10, 10))) > 240


def test_thumbnail_of_a_broken_file_is_refused() -> None:
    with pytest.raises(ImageRejected):
        make_thumbnail(b"not a photo", max_side=320)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("/var/www/shell.php.jpg", "shell.php.jpg"),
        ("C:\\Users\\x\\现场照片.jpg", "现场照片.jpg"),
        ("evil\x00.jpg", "evil.jpg"),
        ("line\r\nbreak.png", "linebreak.png"),
        ("photo\u202egpj.exe", "photogpj.exe"),
        ("..", "unnamed"),
        ("", "unnamed"),
        (".hidden.jpg", "hidden.jpg"),
        ('a<b>:"c|?*.jpg', "a_b___c___.jpg"),
    ],
)
def test_safe_filename_neutralises_paths_and_control_characters(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_keeps_the_extension_of_a_very_long_name() -> None:
    result = safe_filename("照" * 300 + ".jpg")

    assert result.endswith(".jpg")
    assert len(result.encode("utf-8")) <= 255

"""Checking uploaded photo bytes, reading their EXIF, and making thumbnails.

The type of a file is read from its bytes by Pillow, never from its name or declared
content type: a text file called `site.jpg` is refused. Every accepted picture has been
decoded through to its last byte once, so a truncated or corrupt upload is refused at the door
rather than found broken when it is needed as evidence.

Memory: a small file can declare a huge picture (an 8900 x 8900 PNG of zeros is 231 kB on
disk and 238 MB of pixels). The pixel limit is checked from the header before any decoding; a
JPEG is then decoded at reduced scale (`draft`: libjpeg still reads every scan byte, so damage
is still found, but holds 1/64 of the pixels); other formats are shrunk in place right after
decoding, so one full-size buffer exists per decode; and `decode_slots` lets only a few
decodes run at once in the process, so the worst case is (slots x limit x 4 bytes), however
many uploads arrive together.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import os
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from io import BytesIO
from zoneinfo import ZoneInfo

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from ecogrid.core.time import BEIJING

DEFAULT_EXIF_ZONE = BEIJING.key
DEFAULT_CONCURRENT_DECODES = 2

_MIME_BY_FORMAT = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "HEIF": "image/heic",
}

# ISO-BMFF brands that mark HEIC/HEIF stills from phones (iPhone, Huawei, Xiaomi).
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}

_TAG_ORIENTATION = 0x0112
_TAG_MAKE = 0x010F
_TAG_MODEL = 0x0110
_TAG_DATETIME_ORIGINAL = 0x9003
_TAG_OFFSET_TIME_ORIGINAL = 0x9011
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4


class ImageRejected(ValueError):
    """An upload that cannot be accepted as a photo; `reason` is for the person who sent it."""

    def __init__(self, reason: str, field: str = "file") -> None:
        super().__init__(f"{field}: {reason}")
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class ImageInfo:
    format: str
    mime: str
    width: int
    height: int
    sha256: str
    size: int
    exif_taken_at: datetime | None
    # True when the camera wrote no UTC offset and the time was read as `exif_assumed_zone`.
    exif_time_zone_assumed: bool
    exif_assumed_zone: str | None
    exif_lon: float | None
    exif_lat: float | None
    camera_make: str | None
    camera_model: str | None


def inspect_image(
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    assume_zone: str = DEFAULT_EXIF_ZONE,
    max_concurrent_decodes: int = DEFAULT_CONCURRENT_DECODES,
) -> ImageInfo:
    """Accept or refuse an uploaded photo and describe it.

    Raises ImageRejected for an empty file, a file over `max_bytes`, anything that is not a
    JPEG, PNG or WebP (HEIC only when pillow-heif is installed), a picture whose header
    declares more than `max_pixels` pixels, and a truncated or corrupt picture.
    """
    if not data:
        raise ImageRejected("the file is empty")
    if len(data) > max_bytes:
        raise ImageRejected(
            f"the file is {_describe_bytes(len(data))}, more than the limit of {_describe_bytes(max_bytes)}"
        )
    if _looks_like_heic(data) and not _heif_available():
        raise ImageRejected(
            "HEIC/HEIF photos cannot be read on this server; set the phone camera to "
            "'Most Compatible' (JPEG) or convert the photo to JPEG before uploading"
        )

    with _pillow_errors_as_rejections():
        # Opening reads the header only, so the pixel count is checked before any decoding.
        probe = Image.open(BytesIO(data))
        image_format = probe.format or "unknown"
        if image_format not in _MIME_BY_FORMAT:
            raise ImageRejected(f"{image_format} pictures are not accepted; send a JPEG, PNG or WebP photo")
        width, height = probe.size
        if width * height > max_pixels:
            raise ImageRejected(
                f"the picture declares {width} x {height} pixels, more than the limit of "
                f"{max_pixels:,} pixels"
            )
        probe.verify()

        # verify() leaves the image unusable and misses damage in JPEG scan data; a fresh
        # open decoded to the end catches truncation. A JPEG is decoded at 1/8 scale: the
        # decoder still reads every byte, but the pixels it keeps are 64 times fewer.
        with decode_slots.slot(max_concurrent_decodes):
            image = Image.open(BytesIO(data))
            if image.format == "JPEG":
                image.draft(image.mode, (1, 1))
            image.load()
            exif = image.getexif()
            del image

    orientation = exif.get(_TAG_ORIENTATION)
    if orientation in (5, 6, 7, 8):
        width, height = height, width

    exif_ifd = _sub_ifd(exif, ExifTags.IFD.Exif)
    gps_ifd = _sub_ifd(exif, ExifTags.IFD.GPSInfo)
    taken_at, zone_assumed = _read_taken_at(exif_ifd, assume_zone=assume_zone)
    lon, lat = _read_gps(gps_ifd)

    return ImageInfo(
        format=image_format,
        mime=_MIME_BY_FORMAT[image_format],
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        exif_taken_at=taken_at,
        exif_time_zone_assumed=zone_assumed,
        exif_assumed_zone=assume_zone if zone_assumed else None,
        exif_lon=lon,
        exif_lat=lat,
        camera_make=_read_text(exif.get(_TAG_MAKE)),
        camera_model=_read_text(exif.get(_TAG_MODEL)),
    )


def make_thumbnail(
    data: bytes, *, max_side: int, quality: int = 85, max_concurrent_decodes: int = DEFAULT_CONCURRENT_DECODES
) -> bytes:
    """A JPEG no larger than `max_side` on its longer side, upright, with no metadata at all.

    Thumbnails are shown to people who must not learn where a complainant lives from the
    GPS of a photo, so EXIF, XMP and ICC data are dropped, not copied.
    """
    return make_thumbnails(data, sides=(max_side,), quality=quality,
                           max_concurrent_decodes=max_concurrent_decodes)[max_side]


def make_thumbnails(
    data: bytes,
    *,
    sides: Iterable[int],
    quality: int = 85,
    max_concurrent_decodes: int = DEFAULT_CONCURRENT_DECODES,
) -> dict[int, bytes]:
    """`make_thumbnail` for several sizes from one decode, keyed by side."""
    wanted = sorted(set(sides), reverse=True)
    if not wanted or wanted[-1] < 1:
        raise ValueError(f"max_side: must be at least 1, got {wanted[-1] if wanted else 'nothing'}")
    largest = wanted[0]
    with decode_slots.slot(max_concurrent_decodes), _pillow_errors_as_rejections():
        image = Image.open(BytesIO(data))
        # A JPEG decodes straight to a scale near the largest side; other formats decode in
        # full, and thumbnail() shrinks in place so the full-size buffer goes before any copy.
        image.draft("RGB", (largest, largest))
        image.thumbnail((largest, largest), Image.Resampling.LANCZOS)
        # The box is square, so turning after shrinking gives the same picture as before.
        upright = ImageOps.exif_transpose(image)
        del image
    out: dict[int, bytes] = {}
    for side in wanted:
        sized = upright.copy()
        sized.thumbnail((side, side), Image.Resampling.LANCZOS)
        buffer = BytesIO()
        _flatten_to_rgb(sized).save(buffer, "JPEG", quality=quality, optimize=True)
        out[side] = buffer.getvalue()
    return out


class DecodeSlots:
    """At most `limit` picture decodes at once in this process; others wait for a free slot.

    One counter for the whole process, whatever the caller: the limit comes from each caller's
    settings (normally the same number), and a wait is short because a decode is.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._busy = 0

    @property
    def busy(self) -> int:
        return self._busy

    @contextlib.contextmanager
    def slot(self, limit: int) -> Iterator[None]:
        if limit < 1:
            raise ValueError(f"max_concurrent_decodes: must be at least 1, got {limit}")
        _return_freed_pixels_to_the_system()
        with self._changed:
            self._changed.wait_for(lambda: self._busy < limit)
            self._busy += 1
        try:
            yield
        finally:
            with self._changed:
                self._busy -= 1
                self._changed.notify_all()


decode_slots = DecodeSlots()

# Pillow keeps pixels in blocks of 16 MiB by default. glibc serves blocks under its 32 MiB mmap
# ceiling from per-thread arenas and keeps them there when freed, so each upload thread would
# hold on to the memory of its last large decode and the slots would bound nothing. Blocks over
# the ceiling are mapped on their own and returned to the system as soon as they are freed.
_PIXEL_BLOCK_BYTES = 64 * 1024 * 1024


@functools.cache
def _return_freed_pixels_to_the_system() -> None:
    if "PILLOW_BLOCK_SIZE" not in os.environ:  # an operator's own choice stands
        Image.core.set_block_size(_PIXEL_BLOCK_BYTES)


_UNSAFE_FILENAME_CHARS = re.compile(r'[<>:"|?*]')
_MAX_FILENAME_BYTES = 255


def safe_filename(name: str) -> str:
    """A harmless display form of a client-supplied file name.

    Storage never uses this name; it is kept as metadata only. Directory parts (`../`,
    absolute paths, Windows drive letters), NUL, control and bidirectional-override
    characters are removed, so the name can be shown and offered as a download name safely.
    """
    text = unicodedata.normalize("NFC", name)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _UNSAFE_FILENAME_CHARS.sub("_", text)
    text = text.strip().lstrip(".").strip()
    if not text:
        return "unnamed"
    return _truncate_filename(text)


def _truncate_filename(text: str) -> str:
    if len(text.encode("utf-8")) <= _MAX_FILENAME_BYTES:
        return text
    stem, dot, ext = text.rpartition(".")
    if not dot or len(ext) > 10:
        stem, ext = text, ""
    suffix = f".{ext}" if ext else ""
    budget = _MAX_FILENAME_BYTES - len(suffix.encode("utf-8"))
    cut = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    return cut + suffix


@contextlib.contextmanager
def _pillow_errors_as_rejections() -> Iterator[None]:
    # catch_warnings is process-wide; when two threads overlap, the worst case is that the
    # bomb warning stays an error for everyone, which is the stricter and wanted outcome.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected(
                "the picture declares too many pixels to be processed safely (possible decompression bomb)"
            ) from exc
        except UnidentifiedImageError as exc:
            raise ImageRejected("the file is not a picture; send a JPEG, PNG or WebP photo") from exc
        # Pillow's format plugins raise many exception types on malformed input
        # (OSError, SyntaxError, struct.error, IndexError, ...); all mean the same to the sender.
        except Exception as exc:
            raise ImageRejected(f"the picture is damaged or incomplete ({exc})") from exc


def _looks_like_heic(data: bytes) -> bool:
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(data[0:4], "big")
    box = data[8 : min(max(box_size, 16), len(data), 256)]
    brands = {box[i : i + 4] for i in range(0, len(box) - 3, 4)}
    brands.discard(box[4:8])  # minor version, not a brand
    return bool(brands & _HEIC_BRANDS) and b"avif" not in brands


@functools.cache
def _heif_available() -> bool:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


def _sub_ifd(exif: Image.Exif, ifd: ExifTags.IFD) -> dict[int, object]:
    # A malformed sub-IFD pointer must not cost the whole photo; the data is just missing.
    try:
        return dict(exif.get_ifd(ifd))
    except Exception:
        return {}


def _read_taken_at(exif_ifd: dict[int, object], *, assume_zone: str) -> tuple[datetime | None, bool]:
    raw = _read_text(exif_ifd.get(_TAG_DATETIME_ORIGINAL))
    if raw is None:
        return None, False
    try:
        naive = datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, False
    offset = _parse_utc_offset(_read_text(exif_ifd.get(_TAG_OFFSET_TIME_ORIGINAL)))
    if offset is None:
        return naive.replace(tzinfo=ZoneInfo(assume_zone)), True
    return naive.replace(tzinfo=offset), False


_OFFSET_PATTERN = re.compile(r"([+-])(\d{2}):(\d{2})")


def _parse_utc_offset(text: str | None) -> timezone | None:
    if text is None:
        return None
    match = _OFFSET_PATTERN.fullmatch(text)
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14) or int(minutes) >= 60:
        return None
    return timezone(-delta if sign == "-" else delta)


def _read_gps(gps_ifd: dict[int, object]) -> tuple[float | None, float | None]:
    lat = _dms_to_degrees(gps_ifd.get(_GPS_LAT), gps_ifd.get(_GPS_LAT_REF), positive="N", negative="S")
    lon = _dms_to_degrees(gps_ifd.get(_GPS_LON), gps_ifd.get(_GPS_LON_REF), positive="E", negative="W")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    # Phones write 0/0 when they had no fix; no inspection happens at that spot.
    if lat == 0 and lon == 0:
        return None, None
    return lon, lat


def _dms_to_degrees(value: object, ref: object, *, positive: str, negative: str) -> float | None:
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(part) and part >= 0 for part in (degrees, minutes, seconds)):
        return None
    ref_text = (_read_text(ref) or "").upper()
    magnitude = degrees + minutes / 60 + seconds / 3600
    if ref_text == positive:
        return magnitude
    if ref_text == negative:
        return -magnitude
    # Without a hemisphere the sign is a guess, and evidence is not built on guesses.
    return None


def _read_text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    text = value.replace("\x00", "").strip()
    return text or None


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    # A new image carries no info dict, so no EXIF, XMP or ICC data can leak into the output.
    canvas = Image.new("RGB", image.size, (255, 255, 255))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas.paste(rgba, mask=rgba.getchannel("A"))
    else:
        canvas.paste(image.convert("RGB"))
    return canvas


def _describe_bytes(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    if count >= 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count} bytes"

"""Seed data for inspection tests: a zone with a noise class, a case dispatched to an inspector,
a complaint with a complainant's personal data, and a nearby source."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO

from PIL import ExifTags, Image
from sqlalchemy.orm import Session

from ecogrid.core.models import Case, Complaint, Source, Zone
from ecogrid.sources import credit_code

SITE_LON, SITE_LAT = 120.3826, 36.0671
# About 100 m east of the site (inside the noise search radius).
SOURCE_LON = SITE_LON + 0.00111


@dataclass
class Seeded:
    zone_id: int
    case_id: int
    source_id: int
    complaint_id: int


def seed_case(session: Session, *, inspector_id: int, status: str = "dispatched", noise_class: str | None = "2",
              category: str = "noise_social", lon: float = SITE_LON, lat: float = SITE_LAT,
              due_in_hours: float = 24) -> Seeded:
    tag = uuid.uuid4().hex[:8]
    d = 0.02
    zone = Zone(code=f"z-{tag}", name=f"Grid {tag}", level="grid", noise_class=noise_class,
                geom=f"SRID=4326;MULTIPOLYGON((({lon - d} {lat - d},{lon + d} {lat - d},{lon + d} {lat + d},"
                     f"{lon - d} {lat + d},{lon - d} {lat - d})))")
    session.add(zone)
    session.flush()
    now = datetime.now(UTC)
    case = Case(kind="complaint", category=category, status=status, channel="hotline_12345", zone_id=zone.id,
                geom=f"SRID=4326;POINT({lon} {lat})", opened_at=now - timedelta(days=1),
                due_at=now + timedelta(hours=due_in_hours), last_complaint_at=now - timedelta(days=1),
                assigned_to_id=inspector_id)
    session.add(case)
    session.flush()
    complaint = Complaint(case_id=case.id, channel="hotline_12345", kind="complaint", category=category,
                          description="KTV music every night after 22:00", received_at=now - timedelta(days=1),
                          complainant_name="Zhang Wei", complainant_phone="13800138000",
                          address="Flat 1203, 88 Hong Kong Road", geom=f"SRID=4326;POINT({lon} {lat})",
                          zone_id=zone.id)
    org8 = f"{int(tag, 16) % 10**8:08d}"
    source = Source(name=f"Star KTV {tag}", credit_code=credit_code.make(org8=org8), industry="other",
                    categories=[category], geom=f"SRID=4326;POINT({SOURCE_LON - SITE_LON + lon} {lat})",
                    zone_id=zone.id)
    session.add_all([complaint, source])
    session.flush()
    return Seeded(zone.id, case.id, source.id, complaint.id)


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    return (float(degrees), float(minutes), round((minutes_full - minutes) * 60, 4))


def jpeg_with_exif(*, lon: float | None = SITE_LON, lat: float | None = SITE_LAT,
                   taken: datetime | None = None, size: tuple[int, int] = (640, 480)) -> bytes:
    """A camera-like JPEG with EXIF time (with offset) and GPS position."""
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"
    exif[0x0110] = "P60 Pro"
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    moment = (taken or datetime.now(UTC)).astimezone()
    sub[0x9003] = moment.strftime("%Y:%m:%d %H:%M:%S")
    offset = moment.strftime("%z")
    sub[0x9011] = f"{offset[:3]}:{offset[3:]}"
    if lon is not None and lat is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[1], gps[2] = ("N" if lat >= 0 else "S"), _dms(lat)
        gps[3], gps[4] = ("E" if lon >= 0 else "W"), _dms(lon)
    image = Image.new("RGB", size, (90, 120, 60))
    for x in range(0, size[0], 7):
        image.putpixel((x, x % size[1]), (255, 0, 0))
    out = BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()

"""A small city for the OGC API and export tests: zones drawn clockwise (one with a hole), sources,
cases with complaints whose complainants have names and phones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from ecogrid.core.models import Case, CaseEvent, Complaint, IndustryCategory, Source, Zone

NOW = datetime.now(UTC)
NAME, PHONE = "王小明", "13812341234"


def clockwise_box(w: float, s: float, e: float, n: float) -> str:
    return f"({w} {s},{w} {n},{e} {n},{e} {s},{w} {s})"


def counterclockwise_box(w: float, s: float, e: float, n: float) -> str:
    return f"({w} {s},{e} {s},{e} {n},{w} {n},{w} {s})"


@dataclass
class City:
    zones: list[Zone]
    sources: list[Source]
    cases: list[Case]
    complaints: list[Complaint]


def build_city(db: Session, *, complaints: int = 5) -> City:
    # Exterior rings clockwise and the hole counterclockwise: the reverse of RFC 7946, as shapefiles have them.
    district = Zone(code="D", name="市南区", level="district", geom="SRID=4326;MULTIPOLYGON(("
                    + clockwise_box(120.30, 36.00, 120.40, 36.10) + ","
                    + counterclockwise_box(120.38, 36.08, 120.39, 36.09) + "))")
    db.add(district)
    db.flush()
    west = Zone(code="D-W", name="西街道", level="street", parent_id=district.id,
                geom="SRID=4326;MULTIPOLYGON((" + clockwise_box(120.30, 36.00, 120.35, 36.10) + "))")
    east = Zone(code="D-E", name="东街道", level="street", parent_id=district.id,
                geom="SRID=4326;MULTIPOLYGON((" + clockwise_box(120.35, 36.00, 120.40, 36.10) + "))")
    db.add_all([west, east])
    db.flush()
    if db.get(IndustryCategory, "chemical") is None:
        db.add(IndustryCategory(code="chemical", label_zh="化工", label_en="Chemical", categories=["odour"]))
        db.flush()
    sources = [Source(name=f"化工厂{i}", credit_code=f"91370200MA3C{i:05d}X"[:18], industry="chemical",
                      key_discharger=i == 0, geom=f"SRID=4326;POINT({120.31 + i * 0.01} 36.05)",
                      zone_id=west.id) for i in range(3)]
    db.add_all(sources)
    db.flush()
    cases, rows = [], []
    for i in range(complaints):
        zone = west if i % 2 == 0 else east
        opened = NOW - timedelta(days=i + 1)
        lon, lat = 120.31 + i * 0.015, 36.01 + i * 0.01
        case = Case(kind="complaint", category="odour" if i % 2 == 0 else "dust", channel="hotline_12345",
                    status="registered", zone_id=zone.id, opened_at=opened, last_complaint_at=opened,
                    geom=f"SRID=4326;POINT({lon} {lat})", due_at=NOW + timedelta(days=5))
        db.add(case)
        db.flush()
        complaint = Complaint(case_id=case.id, channel="hotline_12345", kind="complaint", category=case.category,
                              description=f"刺鼻气味 {i}", received_at=opened, complainant_name=NAME,
                              complainant_phone=PHONE, complainant_email="wang@example.cn", zone_id=zone.id,
                              geom=f"SRID=4326;POINT({lon} {lat})", address=f"香港中路{i}号")
        db.add(complaint)
        db.add(CaseEvent(case_id=case.id, at=opened, action="register", from_status=None, to_status="registered"))
        db.flush()
        cases.append(case)
        rows.append(complaint)
    return City([district, west, east], sources, cases, rows)

"""Cases for tests, written with the ORM the way intake leaves them: registered, with a complaint
and a "register" event."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ecogrid.core.models import Case, CaseEvent, Complaint

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """'2026-02-13 10:00' in Asia/Shanghai."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def new_case(db: Session, *, opened_at: datetime | None = None, kind: str = "complaint",
             channel: str = "hotline_12345", category: str = "odour", zone_id: int | None = None,
             name: str | None = "王小明", phone: str | None = "13812341234", repeats: int = 0,
             **fields) -> Case:
    opened = opened_at or datetime.now(SHANGHAI) - timedelta(hours=1)
    row = Case(kind=kind, category=category, channel=channel, status=fields.pop("status", "registered"),
               urgency=fields.pop("urgency", "ordinary"), zone_id=zone_id, opened_at=opened,
               last_complaint_at=opened, repeat_count=repeats, **fields)
    db.add(row)
    db.flush()
    db.add(Complaint(case_id=row.id, channel=channel, kind=kind, category=category, description="刺鼻气味",
                     received_at=opened, complainant_name=name, complainant_phone=phone, zone_id=zone_id))
    db.add(CaseEvent(case_id=row.id, at=opened, action="register", from_status=None, to_status="registered"))
    db.flush()
    return row

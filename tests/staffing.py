"""People and places for authorization tests, made through the services: inspectors in teams,
zones with an officer, and cases moved along the workflow by the people allowed to move them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from ecogrid.accounts import service as user_service
from ecogrid.cases import service as casework
from ecogrid.core.models import Case, User, Zone
from tests.casefactory import new_case

PASSWORD = "correct-horse-9"


def person(db: Session, role: str, *, team: str | None = None, username: str | None = None) -> User:
    name = username or f"{role}-{uuid.uuid4().hex[:8]}"
    return user_service.create(db, username=name, role=role, password=PASSWORD, team=team)


def zone(db: Session, *, level: str, officer: User | None = None, parent: Zone | None = None,
         west: float = 120.0, south: float = 36.0, size: float = 0.1) -> Zone:
    """A square zone; a street or grid nests in ``parent``."""
    e, n = west + size, south + size
    row = Zone(code=f"Z-{uuid.uuid4().hex[:10]}", name=f"{level} {west:.2f}", level=level,
               parent_id=parent.id if parent else None, officer_id=officer.id if officer else None,
               geom=f"SRID=4326;MULTIPOLYGON((({west} {south},{e} {south},{e} {n},{west} {n},{west} {south})))")
    db.add(row)
    db.flush()
    return row


def actor(user: User) -> casework.Actor:
    return casework.Actor(user_id=user.id, name=user.username, role=user.role)


def dispatch(db: Session, *, case_id: int, chief: User, to: dict[str, Any], clerk: User | None = None) -> None:
    """Accept a registered case (as a clerk) and dispatch it (as ``chief``) to ``{"user_id"}`` or ``{"team"}``."""
    casework.act(db, case_id=case_id, action="accept", payload=None, actor=actor(clerk or person(db, "clerk")))
    casework.act(db, case_id=case_id, action="dispatch", payload=to, actor=actor(chief))


def city_chief(db: Session) -> User:
    """A chief who is officer of a district of their own: city-level, acts on every case."""
    chief = person(db, "chief")
    zone(db, level="district", officer=chief)
    return chief


def dispatched(db: Session, *, chief: User, to: dict[str, Any], zone_id: int | None = None,
               clerk: User | None = None) -> Case:
    """A new case, accepted and dispatched by the workflow."""
    row = new_case(db, zone_id=zone_id)
    dispatch(db, case_id=row.id, chief=chief, to=to, clerk=clerk)
    db.refresh(row)
    return row

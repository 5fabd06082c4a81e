"""Suspected pollution sources for a case: a ranked, explained list (倒查污染源).

This first version ranks by distance alone inside the category's search radius, using the spatial
index (ST_DWithin on geography). The full score (category match, wind, history) replaces it while
keeping these signatures, which intake, the mobile form and the API rely on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from ecogrid.errors import NotFound
from ecogrid.models import Case, CaseEvent
from ecogrid.settings import Settings, get_settings


@dataclass
class Suspect:
    source_id: int
    name: str
    industry: str
    distance_m: float
    score: float
    parts: dict[str, float] = field(default_factory=dict)
    explanation: list[str] = field(default_factory=list)


@dataclass
class SuspectRanking:
    case_id: int
    radius_m: float
    wind_used: bool
    suspects: list[Suspect]


def rank_suspects(session: Session, *, case_id: int, limit: int | None = None,
                  settings: Settings | None = None) -> SuspectRanking:
    settings = settings or get_settings()
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} not found", field="case_id")
    radius = float(settings.suspect_radius_m.get(case.category, 1000.0))
    limit = limit or settings.suspect_limit
    rows = session.execute(text("""
        SELECT s.id, s.name, s.industry, ST_Distance(s.geom::geography, c.geom::geography) AS d
        FROM cases c JOIN sources s ON ST_DWithin(s.geom::geography, c.geom::geography, :radius)
        WHERE c.id = :case_id
        ORDER BY d, s.id LIMIT :limit
    """), {"case_id": case_id, "radius": radius, "limit": limit}).all()
    suspects = [Suspect(r.id, r.name, r.industry, round(r.d, 1), round(1 - r.d / radius, 4),
                        {"distance": round(1 - r.d / radius, 4)}, [f"{r.d:.0f} m from the complaint"])
                for r in rows]
    return SuspectRanking(case_id, radius, False, suspects)


def confirm_source(session: Session, *, case_id: int, source_id: int, user_id: int | None,
                   note: str | None = None) -> Case:
    """Record that an inspection confirmed the source of a case (who and when), on the case and its history."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} not found", field="case_id")
    case.confirmed_source_id = source_id
    case.confirmed_by_id = user_id
    case.confirmed_at = datetime.now(UTC)
    session.add(CaseEvent(case_id=case_id, actor_id=user_id, action="confirm_source", from_status=case.status,
                          to_status=case.status, note=note, data={"source_id": source_id}))
    session.flush()
    return case

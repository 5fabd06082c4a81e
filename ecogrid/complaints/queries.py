"""Reading complaints: one complaint, filtered lists, GeoJSON; personal data masked by role and audited.

An inspector reads only the complaints of the cases dispatched to them or their team
(:mod:`ecogrid.authorization`); any other is not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ecogrid.core import authorization, privacy, sql
from ecogrid.core.errors import NotFound
from ecogrid.core.time import rfc3339
from ecogrid.core.vocabulary import Role


def _iso(value: datetime | None) -> str | None:
    return rfc3339(value)


def _shape(row: Any, *, unmasked: bool) -> dict[str, Any]:
    name, phone = row.complainant_name, row.complainant_phone
    if not unmasked:
        name, phone = privacy.mask_name(name), privacy.mask_phone(phone)
    return {
        "id": row.id, "channel": row.channel, "kind": row.kind, "category": row.category,
        "description": row.description, "received_at": _iso(row.received_at), "external_ref": row.external_ref,
        "address": row.address, "complainant_name": name, "complainant_phone": phone, "urgency": row.urgency,
        "lon": row.lon, "lat": row.lat, "crs": row.orig_crs,
        "orig_lon": row.orig_lon, "orig_lat": row.orig_lat, "orig_crs": row.orig_crs,
        "zone": {"code": row.zone_code, "name": row.zone_name, "level": row.zone_level} if row.zone_code else None,
        "case_id": row.case_id, "repeat": row.is_repeat, "status": row.status, "due_at": _iso(row.due_at),
        "out_of_jurisdiction": row.out_of_jurisdiction,
        "nearest_zone": ({"code": row.near_code, "name": row.near_name, "distance_m": row.nearest_zone_distance_m}
                         if row.out_of_jurisdiction and row.near_code else None),
        "needs_geocoding": row.lon is None,
        "media_url": row.media_url,
    }


def _audit(session: Session, *, rows: Sequence[Any], role: str, actor_id: int | None, actor_name: str) -> bool:
    unmasked = privacy.may_see_personal_data(role)
    ids = [r.id for r in rows if r.complainant_name or r.complainant_phone]
    if unmasked and ids:
        privacy.log_personal_read(session, actor_id=actor_id, actor_name=actor_name, entity="complaint",
                                  entity_ids=ids)
    return unmasked


def _visible(session: Session, *, role: str, actor_id: int | None) -> dict[str, Any]:
    """The parameters restricting what ``role`` may read: all, but for an inspector only the
    complaints of the cases dispatched to them or their team."""
    if role != Role.inspector.value:
        return {"inspector": False, "viewer_id": None, "viewer_team": None}
    reach = authorization.reach_of(session, user_id=actor_id, role=role)
    return {"inspector": True, "viewer_id": reach.user_id, "viewer_team": reach.team}


_NO_FILTER: dict[str, Any] = {"id": None, "zone": None, "category": None, "status": None, "channel": None,
                              "date_from": None, "date_to": None, "updated_since": None, "x0": None, "y0": None,
                              "x1": None, "y1": None}


def get_complaint(session: Session, *, complaint_id: int, role: str, actor_id: int | None,
                  actor_name: str) -> dict[str, Any]:
    params = {**_NO_FILTER, **_visible(session, role=role, actor_id=actor_id), "id": complaint_id,
              "limit": 1, "offset": 0}
    row = session.execute(sql.query(__file__, "complaints"), params).one_or_none()
    if row is None:
        # Also a complaint of a case the inspector does not handle: its id is not confirmed.
        raise NotFound(f"complaint {complaint_id} not found", field="id")
    unmasked = _audit(session, rows=[row], role=role, actor_id=actor_id, actor_name=actor_name)
    return _shape(row, unmasked=unmasked)


def list_complaints(session: Session, *, role: str, actor_id: int | None, actor_name: str,
                    zone: str | None = None, category: str | None = None, status: str | None = None,
                    channel: str | None = None, date_from: datetime | None = None, date_to: datetime | None = None,
                    bbox: tuple[float, float, float, float] | None = None, limit: int = 50,
                    offset: int = 0, updated_since: datetime | None = None) -> dict[str, Any]:
    """Filtered complaints, newest first (ties by id), with the total before paging."""
    x0, y0, x1, y1 = bbox or (None, None, None, None)
    params = {**_visible(session, role=role, actor_id=actor_id), "id": None, "zone": zone or None,
              "category": category or None, "status": status or None, "channel": channel or None,
              "date_from": date_from or None, "date_to": date_to or None,
              "updated_since": updated_since or None, "x0": x0, "y0": y0, "x1": x1, "y1": y1}
    total = session.scalar(sql.query(__file__, "complaint_count"), params)
    rows = session.execute(sql.query(__file__, "complaints"), {**params, "limit": limit, "offset": offset}).all()
    unmasked = _audit(session, rows=rows, role=role, actor_id=actor_id, actor_name=actor_name)
    return {"items": [_shape(r, unmasked=unmasked) for r in rows], "total": total}


def as_geojson(listing: dict[str, Any]) -> dict[str, Any]:
    features = []
    for item in listing["items"]:
        geometry = {"type": "Point", "coordinates": [item["lon"], item["lat"]]} if item["lon"] is not None else None
        props = {k: v for k, v in item.items() if k not in ("lon", "lat")}
        features.append({"type": "Feature", "id": item["id"], "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features, "total": listing["total"]}

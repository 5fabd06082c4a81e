"""Reading complaints: one complaint, filtered lists, GeoJSON; personal data masked by role and audited.

An inspector reads only the complaints of the cases dispatched to them or their team
(:mod:`ecogrid.authorization`); any other is not found.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ecogrid.core import authorization, privacy
from ecogrid.core.errors import NotFound
from ecogrid.core.time import rfc3339
from ecogrid.core.vocabulary import Role

_SELECT = """
    SELECT c.id, c.channel, c.kind, c.category, c.description, c.received_at, c.external_ref, c.address,
           c.complainant_name, c.complainant_phone, c.urgency, c.orig_lon, c.orig_lat, c.orig_crs,
           ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, c.case_id, c.is_repeat, c.out_of_jurisdiction,
           c.media_url, c.created_at,
           z.code AS zone_code, z.name AS zone_name, z.level AS zone_level, z.responsible_unit,
           n.code AS near_code, n.name AS near_name, c.nearest_zone_distance_m,
           k.status, k.due_at, k.closed_at, k.repeat_count
    FROM complaints c
    LEFT JOIN zones z ON z.id = c.zone_id
    LEFT JOIN zones n ON n.id = c.nearest_zone_id
    LEFT JOIN cases k ON k.id = c.case_id
"""


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


def _audit(session: Session, *, rows: list[Any], role: str, actor_id: int | None, actor_name: str) -> bool:
    unmasked = privacy.may_see_personal_data(role)
    ids = [r.id for r in rows if r.complainant_name or r.complainant_phone]
    if unmasked and ids:
        privacy.log_personal_read(session, actor_id=actor_id, actor_name=actor_name, entity="complaint",
                                  entity_ids=ids)
    return unmasked


def _visible(session: Session, *, role: str, actor_id: int | None) -> tuple[str, dict[str, Any]]:
    """The complaints ``role`` may read, as a condition on ``c`` (complaints) and ``k`` (cases):
    all, but for an inspector only those of the cases dispatched to them or their team."""
    if role != Role.inspector.value:
        return "true", {}
    reach = authorization.reach_of(session, user_id=actor_id, role=role)
    return ("(k.assigned_to_id = :viewer_id OR k.assigned_team = :viewer_team)",
            {"viewer_id": reach.user_id, "viewer_team": reach.team})


def get_complaint(session: Session, *, complaint_id: int, role: str, actor_id: int | None,
                  actor_name: str) -> dict[str, Any]:
    where, params = _visible(session, role=role, actor_id=actor_id)
    row = session.execute(text(f"{_SELECT} WHERE c.id = :id AND {where}"), {**params, "id": complaint_id}).one_or_none()
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
    visible, params = _visible(session, role=role, actor_id=actor_id)
    where = [visible]
    if zone:
        # The zone and every zone below it.
        where.append("""c.zone_id IN (WITH RECURSIVE t AS (SELECT id FROM zones WHERE code = :zone
                        UNION ALL SELECT z.id FROM zones z JOIN t ON z.parent_id = t.id) SELECT id FROM t)""")
        params["zone"] = zone
    for name, value, column in (("category", category, "c.category"), ("status", status, "k.status"),
                                ("channel", channel, "c.channel")):
        if value:
            where.append(f"{column} = :{name}")
            params[name] = value
    if date_from:
        where.append("c.received_at >= :date_from")
        params["date_from"] = date_from
    if date_to:
        where.append("c.received_at < :date_to")
        params["date_to"] = date_to
    if updated_since:
        where.append("c.updated_at >= :updated_since")
        params["updated_since"] = updated_since
    if bbox:
        x0, y0, x1, y1 = bbox
        where.append("c.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)")
        params.update(x0=x0, y0=y0, x1=x1, y1=y1)
    condition = " AND ".join(where)
    total = session.scalar(text(f"""SELECT count(*) FROM complaints c LEFT JOIN cases k ON k.id = c.case_id
                                    WHERE {condition}"""), params)
    rows = session.execute(text(f"{_SELECT} WHERE {condition} ORDER BY c.received_at DESC, c.id DESC "
                                "LIMIT :limit OFFSET :offset"), {**params, "limit": limit, "offset": offset}).all()
    unmasked = _audit(session, rows=rows, role=role, actor_id=actor_id, actor_name=actor_name)
    return {"items": [_shape(r, unmasked=unmasked) for r in rows], "total": total}


def as_geojson(listing: dict[str, Any]) -> dict[str, Any]:
    features = []
    for item in listing["items"]:
        geometry = {"type": "Point", "coordinates": [item["lon"], item["lat"]]} if item["lon"] is not None else None
        props = {k: v for k, v in item.items() if k not in ("lon", "lat")}
        features.append({"type": "Feature", "id": item["id"], "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features, "total": listing["total"]}

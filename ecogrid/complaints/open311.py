"""Open311 GeoReport v2: complaint categories as services, complaints as service requests.

Nothing here ever carries the complainant's name, phone or e-mail: Open311 answers are public.
``agency_responsible`` is the responsible unit of the zone the request lies in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ecogrid.cases import rules
from ecogrid.complaints import intake
from ecogrid.core import sql, text_rules
from ecogrid.core.errors import InvalidInput, NotFound
from ecogrid.core.settings import Settings
from ecogrid.core.time import TimeFormatError, read_time, rfc3339
from ecogrid.core.value_ranges import BIGINT_MAX
from ecogrid.core.vocabulary import Category, label

GROUPS = {"odour": "air", "voc": "air", "dust": "air", "smoke": "air", "cooking_fumes": "air",
          "noise_industrial": "noise", "noise_construction": "noise", "noise_social": "noise",
          "noise_traffic": "noise", "wastewater": "water", "black_odorous_water": "water", "soil": "soil",
          "solid_waste": "waste", "hazardous_waste": "waste", "radiation": "radiation", "ecology": "ecology",
          "other": "other"}
GROUP_LABELS = {"air": "大气", "noise": "噪声", "water": "水", "soil": "土壤", "waste": "固废",
                "radiation": "辐射", "ecology": "生态", "other": "其他"}
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000


def _service(code: str) -> dict[str, Any]:
    return {"service_code": code, "service_name": label(code, "zh"),
            "description": f"{label(code, 'zh')} ({label(code, 'en')})", "metadata": False, "type": "realtime",
            "keywords": ",".join([code, label(code, "en").lower()]), "group": GROUP_LABELS[GROUPS[code]]}


def list_services() -> list[dict[str, Any]]:
    return [_service(c.value) for c in Category]


def get_service(code: str) -> dict[str, Any]:
    if code not in GROUPS:
        raise NotFound(f"service {code} not found", field="service_code")
    # GeoReport v2 service definition: attributes are defined only when metadata is true.
    return {"service_code": code, "attributes": []}


def _float(value: str | None, name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except ValueError:
        raise InvalidInput(f"{name} is not a number", field=name) from None


def create_request(session: Session, *, form: Mapping[str, str | None], settings: Settings) -> list[dict[str, Any]]:
    # Checked under the names the client sent (first_name, not the complainant_name they become).
    for name, value in form.items():
        text_rules.check_text(value, field=name)
    code = form.get("service_code") or ""
    if code not in GROUPS:
        raise InvalidInput(f"unknown service_code {code!r}", field="service_code")
    lat, lon = _float(form.get("lat"), "lat"), _float(form.get("long"), "long")
    if (lat is None) != (lon is None):
        raise InvalidInput("lat and long go together", field="long" if lon is None else "lat")
    full_name = " ".join(p for p in (form.get("first_name"), form.get("last_name")) if p) or None
    data = intake.ComplaintIn(
        channel="open311", kind="complaint", category=code, description=form.get("description") or "",
        lon=lon, lat=lat, address=form.get("address_string") or None, complainant_name=full_name,
        complainant_phone=form.get("phone") or None, complainant_email=form.get("email") or None,
        media_url=form.get("media_url") or None,
    )
    try:
        registration = intake.register_complaint(session, data=data, settings=settings, with_suspects=False)
    except InvalidInput as exc:
        if exc.field == "lon":
            raise InvalidInput(exc.message.replace("(lon, lat)", "(lat, long)"), field="long") from None
        raise
    notice = "重复件: 已并入已受理的问题" if registration.complaint.is_repeat else "已受理"
    return [{"service_request_id": str(registration.complaint.id), "service_notice": notice, "account_id": None}]


def _iso(value: datetime | None) -> str | None:
    return rfc3339(value)  # RFC 3339 allows any offset; +08:00 like every other time of the API


def _request(row: Any) -> dict[str, Any]:
    closed = rules.is_finished(row.status) if row.status else False
    return {"service_request_id": str(row.id), "status": "closed" if closed else "open",
            "status_notes": row.status, "service_name": label(row.category, "zh"), "service_code": row.category,
            "description": row.description, "agency_responsible": row.responsible_unit, "service_notice": None,
            "requested_datetime": _iso(row.received_at), "updated_datetime": _iso(row.updated or row.received_at),
            "expected_datetime": _iso(row.due_at), "address": row.address, "address_id": None, "zipcode": None,
            "lat": row.lat, "long": row.lon, "media_url": row.media_url}


def _time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return read_time(value)  # without an offset: Beijing time, as everywhere
    except TimeFormatError:
        raise InvalidInput(f"{name} is not a W3C date-time", field=name) from None


def list_requests(session: Session, *, service_request_id: str | None = None, service_code: str | None = None,
                  start_date: str | None = None, end_date: str | None = None,
                  status: str | None = None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"ids": None, "start": None, "end": None, "codes": None, "closed": None,
                              "finished": list(rules.FINISHED), "limit": MAX_REQUESTS}
    if service_request_id:
        try:
            ids = [int(p) for p in service_request_id.split(",") if p.strip()]
        except ValueError:
            ids = [0]
        if not all(0 < i <= BIGINT_MAX for i in ids):  # complaints.id is a bigint
            raise InvalidInput("service_request_id must be a comma list of ids", field="service_request_id")
        params["ids"] = ids
    else:
        end = _time(end_date, "end_date") or datetime.now(UTC)
        start = _time(start_date, "start_date") or end - timedelta(days=DEFAULT_DAYS)
        params.update(start=start, end=end)
        if service_code:
            params["codes"] = service_code.split(",")
        if status:
            if status not in ("open", "closed"):
                raise InvalidInput("status is open or closed", field="status")
            params["closed"] = status == "closed"
    rows = session.execute(sql.query(__file__, "open311_requests"), params).all()
    return [_request(r) for r in rows]


def get_request(session: Session, *, request_id: str) -> list[dict[str, Any]]:
    if not request_id.isdigit():
        raise NotFound(f"request {request_id} not found", field="service_request_id")
    rows = list_requests(session, service_request_id=request_id)
    if not rows:
        raise NotFound(f"request {request_id} not found", field="service_request_id")
    return rows

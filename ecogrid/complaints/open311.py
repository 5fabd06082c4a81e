"""Open311 GeoReport v2: complaint categories as services, complaints as service requests.

Nothing here ever carries the complainant's name, phone or e-mail, nor the client's device or
account: Open311 answers are public. ``agency_responsible`` is the responsible unit of the zone the
request lies in. Where GeoReport v2 leaves a choice, the choices are:

- A location is ``lat`` & ``long``, ``address_string`` or ``address_id``. Without coordinates the
  complaint is registered unlocated (it needs geocoding, as with any address-only complaint); with
  ``address_id`` alone its address reads ``地址编码 <id>``, so staff see what the client gave.
- ``description`` is optional, as the spec has it, and at most 4,000 characters.
- GET requests covers at most 90 days: both dates given further apart is a 400; one date alone
  opens a 90-day window from it (after ``start_date``, before ``end_date``); neither, the last 90
  days. At most :data:`MAX_REQUESTS`, newest first, as the spec's response volume allows.
- Every service is ``realtime``: the id comes back at once, so no token is ever issued.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy.orm import Session

from ecogrid.cases import rules, states
from ecogrid.complaints import intake, limits
from ecogrid.complaints import open311_services as services
from ecogrid.complaints.open311_schemas import (
    Discovery,
    DiscoveryEndpoint,
    ServiceAttribute,
    ServiceDefinition,
    ServiceRequest,
    ServiceRequestCreated,
    ServiceRequestForm,
)
from ecogrid.core import sql, text_rules
from ecogrid.core.errors import InvalidInput, NotFound
from ecogrid.core.models import Open311Detail
from ecogrid.core.settings import Settings
from ecogrid.core.time import TimeFormatError, now, read_time, rfc3339
from ecogrid.core.value_ranges import BIGINT_MAX
from ecogrid.core.vocabulary import label

SPAN = timedelta(days=90)
MAX_REQUESTS = 1000
MAX_IDS = 1000
IDENTIFIER_MAX = 128  # address_id, device_id, account_id
# When the service definitions last changed (discovery's changeset): clients refresh cached definitions.
CHANGESET = "2026-12-02T00:00:00+08:00"
FORMATS = ("text/xml", "application/json")
# What comes next for a case in each status, after the status itself (``已受理，待派单``).
_NEXT = {"registered": "待受理", "accepted": "待派单", "dispatched": "待办理", "replied": "待回访",
         "revisited": "待销号"}


def status_note(status: str | None) -> str | None:
    return states.STATUS_LABELS[states.Status(status)][0] if status else None


def service_notice(status: str | None, *, is_repeat: bool = False) -> str | None:
    """What is true of the request now, said from the case's status (``已登记，待受理`` while only registered)."""
    if not status:
        return None
    notice = "，".join(p for p in (status_note(status), _NEXT.get(status)) if p)
    return f"重复件，已并入同一问题（{notice}）" if is_repeat else notice


def get_definition(code: str) -> ServiceDefinition:
    if code not in services.GROUPS:
        raise NotFound(f"service_code {code} not found", field="service_code")
    return ServiceDefinition(service_code=code, attributes=services.attributes(code))


def discovery(*, endpoint_url: str, settings: Settings) -> Discovery:
    return Discovery(changeset=CHANGESET, contact=settings.open311_contact, key_service=settings.open311_key_service,
                     endpoints=[DiscoveryEndpoint(url=endpoint_url, changeset=CHANGESET, formats=list(FORMATS))])


def _float(value: str | None, name: str) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(f"{name} is not a number", field=name) from None
    if not math.isfinite(number):
        raise InvalidInput(f"{name} is not a number", field=name)
    return number


def _one(code: str, values: list[str]) -> str:
    if len(set(values)) > 1:
        raise InvalidInput(f"attribute[{code}] takes one value", field=f"attribute[{code}]")
    return values[0]


def _attribute_value(attribute: ServiceAttribute, values: list[str]) -> str | list[str]:
    code, field = attribute.code, f"attribute[{attribute.code}]"
    keys = [v.key for v in attribute.values]
    if attribute.datatype == "multivaluelist":
        unknown = [v for v in values if v not in keys]
        if unknown:
            raise InvalidInput(f"{field}: unknown value {unknown[0]!r}; expected any of {', '.join(keys)}",
                               field=field)
        return [k for k in keys if k in values]  # in the definition's order, each once
    value = _one(code, values)
    if attribute.datatype == "singlevaluelist" and value not in keys:
        raise InvalidInput(f"{field}: unknown value {value!r}; expected one of {', '.join(keys)}", field=field)
    if attribute.datatype == "number":
        _float(value, field)
    if attribute.datatype == "datetime":
        try:
            read_time(value)
        except TimeFormatError:
            raise InvalidInput(f"{field} is not a date-time", field=field) from None
    if attribute.datatype == "string" and ("\n" in value or "\r" in value or len(value) > services.STRING_MAX):
        raise InvalidInput(f"{field} is one line of at most {services.STRING_MAX} characters", field=field)
    if attribute.datatype == "text" and len(value) > limits.DESCRIPTION:
        raise InvalidInput(f"{field} is longer than {limits.DESCRIPTION} characters", field=field)
    return value


def check_attributes(code: str, given: dict[str, list[str]]) -> dict[str, str | list[str]]:
    """The answers to the service's attributes, checked against its definition, as they are stored."""
    defined = {a.code: a for a in services.attributes(code)}
    for name in given:
        if name not in defined:
            raise InvalidInput(f"attribute[{name}] is not an attribute of service {code}", field=f"attribute[{name}]")
    answers: dict[str, str | list[str]] = {}
    for attribute in sorted(defined.values(), key=lambda a: a.order):
        values = given.get(attribute.code)
        if values:
            answers[attribute.code] = _attribute_value(attribute, values)
        elif attribute.required:
            raise InvalidInput(f"attribute[{attribute.code}] is required", field=f"attribute[{attribute.code}]")
    return answers


def create_request(session: Session, *, form: ServiceRequestForm, settings: Settings,
                   retry_ref: str | None = None) -> ServiceRequestCreated:
    """Register a GeoReport v2 request. ``retry_ref`` (from the client's ``Idempotency-Key``, see
    ``retry_ref_of``) makes a resent request answer with the one stored the first time."""
    # Checked under the names the client sent (first_name, not the complainant_name they become).
    for name, value in form.model_dump(exclude={"attributes"}).items():
        text_rules.check_text(value, field=name)
    code = form.service_code
    if not code:
        raise InvalidInput("service_code is required", field="service_code")
    if code not in services.GROUPS:
        raise NotFound(f"service_code {code} not found", field="service_code")
    answers = check_attributes(code, form.attributes)
    for name in ("address_id", "device_id", "account_id"):
        value = getattr(form, name)
        if value is not None and len(value) > IDENTIFIER_MAX:
            raise InvalidInput(f"{name} is longer than {IDENTIFIER_MAX} characters", field=name)
    lat, lon = _float(form.lat, "lat"), _float(form.long, "long")
    if (lat is None) != (lon is None):
        raise InvalidInput("lat and long go together", field="long" if lon is None else "lat")
    address = form.address_string or (f"地址编码 {form.address_id}" if form.address_id else None)
    if lat is None and address is None:
        raise InvalidInput("a location is required: lat and long, address_string or address_id", field="long")
    full_name = " ".join(p for p in (form.first_name, form.last_name) if p) or None
    data = intake.ComplaintIn(
        channel="open311", kind="complaint", category=code, description=form.description or "",
        lon=lon, lat=lat, address=address, complainant_name=full_name, complainant_phone=form.phone,
        complainant_email=form.email, media_url=form.media_url, external_ref=retry_ref,
    )
    try:
        registration = intake.register_complaint(session, data=data, settings=settings, with_suspects=False)
    except InvalidInput as exc:
        if exc.field == "lon":
            raise InvalidInput(exc.message.replace("(lon, lat)", "(lat, long)"), field="long") from None
        raise
    complaint = registration.complaint
    if not registration.created:
        status = complaint.case.status if complaint.case is not None else None
        return ServiceRequestCreated(service_request_id=str(complaint.id),
                                     service_notice=service_notice(status, is_repeat=complaint.is_repeat),
                                     account_id=form.account_id)
    session.add(Open311Detail(complaint_id=complaint.id, address_id=form.address_id, device_id=form.device_id,
                              account_id=form.account_id, attributes=answers))
    session.flush()
    status = complaint.case.status if complaint.case is not None else None
    return ServiceRequestCreated(service_request_id=str(complaint.id),
                                 service_notice=service_notice(status, is_repeat=complaint.is_repeat),
                                 account_id=form.account_id)


# The IETF's Idempotency-Key header: opaque to the server, chosen by the client for each new request.
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def retry_ref_of(key: str | None, *, client_id: int) -> str | None:
    """The complaint reference a client's ``Idempotency-Key`` stands for: scoped to the client's API key, so
    two clients choosing the same key never meet. InvalidInput naming the header for a malformed key."""
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInput("Idempotency-Key is 8 to 64 letters, digits, '.', '_', ':' or '-'",
                           field="Idempotency-Key")
    return f"idempotency:{client_id}:{key}"


def _w3(moment: datetime) -> str:
    written = rfc3339(moment)
    assert written is not None  # received_at is never null
    return written


def _request(row: Any) -> ServiceRequest:
    closed = rules.is_finished(row.status) if row.status else False
    return ServiceRequest(
        service_request_id=str(row.id), status="closed" if closed else "open", status_notes=status_note(row.status),
        service_name=label(row.category, "zh"), service_code=row.category,
        description=row.description or None, agency_responsible=row.responsible_unit,
        service_notice=service_notice(row.status, is_repeat=row.is_repeat),
        requested_datetime=_w3(row.received_at), updated_datetime=_w3(row.updated or row.received_at),
        expected_datetime=None if closed else rfc3339(row.due_at), address=row.address, address_id=row.address_id,
        zipcode=None, lat=row.lat, long=row.lon, media_url=row.media_url)


def _time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return read_time(value)  # without an offset: Beijing time, as everywhere
    except TimeFormatError:
        raise InvalidInput(f"{name} is not a W3C date-time", field=name) from None


def _ids(value: str) -> list[int]:
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if len(parts) > MAX_IDS:
        raise InvalidInput(f"service_request_id takes at most {MAX_IDS} ids", field="service_request_id")
    try:
        ids = [int(p) for p in parts]
    except ValueError:
        ids = [0]
    if not ids or not all(0 < i <= BIGINT_MAX for i in ids):  # complaints.id is a bigint
        raise InvalidInput("service_request_id must be a comma list of ids", field="service_request_id")
    return ids


def window(start_date: str | None, end_date: str | None) -> tuple[datetime, datetime]:
    """The requested_datetime range of GET requests: never more than 90 days (see the module's docstring)."""
    start, end = _time(start_date, "start_date"), _time(end_date, "end_date")
    if start is not None and end is not None:
        if end < start:
            raise InvalidInput("end_date lies before start_date", field="end_date")
        if end - start > SPAN:
            raise InvalidInput("start_date and end_date may not span more than 90 days", field="end_date")
        return start, end
    if start is not None:
        return start, start + SPAN
    end = end or now()
    return end - SPAN, end


def _finished_wanted(status: str | None) -> bool | None:
    """True: closed only, False: open only, None: both (or no filter)."""
    if not status:
        return None
    wanted = {p.strip() for p in status.split(",") if p.strip()}
    unknown = wanted - {"open", "closed"}
    if unknown:
        raise InvalidInput(f"status is open, closed or both (comma delimited), not {sorted(unknown)[0]!r}",
                           field="status")
    return None if len(wanted) != 1 else wanted == {"closed"}


def list_requests(session: Session, *, service_request_id: str | None = None, service_code: str | None = None,
                  start_date: str | None = None, end_date: str | None = None,
                  status: str | None = None) -> list[ServiceRequest]:
    params: dict[str, Any] = {"ids": None, "start": None, "end": None, "codes": None, "finished_wanted": None,
                              "finished": list(rules.FINISHED), "limit": MAX_REQUESTS}
    if service_request_id:  # "This overrides all other arguments."
        params["ids"] = _ids(service_request_id)
    else:
        params["start"], params["end"] = window(start_date, end_date)
        if service_code:
            params["codes"] = [c.strip() for c in service_code.split(",") if c.strip()]
        params["finished_wanted"] = _finished_wanted(status)
    return [_request(r) for r in session.execute(sql.query(__file__, "open311_requests"), params).all()]


def get_request(session: Session, *, request_id: str) -> list[ServiceRequest]:
    if not request_id.isdigit() or not 0 < int(request_id) <= BIGINT_MAX:
        raise NotFound(f"request {request_id} not found", field="service_request_id")
    rows = list_requests(session, service_request_id=request_id)
    if not rows:
        raise NotFound(f"request {request_id} not found", field="service_request_id")
    return rows


def get_token(token: str) -> NoReturn:
    raise NotFound(f"token {token} not found: every service here is realtime, so POST requests answers with the "
                   "service_request_id and issues no token", field="token")

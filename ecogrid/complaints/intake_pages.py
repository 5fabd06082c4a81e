"""Registering complaints in the staff console: ``/intake`` for a phone call, ``/intake/import`` for a file.

The phone form posts twice: "查重" (check) has intake validate the fields and lists the open cases nearby
of the same category (the repeat rule's own candidates), so the clerk can join one; "登记" (save) hands the
form to ``intake.register_complaint``, the same function as the API. Coordinates pasted from a Chinese map
keep their datum (GCJ-02, BD-09) and intake converts them with ``geo.coords``. A hidden submission key goes
in as the complaint's external reference, so a form sent twice is stored once.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from api import console
from api.deps import DbSession, SettingsDep
from ecogrid.cases.case_pages import case_points, shown_at
from ecogrid.complaints import bulk_import as complaint_import
from ecogrid.complaints import import_mapping as mappings
from ecogrid.complaints import intake as intake_service
from ecogrid.complaints import queries as complaint_service
from ecogrid.core import authorization
from ecogrid.core.errors import DomainError, InvalidInput, NotFound
from ecogrid.core.settings import Settings
from ecogrid.core.time import rfc3339
from ecogrid.core.vocabulary import Category, Channel, Crs, Kind
from geo import coords
from maps import render

router = APIRouter(include_in_schema=False)

Clerk = Annotated[console.Page, Depends(console.console_page("clerk"))]
SUBMISSION_PREFIX = "console:"
_PASTED = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[,，\s]\s*(-?\d+(?:\.\d+)?)\s*$")
_REPORT_NAME = re.compile(r"^[0-9]+-[A-Za-z0-9_-]{16,64}\.csv$")
PHONE_CHANNELS = ("hotline_12345", "hotline_12369", "visit", "letter", "national_platform", "provincial_hotline",
                  "web", "patrol")


def _number(form: FormData, name: str) -> float | None:
    value = console.form_text(form, name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a number", field=name) from None


def read_complaint(form: FormData) -> intake_service.ComplaintIn:
    """The phone form as intake's input; pasted coordinates ("lon,lat") win over the pin."""
    text = console.form_text
    lon, lat, crs = _number(form, "lon"), _number(form, "lat"), text(form, "crs") or "wgs84"
    pasted = text(form, "coords")
    if pasted:
        found = _PASTED.match(pasted)
        if not found:
            raise InvalidInput("paste the coordinates as longitude,latitude", field="coords")
        lon, lat, crs = float(found.group(1)), float(found.group(2)), text(form, "coords_crs") or "gcj02"
    join = text(form, "join_case_id")
    submission = text(form, "submission")
    external = text(form, "external_ref") or (SUBMISSION_PREFIX + submission if submission else None)
    return intake_service.ComplaintIn(
        channel=text(form, "channel") or "", kind=text(form, "kind") or "", category=text(form, "category") or "",
        description=text(form, "description") or "", lon=lon, lat=lat, crs=crs, address=text(form, "address"),
        complainant_name=text(form, "complainant_name"), complainant_phone=text(form, "complainant_phone"),
        urgency=text(form, "urgency") or "ordinary", external_ref=external,
        join_case_id=None if join in (None, "auto") else join)  # type: ignore[arg-type]


def _form_page(page: console.Page, settings: Settings, *, status: int = 200, typed: Any = None,
               errors: dict[str, str] | None = None, nearby: list[dict[str, Any]] | None = None,
               done: dict[str, Any] | None = None) -> Response:
    base = render.page_layers(settings.base_map, tianditu_key=settings.tianditu_key)
    points = []
    for case in nearby or []:
        if case.get("lon") is not None:
            points.append({**shown_at(base, case["lon"], case["lat"]), "colour": "red", "kind": "nearby",
                           "lines": [{"text": f"#{case['id']}", "href": f"/cases/{case['id']}"}]})
    if done and done["complaint"].get("lon") is not None:
        c = done["complaint"]
        points.append({**shown_at(base, c["lon"], c["lat"]), "colour": "case", "kind": "registered", "radius": 10,
                       "lines": [f"#{c['case_id']}"]})
    map_data = {"base": base, "points": points, "centre": [settings.office_lat, settings.office_lon],
                "pin": None if done else {"lon": "lon", "lat": "lat", "crs": "crs", "datum": base["crs"]}}
    typed = typed or {}
    return console.render(
        page, "intake.html", status=status, typed=typed, errors=errors or {}, nearby=nearby, done=done,
        channels=[c for c in PHONE_CHANNELS if c in {ch.value for ch in Channel}], kinds=[k.value for k in Kind],
        categories=[c.value for c in Category], crs_choices=[c.value for c in Crs], map_data=map_data,
        submission=typed.get("submission") or secrets.token_urlsafe(18))


@router.get("/intake")
def intake_form(settings: SettingsDep, page: Clerk) -> Response:
    return _form_page(page, settings, typed={"channel": "hotline_12345", "kind": "complaint"})


def _nearby(session: Session, settings: Settings, data: intake_service.ComplaintIn) -> list[dict[str, Any]]:
    if data.lon is None or data.lat is None or data.kind != Kind.complaint.value:
        return []
    lon, lat = coords.to_wgs84(float(data.lon), float(data.lat), data.crs)
    found = intake_service.nearby_cases(session, category=data.category, lon=lon, lat=lat, settings=settings)
    points = case_points(session, [c["id"] for c in found])
    for case in found:
        case["lon"], case["lat"] = points.get(case["id"], (None, None))
        case["opened_at"], case["due_at"] = rfc3339(case["opened_at"]), rfc3339(case["due_at"])
    return found


@router.post("/intake")
def register(session: DbSession, settings: SettingsDep, page: Clerk, form: console.PostedForm) -> Response:
    authorization.check_may_register(page.role)
    step = console.form_text(form, "step") or "check"
    try:
        data = intake_service.validate(read_complaint(form))
        nearby = _nearby(session, settings, data)
        if step == "check":
            return _form_page(page, settings, typed=form, nearby=nearby)
        registration = intake_service.register_complaint(session, data=data, created_by_id=page.principal.user_id,
                                                         settings=settings)
        complaint = complaint_service.get_complaint(session, complaint_id=registration.complaint.id, role=page.role,
                                                    actor_id=page.principal.user_id, actor_name=page.principal.name)
        session.commit()
    except DomainError as exc:
        session.rollback()
        return _form_page(page, settings, status=422, typed=form, errors={exc.field or "description":
                                                                           page.error_text(exc)})
    return _form_page(page, settings, status=201 if registration.created else 200, done={
        "complaint": complaint, "suspects": registration.suspects, "created": registration.created})


# ---------------------------------------------------------------- file import


def _reports_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "import-reports"


def _read_upload(value: Any, limit: int, field: str) -> bytes | None:
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    data = value.file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"{field} is larger than {limit} bytes", field=field)
    return data


@router.get("/intake/import")
def import_form(page: Clerk) -> Response:
    return console.render(page, "import.html", report=None, errors={}, download=None)


@router.post("/intake/import")
def import_file(session: DbSession, settings: SettingsDep, page: Clerk, form: console.PostedForm) -> Response:
    """The export through ``bulk_import.import_file`` (as the API and the CLI); the error report is kept for the
    clerk who ran it, to download."""
    check = form.get("check") == "1"
    try:
        data = _read_upload(form.get("file"), settings.import_max_bytes, "file")
        if data is None:
            raise InvalidInput("choose the file to import", field="file")
        mapping = mappings.ImportMapping()
        mapping_bytes = _read_upload(form.get("mapping"), settings.import_mapping_max_bytes, "mapping")
        if mapping_bytes is not None:
            upload = form.get("mapping")
            name = upload.filename if isinstance(upload, UploadFile) and upload.filename else "mapping.json"
            mapping = mappings.from_document(mappings.parse_document(mapping_bytes, name=name))
        report = complaint_import.import_file(session, source=data, mapping=mapping, check=check,
                                              created_by_id=page.principal.user_id, settings=settings)
        if not check:
            session.commit()
    except DomainError as exc:
        session.rollback()
        return console.render(page, "import.html", status=422, report=None, download=None,
                              errors={exc.field or "file": page.error_text(exc)})
    download = None
    if report.errors:
        folder = _reports_dir(settings)
        folder.mkdir(parents=True, exist_ok=True)
        download = f"{page.principal.user_id}-{secrets.token_urlsafe(18)}.csv"
        (folder / download).write_text(complaint_import.errors_csv(report.errors), encoding="utf-8-sig")
    return console.render(page, "import.html", report=report, errors={}, download=download)


@router.get("/intake/import/errors/{name}")
def import_errors(name: str, settings: SettingsDep, page: Clerk) -> Response:
    """An error report, to the clerk whose import made it."""
    if not _REPORT_NAME.fullmatch(name) or not name.startswith(f"{page.principal.user_id}-"):
        raise NotFound("no such error report")
    path = _reports_dir(settings) / name
    if not path.is_file():
        raise NotFound("no such error report")
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename="import-errors.csv",
                        headers={"Cache-Control": "no-store"})

"""Inspector-facing API: tasks, inspections with readings, photo evidence (used by the form at /m)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from pydantic import BaseModel, Field

from api.deps import DbSession, Principal, SettingsDep, require_roles
from api.params import Id, Moment
from ecogrid.inspections import service as inspection_service
from ecogrid.inspections.photos.store import photo_store

router = APIRouter(tags=["inspections"])

FieldStaff = Annotated[Principal, Depends(require_roles("inspector", "chief"))]


class ReadingCreate(BaseModel):
    client_id: str | None = Field(default=None, max_length=64)
    parameter: str = Field(max_length=32)
    value: float
    unit: str | None = Field(default=None, max_length=16)
    measured_at: Moment
    instrument: str | None = Field(default=None, max_length=128)
    background: float | None = None


class InspectionCreate(BaseModel):
    case_id: Id
    client_id: str = Field(max_length=64)
    findings: str | None = Field(default=None, max_length=20_000)
    lon: float | None = None
    lat: float | None = None
    started_at: Moment | None = None
    conclusion: Literal["problem_confirmed", "not_confirmed", "source_identified"] | None = None
    source_id: Id | None = None
    readings: list[ReadingCreate] = Field(default_factory=list, max_length=200)


def _actor(principal: Principal) -> inspection_service.Actor:
    return inspection_service.Actor(user_id=principal.user_id, role=principal.role)


@router.get("/api/v1/inspections/tasks")
def list_tasks(session: DbSession, principal: FieldStaff,
               lon: float | None = None, lat: float | None = None) -> dict[str, Any]:
    items = inspection_service.list_tasks(session, actor=_actor(principal), lon=lon, lat=lat)
    return {"items": items, "total": len(items)}


@router.get("/api/v1/inspections/vocabulary")
def form_vocabulary(_: FieldStaff) -> dict[str, Any]:
    """What the form offers: reading parameters with their units, labels in Chinese and English."""
    return inspection_service.form_vocabulary()


@router.get("/api/v1/inspections/tasks/{case_id}")
def get_task(case_id: Id, session: DbSession, settings: SettingsDep, principal: FieldStaff) -> dict[str, Any]:
    return inspection_service.get_task(session, actor=_actor(principal), case_id=case_id, settings=settings)


@router.post("/api/v1/inspections", status_code=201)
def submit_inspection(body: InspectionCreate, response: Response, session: DbSession,
                      principal: FieldStaff) -> dict[str, Any]:
    data = inspection_service.InspectionIn(
        case_id=body.case_id, client_id=body.client_id, findings=body.findings, lon=body.lon, lat=body.lat,
        started_at=body.started_at, conclusion=body.conclusion, source_id=body.source_id,
        readings=tuple(inspection_service.ReadingIn(**r.model_dump()) for r in body.readings),
    )
    inspection, created = inspection_service.submit_inspection(session, actor=_actor(principal), data=data)
    if not created:
        response.status_code = 200
    return inspection_service.describe_inspection(session, inspection=inspection)


@router.get("/api/v1/inspections/{inspection_id}")
def get_inspection(inspection_id: Id, session: DbSession, principal: FieldStaff) -> dict[str, Any]:
    inspection = inspection_service.get_inspection(session, actor=_actor(principal), inspection_id=inspection_id)
    return inspection_service.describe_inspection(session, inspection=inspection)


@router.post("/api/v1/inspections/{inspection_id}/photos", status_code=201)
def add_photo(
    inspection_id: Id,
    file: Annotated[UploadFile, File()],
    client_id: Annotated[str, Form(max_length=64)],
    response: Response,
    session: DbSession,
    settings: SettingsDep,
    principal: FieldStaff,
) -> dict[str, Any]:
    # One byte past the limit is enough to refuse; a huge upload is never held in memory whole.
    data = file.file.read(settings.max_upload_bytes + 1)
    photo, created = inspection_service.add_photo(
        session, actor=_actor(principal), inspection_id=inspection_id, client_id=client_id, data=data,
        filename=file.filename, store=photo_store(settings), settings=settings,
    )
    if not created:
        response.status_code = 200
    return inspection_service.describe_photo(session, photo=photo)


def photo_response(content: bytes, mime: str, photo_id: int, suffix: str = "") -> Response:
    # The client's file name is metadata only (see the photo's JSON); never echoed into a header.
    filename = f"photo-{photo_id}{suffix}"
    return Response(
        content=content,
        media_type=mime,
        headers={
            "Cache-Control": "private, max-age=86400, immutable",
            "Content-Disposition": f'inline; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/api/v1/photos/{photo_id}")
def read_photo(photo_id: Id, session: DbSession, settings: SettingsDep, principal: FieldStaff) -> Response:
    content, mime, photo = inspection_service.read_photo(
        session, actor=_actor(principal), photo_id=photo_id, store=photo_store(settings))
    return photo_response(content, mime, photo.id)


@router.get("/api/v1/photos/{photo_id}/thumb")
def read_thumbnail(photo_id: Id, session: DbSession, settings: SettingsDep, principal: FieldStaff,
                   size: Annotated[int, Query(description="320 or 1280")] = 320) -> Response:
    content, mime, photo = inspection_service.read_photo(
        session, actor=_actor(principal), photo_id=photo_id, store=photo_store(settings), size=size,
        settings=settings)
    return photo_response(content, mime, photo.id, f"-{size}.jpg")

"""Inspector-facing API: tasks, inspections with readings, photo evidence (used by the form at /m)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from fastapi.responses import StreamingResponse

from api.deps import DbSession, Principal, SettingsDep, require_roles
from api.openapi_responses import errors
from api.params import Id
from ecogrid.inspections import service as inspection_service
from ecogrid.inspections.photos.store import photo_store
from ecogrid.inspections.schemas import FormVocabulary, InspectionCreate, InspectionRead, PhotoRead, TaskList, TaskRead

# What a stored photo may be (the upload check accepts these); thumbnails are always JPEG.
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic")

router = APIRouter(tags=["inspections"])

FieldStaff = Annotated[Principal, Depends(require_roles("inspector", "chief"))]


def _actor(principal: Principal) -> inspection_service.Actor:
    return inspection_service.Actor(user_id=principal.user_id, role=principal.role)


@router.get("/api/v1/inspections/tasks", response_model=TaskList)
def list_tasks(session: DbSession, principal: FieldStaff,
               lon: float | None = None, lat: float | None = None) -> TaskList:
    """The caller's cases still being handled, soonest due first (with the distance from lon, lat)."""
    items = inspection_service.list_tasks(session, actor=_actor(principal), lon=lon, lat=lat)
    return TaskList.model_validate({"items": items, "total": len(items)})


@router.get("/api/v1/inspections/vocabulary", response_model=FormVocabulary)
def read_form_vocabulary(_: FieldStaff) -> FormVocabulary:
    """What the form offers: reading parameters with their units, labels in Chinese and English."""
    return FormVocabulary.model_validate(inspection_service.form_vocabulary())


@router.get("/api/v1/inspections/tasks/{case_id}", response_model=TaskRead, responses=errors(404))
def read_task(case_id: Id, session: DbSession, settings: SettingsDep, principal: FieldStaff) -> TaskRead:
    return TaskRead.model_validate(inspection_service.get_task(session, actor=_actor(principal), case_id=case_id,
                                                               settings=settings))


@router.post("/api/v1/inspections", status_code=201, response_model=InspectionRead,
             responses={200: {"model": InspectionRead, "description": "already stored (same client_id)"},
                        **errors(404, 409)})
def submit_inspection(body: InspectionCreate, response: Response, session: DbSession,
                      principal: FieldStaff) -> InspectionRead:
    data = inspection_service.InspectionIn(
        case_id=body.case_id, client_id=body.client_id, findings=body.findings, lon=body.lon, lat=body.lat,
        started_at=body.started_at, conclusion=body.conclusion, source_id=body.source_id,
        readings=tuple(inspection_service.ReadingIn(**r.model_dump()) for r in body.readings),
        patrol_target_id=body.patrol_target_id, campaign_id=body.campaign_id,
    )
    inspection, created = inspection_service.submit_inspection(session, actor=_actor(principal), data=data)
    if not created:
        response.status_code = 200
    return InspectionRead.model_validate(inspection_service.describe_inspection(session, inspection=inspection))


@router.get("/api/v1/inspections/{inspection_id}", response_model=InspectionRead, responses=errors(404))
def read_inspection(inspection_id: Id, session: DbSession, principal: FieldStaff) -> InspectionRead:
    inspection = inspection_service.get_inspection(session, actor=_actor(principal), inspection_id=inspection_id)
    return InspectionRead.model_validate(inspection_service.describe_inspection(session, inspection=inspection))


@router.post("/api/v1/inspections/{inspection_id}/photos", status_code=201, response_model=PhotoRead,
             responses={200: {"model": PhotoRead, "description": "already stored (same client_id)"},
                        **errors(404, 409, 413)})
def add_photo(
    inspection_id: Id,
    file: Annotated[UploadFile, File()],
    client_id: Annotated[str, Form(max_length=64)],
    response: Response,
    session: DbSession,
    settings: SettingsDep,
    principal: FieldStaff,
) -> PhotoRead:
    # One byte past the limit is enough to refuse; a huge upload is never held in memory whole.
    data = file.file.read(settings.max_upload_bytes + 1)
    photo, created = inspection_service.add_photo(
        session, actor=_actor(principal), inspection_id=inspection_id, client_id=client_id, data=data,
        filename=file.filename, store=photo_store(settings), settings=settings,
    )
    if not created:
        response.status_code = 200
    return PhotoRead.model_validate(inspection_service.describe_photo(session, photo=photo))


def photo_response(content: bytes, mime: str, photo_id: int, suffix: str = "") -> Response:
    # The client's file name is metadata only (see the photo's JSON); never echoed into a header.
    return Response(content=content, media_type=mime, headers=_photo_headers(photo_id, suffix))


def _photo_headers(photo_id: int, suffix: str = "") -> dict[str, str]:
    filename = f"photo-{photo_id}{suffix}"
    return {
        "Cache-Control": "private, max-age=86400, immutable",
        "Content-Disposition": f'inline; filename="{filename}"',
        "X-Content-Type-Options": "nosniff",
    }


def _image_responses(types: tuple[str, ...], description: str) -> dict[int | str, dict[str, Any]]:
    content = {mime: {"schema": {"type": "string", "format": "binary"}} for mime in types}
    return {200: {"description": description, "content": content}, **errors(404)}


@router.get("/api/v1/photos/{photo_id}", response_class=Response,
            responses=_image_responses(PHOTO_TYPES, "the photo as uploaded"))
def read_photo(photo_id: Id, session: DbSession, settings: SettingsDep, principal: FieldStaff) -> Response:
    # Streamed from the store after the role check: an original is never held whole in memory.
    chunks, photo = inspection_service.stream_photo(
        session, actor=_actor(principal), photo_id=photo_id, store=photo_store(settings))
    return StreamingResponse(chunks, media_type=photo.mime, headers={
        **_photo_headers(photo.id), "Content-Length": str(photo.size_bytes)})


@router.get("/api/v1/photos/{photo_id}/thumb", response_class=Response,
            responses=_image_responses(("image/jpeg",), "a JPEG thumbnail, the longer side 320 or 1280 pixels"))
def read_photo_thumbnail(photo_id: Id, session: DbSession, settings: SettingsDep, principal: FieldStaff,
                   size: Annotated[int, Query(description="320 or 1280")] = 320) -> Response:
    content, mime, photo = inspection_service.read_photo(
        session, actor=_actor(principal), photo_id=photo_id, store=photo_store(settings), size=size,
        settings=settings)
    return photo_response(content, mime, photo.id, f"-{size}.jpg")

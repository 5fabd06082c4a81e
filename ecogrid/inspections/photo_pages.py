"""Inspection photos for the staff console's case page, signed in by the page cookie (an ``<img>`` sends no
bearer header). The same service as ``/api/v1/photos`` decides who may see them and builds thumbnails."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.deps import DbSession, Principal, SettingsDep
from api.page_auth import require_page_roles
from api.params import Id
from ecogrid.inspections import service as inspection_service
from ecogrid.inspections.photos.store import photo_store
from ecogrid.inspections.views import photo_response

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require_page_roles("inspector", "chief"))]


def _actor(principal: Principal) -> inspection_service.Actor:
    return inspection_service.Actor(user_id=principal.user_id, role=principal.role)


@router.get("/photos/{photo_id}")
def photo(photo_id: Id, session: DbSession, settings: SettingsDep, principal: Viewer) -> Response:
    content, mime, row = inspection_service.read_photo(session, actor=_actor(principal), photo_id=photo_id,
                                                       store=photo_store(settings))
    return photo_response(content, mime, row.id)


@router.get("/photos/{photo_id}/thumb")
def thumbnail(photo_id: Id, session: DbSession, settings: SettingsDep, principal: Viewer) -> Response:
    content, mime, row = inspection_service.read_photo(session, actor=_actor(principal), photo_id=photo_id,
                                                       store=photo_store(settings), size=320, settings=settings)
    return photo_response(content, mime, row.id, "-320.jpg")

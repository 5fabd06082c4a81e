"""Open311 GeoReport v2 (JSON) under /open311/v2: errors are ``[{"code", "description"}]`` as the spec says."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import DbSession, SettingsDep
from api.errors import open311_error
from ecogrid.accounts import service as user_service
from ecogrid.complaints import open311 as open311_service
from ecogrid.core import authorization
from ecogrid.core.errors import DomainError, NotAuthenticated

router = APIRouter(prefix="/open311/v2", tags=["open311"])


def _answer(call: Callable[[], Any], status: int = 200) -> JSONResponse:
    try:
        return JSONResponse(call(), status_code=status)
    except DomainError as exc:
        return open311_error(exc)


@router.get("/services.json")
def services() -> JSONResponse:
    return _answer(open311_service.list_services)


@router.get("/services/{code}.json")
def service(code: str) -> JSONResponse:
    return _answer(lambda: open311_service.get_service(code))


@router.post("/requests.json")
async def create_request(request: Request, session: DbSession, settings: SettingsDep) -> JSONResponse:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def call() -> Any:
        if not form.get("api_key"):
            raise NotAuthenticated("api_key is required")
        key = user_service.check_api_key(session, key=form["api_key"])
        authorization.check_may_register(key.role)
        result = open311_service.create_request(session, form=form, settings=settings)
        session.commit()
        return result

    response = _answer(call, status=201)
    if response.status_code == 401:  # GeoReport v2 answers a bad key with 403
        return JSONResponse([{"code": 403, "description": "invalid api_key"}], status_code=403)
    return response


@router.get("/requests.json")
def requests(session: DbSession, service_request_id: str | None = None, service_code: str | None = None,
             start_date: str | None = None, end_date: str | None = None, status: str | None = None) -> JSONResponse:
    return _answer(lambda: open311_service.list_requests(
        session, service_request_id=service_request_id, service_code=service_code, start_date=start_date,
        end_date=end_date, status=status))


@router.get("/requests/{request_id}.json")
def request_by_id(request_id: str, session: DbSession) -> JSONResponse:
    return _answer(lambda: open311_service.get_request(session, request_id=request_id))

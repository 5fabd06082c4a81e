"""Open311 GeoReport v2 under /open311/v2, every resource as ``.json`` and ``.xml``, and its service
discovery at /open311/discovery.{json,xml}.

Errors (raised as domain errors, answered by ``api.errors``) are the spec's ``[{"code", "description"}]``
or ``<errors><error>...``, in the format the address names; an address under /open311 that matches no
route (or the wrong method) answers the same way. A POST requests body is read by
``open311_form`` before anything parses it, so raw UTF-8 text arrives as the client wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.deps import DbSession, SettingsDep
from ecogrid.accounts import service as user_service
from ecogrid.complaints import open311 as open311_service
from ecogrid.complaints import open311_form, open311_services, open311_xml
from ecogrid.complaints.open311_schemas import (
    Discovery,
    Open311Error,
    Service,
    ServiceDefinition,
    ServiceRequest,
    ServiceRequestCreated,
    ServiceRequestForm,
    TokenAnswer,
)
from ecogrid.core import authorization
from ecogrid.core.errors import NotAuthenticated

FORMATS = ("json", "xml")


class _FormRequest(Request):
    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            raw = await super().body()
            self._body = open311_form.normalise(raw, self.headers.get("content-type", ""))
        return self._body


class Open311Route(APIRoute):
    """A route whose form body is normalised (``open311_form``) before any dependency or handler reads it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def normalised(request: Request) -> Response:
            if request.method == "POST" and open311_form.is_form(request.headers.get("content-type", "")):
                request = _FormRequest(request.scope, request.receive)
                await request.body()
            return await handler(request)

        return normalised


router = APIRouter(prefix="/open311", tags=["open311"], route_class=Open311Route)
_ERROR_TEXTS = ((400, "bad request, as the spec's error list"), (403, "missing or invalid api_key"),
                (404, "no such service, request or token"))


def _errors(fmt: str) -> dict[int | str, dict[str, Any]]:
    if fmt == "xml":
        return {code: {"content": {"text/xml": {}}, "description": f"{text}: <errors><error><code/><description/>"}
                for code, text in _ERROR_TEXTS}
    return {code: {"model": list[Open311Error], "description": text} for code, text in _ERROR_TEXTS}


def _form_schema() -> dict[str, Any]:
    fields = [name for name in ServiceRequestForm.model_fields if name != "attributes"]
    return {"requestBody": {"required": True, "content": {open311_form.FORM_TYPE: {"schema": {
        "type": "object", "properties": {name: {"type": "string"} for name in fields},
        "additionalProperties": {"type": "string", "description": "attribute[code]=value, and "
                                 "attribute[code][]=value once per value of a multivaluelist"}}}}}}


def allowed_methods(path: str) -> list[str]:
    """Every method some Open311 route takes at ``path`` (for a 405's Allow header)."""
    return sorted({m for r in router.routes if isinstance(r, APIRoute) and r.path_regex.match(path)
                   for m in r.methods or ()})


def _answer(fmt: str, root: str, payload: BaseModel | Sequence[BaseModel], status: int = 200) -> Response:
    # model_dump, not jsonable_encoder: the same JSON, many times faster for a thousand requests.
    data = [m.model_dump(mode="json") for m in payload] if not isinstance(payload, BaseModel) else \
        payload.model_dump(mode="json")
    if fmt == "xml":
        return Response(open311_xml.document(root, data), status_code=status, media_type=open311_xml.CONTENT_TYPE)
    return JSONResponse(data, status_code=status)


def _route(path: str, fmt: str, endpoint: Callable[..., Any], model: Any, *, method: str = "GET",
           status: int = 200, summary: str) -> None:
    responses = _errors(fmt)
    extra = _form_schema() if method == "POST" else None
    # A short, unique snake_case name per method and address: open311_get_requests_json (see api/operation_ids).
    name = method.lower() + "_" + re.sub(r"[^a-z0-9]+", "_", path.removeprefix("/v2/").lower()).strip("_")
    if fmt == "xml":
        responses[status] = {"content": {"text/xml": {}}, "description": f"{summary} (XML)"}
        router.add_api_route(path, endpoint, methods=[method], status_code=status, response_class=Response,
                             responses=responses, summary=f"{summary} (XML)", name=name,
                             openapi_extra=extra)
    else:
        router.add_api_route(path, endpoint, methods=[method], status_code=status, response_model=model,
                             responses=responses, summary=summary, name=name, openapi_extra=extra)


def _discovery(fmt: str) -> Callable[..., Response]:
    def discovery(request: Request, settings: SettingsDep) -> Response:
        url = str(request.base_url).rstrip("/") + router.prefix + "/v2"
        return _answer(fmt, "discovery", open311_service.discovery(endpoint_url=url, settings=settings))

    return discovery


def _services(fmt: str) -> Callable[..., Response]:
    def services() -> Response:
        return _answer(fmt, "services", open311_services.all_services())

    return services


def _definition(fmt: str) -> Callable[..., Response]:
    def definition(code: str) -> Response:
        return _answer(fmt, "service_definition", open311_service.get_definition(code))

    return definition


def _create(fmt: str) -> Callable[..., Coroutine[Any, Any, Response]]:
    async def create_request(
        request: Request, session: DbSession, settings: SettingsDep,
        api_key: Annotated[str | None, Query(description="also read from the form body, as the spec sends it; "
                                                         "never written to the access log")] = None,
        idempotency_key: Annotated[str | None, Header(
            alias="Idempotency-Key", description="chosen by the client for each new request (8-64 of A-Z a-z "
            "0-9 . _ : -): sending the request again with it answers with the request stored the first time")
        ] = None,
    ) -> Response:
        parsed = await request.form()
        form = open311_form.read((k, v) for k, v in parsed.multi_items() if isinstance(v, str))
        key = form.api_key or api_key
        if not key:
            raise NotAuthenticated("api_key is required")

        def store() -> Response:
            client = user_service.check_api_key(session, key=key)
            authorization.check_may_register(client.role)
            retry_ref = open311_service.retry_ref_of(idempotency_key, client_id=client.id)
            created = open311_service.create_request(session, form=form, settings=settings, retry_ref=retry_ref)
            session.commit()
            return _answer(fmt, "service_requests", [created], status=201)

        # The body is read on the event loop; the key check and the writes are blocking database work, so
        # they run in the thread pool like every other route's, and never hold up the loop.
        return await run_in_threadpool(store)

    return create_request


def _requests(fmt: str) -> Callable[..., Response]:
    def requests(session: DbSession, service_request_id: str | None = None, service_code: str | None = None,
                 start_date: str | None = None, end_date: str | None = None, status: str | None = None) -> Response:
        found = open311_service.list_requests(session, service_request_id=service_request_id,
                                              service_code=service_code, start_date=start_date, end_date=end_date,
                                              status=status)
        return _answer(fmt, "service_requests", found)

    return requests


def _request(fmt: str) -> Callable[..., Response]:
    def request_by_id(request_id: str, session: DbSession) -> Response:
        return _answer(fmt, "service_requests", open311_service.get_request(session, request_id=request_id))

    return request_by_id


def _token(token: str) -> Response:
    # Every token is unknown (see ecogrid.complaints.open311); the error's format follows the address.
    open311_service.get_token(token)


for _fmt in FORMATS:
    _route(f"/discovery.{_fmt}", _fmt, _discovery(_fmt), Discovery, summary="Service discovery")
    _route(f"/v2/services.{_fmt}", _fmt, _services(_fmt), list[Service], summary="GET Service List")
    _route(f"/v2/services/{{code}}.{_fmt}", _fmt, _definition(_fmt), ServiceDefinition,
           summary="GET Service Definition")
    _route(f"/v2/requests.{_fmt}", _fmt, _create(_fmt), list[ServiceRequestCreated], method="POST", status=201,
           summary="POST Service Request")
    _route(f"/v2/requests.{_fmt}", _fmt, _requests(_fmt), list[ServiceRequest], summary="GET Service Requests")
    _route(f"/v2/requests/{{request_id}}.{_fmt}", _fmt, _request(_fmt), list[ServiceRequest],
           summary="GET Service Request")
    _route(f"/v2/tokens/{{token}}.{_fmt}", _fmt, _token, list[TokenAnswer],
           summary="GET service_request_id from a token")

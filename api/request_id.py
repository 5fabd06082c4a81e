"""Give every request an id: the client's ``X-Request-ID`` when it is a plain token, else a new one.

The id is returned in the response's ``X-Request-ID``, carried by every log line written while the
request is answered, and set as the database session's ``application_name`` (so a slow query in
``pg_stat_activity`` or the PostgreSQL log leads back to the request).
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecogrid.core import request_context


class RequestId:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_context.accept_or_new(Headers(scope=scope).get(request_context.HEADER))
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[request_context.HEADER] = request_id
            await send(message)

        token = request_context.set_request_id(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_context.reset_request_id(token)

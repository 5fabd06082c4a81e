"""Cancel the database work of a request whose client went away.

A sync endpoint runs in a worker thread and never hears that its client closed the connection,
so a slow query would run to its end (or to statement_timeout) for nobody. This pure ASGI
middleware watches the request's ``receive`` channel for ``http.disconnect`` while the app runs;
when the client leaves before the response is complete it cancels the statements of every
database connection the request used (``Database.cancel``, told of each one by the request
session through :class:`QueryGuard`).

The request body still reaches the app chunk by chunk: the watcher reads the next chunk only
once the app has taken the previous one, so nothing is buffered beyond one chunk.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecogrid.core.database import Database

SCOPE_KEY = "ecogrid.query_guard"


class QueryGuard:
    """The DBAPI connections one request used, to cancel their statements if the client leaves."""

    def __init__(self) -> None:
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        self.cancelled = False

    def watch(self, dbapi_connection: Any) -> None:
        with self._lock:
            if all(c is not dbapi_connection for c in self._connections):
                self._connections.append(dbapi_connection)
        if self.cancelled:
            Database.cancel(dbapi_connection)

    def cancel_all(self) -> None:
        self.cancelled = True
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            Database.cancel(connection)


def guard_of(scope: MutableMapping[str, Any]) -> QueryGuard | None:
    return scope.get(SCOPE_KEY)


class CancelOnDisconnect:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        guard = QueryGuard()
        scope[SCOPE_KEY] = guard
        inbox: asyncio.Queue[Message] = asyncio.Queue()
        taken = asyncio.Event()
        state = {"responded": False, "gone": False}

        async def watch() -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    state["gone"] = True
                    await inbox.put(message)
                    if not state["responded"]:
                        await asyncio.to_thread(guard.cancel_all)
                    return
                taken.clear()
                await inbox.put(message)
                if message.get("more_body"):
                    await taken.wait()

        async def app_receive() -> Message:
            if state["gone"] and inbox.empty():
                return {"type": "http.disconnect"}
            message = await inbox.get()
            taken.set()
            return message

        async def app_send(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                state["responded"] = True
            await send(message)

        watcher = asyncio.create_task(watch())
        try:
            await self.app(scope, app_receive, app_send)
        finally:
            watcher.cancel()

"""Request body caps, enforced before the application reads a byte it would not keep.

A pure ASGI middleware: a body whose Content-Length is over the cap of its route is refused with
413 at once, unread (a client that sent ``Expect: 100-continue`` never uploads it at all); a body
without a length (chunked) is counted as it streams and cut off at the cap, and the answer the
application would have given to the cut-off body is replaced by the same 413.

The cap depends on the route: a photo upload may be as large as a photo (``max_upload_bytes``
plus room for the form around the file), an import as large as an import file (``import_max_bytes``),
anything else is a form or a JSON document (``max_body_bytes``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from ecogrid.core.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The multipart framing, the client_id field and the file name around a photo's bytes.
FORM_ALLOWANCE_BYTES = 64 * 1024

_PHOTO_UPLOAD = re.compile(r"/api/v1/inspections/[^/]+/photos/?")
_ZONE_IMPORT = re.compile(r"/api/v1/zones/import/?")
_COMPLAINT_IMPORT = re.compile(r"/api/v1/complaints/import/?")


@dataclass(frozen=True)
class BodyCap:
    bytes: int
    setting: str  # named in the 413, so an operator knows what to raise
    loc: tuple[str, ...]  # where the 413 points, in the validation-error shape


def body_cap(path: str, settings: Settings) -> BodyCap:
    """The largest body accepted on `path`."""
    if _PHOTO_UPLOAD.fullmatch(path):
        return BodyCap(settings.max_upload_bytes + FORM_ALLOWANCE_BYTES, "max_upload_bytes and 64 KiB for the form",
                       ("body", "file"))
    if _ZONE_IMPORT.fullmatch(path):
        return BodyCap(settings.import_max_bytes, "import_max_bytes", ("body",))
    if _COMPLAINT_IMPORT.fullmatch(path):
        return BodyCap(settings.import_max_bytes + settings.import_mapping_max_bytes + FORM_ALLOWANCE_BYTES,
                       "import_max_bytes, import_mapping_max_bytes and 64 KiB for the form", ("body", "file"))
    return BodyCap(settings.max_body_bytes, "max_body_bytes", ("body",))


class BodyTooLarge(Exception):
    """Raised into the application when a streamed body passes its cap."""


class BodyLimit:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = body_cap(scope["path"], self.settings)
        declared = _content_length(scope)
        if declared is not None and declared > cap.bytes:
            await _refuse(send, cap, declared=declared)
            return

        received = 0
        over = False
        answered = False

        async def counted_receive() -> Message:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap.bytes:
                    over = True
                    raise BodyTooLarge(cap.setting)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal answered
            if over:
                return  # whatever the application makes of a cut-off body, the client gets the 413
            if message["type"] == "http.response.start":
                answered = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            # The application may wrap BodyTooLarge in its own error; once over, all mean the same.
            if not over:
                raise
        if over and not answered:
            await _refuse(send, cap, declared=None)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


async def _refuse(send: Send, cap: BodyCap, *, declared: int | None) -> None:
    sent = f"{declared:,} bytes" if declared is not None else "longer"
    message = f"the request body is {sent}; the limit here is {cap.bytes:,} bytes ({cap.setting})"
    body = json.dumps({"detail": [{"loc": list(cap.loc), "msg": message, "type": "BodyTooLarge"}]}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})

"""A cap on the size of every request body, checked before and while it is read.

The upload route has its own, exact limit (`max_upload_bytes`, a 422 naming the file); this middleware
keeps any other body (a job spec carrying a huge ``model``, a chunked request with no length) from
being read into memory beyond that limit plus room for multipart framing. Too large: 413, the status
for exactly this (a 422 names a field; here the whole request is refused before it is parsed).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPART_ROOM = 1 << 20


class BodyTooLarge(HTTPException):
    """A request body went past the limit while it was being read (an HTTPException, so the route's
    own body parsing lets it through as the 413 it is)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, message(max_bytes))


class BodySizeLimit:
    """ASGI middleware: answer 413 to a request whose body is, or turns out to be, over `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes + MULTIPART_ROOM

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await JSONResponse({"detail": message(self.max_bytes)}, 413)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            chunk = await receive()
            received += len(chunk.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLarge(self.max_bytes)
            return chunk

        await self.app(scope, counted, send)


def message(max_bytes: int) -> str:
    """What a 413 says."""
    return f"request body is larger than the limit of {max_bytes:,} bytes"

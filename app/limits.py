"""Limits on every request body: its size, checked before and while it is read, and its arrival time.

The upload route has its own, exact limit (`max_upload_bytes`, a 422 naming the file); this middleware
keeps any other body (a job spec carrying a huge ``model``, a chunked request with no length) from
being read into memory beyond that limit plus room for multipart framing, and a predict body within
`PREDICT_BODY_BYTES` (parsing JSON holds the interpreter, so a body of a million points would hold every
other request while it is parsed). Too large: 413, the status for exactly this (a 422 names a field;
here the whole request is refused before it is parsed).

A body that stops arriving (a client that sends its headers and then nothing) is given up after
`timeout` seconds without a new part: 408, so a slow or stalled client cannot hold a connection and a
worker thread for ever.
"""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPART_ROOM = 1 << 20
PREDICT_BODY_BYTES = 1 << 20


class BodyTooLarge(HTTPException):
    """A request body went past the limit while it was being read (an HTTPException, so the route's
    own body parsing lets it through as the 413 it is)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, message(max_bytes))


class BodyTooSlow(HTTPException):
    """A request body stopped arriving: 408."""

    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"the request body did not arrive within {seconds:g} s")


class BodyLimits:
    """ASGI middleware: 413 for a body over `max_bytes` (over `PREDICT_BODY_BYTES` for predict), 408 for
    one that stops arriving for `timeout` seconds."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes + MULTIPART_ROOM
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = PREDICT_BODY_BYTES if scope["path"].endswith("/predict") else self.max_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await JSONResponse({"detail": message(limit)}, 413)(scope, receive, send)
            return
        received = 0
        complete = False

        async def limited() -> Message:
            nonlocal received, complete
            if complete:  # the body is in: what follows is the wait for a disconnect, with no deadline
                return await receive()
            try:
                chunk = await asyncio.wait_for(receive(), self.timeout)
            except TimeoutError:
                raise BodyTooSlow(self.timeout) from None
            received += len(chunk.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
            complete = chunk["type"] != "http.request" or not chunk.get("more_body", False)
            return chunk

        await self.app(scope, limited, send)


def message(max_bytes: int) -> str:
    """What a 413 says."""
    return f"request body is larger than the limit of {max_bytes:,} bytes"

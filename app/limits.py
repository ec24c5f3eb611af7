"""Limits on every request body: its size, checked before and while it is read, and its arrival time.

The upload route has its own, exact limit (`max_upload_bytes`, a 422 naming the file); this middleware
keeps any other body (a job spec carrying a huge ``model``, a chunked request with no length) from
being read into memory beyond that limit plus room for multipart framing, and a predict body within
`PREDICT_BODY_BYTES` (parsing JSON holds the interpreter, so a body of a million points would hold every
other request while it is parsed). Too large: 413, the status for exactly this (a 422 names a field;
here the whole request is refused before it is parsed).

A body that stops arriving (a client that sends its headers and then nothing) is given up after
`timeout` seconds without a new part, and one that trickles (a byte now and then) once `deadline`
seconds have passed since its first part was asked for: 408 either way, so a slow or stalled client
cannot hold a connection and a worker thread for ever.
"""

from __future__ import annotations

import asyncio
import time

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPART_ROOM = 1 << 20
PREDICT_BODY_BYTES = 1 << 20
CLOSE = {"connection": "close"}  # the rest of a refused body is never read: the connection cannot go on


class BodyTooLarge(HTTPException):
    """A request body went past the limit while it was being read (an HTTPException, so the route's
    own body parsing lets it through as the 413 it is)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, message(max_bytes), headers=CLOSE)


class BodyTooSlow(HTTPException):
    """A request body stopped arriving, or did not arrive whole in time: 408."""

    def __init__(self, message: str) -> None:
        super().__init__(408, message, headers=CLOSE)


class BodyLimits:
    """ASGI middleware: 413 for a body over `max_bytes` (over `PREDICT_BODY_BYTES` for predict), 408 for
    one that stops arriving for `timeout` seconds or is not whole within `deadline` seconds."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float, deadline: float) -> None:
        self.app = app
        self.max_bytes = max_bytes + MULTIPART_ROOM
        self.timeout, self.deadline = timeout, deadline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = PREDICT_BODY_BYTES if scope["path"].endswith("/predict") else self.max_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await JSONResponse({"detail": message(limit)}, 413, headers=CLOSE)(scope, receive, send)
            return
        received = 0
        complete = False
        ends: float | None = None  # when the whole body must be in (set when its first part is asked for)

        async def limited() -> Message:
            nonlocal received, complete, ends
            if complete:  # the body is in: what follows is the wait for a disconnect, with no deadline
                return await receive()
            now = time.monotonic()
            ends = now + self.deadline if ends is None else ends
            wait = min(self.timeout, ends - now)
            try:
                chunk = await asyncio.wait_for(receive(), max(wait, 0.0))
            except TimeoutError:
                late = f"did not arrive whole within {self.deadline:g} s" if wait < self.timeout else None
                stalled = f"did not arrive within {self.timeout:g} s"
                raise BodyTooSlow(f"the request body {late or stalled}") from None
            received += len(chunk.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
            complete = chunk["type"] != "http.request" or not chunk.get("more_body", False)
            return chunk

        await self.app(scope, limited, send)


def message(max_bytes: int) -> str:
    """What a 413 says."""
    return f"request body is larger than the limit of {max_bytes:,} bytes"

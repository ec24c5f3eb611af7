"""Each address's share of the server's sockets, the server's own cap, and a deadline for every request
head.

Every socket, an HTTP connection or a WebSocket, counts against its peer address's share,
`max_connections_per_address`, so no one client takes every place with idle sockets and locks the class
out; a socket past its address's share is answered 429 at once and closed, and never counts against the
server's cap. Past the server's cap (`max_connections`, or fewer when the process may not open that many
files, see `socket_room`) a socket is answered 503 at once and closed: the server never runs out of file
descriptors, which would leave new clients unanswered, whoever they are. A
connection must also deliver a whole request head (request line and headers) within `head_seconds` of
opening or of its last answer: one that sends nothing is closed, one that trickles a header line now
and then gets 408 and is closed. (A body's deadlines are app.limits'.) A WebSocket has no such deadline:
it is a live stream, and uvicorn's pings drop a peer that stopped answering.

This lives in uvicorn's protocol layer, not in ASGI middleware: middleware sees a request only once its
head has arrived, so an idle or trickling socket never reaches it. `protocols` gives the HTTP and
WebSocket protocol factories `netplay serve` hands to uvicorn. The address is the socket's peer: headers
cannot change it. A trusted proxy's address (`NETPLAY_TRUSTED_PROXIES`) holds many clients' sockets and
is held to no share.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

REFUSED_LINGER_SECONDS = 1.0  # a refused socket waits this long for its client to read the 429 and close
LINGERING_ROOM = 64  # refused sockets that may wait so at once; past them, one is closed after its answer
FILES_KEPT = 128  # files the process holds besides its clients' sockets: database, pipes, uploads, logs


def socket_room(wanted: int) -> tuple[int, int]:
    """Make room for `wanted` client sockets: raise the process's soft limit of open files toward what
    they need (up to the hard limit; a Mac's default soft limit is 256). (How many client sockets fit
    now, at most `wanted`; the soft limit.)"""
    try:
        import resource
    except ImportError:  # not a Unix: no such limit to raise
        return wanted, 0
    needed = wanted + FILES_KEPT + LINGERING_ROOM
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        wanted_soft = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        with contextlib.suppress(ValueError, OSError):  # a Mac refuses more than kern.maxfilesperproc
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted_soft, hard))
            soft = wanted_soft
    if soft == resource.RLIM_INFINITY:
        return wanted, soft
    return max(1, min(wanted, soft - FILES_KEPT - LINGERING_ROOM)), soft


class ConnectionGuard:
    """The open sockets of each address against one share and of the server against its cap, and the
    request-head deadline."""

    def __init__(
        self, per_address: int, head_seconds: float, exempt: Iterable[str] = (), total: int = 1000
    ) -> None:
        self.per_address, self.head_seconds, self.total = per_address, head_seconds, total
        self.exempt = frozenset(exempt)
        self.open: Counter[str] = Counter()
        self.open_total = 0
        self.lingering = 0  # refused sockets waiting for their client to read the answer

    def refusal(self, address: str) -> bytes | None:
        """Count one more socket of `address`; or, counting nothing, the answer that refuses it: 429 when
        its address's share is full, 503 when the server's cap is reached."""
        if address not in self.exempt and self.open[address] >= self.per_address:
            detail = (
                f"{address} has {self.per_address} connections open, as many as one address may "
                "(NETPLAY_MAX_CONNECTIONS_PER_ADDRESS): close some, or try again"
            )
            return response(429, "Too Many Requests", detail)
        if self.open_total >= self.total:
            detail = f"the server holds {self.total} connections, as many as it may: try again shortly"
            return response(503, "Service Unavailable", detail)
        self.open[address] += 1
        self.open_total += 1
        return None

    def release(self, address: str) -> None:
        """A socket of `address` closed."""
        self.open[address] -= 1
        self.open_total -= 1
        if self.open[address] <= 0:
            del self.open[address]

    def refuse(self, transport: asyncio.Transport, answer: bytes, loop: asyncio.AbstractEventLoop) -> None:
        """Send `answer` and close: after a short wait for the client to read it and close first (so it is
        not reset unread), unless `LINGERING_ROOM` refused sockets wait already (a flood of them)."""
        transport.write(answer)
        if transport.can_write_eof():
            transport.write_eof()  # the client reads the answer, then the end
        if self.lingering >= LINGERING_ROOM:
            transport.close()
            return
        self.lingering += 1
        loop.call_later(REFUSED_LINGER_SECONDS, self._end_linger, transport)

    def _end_linger(self, transport: asyncio.Transport) -> None:
        self.lingering -= 1
        transport.close()


def peer_address(transport: asyncio.BaseTransport) -> str:
    """The socket's peer address (no port), or ``local`` for a Unix socket."""
    peer = transport.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple | list) and peer else "local"


def response(status: int, reason: str, detail: str) -> bytes:
    """A whole HTTP/1.1 response with a JSON ``detail`` body, closing the connection."""
    body = json.dumps({"detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


class GuardedHttp(HttpToolsProtocol):
    """uvicorn's HTTP protocol held to its address's share and to the request-head deadline."""

    def __init__(self, *args: Any, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = guard
        self.address: str | None = None  # set once counted; None: refused, or handed to a WebSocket
        self.head_deadline: asyncio.TimerHandle | None = None
        self.head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        address = peer_address(transport)
        refusal = self.guard.refusal(address)
        if refusal is not None:
            self.transport = transport
            self.guard.refuse(transport, refusal, self.loop)
            return
        self.address = address
        super().connection_made(transport)
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.flow is None:
            return  # refused: it was never counted nor served
        self._cancel_head_deadline()
        if self.address is not None:
            self.guard.release(self.address)
            self.address = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.flow is None:
            return  # refused: whatever it sends is ignored until it closes
        if self.head_deadline is not None:
            self.head_bytes += len(data)
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._cancel_head_deadline()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:  # it waits for the next request's head
            self._arm_head_deadline()

    def handle_websocket_upgrade(self) -> None:
        """The socket, and its place in the address's share, pass to the WebSocket protocol."""
        self._cancel_head_deadline()
        self.address = None
        super().handle_websocket_upgrade()

    def _arm_head_deadline(self) -> None:
        self._cancel_head_deadline()
        self.head_bytes = 0
        self.head_deadline = self.loop.call_later(self.guard.head_seconds, self._head_too_slow)

    def _cancel_head_deadline(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None

    def _head_too_slow(self) -> None:
        self.head_deadline = None
        if self.transport.is_closing():
            return
        if self.head_bytes:
            detail = f"the request head did not arrive within {self.guard.head_seconds:g} s"
            self.transport.write(response(408, "Request Timeout", detail))
        self.transport.close()


class GuardedWebSocket(AutoWebSocketsProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's WebSocket protocol, giving back its address's place in the share when it closes."""

    def __init__(self, *args: Any, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = guard
        self.address: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.address = peer_address(transport)  # counted by the HTTP protocol that upgraded
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self.address is not None:
            self.guard.release(self.address)
            self.address = None


def protocols(guard: ConnectionGuard) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The HTTP and WebSocket protocol factories for uvicorn's ``http`` and ``ws`` settings."""
    return functools.partial(GuardedHttp, guard=guard), functools.partial(GuardedWebSocket, guard=guard)

"""No page of another site gets in: the Host allow-list, the same-origin rule and JSON-only changes.

`SiteGuard` is ASGI middleware in front of every route and socket:

- **Host allow-list** (defeats DNS rebinding: a page on an attacker's name that resolves to this
  server): a request whose Host header is not allowed gets 400, a socket is refused. The list is
  `NETPLAY_ALLOWED_HOSTS` (comma-separated, ``*`` for any) or by default the loopback names plus the
  address the server is bound to; bound to every interface (0.0.0.0, ::), this machine's name and
  addresses too (`default_hosts`).
- **Same origin**: a WebSocket, or a request that may change something (any method but GET, HEAD and
  OPTIONS), that carries an Origin header must come from this server's own origin (Origin's host:port
  equal to the Host header); else 403 (a socket is refused). Scripts and curl send no Origin.
- **JSON bodies only**: such a request with a body must say ``content-type: application/json`` (an
  upload to ``POST /api/datasets`` is multipart); else 415. A cross-site HTML form can only send form
  or plain-text bodies, so even a browser without Origin headers cannot drive a job.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK = ("localhost", "127.0.0.1", "::1")
EVERY_INTERFACE = ("0.0.0.0", "::", "")
MULTIPART_ROUTES = frozenset({"/api/datasets"})


def default_hosts(bind_host: str) -> list[str]:
    """The loopback names, the bound address, and when bound to every interface this machine's name,
    its ``.local`` name and its addresses."""
    hosts = [*LOOPBACK, bind_host]
    if bind_host in EVERY_INTERFACE:
        name = socket.gethostname()
        hosts += [name, f"{name}.local", socket.getfqdn()]
        with contextlib.suppress(OSError):
            hosts += [info[4][0] for info in socket.getaddrinfo(name, None)]
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: this only picks the outgoing address
            hosts.append(probe.getsockname()[0])
    return sorted({host.lower() for host in hosts if host and host not in EVERY_INTERFACE})


def host_name(netloc: str) -> str:
    """The host of a Host header or netloc, without its port (IPv6 brackets removed), lowercased."""
    if netloc.startswith("["):
        return netloc[1 : netloc.find("]")].lower()
    return netloc.rsplit(":", 1)[0].lower() if netloc.count(":") == 1 else netloc.lower()


class SiteGuard:
    """ASGI middleware: see the module docstring."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.allowed = frozenset(host.lower() for host in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4403, "reason": refusal[1]})
        else:
            await JSONResponse({"detail": refusal[1]}, status_code=refusal[0])(scope, receive, send)

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        """(status, reason) when the request must be refused, else None."""
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if "*" not in self.allowed and host_name(host) not in self.allowed:
            return 400, f"host {host!r} is not served here (NETPLAY_ALLOWED_HOSTS)"
        method = scope.get("method", "GET")
        if scope["type"] == "http" and method in SAFE_METHODS:
            return None
        origin = headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != host.lower():
            return 403, f"requests from {origin} are refused: only this server's own pages may change jobs"
        if scope["type"] == "http" and _has_body(headers) and scope["path"] not in MULTIPART_ROUTES:
            content_type = headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != "application/json":
                return 415, "requests that change something take a JSON body (content-type: application/json)"
        return None


def _has_body(headers: Headers) -> bool:
    length = headers.get("content-length")
    return "transfer-encoding" in headers or (length is not None and length.strip() not in ("", "0"))

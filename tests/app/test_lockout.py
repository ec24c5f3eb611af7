"""No one client can lock the class out: each address's share of the sockets, the deadlines of a request's
head and body, and limits that no header can lift (a real ``netplay serve`` over real TCP).

Every test client here is on loopback, so a test is two addresses by binding its client sockets to two
of them: the whole of 127.0.0.0/8 is loopback on Linux, and a socket bound to 127.0.0.2 reaches the
server on 127.0.0.1 with 127.0.0.2 as its peer address.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from websockets.sync.client import connect

from app.connections import FILES_KEPT, LINGERING_ROOM, REFUSED_LINGER_SECONDS, ConnectionGuard
from tests.app.test_live_server import read_response, rings_spec, running_server, wait_until

OTHER = "127.0.0.2"  # the second address (see the module docstring)
PATIENCE = 20.0  # how long a test waits for the server to act before it fails


def open_socket(url: str, source: str = "127.0.0.1") -> socket.socket:
    """A TCP connection to the server from the loopback address `source`, sending nothing."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = socket.create_connection((host, int(port)), timeout=PATIENCE, source_address=(source, 0))
    return connection


def answer_while_trickling(connection: socket.socket, first: bytes, drip: bytes) -> tuple[bytes, int]:
    """Send `first`, then `drip` every 0.2 s until the server answers or closes; (what it sent, drips)."""
    connection.sendall(first)
    drips = 0
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        readable, _, _ = select.select([connection], [], [], 0.2)
        if readable:
            return read_all(connection), drips
        connection.sendall(drip)
        drips += 1
    raise AssertionError(f"the server still waited after {drips} drips ({PATIENCE:g} s)")


def read_all(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := connection.recv(65536):
            data += chunk
    return data


@contextlib.contextmanager
def open_files_at_least(count: int) -> Iterator[None]:
    """This process may open `count` files meanwhile (a Debian host's soft limit is often 1,024; the
    hard limit caps it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count if hard == resource.RLIM_INFINITY else min(count, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_thousand_idle_sockets_from_one_address_leave_another_address_served(tmp_path: Path) -> None:
    with (
        open_files_at_least(2000),  # the test's own thousand sockets
        running_server(tmp_path) as (_, url),
        contextlib.ExitStack() as held,
    ):
        hog = [held.enter_context(contextlib.closing(open_socket(url, OTHER))) for _ in range(1000)]
        # the sockets past the address's share are answered at once and closed
        refused = read_all(hog[-1]).decode()
        listed = httpx.get(f"{url}/api/jobs", timeout=PATIENCE)
        created = httpx.post(f"{url}/api/jobs?paused=true", json=rings_spec(), timeout=PATIENCE)
        local = httpx.Client(transport=httpx.HTTPTransport(local_address=OTHER), timeout=PATIENCE)
        with local:
            hog_request = local.get(f"{url}/api/jobs")

    assert refused.startswith("HTTP/1.1 429")
    assert "127.0.0.2 has 250 connections open, as many as one address may" in refused
    assert listed.status_code == 200
    assert created.status_code == 201
    assert hog_request.status_code == 429


def test_sockets_that_send_no_request_head_in_time_are_closed(tmp_path: Path) -> None:
    with running_server(tmp_path, head_timeout_seconds="1") as (_, url):
        host = url.removeprefix("http://")
        with contextlib.closing(open_socket(url)) as idle:
            silent = read_all(idle)  # closed without a word: it asked nothing
        with contextlib.closing(open_socket(url)) as trickle:
            slow_head, drips = answer_while_trickling(
                trickle, f"GET /api/jobs HTTP/1.1\r\nHost: {host}\r\n".encode(), b"x-drip: 1\r\n"
            )
        with contextlib.closing(open_socket(url)) as reused:  # the deadline holds after an answer too
            reused.sendall(f"GET /api/presets HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            first_answer = read_response(reused).encode()
            second, _ = answer_while_trickling(reused, b"GET /api/jobs HTTP/1.1\r\n", b"x-drip: 1\r\n")
        served = httpx.get(f"{url}/api/jobs", timeout=PATIENCE)

    assert silent == b""
    assert slow_head.startswith(b"HTTP/1.1 408"), slow_head
    assert b"the request head did not arrive within 1 s" in slow_head
    assert drips >= 1
    assert first_answer.startswith(b"HTTP/1.1 200")
    assert second.startswith(b"HTTP/1.1 408") or second == b""  # uvicorn's keep-alive may close it first
    assert served.status_code == 200


def test_a_body_that_trickles_is_cut_off_at_its_deadline(tmp_path: Path) -> None:
    with running_server(tmp_path, body_deadline_seconds="1", body_timeout_seconds="30") as (_, url):
        host = url.removeprefix("http://")
        head = (
            f"POST /api/jobs HTTP/1.1\r\nHost: {host}\r\ncontent-type: application/json\r\n"
            "content-length: 100000\r\n\r\n{"
        )
        with contextlib.closing(open_socket(url)) as trickle:
            answer, drips = answer_while_trickling(trickle, head.encode(), b" ")

    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"the request body did not arrive whole within 1 s" in answer
    assert drips >= 1


def create(client: httpx.Client, url: str, n: int, paused: bool) -> int:
    """POST a job as a new page id from a new forwarded address; the status code."""
    headers = {"x-netplay-client": f"page-{n}", "x-forwarded-for": f"10.0.{n // 250}.{n % 250 + 1}"}
    suffix = "?paused=true" if paused else ""
    return client.post(f"{url}/api/jobs{suffix}", json=rings_spec(), headers=headers).status_code


def test_rotated_client_ids_and_forwarded_addresses_do_not_lift_the_address_s_limits(tmp_path: Path) -> None:
    limits = {"max_live_jobs_per_client": "1", "clients_per_address": "2", "max_jobs_per_minute": "2"}
    with running_server(tmp_path, **limits) as (_, url), httpx.Client(timeout=PATIENCE) as client:
        live = [create(client, url, n, paused=False) for n in range(3)]
        made = [create(client, url, n, paused=True) for n in range(3, 6)]
        refusal = client.post(f"{url}/api/jobs", json=rings_spec(), headers={"x-forwarded-for": "10.9.9.9"})

    assert live == [201, 201, 429]  # the address's share of jobs training: 1 x 2
    assert made == [201, 201, 429]  # its creations a minute: 2 x 2, two of them made above
    assert "from 127.0.0.1" in refusal.json()["detail"]


def test_a_trusted_proxy_s_forwarded_addresses_are_believed(tmp_path: Path) -> None:
    limits = {"max_live_jobs_per_client": "1", "clients_per_address": "1", "trusted_proxies": "127.0.0.1"}
    with running_server(tmp_path, **limits) as (_, url), httpx.Client(timeout=PATIENCE) as client:
        forwarded = [create(client, url, n, paused=False) for n in range(3)]
        again = client.post(f"{url}/api/jobs", json=rings_spec(), headers={"x-forwarded-for": "10.0.0.1"})

    assert forwarded == [201, 201, 201]  # three clients behind the proxy, one job each
    assert again.status_code == 429
    assert "from 10.0.0.1" in again.json()["detail"]


def test_websockets_count_in_the_share_and_give_their_place_back(tmp_path: Path) -> None:
    with running_server(tmp_path, max_connections_per_address="3") as (_, url):
        job_id = httpx.post(f"{url}/api/jobs?paused=true", json=rings_spec()).json()["id"]
        stream = url.replace("http", "ws") + f"/api/jobs/{job_id}/stream?kinds="
        with contextlib.ExitStack() as viewers:
            sockets = [viewers.enter_context(connect(stream, source_address=(OTHER, 0))) for _ in range(3)]
            for viewer in sockets:
                assert json.loads(viewer.recv(timeout=PATIENCE))["type"] == "snapshot"
            with contextlib.closing(open_socket(url, OTHER)) as fourth:
                refused = read_all(fourth)
            sockets[0].close()
            transport = httpx.HTTPTransport(local_address=OTHER)
            with httpx.Client(transport=transport, timeout=PATIENCE) as other:
                served = wait_until(lambda: other.get(f"{url}/api/jobs").status_code == 200, "a place again")
            for _ in range(10):  # connections that close give their place back (once the server saw it)
                with httpx.Client(transport=httpx.HTTPTransport(local_address=OTHER)) as once:
                    wait_until(lambda: once.get(f"{url}/api/presets").status_code == 200, "a place back")

    assert refused.startswith(b"HTTP/1.1 429")
    assert served


def open_files(process_id: int) -> tuple[int, int]:
    """The soft and hard limits of open files of the process `process_id` (Linux's /proc)."""
    line = next(
        line for line in Path(f"/proc/{process_id}/limits").read_text().splitlines() if "open files" in line
    )
    soft, hard = line.split()[3:5]
    return int(soft), int(hard)


def test_serve_raises_its_open_file_limit_to_hold_its_connections(tmp_path: Path) -> None:
    files = ("prlimit", "--nofile=200:4096", "--")  # a Mac's soft limit is 256
    log = tmp_path / "server.log"
    with running_server(tmp_path / "data", log=log, prefix=files) as (process, _):
        limits = open_files(process.pid)

    assert limits == (1000 + FILES_KEPT + LINGERING_ROOM, 4096)  # NETPLAY_MAX_CONNECTIONS' default
    assert "ulimit" not in log.read_text()


def test_a_server_short_of_files_refuses_sockets_past_them_and_serves_once_they_close(tmp_path: Path) -> None:
    files = ("prlimit", "--nofile=400:400", "--")
    room = 400 - FILES_KEPT - LINGERING_ROOM
    log = tmp_path / "server.log"
    settings = {"max_connections_per_address": "1000", "head_timeout_seconds": "600"}
    with running_server(tmp_path / "data", log=log, prefix=files, **settings) as (_, url):
        with contextlib.ExitStack() as held:
            hog = [held.enter_context(contextlib.closing(open_socket(url, OTHER))) for _ in range(room + 20)]
            refused = read_all(hog[-1])  # the sockets past the room are answered at once and closed
            with httpx.Client(timeout=PATIENCE) as client:
                full = client.get(f"{url}/api/presets")
        with httpx.Client(timeout=PATIENCE) as client:
            served = wait_until(lambda: client.get(f"{url}/api/presets").status_code == 200, "a place again")

    assert refused.startswith(b"HTTP/1.1 503")
    assert full.status_code == 503
    assert (
        full.json()["detail"] == f"the server holds {room} connections, as many as it may: try again shortly"
    )
    assert served
    assert f"may open 400 files (ulimit -n), so it holds at most {room} connections" in log.read_text()


class Transport:
    """What `ConnectionGuard.refuse` needs of an asyncio transport: what it wrote, and whether closed."""

    def __init__(self) -> None:
        self.written, self.closed = b"", False

    def write(self, data: bytes) -> None:
        self.written += data

    def can_write_eof(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True


def test_refused_sockets_wait_for_their_client_only_while_few_wait() -> None:
    guard = ConnectionGuard(per_address=1, head_seconds=10, total=1)
    loop = asyncio.new_event_loop()
    try:
        assert guard.refusal("10.0.0.1") is None  # the server's one place
        answers = [guard.refusal(f"10.0.0.{n}") for n in range(2, LINGERING_ROOM + 12)]
        transports = [Transport() for _ in answers]
        for transport, answer in zip(transports, answers, strict=True):
            guard.refuse(transport, answer, loop)
        waiting = [transport for transport in transports if not transport.closed]
        loop.run_until_complete(asyncio.sleep(REFUSED_LINGER_SECONDS + 0.05))  # the lingering ones end
    finally:
        loop.close()

    assert all(answer.startswith(b"HTTP/1.1 503") for answer in answers)
    assert all(transport.written == answers[0] for transport in transports)
    assert len(waiting) == LINGERING_ROOM  # the rest were closed at once, after their answer
    assert all(transport.closed for transport in transports)
    assert guard.lingering == 0 and guard.open_total == 1


def test_the_last_place_of_the_server_s_cap_is_served(tmp_path: Path) -> None:
    with running_server(tmp_path, max_connections="5") as (_, url), contextlib.ExitStack() as held:
        for _ in range(4):  # taken first: the server accepts connections in the order they came
            held.enter_context(contextlib.closing(open_socket(url, OTHER)))
        with httpx.Client(timeout=PATIENCE) as client:
            fifth = client.get(f"{url}/api/presets")
            sixth = client.get(f"{url}/api/presets")  # the same connection again
            with contextlib.closing(open_socket(url)) as past_the_cap:
                refused = read_all(past_the_cap)

    assert fifth.status_code == 200, fifth.text
    assert sixth.status_code == 200, sixth.text
    assert refused.startswith(b"HTTP/1.1 503")

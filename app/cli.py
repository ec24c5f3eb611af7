"""The ``netplay`` command: ``serve`` the playground, ``run`` a job spec headless, list ``presets``."""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from app.checks import SpecInvalid, check_job_spec
from app.database import DatabaseDamaged, DatabaseReadOnly, check_database
from app.jobs.runs import start_run, stop_conditions
from app.presets import list_presets
from app.security import LOOPBACK
from app.settings import Settings
from app.spec import JobSpec
from engine.training import Diverged, StopConditions, TrainingRun

SLICE_SECONDS = 0.2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code (0 ok, 2 bad spec or arguments, 1 failed job)."""
    parser = _parser()
    args = parser.parse_args(argv)
    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    if args.command == "serve":
        return serve(Settings(**overrides, **_server_overrides(args)))
    if args.command == "run":
        return run(args.spec, args.out, Settings(**overrides), sys.stdout)
    return show_presets(args.show, sys.stdout)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="netplay", description=__doc__)
    parser.add_argument(
        "--data-dir", help="database and uploads (default: NETPLAY_DATA_DIR or ./netplay-data)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="start the server and print its URL")
    serve_cmd.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, help="port (default 8000; 0 picks a free one)")
    run_cmd = commands.add_parser("run", help="train a job spec in the terminal and save the model")
    run_cmd.add_argument("spec", type=Path, help="a job spec JSON file (see `netplay presets --show ID`)")
    run_cmd.add_argument("--out", type=Path, help="model JSON to write (default: <spec>.model.json)")
    presets_cmd = commands.add_parser("presets", help="list the ready-made job specs")
    presets_cmd.add_argument("--show", metavar="ID", help="print one preset's spec as JSON")
    return parser


def _server_overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {key: value for key, value in (("host", args.host), ("port", args.port)) if value is not None}


def serve(settings: Settings) -> int:
    """Run the server until interrupted. The socket is bound and listening before the URL is printed,
    so the printed port is the real one (also with ``--port 0``) and opening it at once works."""
    import uvicorn

    from app.connections import ConnectionGuard, protocols, socket_room
    from app.main import create_app

    try:
        database = check_database(settings.database_path)
    except (DatabaseDamaged, DatabaseReadOnly) as error:
        print(f"netplay: {error}", file=sys.stderr)
        return 2
    if database.note is not None:
        print(f"netplay: {database.note}", file=sys.stderr, flush=True)
    if settings.executor == "ray" and (problem := join_cluster(settings)) is not None:
        print(f"netplay: {problem}", file=sys.stderr)
        return 2
    if not settings.admin_token and settings.host not in LOOPBACK:
        print(
            "netplay: no teacher's token (NETPLAY_ADMIN_TOKEN): each job can be changed only by "
            "whoever created it",
            file=sys.stderr,
            flush=True,
        )
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((settings.host, settings.port))
    except OSError as error:
        print(f"netplay: cannot listen on {settings.host}:{settings.port}: {error.strerror}", file=sys.stderr)
        return 2
    listener.listen(128)
    host, port = listener.getsockname()[:2]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    print(
        f"netplay is running: open http://{shown}:{port}/  (API docs: http://{shown}:{port}/docs)", flush=True
    )
    room, files = socket_room(settings.max_connections)
    if room < settings.max_connections:
        print(
            f"netplay: this process may open {files} files (ulimit -n), so it holds at most {room} "
            f"connections, not NETPLAY_MAX_CONNECTIONS={settings.max_connections}: raise the limit for a "
            "larger class",
            file=sys.stderr,
            flush=True,
        )
    guard = ConnectionGuard(
        settings.max_connections_per_address,
        settings.head_timeout_seconds,
        settings.trusted_proxy_list,
        total=room,
    )
    http, ws = protocols(guard)
    config = uvicorn.Config(
        create_app(settings, read_only=database.read_only),
        log_level="warning",
        http=http,  # each address's share of the sockets, and the request-head deadline (app.connections)
        ws=ws,
        ws_per_message_deflate=False,  # it compressed every frame once per viewer
        limit_concurrency=None,  # the guard caps the sockets (a request or a stream each at most)
        # uvicorn believes X-Forwarded-For from loopback by default: any local client could then be
        # any address. Only the proxies named are believed.
        proxy_headers=bool(settings.trusted_proxy_list),
        forwarded_allow_ips=settings.trusted_proxy_list,
    )
    # uvicorn re-raises Ctrl-C after its clean shutdown; the shutdown is what matters.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[listener])
    return 0


def join_cluster(settings: Settings) -> str | None:
    """Join the Ray cluster the workers run on, within `ray_connect_seconds`; None, or why it cannot."""
    try:
        from app.jobs.ray_pool import ClusterUnreachable, connect
    except ImportError as error:
        return f"NETPLAY_EXECUTOR=ray needs the cluster extra (pip install 'netplay[cluster]'): {error}"
    try:
        connect(settings.ray_address, settings.ray_connect_seconds)
    except ClusterUnreachable as error:
        return str(error)
    return None


def run(spec_path: Path, out: Path | None, settings: Settings, stream: TextIO) -> int:
    """Check and train the spec in `spec_path` in this process, showing progress; write the model."""
    try:
        spec = JobSpec.model_validate_json(spec_path.read_text())
        checked = check_job_spec(spec, settings)
    except OSError as error:
        print(f"netplay: cannot read {spec_path}: {error.strerror}", file=sys.stderr)
        return 2
    except ValidationError as error:
        first = error.errors()[0]
        print(f"netplay: {spec_path}: {'.'.join(map(str, first['loc']))}: {first['msg']}", file=sys.stderr)
        return 2
    except SpecInvalid as error:
        print(f"netplay: {spec_path}: {'.'.join(map(str, error.loc[1:]))}: {error.msg}", file=sys.stderr)
        return 2
    run = start_run(spec, checked.dataset)
    outcome = _train(run, stop_conditions(spec, settings), stream)
    out = out or spec_path.with_suffix(".model.json")
    out.write_text(json.dumps(run.net.to_json()))
    print(f"\n{outcome}; model written to {out}", file=stream)
    return 1 if outcome.startswith("failed") else 0


def _train(run: TrainingRun, stop: StopConditions, stream: TextIO) -> str:
    """Train until a stop condition, divergence or Ctrl-C (the server's loop and measuring cadence);
    returns how it ended."""
    try:
        while True:
            reason = run.advance(SLICE_SECONDS, stop)
            if reason is not None:
                run.evaluate(full=True)
            _show(run.take_progress(), stream)
            if reason is not None:
                return f"completed ({reason})"
    except Diverged as error:
        return f"failed: {error}"
    except KeyboardInterrupt:
        return "stopped (Ctrl-C)"


def _show(progress: dict[str, Any], stream: TextIO) -> None:
    def figure(key: str, scale: float = 1.0, digits: int = 4) -> str:
        value = progress.get(key)
        return "-" if value is None else f"{value * scale:.{digits}g}"

    line = (
        f"step {progress['step']:>8}  epoch {progress['epoch']:>5}  loss {figure('loss')}  "
        f"train acc {figure('train_accuracy', 100, 3)}%  test acc {figure('test_accuracy', 100, 3)}%  "
        f"{figure('examples_per_second', 1, 6)} ex/s"
    )
    print(f"\r{line:<110}", end="", file=stream, flush=True)


def show_presets(preset_id: str | None, stream: TextIO) -> int:
    """List presets, or print one's spec (``netplay presets --show mnist > mnist.json``)."""
    presets = list_presets()
    if preset_id is None:
        for preset in presets:
            print(f"{preset['id']:<24} {preset['title']}: {preset['description']}", file=stream)
        return 0
    for preset in presets:
        if preset["id"] == preset_id:
            print(json.dumps(preset["spec"], indent=2), file=stream)
            return 0
    known = ", ".join(preset["id"] for preset in presets)
    print(f"netplay: no preset {preset_id!r} (known: {known})", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""``WS /api/jobs/{id}/stream``: a job's live stream, and control messages from its viewers.

Server to client: text messages are JSON objects with a ``type``; the first is always a ``snapshot``
(the job, its spec and desugared layers, its metric history so far, the dataset's points or shape, the
current view), so a late viewer sees the whole curve. Then ``progress``, ``status``, ``trainer``,
``view``, ``weight`` (a weight set by hand), ``reset``, ``lagged`` and ``error`` messages,
``predictions``/``confusion`` visuals, and binary visual frames (format in app.frames).

Client to server: ``{"type": "pause" | "resume" | "step"}``,
``{"type": "set_trainer", "trainer": {"learning_rate": 0.01}}``,
``{"type": "set_view", "view": {"hidden_layer": 4, "hidden_neurons": [0, 1], "sample": 3, ...}}``,
``{"type": "set_weight", "layer": 1, "param": "w", "index": [0, 2], "value": 0.5}`` (as ``POST
/api/jobs/{id}/weights``) and ``{"type": "watch", "kinds": ["boundary", "neurons"]}`` (the frame kinds
this viewer shows, null for all; also the ``kinds`` query parameter, comma-separated, at connection).
Frames of a kind no viewer shows are never computed. Pause, resume, step, set_trainer, set_view and
set_weight change the job: they need the job's owner token or the teacher's, in the handshake's
``Authorization: Bearer`` header or given once with ``{"type": "auth", "token": ...}`` (answered
``{"type": "auth", "may_change": true|false}``; see app.owners). A bad or refused message gets an
``error`` message on this socket only; the socket stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnected

from app.checks import SpecInvalid
from app.database import StoreDamaged, StoreUnwritable
from app.hub import Hub, Subscriber, encode_message
from app.jobs.manager import JobManager, JobNotFound
from app.jobs.snapshot import snapshot
from app.jobs.states import JobConflict
from app.owners import Forbidden, bearer_token, check_owner, is_teacher, may_change
from app.quotas import TooMany, check_resume
from app.spec import TrainerChange, WeightChange
from app.store import JobUnreadable
from app.visuals.producer import FRAME_KINDS as PRODUCER_KINDS

router = APIRouter(prefix="/api/jobs", tags=["stream"])

# What a control message can be refused with: an error message to its viewer, the socket kept open.
REFUSALS = (SpecInvalid, JobConflict, JobNotFound, Forbidden, TooMany, StoreUnwritable, ValueError)
CONTROL_TYPES = ("pause", "resume", "step", "set_trainer", "set_view", "set_weight", "watch", "auth")
FRAME_KINDS = frozenset({*(kind for kinds in PRODUCER_KINDS.values() for kind in kinds), "confusion"})


@router.websocket("/{job_id}/stream")
async def stream_job(websocket: WebSocket, job_id: str, kinds: str | None = None) -> None:
    """Stream a job live to this viewer and take its control messages."""
    manager: JobManager = websocket.app.state.manager
    hub: Hub = websocket.app.state.hub
    await websocket.accept()
    try:
        shown = _kinds(kinds.split(",") if kinds is not None else None)
    except ValueError as error:
        await _refuse(websocket, 422, f"kinds: {error}")
        return
    subscriber = hub.subscribe(job_id, shown)
    sender: asyncio.Task | None = None
    try:  # whatever happens from here, the viewer is counted out at the end
        # Frames asked for now queue behind the snapshot, which is sent first.
        first, _ = await asyncio.gather(
            run_in_threadpool(_encoded_snapshot, manager, job_id), _tell_manager(manager, hub, job_id)
        )
        await websocket.send_text(first)
        sender = asyncio.create_task(_pump(websocket, subscriber))
        await _receive_controls(websocket, manager, hub, job_id, subscriber)
    except JobNotFound as error:
        await _refuse(websocket, 404, str(error))
    except (SpecInvalid, JobConflict, JobUnreadable) as error:  # its data or its row cannot be read
        await _refuse(websocket, 409, _message(error))
    except StoreDamaged as error:  # the database was damaged while the server ran
        await _refuse(websocket, 503, str(error))
    except (WebSocketDisconnect, WebSocketDisconnected):
        pass  # the viewer went away (noticed here, or by the sender first)
    finally:
        if sender is not None:
            sender.cancel()
        hub.unsubscribe(job_id, subscriber)
        with contextlib.suppress(JobUnreadable, StoreDamaged):  # it was refused for that, and said so
            await _tell_manager(manager, hub, job_id)


def _encoded_snapshot(manager: JobManager, job_id: str) -> str:
    """The snapshot as the viewer gets it, built and encoded off the event loop (tens of kilobytes of
    points: a class connecting at once would otherwise hold the loop for a while)."""
    return encode_message(snapshot(manager, job_id))


async def _refuse(websocket: WebSocket, status: int, message: str) -> None:
    """A last error message, and the socket closed with 4000 + `status` (quietly, if it is gone)."""
    with contextlib.suppress(WebSocketDisconnect, WebSocketDisconnected, RuntimeError):
        await websocket.send_json({"type": "error", "status": status, "message": message})
        await websocket.close(code=4000 + status)


async def _tell_manager(manager: JobManager, hub: Hub, job_id: str) -> None:
    """Give the manager the hub's count of the job's viewers, numbered on the event loop so that the
    manager can tell it from an older count that reaches it later."""
    await run_in_threadpool(manager.watch, job_id, hub.watch(job_id))


def _kinds(kinds: Any) -> list[str] | None:
    """A viewer's frame kinds: None (all) or a list of known kinds; ValueError otherwise."""
    if kinds is None:
        return None
    if not isinstance(kinds, list) or not all(isinstance(kind, str) for kind in kinds):
        raise ValueError("must be a list of frame kinds, or null for all")
    unknown = sorted(set(kinds) - FRAME_KINDS - {""})
    if unknown:
        raise ValueError(f"unknown frame kinds {unknown} (known: {', '.join(sorted(FRAME_KINDS))})")
    return [kind for kind in kinds if kind]


async def _pump(websocket: WebSocket, subscriber: Subscriber) -> None:
    """Send the viewer's queued messages as fast as its socket takes them; close when the job is gone."""
    try:
        while batch := await subscriber.next_batch():
            for message in batch:
                if isinstance(message, bytes):
                    await websocket.send_bytes(message)
                else:
                    await websocket.send_text(message)
        await websocket.close(code=1000)
    except (WebSocketDisconnect, RuntimeError):
        pass  # the viewer went away; the receive side notices and cleans up


async def _receive_controls(
    websocket: WebSocket, manager: JobManager, hub: Hub, job_id: str, subscriber: Subscriber
) -> None:
    admin_token = websocket.app.state.settings.admin_token
    # A script may send its token with the handshake; a browser cannot, and sends an "auth" message.
    token = bearer_token(websocket.headers.get("authorization"))
    while True:
        received = await websocket.receive()
        if received["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(received.get("code", 1000))
        try:
            message = _parse(received.get("text"))
            if message["type"] == "watch":
                hub.set_kinds(subscriber, _kinds(message.get("kinds")))
                await _tell_manager(manager, hub, job_id)
            elif message["type"] == "auth":
                token = message.get("token") if isinstance(message.get("token"), str) else None
                owner_hash = (await run_in_threadpool(manager.get, job_id)).owner_hash
                subscriber.put(
                    encode_message({"type": "auth", "may_change": may_change(owner_hash, token, admin_token)})
                )
            else:
                owner_hash = (await run_in_threadpool(manager.get, job_id)).owner_hash
                check_owner(job_id, owner_hash, token, admin_token)
                if message["type"] == "resume":
                    record = await run_in_threadpool(manager.get, job_id)
                    teacher = is_teacher(token, admin_token)
                    check_resume(websocket.app.state.quota, record, manager.live_jobs, teacher=teacher)
                await run_in_threadpool(_apply_control, manager, job_id, subscriber.id, message)
        except REFUSALS as error:
            subscriber.put(encode_message({"type": "error", "message": _message(error)}))


def _parse(text: str | None) -> dict[str, Any]:
    if text is None:
        raise ValueError("control messages are JSON text, not binary")
    try:
        message = json.loads(text)
    except ValueError:
        raise ValueError("control messages must be JSON objects") from None
    except RecursionError:  # json gives up on deep nesting this way, not with a ValueError
        raise ValueError("control messages must be JSON objects (nested too deeply)") from None
    if not isinstance(message, dict) or message.get("type") not in CONTROL_TYPES:
        raise ValueError(f"type must be one of {', '.join(CONTROL_TYPES)}")
    return message


def _apply_control(manager: JobManager, job_id: str, subscriber_id: int, message: dict[str, Any]) -> None:
    kind = message["type"]
    if kind == "pause":
        manager.pause(job_id)
    elif kind == "resume":
        manager.resume(job_id)
    elif kind == "step":
        manager.step(job_id)
    elif kind == "set_trainer":
        changes = _validated(TrainerChange, message.get("trainer"), "trainer.").settings()
        manager.change_trainer(job_id, changes)
    elif kind == "set_weight":
        fields = {key: value for key, value in message.items() if key != "type"}
        manager.set_weight(job_id, _validated(WeightChange, fields, ""))
    else:
        view = message.get("view")
        if not isinstance(view, dict):
            raise ValueError('view must be an object, e.g. {"hidden_layer": 4}')
        manager.change_view(job_id, view, subscriber_id)


def _validated(model: Any, value: Any, prefix: str) -> Any:
    """`value` as a `model`; ValueError naming the first bad field (``trainer.learning_rate: ...``)."""
    try:
        return model.model_validate(value)
    except ValidationError as error:
        first = error.errors()[0]
        raise ValueError(f"{prefix}{'.'.join(map(str, first['loc'])) or 'message'}: {first['msg']}") from None


def _message(error: Exception) -> str:
    if isinstance(error, SpecInvalid):
        return f"{'.'.join(str(part) for part in error.loc[1:])}: {error.msg}"
    return str(error)

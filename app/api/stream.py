"""``WS /api/jobs/{id}/stream``: a job's live stream, and control messages from its viewers.

Server to client: text messages are JSON objects with a ``type``; the first is always a ``snapshot``
(the job, its spec and desugared layers, its metric history so far, the dataset's points or shape, the
current view), so a late viewer sees the whole curve. Then ``progress``, ``status``, ``trainer``,
``view``, ``reset``, ``lagged`` and ``error`` messages, ``predictions``/``confusion`` visuals, and
binary visual frames (format in app.frames).

Client to server: ``{"type": "pause" | "resume" | "step"}``,
``{"type": "set_trainer", "trainer": {"learning_rate": 0.01}}`` and
``{"type": "set_view", "view": {"hidden_layer": 4, "hidden_neurons": [0, 1], "sample": 3, ...}}``.
A bad message gets an ``error`` message on this socket only; the socket stays open.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from app.checks import SpecInvalid
from app.hub import Subscriber
from app.jobs.manager import JobConflict, JobManager, JobNotFound
from app.jobs.snapshot import snapshot
from app.spec import TrainerChange

router = APIRouter(prefix="/api/jobs", tags=["stream"])

CONTROL_TYPES = ("pause", "resume", "step", "set_trainer", "set_view")


@router.websocket("/{job_id}/stream")
async def stream_job(websocket: WebSocket, job_id: str) -> None:
    """Stream a job live to this viewer and take its control messages."""
    manager: JobManager = websocket.app.state.manager
    hub = websocket.app.state.hub
    await websocket.accept()
    subscriber = hub.subscribe(job_id)
    try:
        first = await run_in_threadpool(snapshot, manager, job_id)
    except JobNotFound as error:
        hub.unsubscribe(job_id, subscriber)
        await websocket.send_json({"type": "error", "status": 404, "message": str(error)})
        await websocket.close(code=4404)
        return
    await run_in_threadpool(manager.set_viewers, job_id, hub.count(job_id))
    await websocket.send_text(json.dumps(first))
    sender = asyncio.create_task(_pump(websocket, subscriber))
    try:
        await _receive_controls(websocket, manager, job_id, subscriber)
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        hub.unsubscribe(job_id, subscriber)
        await run_in_threadpool(manager.set_viewers, job_id, hub.count(job_id))


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
    websocket: WebSocket, manager: JobManager, job_id: str, subscriber: Subscriber
) -> None:
    while True:
        text = await websocket.receive_text()
        try:
            await run_in_threadpool(_apply_control, manager, job_id, subscriber.id, _parse(text))
        except (SpecInvalid, JobConflict, JobNotFound, ValueError) as error:
            subscriber.put(json.dumps({"type": "error", "message": _message(error)}))


def _parse(text: str) -> dict[str, Any]:
    try:
        message = json.loads(text)
    except ValueError:
        raise ValueError("control messages must be JSON objects") from None
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
        try:
            changes = TrainerChange.model_validate(message.get("trainer")).settings()
        except ValidationError as error:
            first = error.errors()[0]
            raise ValueError(f"trainer.{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
        manager.change_trainer(job_id, changes)
    else:
        view = message.get("view")
        if not isinstance(view, dict):
            raise ValueError('view must be an object, e.g. {"hidden_layer": 4}')
        manager.change_view(job_id, view, subscriber_id)


def _message(error: Exception) -> str:
    if isinstance(error, SpecInvalid):
        return f"{'.'.join(str(part) for part in error.loc[1:])}: {error.msg}"
    return str(error)

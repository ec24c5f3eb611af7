"""REST route for the server's ready nets (app.ready): jobs it trains for itself, made on first ask."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import Manager, Ready
from app.errors import errors
from app.schemas import JobOut, ReadyNetOut

router = APIRouter(prefix="/api/ready", tags=["ready"])


@router.get("/{name}", response_model=ReadyNetOut, responses=errors(404))
def get_ready_net(name: str, manager: Manager, ready: Ready) -> ReadyNetOut:
    """The ready net's job (``digits``: the ConvNet page's drawing pad answers with it until the
    visitor trains a net): made and queued for training on the first ask, the same job afterwards;
    predict with it at ``POST /api/jobs/{id}/predict`` (images of ``image_shape``). 404 for an
    unknown name."""
    record = ready.job(name)
    job = JobOut.from_record(record, manager.queue_position(record.id), manager.node(record.id))
    image_shape = manager.dataset(record.id).image_shape  # the data set making the job loaded
    return ReadyNetOut(**job.model_dump(), image_shape=list(image_shape) if image_shape else None)

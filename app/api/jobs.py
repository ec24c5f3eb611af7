"""REST routes for jobs: create, list, inspect, control, download and query their nets.

Handlers are plain functions, so FastAPI runs them in its thread pool: they wait on SQLite, on loading a
dataset or on a worker's answer, never on the event loop.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from app.api.deps import AppSettings, Manager
from app.checks import check_job_spec
from app.jobs.inference import job_model, predict
from app.schemas import (
    JobDetail,
    JobOut,
    JobPage,
    JobPatch,
    MetricHistoryOut,
    PredictOut,
    PredictRequest,
    ResetRequest,
)
from app.spec import JobSpec, layer_definitions
from engine import desugar

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

MAX_OFFSET = 2**31 - 1  # far past any job store, and within SQLite's integers
StatusFilter = Literal["queued", "running", "paused", "completed", "stopped", "failed", "interrupted"]


def _out(manager: Manager, job_id: str) -> JobOut:
    return JobOut.from_record(manager.get(job_id), manager.queue_position(job_id))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=JobDetail)
def create_job(
    spec: JobSpec,
    manager: Manager,
    settings: AppSettings,
    paused: Annotated[bool, Query(description="Create it paused at step 0 (resume or step it).")] = False,
) -> JobDetail:
    """Check a job spec completely and start the job (or keep it paused); 422 names the field and the
    reason."""
    checked = check_job_spec(spec, settings)
    record = manager.create(checked, paused=paused)
    return JobDetail(
        **JobOut.from_record(record, manager.queue_position(record.id)).model_dump(),
        spec=record.spec,
        layers=checked.definitions,
    )


@router.get("", response_model=JobPage)
def list_jobs(
    manager: Manager,
    status_filter: Annotated[StatusFilter | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JobPage:
    """Jobs newest first, optionally only those in one status."""
    records, total = manager.list(status_filter, limit, offset)
    items = [JobOut.from_record(record, manager.queue_position(record.id)) for record in records]
    return JobPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{job_id}", response_model=JobDetail)
def get_job(job_id: str, manager: Manager) -> JobDetail:
    """A job's status, latest metrics, spec and desugared layers."""
    record = manager.get(job_id)
    return JobDetail(
        **JobOut.from_record(record, manager.queue_position(job_id)).model_dump(),
        spec=record.spec,
        layers=desugar(layer_definitions(record.spec)),
    )


@router.get("/{job_id}/metrics", response_model=MetricHistoryOut)
def get_job_metrics(job_id: str, manager: Manager) -> MetricHistoryOut:
    """The whole metric history (evenly thinned for long runs), oldest first."""
    return MetricHistoryOut(id=job_id, points=manager.history(job_id))


@router.post("/{job_id}/pause", response_model=JobOut)
def pause_job(job_id: str, manager: Manager) -> JobOut:
    """Pause a queued or running job; answers once its last checkpoint is in (resume goes on exactly)."""
    manager.pause(job_id)
    return _out(manager, job_id)


@router.post("/{job_id}/resume", response_model=JobOut)
def resume_job(job_id: str, manager: Manager) -> JobOut:
    """Resume a paused job, or an interrupted one from its last checkpoint (queued if no slot is free)."""
    manager.resume(job_id)
    return _out(manager, job_id)


@router.post("/{job_id}/step", response_model=JobOut)
def step_job(job_id: str, manager: Manager) -> JobOut:
    """Take one training step of a paused job."""
    manager.step(job_id)
    return _out(manager, job_id)


@router.post("/{job_id}/stop", response_model=JobOut)
def stop_job(job_id: str, manager: Manager) -> JobOut:
    """Stop a job for good; its model stays downloadable."""
    manager.stop(job_id)
    return _out(manager, job_id)


@router.post("/{job_id}/reset", response_model=JobOut)
def reset_job(job_id: str, manager: Manager, body: ResetRequest | None = None) -> JobOut:
    """Start over from fresh weights with the same spec; keeps the seed unless a new one is given."""
    manager.reset(job_id, body.seed if body is not None else None)
    return _out(manager, job_id)


@router.patch("/{job_id}", response_model=JobOut)
def patch_job(job_id: str, patch: JobPatch, manager: Manager) -> JobOut:
    """Change trainer hyperparameters live (learning rate, momentum, decay, batch size...), or whether
    the job is kept when the server makes room."""
    if patch.trainer is not None:
        manager.change_trainer(job_id, patch.trainer.settings())
    if patch.keep is not None:
        manager.set_keep(job_id, patch.keep)
    return _out(manager, job_id)


@router.delete("/{job_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_job(job_id: str, manager: Manager) -> Response:
    """Delete a job with its history and checkpoints; its viewers are told."""
    manager.delete(job_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{job_id}/model")
def get_job_model(job_id: str, manager: Manager) -> dict:
    """The net with its current weights (format netplay.net); POST it back as a spec's ``model``."""
    return job_model(manager, job_id)


@router.post("/{job_id}/predict", response_model=PredictOut)
def predict_job(job_id: str, request: PredictRequest, manager: Manager) -> PredictOut:
    """Run the job's current net on points or images: class probabilities and the predicted class."""
    return predict(manager, job_id, request)

"""REST routes for jobs: create, list, inspect, control, download and query their nets.

Handlers are plain functions, so FastAPI runs them in its thread pool: they wait on SQLite, on loading a
dataset or on a worker's answer, never on the event loop.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status

from app.api.deps import AppSettings, ByTeacher, Manager, OwnerOnly, RequestClient
from app.checks import SpecInvalid, check_job_spec
from app.errors import errors
from app.jobs.inference import job_model, predict
from app.owners import new_owner_token
from app.quotas import CreationQuota, check_resume
from app.schemas import (
    JobCreated,
    JobDetail,
    JobOut,
    JobPage,
    JobPatch,
    MetricHistoryOut,
    PredictOut,
    PredictRequest,
    ResetRequest,
)
from app.spec import JobSpec, WeightChange, layer_definitions
from engine import Net, SpecError, desugar
from engine.convnetjs import to_convnetjs

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

MAX_OFFSET = 2**31 - 1  # far past any job store, and within SQLite's integers
StatusFilter = Literal["queued", "running", "paused", "completed", "stopped", "failed", "interrupted"]


def _out(manager: Manager, job_id: str) -> JobOut:
    return JobOut.from_record(manager.get(job_id), manager.queue_position(job_id), manager.node(job_id))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=JobCreated,
    responses=errors(422, 429),
)
def create_job(
    spec: JobSpec,
    manager: Manager,
    settings: AppSettings,
    client: RequestClient,
    request: Request,
    paused: Annotated[bool, Query(description="Create it paused at step 0 (resume or step it).")] = False,
) -> JobCreated:
    """Check a job spec completely and start the job (or keep it paused); 422 names the field and the
    reason. The answer carries the job's owner token, shown only here: changing the job needs it."""
    checked = check_job_spec(spec, settings)
    quota: CreationQuota = request.app.state.quota
    quota.admit(client, manager.live_jobs, training=not paused)
    token, owner_hash = new_owner_token()
    record = manager.create(checked, paused=paused, owner_hash=owner_hash, client=client)
    return JobCreated(
        **JobOut.from_record(record, manager.queue_position(record.id), manager.node(record.id)).model_dump(),
        spec=record.spec,
        layers=checked.definitions,
        owner_token=token,
    )


@router.get("", response_model=JobPage, responses=errors(422))
def list_jobs(
    manager: Manager,
    status_filter: Annotated[StatusFilter | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JobPage:
    """Jobs newest first, optionally only those in one status; a stored job that cannot be read is
    left out and counted in ``unreadable``."""
    records, total, unreadable = manager.list(status_filter, limit, offset)
    items = [
        JobOut.from_record(record, manager.queue_position(record.id), manager.node(record.id))
        for record in records
    ]
    return JobPage(items=items, total=total, limit=limit, offset=offset, unreadable=unreadable)


@router.get("/{job_id}", response_model=JobDetail, responses=errors(404))
def get_job(job_id: str, manager: Manager) -> JobDetail:
    """A job's status, latest metrics, spec and desugared layers."""
    record = manager.get(job_id)
    return JobDetail(
        **JobOut.from_record(record, manager.queue_position(job_id), manager.node(job_id)).model_dump(),
        spec=record.spec,
        layers=desugar(layer_definitions(record.spec)),
    )


@router.get("/{job_id}/metrics", response_model=MetricHistoryOut, responses=errors(404))
def get_job_metrics(job_id: str, manager: Manager) -> MetricHistoryOut:
    """The whole metric history (evenly thinned for long runs), oldest first."""
    return MetricHistoryOut(id=job_id, points=manager.history(job_id))


@router.post("/{job_id}/pause", response_model=JobOut, responses=errors(403, 404, 409))
def pause_job(job_id: str, manager: Manager, _: OwnerOnly) -> JobOut:
    """Pause a queued or running job; answers once its last checkpoint is in (resume goes on exactly)."""
    manager.pause(job_id)
    return _out(manager, job_id)


@router.post("/{job_id}/resume", response_model=JobOut, responses=errors(403, 404, 409, 429))
def resume_job(job_id: str, manager: Manager, _: OwnerOnly, teacher: ByTeacher, request: Request) -> JobOut:
    """Resume a paused job, or an interrupted one from its last checkpoint (queued if no slot is free);
    it must fit its creator's share of jobs training at once, unless the teacher resumes it."""
    check_resume(request.app.state.quota, manager.get(job_id), manager.live_jobs, teacher=teacher)
    manager.resume(job_id)
    return _out(manager, job_id)


@router.post("/{job_id}/step", response_model=JobOut, responses=errors(403, 404, 409))
def step_job(job_id: str, manager: Manager, _: OwnerOnly) -> JobOut:
    """Take one training step of a paused job."""
    manager.step(job_id)
    return _out(manager, job_id)


@router.post("/{job_id}/stop", response_model=JobOut, responses=errors(403, 404, 409))
def stop_job(job_id: str, manager: Manager, _: OwnerOnly) -> JobOut:
    """Stop a job for good; its model stays downloadable."""
    manager.stop(job_id)
    return _out(manager, job_id)


@router.post("/{job_id}/reset", response_model=JobOut, responses=errors(403, 404, 409, 422))
def reset_job(job_id: str, manager: Manager, _: OwnerOnly, body: ResetRequest | None = None) -> JobOut:
    """Start over from fresh weights with the same spec; keeps the seed unless a new one is given."""
    manager.reset(job_id, body.seed if body is not None else None)
    return _out(manager, job_id)


@router.patch("/{job_id}", response_model=JobOut, responses=errors(403, 404, 409, 422))
def patch_job(job_id: str, patch: JobPatch, manager: Manager, _: OwnerOnly) -> JobOut:
    """Change trainer hyperparameters live (learning rate, momentum, decay, batch size...), or whether
    the job is kept when the server makes room."""
    if patch.trainer is not None:
        manager.change_trainer(job_id, patch.trainer.settings())
    if patch.keep is not None:
        manager.set_keep(job_id, patch.keep)
    return _out(manager, job_id)


@router.post("/{job_id}/weights", response_model=JobOut, responses=errors(403, 404, 409, 422))
def set_job_weight(job_id: str, change: WeightChange, manager: Manager, _: OwnerOnly) -> JobOut:
    """Set one weight or bias of a queued, running or paused job (TF Playground's click on a link): its
    viewers get a ``weight`` message and fresh frames; a queued job gets it when it starts."""
    manager.set_weight(job_id, change)
    return _out(manager, job_id)


@router.delete("/{job_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(403, 404))
def delete_job(job_id: str, manager: Manager, _: OwnerOnly) -> Response:
    """Delete a job with its history and checkpoints; its viewers are told."""
    manager.delete(job_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{job_id}/model", responses=errors(404, 409, 422))
def get_job_model(
    job_id: str,
    manager: Manager,
    model_format: Annotated[
        Literal["netplay", "convnetjs"],
        Query(
            alias="format", description="netplay.net, or ConvNetJS's toJSON() (its Net.fromJSON loads it)."
        ),
    ] = "netplay",
) -> dict:
    """The net with its current weights; POST it back as a spec's ``model``. As ConvNetJS's JSON, with
    ``notes`` on what changed (a netplay dropout is left out); 422 when ConvNetJS cannot compute a layer."""
    model = job_model(manager, job_id)
    if model_format == "netplay":
        return model
    try:
        saved, notes = to_convnetjs(Net.from_json(model))
    except SpecError as error:
        raise SpecInvalid(("query", "format"), error.message) from None
    return {**saved, "notes": notes} if notes else saved


@router.post("/{job_id}/predict", response_model=PredictOut, responses=errors(404, 409, 422))
def predict_job(job_id: str, request: PredictRequest, manager: Manager) -> PredictOut:
    """Run the job's current net on points or images: class probabilities and the predicted class."""
    return predict(manager, job_id, request)

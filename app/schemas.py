"""Response bodies of the REST API (requests are in app.spec)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.spec import TrainerChange
from app.store import JobRecord

JobStatus = Literal["queued", "running", "paused", "completed", "stopped", "failed", "interrupted"]


class Metrics(BaseModel):
    """Latest measured figures: training ones over the last report window, test ones on held-out data,
    each held-out figure with the step it was measured at."""

    loss: float | None = None
    train_accuracy: float | None = None
    test_loss: float | None = None
    test_accuracy: float | None = None
    test_step: int | None = Field(None, description="The step the test figures were measured at.")
    test_examples: int | None = Field(
        None, description="How many test examples they were measured on (all, or a rotating subset)."
    )
    val_accuracy: float | None = None
    val_step: int | None = Field(None, description="The step the validation figure was measured at.")


class JobOut(BaseModel):
    """A job: where it stands and its latest metrics."""

    id: str
    name: str
    status: JobStatus
    dataset: str
    created: float = Field(description="Unix time.")
    updated: float = Field(description="Unix time.")
    step: int
    epoch: int
    examples_seen: int
    examples_per_second: float | None = Field(description="Measured over the last report window.")
    metrics: Metrics
    trainer: dict[str, Any]
    num_parameters: int
    queue_position: int | None = Field(description="1 = next to start; None unless queued.")
    error: str | None
    stop_reason: str | None
    message: str | None = Field(
        None, description="What last happened to its status, in words (paused because nobody watched...)."
    )
    pause_reason: Literal["user", "unwatched"] | None = Field(
        None, description="Why a paused job is paused: a person paused it, or nobody watched it."
    )
    keep: bool = Field(description="Never deleted to make room (spec.keep).")
    node: str | None = Field(
        None, description="The machine whose worker trains it now (a Ray cluster's node); None on none."
    )

    @classmethod
    def from_record(cls, record: JobRecord, queue_position: int | None, node: str | None = None) -> JobOut:
        """Flatten a stored job for the API."""
        progress = record.progress
        return cls(
            id=record.id,
            name=record.name,
            status=record.status,
            dataset=record.spec["dataset"]["name"],
            created=record.created,
            updated=record.updated,
            step=progress.get("step", 0),
            epoch=progress.get("epoch", 0),
            examples_seen=progress.get("examples_seen", 0),
            examples_per_second=progress.get("examples_per_second"),
            metrics=Metrics.model_validate({k: progress.get(k) for k in Metrics.model_fields}),
            trainer=record.trainer,
            num_parameters=record.num_parameters,
            queue_position=queue_position,
            error=record.error,
            stop_reason=record.stop_reason,
            message=record.message,
            pause_reason=record.pause_reason if record.status == "paused" else None,
            keep=bool(record.spec.get("keep", False)),
            node=node,
        )


class JobDetail(JobOut):
    """A job with its full spec and desugared layers."""

    spec: dict[str, Any]
    layers: list[dict[str, Any]] = Field(description="The desugared layer list the net is built from.")


class JobCreated(JobDetail):
    """A new job, with its owner token: keep it, changing the job needs it (shown only here)."""

    owner_token: str = Field(description="Send as Authorization: Bearer <token> to change the job.")


class JobPage(BaseModel):
    """One page of jobs, newest first."""

    items: list[JobOut]
    total: int
    limit: int
    offset: int
    unreadable: int = Field(
        0,
        description="Stored jobs of this page left out because the database cannot be read there "
        "(damaged; the server's log names them).",
    )


class MetricPoint(BaseModel):
    """One progress report."""

    model_config = ConfigDict(extra="allow")

    step: int
    epoch: int
    examples_seen: int
    loss: float | None
    train_accuracy: float | None
    test_loss: float | None
    test_accuracy: float | None
    examples_per_second: float | None


class MetricHistoryOut(BaseModel):
    """A job's metric history, oldest first; long runs are thinned to evenly spaced points."""

    id: str
    points: list[MetricPoint]


class JobPatch(BaseModel):
    """Live changes to a job: hyperparameters (applied at the next step) and whether to keep it."""

    model_config = ConfigDict(extra="forbid")

    trainer: TrainerChange | None = None
    keep: bool | None = Field(None, description="Never delete the job to make room (spec.keep).")


class ResetRequest(BaseModel):
    """Start a job over; keeps its seed unless a new one is given."""

    model_config = ConfigDict(extra="forbid")

    seed: int | None = Field(None, ge=0, le=2**31 - 1)


class PredictRequest(BaseModel):
    """Inputs for a trained net: up to 10,000 2D points ``[[x1, x2], ...]`` in the dataset's plane (the
    feature map is applied for you), or up to 64 images ``(N, depth, sy, sx)`` / ``(N, sy, sx)`` with
    pixels in [0, 1] (normalised and centre-cropped as the training data was); the body at most 1 MiB.
    More: several requests."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    points: list[list[float]] | None = Field(None, max_length=10_000)
    images: list[Any] | None = Field(None, max_length=64)


class PredictOut(BaseModel):
    """One row per input: class probabilities (or regression values), and the predicted class."""

    step: int
    outputs: list[list[float]]
    predicted: list[int] | None
    class_names: list[str]


class DatasetPreview(BaseModel):
    """What a dataset looks like: its 2D points, a few sample images, or the picture a painting paints."""

    name: str
    kind: str
    num_classes: int
    class_names: list[str]
    extent: list[float] | None
    input_shape: list[int]
    sizes: dict[str, int]
    points: dict[str, Any] | None = Field(None, description="train/test: [[x, y, label], ...] (2D sets).")
    images: list[dict[str, Any]] | None = Field(
        None, description="Samples: {label, shape: [sy, sx, 3], pixels: base64 uint8 RGB}."
    )
    picture: dict[str, Any] | None = Field(
        None, description="A painting's picture: {shape: [sy, sx, 3], pixels: base64 uint8 RGB}."
    )


class UploadOut(BaseModel):
    """A stored upload and the dataset spec that uses it."""

    file: str
    size: int
    created: float = Field(description="When it was uploaded, in seconds since the epoch.")
    dataset: dict[str, Any]


class UploadCreated(UploadOut):
    """A new upload, with its owner token: deleting the file needs it (shown only here)."""

    owner_token: str = Field(description="Send as Authorization: Bearer <token> to delete the file.")


class UploadList(BaseModel):
    """The uploads folder: its files, oldest first, and how much of its quota they use."""

    items: list[UploadOut]
    used: int = Field(description="Bytes of every upload together.")
    limit: int = Field(description="The quota of the uploads folder, in bytes.")

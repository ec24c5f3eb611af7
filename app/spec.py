"""The job spec: one JSON document shared by the REST API, the pages and the CLI.

Pydantic checks the document's structure; `check_job_spec` then checks it against the engine (layer
definitions, trainer, dataset parameters, shapes that must agree) and the server's limits, so a bad spec
is rejected before a job exists, with the field path and the reason.

Layer definitions stay plain dicts in ConvNetJS's vocabulary rather than a Pydantic union: the engine
already checks them field by field with paths such as ``layers[3].filters``, and one vocabulary in one
place cannot drift.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

StopReason = Literal["max_steps", "max_epochs", "max_seconds", "target_test_accuracy", "limit"]


class DatasetSpec(BaseModel):
    """A catalogue dataset and its parameters: ``{"name": "rings", "noise": 0.1, "n_samples": 400}``.
    Every key but ``name`` is a parameter of that dataset (see ``GET /api/datasets``)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    name: str = Field(description="A name from GET /api/datasets, e.g. rings, mnist, xo.")


class TrainerChange(BaseModel):
    """Hyperparameters to change while a job runs. The method cannot change: reset with a new spec."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    learning_rate: float | None = None
    momentum: float | None = None
    batch_size: int | None = None
    l1_decay: float | None = None
    l2_decay: float | None = None
    eps: float | None = None
    ro: float | None = None
    beta1: float | None = None
    beta2: float | None = None

    def settings(self) -> dict[str, Any]:
        """Only the keys that were given, as the engine's ``make_optimizer`` and ``set`` take them."""
        return self.model_dump(exclude_none=True)


class TrainerSpec(TrainerChange):
    """ConvNetJS's trainer settings. Which keys apply depends on the method (``ro`` is Adadelta's,
    ``beta1`` Adam's...); a key the method does not take is rejected. Unset keys take the method's
    default, as in ConvNetJS."""

    method: Literal["sgd", "nesterov", "adagrad", "adadelta", "adam", "rmsprop", "windowgrad"] = "sgd"


class WeightChange(BaseModel):
    """One weight or bias of a job's net, set to a new value while it trains (TF Playground's click on a
    link). ``param`` is ``w`` or ``b``; ``index`` addresses one entry of it: an fc layer's ``w`` is
    (inputs, neurons), its ``b`` (neurons,); a conv layer's ``w`` is (filters, depth, sy, sx)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    layer: int = Field(ge=0, description="Index of the layer in the desugared net (GET /api/jobs/{id}).")
    param: Literal["w", "b"]
    index: list[int] = Field(max_length=4)
    value: float = Field(ge=-1e6, le=1e6)


class StopSpec(BaseModel):
    """When a job completes: the first condition met ends it. With none given it trains until stopped
    (or the server's step and time limits)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    max_steps: int | None = Field(None, ge=1)
    max_epochs: float | None = Field(None, gt=0)
    max_seconds: float | None = Field(None, gt=0)
    target_test_accuracy: float | None = Field(None, gt=0, le=1)


class StreamSpec(BaseModel):
    """What the job's live stream shows, and how often."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    grid: int = Field(100, ge=8, description="Side of the decision-boundary grid (2D jobs).")
    fps: float = Field(30.0, gt=0, description="Most visual frames per second for 2D and painting jobs.")
    neuron_grid: int = Field(24, ge=8, le=64, description="Side of each neuron's thumbnail grid.")
    hidden_layer: int | None = Field(
        None, ge=0, description="Layer of the hidden-space view (default: last)."
    )
    hidden_neurons: tuple[int, int] = Field((0, 1), description="The two neurons of the hidden-space view.")
    sample: int = Field(0, ge=0, description="Test image whose activations image jobs show.")
    predictions: int = Field(8, ge=0, le=64, description="Test images shown with their top-3 predictions.")
    image_every: float = Field(1.0, gt=0, description="Seconds between visual frames of image jobs.")
    progress_every: float = Field(
        0.25,
        gt=0,
        description="Seconds between progress messages (each carries the job's checkpoint; the weights "
        "frames carry the step between them).",
    )


def layer_definitions(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The layer definitions of a (stored, JSON) spec: its ``layers``, or its saved model's."""
    return spec["layers"] if spec.get("layers") is not None else spec["model"]["layers"]


class JobSpec(BaseModel):
    """Everything a job needs: data, net, trainer, when to stop, seed, what to stream. Give ``layers``, or
    ``model`` (a net saved by ``GET /api/jobs/{id}/model``) to go on from trained weights."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field("", max_length=200)
    dataset: DatasetSpec
    layers: list[dict[str, Any]] | None = Field(None, description="ConvNetJS-style layer definitions.")
    model: dict[str, Any] | None = Field(None, description="A saved net (format netplay.net).")
    trainer: TrainerSpec = Field(default_factory=TrainerSpec)
    stop: StopSpec = Field(default_factory=StopSpec)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    stream: StreamSpec = Field(default_factory=StreamSpec)
    pause_when_unwatched: float | None = Field(
        None,
        gt=0,
        le=86_400,
        description="Seconds without any viewer after which the job pauses itself (null: never). "
        "The pages set it, so a closed tab does not keep training.",
    )
    keep: bool = Field(
        False, description="Never delete this job to make room when the server's job store is full."
    )

    @model_validator(mode="after")
    def _layers_or_model(self) -> JobSpec:
        if (self.layers is None) == (self.model is None):
            raise ValueError("give exactly one of layers (definitions) or model (a saved net)")
        return self

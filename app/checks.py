"""Checking a job spec against the engine and the server's limits before a job exists.

Everything that can be known before training is checked here, cheaply: layer shapes and parameter
counts come from the layer classes without allocating any weights, so an absurd net is refused before
it could take the machine's memory.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from app.jobs.capacity import job_memory
from app.settings import Settings
from app.spec import JobSpec, WeightChange, layer_definitions
from app.visuals.producer import check_view, view_from_stream
from engine import Net, Optimizer, SpecError, desugar, make_optimizer
from engine.convnetjs import from_convnetjs, is_convnetjs
from engine.datasets import Dataset, make_dataset_from_spec
from engine.layers import Layer
from engine.net import describe_layers as engine_describe_layers
from engine.net import plan_layers
from engine.parameters import FlatParameters

Loc = tuple[str | int, ...]


class SpecInvalid(Exception):
    """A request that cannot become a job: `loc` is the field path in the request, `msg` the reason."""

    def __init__(self, loc: Sequence[str | int], msg: str) -> None:
        super().__init__(msg)
        self.loc: Loc = tuple(loc)
        self.msg = msg

    @classmethod
    def from_spec_error(cls, error: SpecError, *prefix: str | int) -> SpecInvalid:
        """An engine error placed under where its object sits in the request."""
        return cls((*prefix, *error.path), error.message)


@dataclass(frozen=True)
class CheckedJob:
    """A spec that passed every check, with what checking it found out."""

    spec: JobSpec
    layer_defs: list[dict[str, Any]]
    definitions: list[dict[str, Any]]
    num_parameters: int
    dataset: Dataset
    memory: int  # bytes a running copy is estimated to take (app.jobs.capacity)


def check_job_spec(spec: JobSpec, settings: Settings) -> CheckedJob:
    """Check `spec` completely; raises SpecInvalid with a ``("body", ...)`` path for the first problem.
    A ``model`` saved by ConvNetJS (``net.toJSON()``) is converted to netplay's format first: the
    checked spec holds the converted one (engine.convnetjs)."""
    _check_stream_and_stop(spec, settings)
    if spec.model is not None and is_convnetjs(spec.model):
        spec = _imported(spec, settings)
    layer_defs = spec.model.get("layers") if spec.model is not None else spec.layers
    where: Loc = ("body", "model") if spec.model is not None else ("body",)
    if not isinstance(layer_defs, list):
        raise SpecInvalid((*where, "layers"), "must be a list of layer definitions")
    definitions, layers = _plan_net(layer_defs, where, settings)
    num_parameters = sum(int(np.prod(shape)) for layer in layers for shape in layer.param_shapes().values())
    if num_parameters > settings.max_parameters:
        limit = settings.max_parameters
        raise SpecInvalid(
            (*where, "layers"), f"the net has {num_parameters:,} parameters; the limit is {limit:,}"
        )
    batch_size = _check_trainer(spec, layers, settings)
    if spec.model is not None:
        try:
            Net.from_json(spec.model)
        except SpecError as error:
            raise SpecInvalid.from_spec_error(error, "body", "model") from None
    dataset = load_dataset(spec.dataset.model_dump(), settings.uploads_dir)
    _check_dataset(dataset, layers, where, settings)
    _check_view(spec, layers, dataset)
    memory = job_memory(num_parameters, _values_per_example(layers), batch_size, spec.stream.grid)
    return CheckedJob(spec, layer_defs, definitions, num_parameters, dataset, memory)


def _imported(spec: JobSpec, settings: Settings) -> JobSpec:
    """`spec` with its ConvNetJS model as a netplay.net one (float32, as jobs train)."""
    layers = spec.model["layers"] if spec.model is not None else []
    limit = 2 * settings.max_layers  # ConvNetJS spells out the fc a netplay loss layer implies
    if len(layers) > limit:
        raise SpecInvalid(
            ("body", "model", "layers"), f"{len(layers)} ConvNetJS layers; the limit is {limit}"
        )
    try:
        model, _ = from_convnetjs(spec.model, dtype="float32")
    except SpecError as error:
        raise SpecInvalid.from_spec_error(error, "body", "model") from None
    return spec.model_copy(update={"model": model})


def _check_stream_and_stop(spec: JobSpec, settings: Settings) -> None:
    limits = [
        (("stream", "grid"), spec.stream.grid, settings.max_grid),
        (("stream", "fps"), spec.stream.fps, settings.max_fps),
        (("stop", "max_steps"), spec.stop.max_steps, settings.max_steps),
        (("stop", "max_seconds"), spec.stop.max_seconds, settings.max_job_seconds),
        (("trainer", "batch_size"), spec.trainer.batch_size, settings.max_batch_size),
    ]
    for loc, value, limit in limits:
        if value is not None and value > limit:
            raise SpecInvalid(("body", *loc), f"must be <= {limit:g} (a server limit), got {value:g}")


def _check_view(spec: JobSpec, layers: list[Layer], dataset: Dataset) -> None:
    """The stream's view choices (hidden layer and neurons, sample) against the net and the data, as
    the worker checks them before it draws."""
    try:
        check_view(view_from_stream(spec.stream), layers, dataset)
    except SpecError as error:
        raise SpecInvalid.from_spec_error(error, "body", "stream") from None


def check_view_change(changes: dict[str, Any], settings: Settings) -> None:
    """The server's own limits on a live view change (the worker checks it against the net)."""
    grid = changes.get("grid")
    if isinstance(grid, int) and not isinstance(grid, bool) and grid > settings.max_grid:
        raise SpecInvalid(
            ("body", "view", "grid"), f"must be <= {settings.max_grid} (a server limit), got {grid}"
        )


def check_weight_change(spec: dict[str, Any], change: WeightChange) -> None:
    """That `change` addresses one weight of the (stored) spec's net; SpecInvalid naming the field."""
    layers = plan_layers(desugar(layer_definitions(spec)))
    if change.layer >= len(layers):
        raise SpecInvalid(("body", "layer"), f"the net has layers 0..{len(layers) - 1}, got {change.layer}")
    layer = layers[change.layer]
    shapes = layer.param_shapes()
    if change.param not in shapes:
        raise SpecInvalid(("body", "layer"), f"layer {change.layer} ({layer.type}) has no weights")
    shape = shapes[change.param]
    if len(change.index) != len(shape) or any(
        not 0 <= i < size for i, size in zip(change.index, shape, strict=True)
    ):
        raise SpecInvalid(
            ("body", "index"),
            f"layer {change.layer}'s {change.param} has shape {list(shape)}: give {len(shape)} "
            f"indices within it, got {change.index}",
        )


def _plan_net(layer_defs: list[Any], where: Loc, settings: Settings) -> tuple[list[dict], list[Layer]]:
    """Desugar and infer every layer's shape without allocating weights; check size limits. `where` is
    the path of the object holding ``layers`` (the body, or its ``model``)."""
    if len(layer_defs) > settings.max_layers:
        raise SpecInvalid((*where, "layers"), f"{len(layer_defs)} layers; the limit is {settings.max_layers}")
    try:
        definitions = desugar(layer_defs)
        _check_sizes(definitions, where, settings)
        layers = plan_layers(definitions)
    except SpecError as error:
        raise SpecInvalid.from_spec_error(error, *where) from None
    return definitions, layers


def describe_layers(layer_defs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`Net.describe`'s rows, each with its desugared definition's fields, without allocating weights:
    what a viewer's network diagram shows."""
    definitions = desugar(layer_defs)
    rows = engine_describe_layers(plan_layers(definitions))
    return [{**definition, **row} for definition, row in zip(definitions, rows, strict=True)]


def _check_sizes(definitions: list[dict[str, Any]], where: Loc, settings: Settings) -> None:
    for definition in definitions:
        loc = (*where, "layers", definition["source"])
        if definition["type"] == "input":
            side = max(definition["out_sx"], definition["out_sy"])
            if side > settings.max_image_side:
                raise SpecInvalid(loc, f"input side {side} is over the limit of {settings.max_image_side}")
        width = definition.get("num_neurons") or definition.get("filters") or definition.get("out_depth") or 0
        if width > settings.max_neurons:
            limit = settings.max_neurons
            raise SpecInvalid(loc, f"{width} neurons, filters or channels; the limit per layer is {limit}")


def _values_per_example(layers: list[Layer]) -> int:
    return sum(int(np.prod(layer.out_shape)) for layer in layers)


def _check_trainer(spec: JobSpec, layers: list[Layer], settings: Settings) -> int:
    """Check the trainer and the memory of a batch; returns the batch size."""
    optimizer = _stand_in_optimizer({"method": spec.trainer.method, **spec.trainer.settings()}, ("body",))
    batch_size = int(optimizer.hyper["batch_size"])
    batch_values = _values_per_example(layers) * batch_size
    if batch_values > settings.max_batch_values:
        raise SpecInvalid(
            ("body", "trainer", "batch_size"),
            f"a batch would hold {batch_values:,} layer output values; the limit is "
            f"{settings.max_batch_values:,}: use a smaller batch or net",
        )
    return batch_size


def check_trainer_change(
    trainer: dict[str, Any], changes: dict[str, Any], settings: Settings
) -> dict[str, Any]:
    """`trainer` with `changes` applied, checked by the engine's own rules for its method; SpecInvalid
    under ``body`` for a key the method does not take or a value out of range."""
    batch_size = changes.get("batch_size")
    if batch_size is not None and batch_size > settings.max_batch_size:
        limit = settings.max_batch_size
        raise SpecInvalid(("body", "trainer", "batch_size"), f"must be <= {limit} (a server limit)")
    merged = {**trainer, **changes}
    _stand_in_optimizer(merged, ("body",))
    return merged


def _stand_in_optimizer(trainer: dict[str, Any], prefix: Loc) -> Optimizer:
    """The engine's trainer checks (method-specific keys and ranges) on a one-value parameter set."""
    stand_in = np.zeros(1, np.float32)
    holder = _ParameterHolder(FlatParameters(stand_in, stand_in.copy(), stand_in.copy(), stand_in.copy()))
    try:
        return make_optimizer(holder, trainer)
    except SpecError as error:
        raise SpecInvalid.from_spec_error(error, *prefix) from None


@dataclass(frozen=True)
class _ParameterHolder:
    flat: FlatParameters


def _check_dataset(dataset: Dataset, layers: list[Layer], where: Loc, settings: Settings) -> None:
    total = len(dataset.X_train) + len(dataset.X_val) + len(dataset.X_test)
    if total > settings.max_dataset_samples:
        raise SpecInvalid(
            ("body", "dataset"), f"{total:,} examples; the limit is {settings.max_dataset_samples:,}"
        )
    depth, sy, sx = layers[0].out_shape
    want = tuple(int(v) for v in dataset.input_shape)
    if (sx, sy, depth) != want:
        raise SpecInvalid(
            (*where, "layers", 0),
            f"input is {sx}x{sy}x{depth} but dataset {dataset.name} gives {want[0]}x{want[1]}x{want[2]} "
            "(out_sx x out_sy x out_depth; for 2D sets out_depth is the number of features)",
        )
    _check_loss(dataset, layers[-1], (*where, "layers", layers[-1].definition["source"]))


def _check_loss(dataset: Dataset, loss: Layer, loc: Loc) -> None:
    outputs = int(np.prod(loss.out_shape))
    if dataset.is_classification:
        if loss.type == "regression":
            raise SpecInvalid(loc, f"dataset {dataset.name} is classification: end with softmax or svm")
        if outputs != dataset.num_classes:
            classes = dataset.num_classes
            raise SpecInvalid(loc, f"num_classes is {outputs} but dataset {dataset.name} has {classes}")
        return
    targets = int(np.prod(dataset.y_train.shape[1:]))
    if loss.type != "regression":
        raise SpecInvalid(loc, f"dataset {dataset.name} is regression: end with a regression layer")
    if outputs != targets:
        raise SpecInvalid(loc, f"num_neurons is {outputs} but dataset {dataset.name} has {targets} targets")


def load_dataset(dataset_spec: dict[str, Any], uploads_dir: Path) -> Dataset:
    """Build (or reuse) the dataset a spec names; SpecInvalid under ``body.dataset`` when it cannot."""
    try:
        return _cached_dataset(json.dumps(dataset_spec, sort_keys=True), str(uploads_dir))
    except SpecError as error:
        raise SpecInvalid.from_spec_error(error, "body", "dataset") from None


@lru_cache(maxsize=8)
def _cached_dataset(spec_json: str, uploads_dir: str) -> Dataset:
    # Datasets are frozen and their parameters include the seed, so one spec always gives the same data.
    return make_dataset_from_spec(json.loads(spec_json), data_dir=uploads_dir)

"""A network built from ConvNetJS-style layer definitions."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.definitions import LayerDef, desugar
from engine.errors import SpecError
from engine.inspection import Inspection, inspect
from engine.layers import Layer, LossLayer, batch_shape, build_layer
from engine.mlp_step import MLPStep
from engine.parameters import FlatParameters, bind_parameters

if TYPE_CHECKING:
    from engine.optim import Optimizer


# Layers whose output is a new array that they do not keep for their own backward pass.
FRESH_OUTPUT_TYPES = ("fc", "conv", "batchnorm")
FLOAT_DTYPES = {"float32": np.dtype(np.float32), "float64": np.dtype(np.float64)}
UNSIGNED = {size: np.dtype(f"u{size}") for size in (1, 2, 4, 8)}


def _check_dtype(dtype: Any) -> np.dtype:
    name = dtype if isinstance(dtype, str) else getattr(dtype, "__name__", None) or str(dtype)
    if name not in FLOAT_DTYPES:
        raise SpecError(f"dtype: must be float32 or float64, got {dtype!r}", ("dtype",))
    return FLOAT_DTYPES[name]


def plan_layers(definitions: list[LayerDef]) -> list[Layer]:
    """Desugared `definitions` built into layers with every shape inferred but no weights allocated:
    what checking a definition and describing a net need (raises SpecError if it cannot work)."""
    layers: list[Layer] = []
    shape = (1, 1, 1)
    for definition in definitions:
        layers.append(build_layer(definition, shape))
        shape = layers[-1].out_shape
    return layers


def describe_layers(layers: list[Layer]) -> list[dict[str, Any]]:
    """One row per layer: index, source, type, out_sx/out_sy/out_depth, num_params (from the parameter
    shapes, so planned layers without weights are described the same as a built net's)."""
    rows = []
    for index, layer in enumerate(layers):
        depth, sy, sx = layer.out_shape
        rows.append(
            {
                "index": index,
                "source": layer.definition["source"],
                "type": layer.type,
                "out_sx": sx,
                "out_sy": sy,
                "out_depth": depth,
                "num_params": sum(int(np.prod(shape)) for shape in layer.param_shapes().values()),
            }
        )
    return rows


class Net:
    """A feed-forward net: the user's `layer_defs`, the desugared `definitions`, the built `layers`
    (index-aligned with `definitions`, ``layers[0]`` the input) and their parameters in `flat`.

    Inputs are (N, D) for a 1x1xD input layer and (N, depth, sy, sx) otherwise. Labels are int class
    indices (N,) for softmax/svm; regression targets are (N, K). The same definitions and seed give the
    same initial weights and, with the same data, the same losses step for step.
    """

    def __init__(self, layer_defs: list[LayerDef], *, seed: int = 0, dtype: Any = np.float32) -> None:
        self.definitions = desugar(layer_defs)
        self.layer_defs = copy.deepcopy(list(layer_defs))
        self.dtype = _check_dtype(dtype)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise SpecError(f"seed: must be a non-negative integer, got {seed!r}", ("seed",))
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.layers = self._build_layers()
        self.flat: FlatParameters = bind_parameters(self.layers, self.rng, self.dtype)
        self._hidden = self.layers[1:]
        self._loss_layer: LossLayer = self.layers[-1]  # type: ignore[assignment]
        # Looked up on every step: worked out once here rather than through properties each time.
        self._input_shape = batch_shape(self.layers[0].out_shape)
        self._num_outputs = self.layers[-1].out_shape[0]
        self._label_limits = {
            size: np.array(self._num_outputs, unsigned)
            for size, unsigned in UNSIGNED.items()
            if self._num_outputs <= np.iinfo(unsigned).max
        }
        self._backward_layers = self._hidden[-2::-1]
        self.mlp_step = MLPStep.for_net(self.layers, self.flat)

    def _build_layers(self) -> list[Layer]:
        layers = plan_layers(self.definitions)
        seen_params = False
        for previous, layer in zip([None, *layers], layers, strict=False):
            layer.need_dx = seen_params
            layer.may_overwrite_input = previous is not None and previous.type in FRESH_OUTPUT_TYPES
            seen_params = seen_params or bool(layer.param_shapes())
            layer.rng = self.rng
        return layers

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Per-example input array shape: (D,) or (depth, sy, sx)."""
        return self._input_shape

    @property
    def loss_type(self) -> str:
        """softmax, svm or regression."""
        return self._loss_layer.type

    @property
    def num_outputs(self) -> int:
        """Number of classes, or of regression outputs."""
        return self._num_outputs

    @property
    def num_parameters(self) -> int:
        """Trainable values, counted as ConvNetJS counts them (weights and biases)."""
        return self.flat.size

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(value, grad) pairs of live arrays: changing a value in place changes the net."""
        return [(layer.params[name], layer.grads[name]) for layer in self.layers for name in layer.params]

    def check_input(self, x: Any) -> np.ndarray:
        """Convert to the net's dtype and check the shape, (N, *input_shape), and that every value is
        a finite real number (NaN would silently poison the weights)."""
        try:
            given = np.asarray(x)
        except ValueError as error:
            raise SpecError(f"X: not a rectangular array of numbers ({error})", ("X",)) from None
        if given.dtype.kind not in "biuf":
            raise SpecError(f"X: must hold real numbers, got {given.dtype} values", ("X",))
        x = given.astype(self.dtype, copy=False)
        if x.shape[1:] != self._input_shape:  # a 0-d x has shape[1:] == () and fails here too
            expected = ", ".join(str(size) for size in ("N", *self._input_shape))
            raise SpecError(f"X: expected shape ({expected}), got {x.shape}", ("X",))
        # count_nonzero on the mask: ndarray.all() goes through a Python wrapper and a ufunc reduction.
        if np.count_nonzero(np.isfinite(x)) != x.size:
            raise SpecError("X: contains NaN or infinite values", ("X",))
        return x

    def check_targets(self, y: Any, count: int) -> np.ndarray:
        """Labels (N,) in 0..K-1 for classifiers; (N, K) values (or (N,) when K is 1) for regression."""
        if self._loss_layer.type == "regression":
            y = np.asarray(y, dtype=self.dtype)
            if y.ndim == 1 and self.num_outputs == 1:
                y = y[:, None]
            if y.shape != (count, self.num_outputs):
                raise SpecError(f"y: expected shape ({count}, {self.num_outputs}), got {y.shape}", ("y",))
            return y
        y = np.asarray(y)
        if y.shape != (count,) or y.dtype.kind not in "iu":
            raise SpecError(
                f"y: expected {count} integer labels, got {y.dtype} array of shape {y.shape}", ("y",)
            )
        # Read as unsigned, negative labels become huge: one comparison finds every bad label (a
        # comparison and a count cost less than a max reduction). No limit: every value is a class.
        limit = self._label_limits.get(y.dtype.itemsize)
        if limit is not None and np.count_nonzero(np.less(y.view(limit.dtype), limit)) != count:
            raise SpecError(
                f"y: labels must be in 0..{self._num_outputs - 1}, got {y.min()}..{y.max()}", ("y",)
            )
        # Index arithmetic with uint64 labels would promote to float64.
        return y.astype(np.intp, copy=False)

    def forward(self, x: Any, training: bool = False) -> np.ndarray:
        """The last layer's output: x (N, *input_shape) -> (N, K) probabilities, scores or values."""
        out = self.check_input(x)
        for layer in self._hidden:
            out = layer.forward(out, training)
        return out

    def compute_gradients(self, x: Any, y: Any, *, checked: bool = False) -> float:
        """Forward in training mode and backward; returns the mean data loss over the batch and leaves
        its gradients in ``flat.grads`` (weight decay is the optimizer's part). `checked`: x and y are
        a non-empty batch of arrays `check_input` and `check_targets` return unchanged (a slice of a
        split checked once, as `TrainingRun` does), so they are not checked again."""
        if checked:
            out, targets = x, y
        else:
            out = self.check_input(x)
            if out.shape[0] == 0:
                raise SpecError("X: a training batch needs at least one example", ("X",))
            targets = self.check_targets(y, out.shape[0])
        if self.mlp_step is not None:
            return self.mlp_step.gradients(out, targets)
        for layer in self._hidden:
            out = layer.forward(out, True)
        loss, grad = self._loss_layer.loss(targets)
        for layer in self._backward_layers:
            grad = layer.backward(grad)
            if grad is None:
                break
        return loss

    def train_step(self, x: Any, y: Any, optimizer: Optimizer, *, checked: bool = False) -> dict[str, float]:
        """One optimizer step on a batch -> {"loss": data loss, "l1_decay_loss", "l2_decay_loss"};
        `checked` as in `compute_gradients`."""
        loss = self.compute_gradients(x, y, checked=checked)
        l1_decay_loss, l2_decay_loss = optimizer.apply_step()
        return {"loss": loss, "l1_decay_loss": l1_decay_loss, "l2_decay_loss": l2_decay_loss}

    def activations(self, x: Any) -> list[np.ndarray]:
        """Every layer's output at inference, index-aligned with `layers` (``[0]`` is the input)."""
        out = self.check_input(x)
        outputs = [out]
        for layer in self._hidden:
            if layer.may_overwrite_input:
                outputs[-1] = out.copy()
            out = layer.forward(out, False)
            outputs.append(out)
        return outputs

    def inspect(self, x: Any, y: Any) -> Inspection:
        """Every layer's output at inference for x (N, *input_shape) and the gradient of the loss of
        labels y with respect to it, and to each conv layer's filters; training state is left as it
        was (see engine.inspection)."""
        return inspect(self, x, y)

    def layer_output(self, x: Any, index: int) -> np.ndarray:
        """Output of layer `index` at inference, e.g. hidden units over a grid of 2D points:
        x (N, *input_shape) -> (N, *batch_shape(layers[index].out_shape))"""
        self._check_index(index)
        out = self.check_input(x)
        for layer in self.layers[1 : index + 1]:
            out = layer.forward(out, False)
        return out

    def conv_filters(self, index: int) -> np.ndarray:
        """Filters of conv layer `index`: (F, C, sy, sx), a copy."""
        self._check_index(index)
        layer = self.layers[index]
        if layer.type != "conv":
            raise SpecError(f"layer {index} is {layer.type}, not conv", ("layer",))
        return layer.params["w"].copy()

    def describe(self) -> list[dict[str, Any]]:
        """One row per desugared layer: index, source, type, out_sx/out_sy/out_depth, num_params."""
        return describe_layers(self.layers)

    def _check_index(self, index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self.layers):
            last = len(self.layers) - 1
            raise SpecError(f"layer: must be an index in 0..{last}, got {index!r}", ("layer",))

    def to_json(self) -> dict[str, Any]:
        """Definitions, seed, dtype and weights as a JSON-able dict (see engine.serialization)."""
        from engine.serialization import net_to_json

        return net_to_json(self)

    @classmethod
    def from_json(cls, obj: Any) -> Net:
        """Rebuild a net saved by `to_json`; outputs are bit-identical to the saved net's."""
        from engine.serialization import net_from_json

        return net_from_json(obj)

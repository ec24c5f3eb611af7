"""The training pass of a multilayer perceptron as a fixed list of NumPy calls: the fused path.

A net made of fc layers, each followed by at most one element-wise activation, is what every 2D
playground net is (on a 1x1xD input), and the autoencoder (on images, which the first fc takes
flattened). The playground's nets are tiny (the classify2d net has 38 weights and trains on batches of
10), so a step costs the number of NumPy calls it makes and the Python around them, not its arithmetic:
~0.2 us a call against nanoseconds of work; bigger ones such as the autoencoder gain from the bias
folded into the products (1.7x on its step). This path makes fewer and cheaper calls than the
layer-by-layer one:

- Activations are kept feature-major, (features, N), on top of a row of ones. An fc layer's weights
  and bias are then one (D + 1, M) matrix ``[w; b]`` (the flat buffer already holds b right after w),
  so a layer is one matrix product forward and one for dw and db together, where the layered path also
  adds the bias and reduces the batch for db (a ufunc reduction costs as much as three products).
- Softmax runs on class-major scores (K, N): its steps run along the examples, not along rows of K.
- For each batch size the step is compiled once into a program: buffers for every intermediate and the
  list of calls on them with their arguments bound, outputs passed positionally (a keyword argument
  costs a NumPy call as much as the arithmetic). Running it is a loop over prepared calls.

The bias is added inside the matrix product, so results agree with the layered path to float rounding
(about 1e-7 relative in float32), not bit for bit. A net always takes the same path, so the same seed
and data still give the same losses step for step.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from engine.kernels import activations as act
from engine.kernels.losses import regression_loss
from engine.layers import Layer
from engine.parameters import FlatParameters, weights_with_bias

# Batch sizes whose programs are kept; the last batch of an epoch is often smaller than the rest.
PROGRAMS_KEPT = 4
LOSS_TYPES = ("softmax", "regression")
# Up to this many classes softmax folds rows and sums columns with a (K, K) product; above, it reduces.
FOLDED_MAX_CLASSES = 64

# An element-wise activation's kernels: forward(x, out) and backward(dout, out, dx), where `out` is
# the forward's output (the only cache they need).
Forward = Callable[[np.ndarray, np.ndarray], np.ndarray]
Backward = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
# A NumPy call with every argument bound.
Call = Callable[[], object]


def activation_kernels(layer: Layer) -> tuple[Forward, Backward] | None:
    """The kernels of an element-wise activation layer; None for any other layer."""
    if layer.type == "tanh":
        return np.tanh, act.tanh_backward  # the ufunc itself: one Python frame fewer per step
    if layer.type == "relu":
        return act.relu_forward, act.relu_backward
    if layer.type == "sigmoid":
        return act.sigmoid_forward, act.sigmoid_backward
    if layer.type == "leaky_relu":
        alpha = layer.definition["alpha"]

        def forward(x: np.ndarray, out: np.ndarray) -> np.ndarray:
            return act.leaky_relu_forward(x, alpha, out)

        def backward(dout: np.ndarray, out: np.ndarray, dx: np.ndarray) -> np.ndarray:
            return act.leaky_relu_backward(dout, out, alpha, dx)

        return forward, backward
    return None


def activation_backward_calls(
    backward: Backward, dh: np.ndarray, h: np.ndarray, dz: np.ndarray
) -> list[Call]:
    """The calls that put an activation's input gradient into `dz`: tanh's (the playground's
    default) unrolled into its three ufuncs, saving a Python frame and a lookup a step; any
    other's kernel call. dh, h, dz: (M, N)"""
    if backward is act.tanh_backward:
        one = np.array(1, h.dtype)
        return [
            functools.partial(np.multiply, h, h, dz),
            functools.partial(np.subtract, one, dz, dz),
            functools.partial(np.multiply, dz, dh, dz),
        ]
    return [functools.partial(backward, dh, h, dz)]


@dataclass(eq=False)
class DenseBlock:
    """An fc layer and the activation after it (if any).

    weights, grads: (D + 1, M) views ``[w; b]`` of the net's flat buffers.
    """

    weights: np.ndarray
    grads: np.ndarray
    need_dx: bool
    activation: tuple[Forward, Backward] | None = None

    @property
    def width(self) -> int:
        """M, the number of neurons."""
        return self.weights.shape[1]


@dataclass(eq=False)
class Program:
    """One training step on n examples, compiled: its buffers and the calls that fill them.

    inputs: (D, n), the rows the batch is copied into; scores: (K, n), the last layer's output;
    dscores: (K, n), the loss gradient the backward calls read; calls: forward, the softmax loss's
    calls and backward in one list, for softmax nets; flat_index: (n,) where each example's
    label sits in the flattened scores; count: 0-d n; total: 0-d, the summed log-probabilities of the
    labels.
    """

    inputs: np.ndarray
    scores: np.ndarray
    dscores: np.ndarray
    flat_index: np.ndarray
    count: np.ndarray
    total: np.ndarray
    forward: list[Call] = field(default_factory=list)
    backward: list[Call] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)

    @property
    def out(self) -> np.ndarray:
        """The scores (after softmax: the probabilities) as the loss layer's output: (n, K)"""
        return self.scores.T


def compile_program(
    blocks: list[DenseBlock], input_width: int, n: int, dtype: np.dtype, *, softmax: bool
) -> Program:
    """Buffers for a batch of `n` and the forward, (with `softmax`) softmax-loss, and backward calls
    on them. Activations are (width + 1, n) with a last row of ones; their gradients are (width, n)."""
    partial = functools.partial
    activations = [np.ones((width + 1, n), dtype) for width in [input_width] + [b.width for b in blocks]]
    outputs = [a[:-1] for a in activations]
    scores = outputs[-1]
    program = Program(
        outputs[0],
        scores,
        np.empty_like(scores),
        np.empty(n, np.intp),
        np.array(n, np.intp),
        np.empty((), dtype),
    )
    for block, a_in, h in zip(blocks, activations[:-1], outputs[1:], strict=True):
        program.forward.append(partial(block.weights.T.dot, a_in, h))
        if block.activation is not None:
            program.forward.append(partial(block.activation[0], h, h))
    dh = program.dscores
    for block, a_in, h in zip(blocks[::-1], activations[-2::-1], outputs[:0:-1], strict=True):
        dz = dh
        if block.activation is not None:
            dz = np.empty_like(h)
            program.backward += activation_backward_calls(block.activation[1], dh, h, dz)
        program.backward.append(partial(a_in.dot, dz.T, block.grads))
        if block.need_dx:
            dh = np.empty_like(a_in[:-1])
            program.backward.append(partial(block.weights[:-1].dot, dz, dh))
    if softmax:
        loss = softmax_loss_calls(scores, program.dscores, program.flat_index, program.total)
        program.calls = program.forward + loss + program.backward
    return program


def softmax_loss_calls(
    scores: np.ndarray, dscores: np.ndarray, flat_index: np.ndarray, total: np.ndarray
) -> list[Call]:
    """Softmax in place on class-major scores (K, n), then cross-entropy: `dscores` (K, n) gets
    (probs - onehot) / n and `total` the sum of the labels' log-probabilities. Each step runs along
    the examples, not along rows of K classes. `flat_index` must hold label * n when they run."""
    partial, dtype = functools.partial, scores.dtype
    k, n = scores.shape
    peaks, picked, scaled = np.empty(n, dtype), np.empty(n, dtype), np.empty(n, dtype)
    inverse, one, tiny = np.array(1.0 / n, dtype), np.array(1.0, dtype), np.array(np.finfo(dtype).tiny, dtype)
    if k > FOLDED_MAX_CLASSES:
        # peaks doubles as the column sums once the shift is done.
        calls = [
            partial(np.maximum.reduce, scores, 0, None, peaks),
            partial(np.subtract, scores, peaks, scores),
        ]
        calls += [partial(np.exp, scores, scores), partial(np.add.reduce, scores, 0, None, peaks)]
        calls.append(partial(np.divide, scores, peaks, scores))
    else:
        # Rows folded with fmax, which takes a positional output: a NaN score still turns its
        # column's probabilities to NaN through the subtraction.
        calls = [partial(np.fmax, scores[0], scores[1], peaks)]
        calls += [partial(np.fmax, peaks, row, peaks) for row in scores[2:]]
        # Products with ones copy each column's peak, then its sum, to every row, so the subtraction
        # and the division need no broadcast (a broadcast costs three times as much a call).
        calls.append(partial(np.ones((k, 1), dtype).dot, peaks[None], dscores))
        calls += [partial(np.subtract, scores, dscores, scores), partial(np.exp, scores, scores)]
        calls.append(partial(np.ones((k, k), dtype).dot, scores, dscores))
        calls.append(partial(np.divide, scores, dscores, scores))
    # The labels were range-checked, so every index is valid: "clip" skips a slower checking path.
    calls += [
        partial(np.add, flat_index, np.arange(n), flat_index),
        partial(scores.take, flat_index, None, picked, "clip"),
        partial(np.multiply, scores, inverse, dscores),
        partial(np.subtract, picked, one, scaled),
        partial(np.multiply, scaled, inverse, scaled),
        partial(dscores.put, flat_index, scaled, "clip"),
        # A probability that underflowed to 0 gives a large finite loss, not inf. Adding the
        # smallest normal number moves only probabilities below ~1e-30 (float32), losses of ~70.
        partial(np.add, picked, tiny, picked),
        partial(np.log, picked, picked),
        partial(np.ones(n, dtype).dot, picked, total),
    ]
    return calls


class MLPStep:
    """Forward, loss and backward of a multilayer perceptron, leaving the gradients in the flat
    buffer as the layered path does. Build it with `for_net`."""

    def __init__(self, blocks: list[DenseBlock], loss_layer: Layer, input_width: int, dtype: np.dtype):
        self.blocks = blocks
        self.loss_layer = loss_layer
        self.softmax = loss_layer.type == "softmax"
        self.input_width = input_width
        self.dtype = dtype
        self._programs: dict[int, Program] = {}

    @classmethod
    def for_net(cls, layers: list[Layer], flat: FlatParameters) -> MLPStep | None:
        """The fused step for `layers` if they are an input, fc layers each followed by at most one
        element-wise activation (tanh, relu, sigmoid, leaky_relu), and a softmax or regression layer
        right after an fc; None otherwise. The input may be an image: the first fc takes it
        flattened, as ConvNetJS's does (the autoencoder's 28x28x1 digits)."""
        if layers[-1].type not in LOSS_TYPES:
            return None
        blocks: list[DenseBlock] = []
        for layer in layers[1:-1]:
            kernels = activation_kernels(layer)
            if layer.type == "fc":
                blocks.append(DenseBlock(*weights_with_bias(flat, layer), layer.need_dx))
            elif kernels is not None and blocks and blocks[-1].activation is None:
                blocks[-1].activation = kernels
            else:
                return None
        if not blocks or blocks[-1].activation is not None:
            return None
        return cls(blocks, layers[-1], int(np.prod(layers[0].out_shape)), flat.values.dtype)

    def _compile(self, n: int) -> Program:
        if len(self._programs) >= PROGRAMS_KEPT:
            self._programs.clear()
        program = compile_program(self.blocks, self.input_width, n, self.dtype, softmax=self.softmax)
        self._programs[n] = program
        return program

    def gradients(self, x: np.ndarray, targets: np.ndarray) -> float:
        """Training-mode forward and backward on a checked batch; returns the mean data loss and
        sets the loss layer's ``out`` (N, K) as its forward would.
        x: (N, D) or (N, depth, sy, sx) of the net's dtype, targets: (N,) int labels or (N, K) values"""
        n = x.shape[0]
        program = self._programs.get(n) or self._compile(n)
        np.copyto(program.inputs, x.reshape(n, self.input_width).T)
        if self.softmax:
            np.multiply(targets, program.count, program.flat_index)
            for call in program.calls:
                call()
            loss = -float(program.total) / n
        else:
            for call in program.forward:
                call()
            loss, dscores = regression_loss(program.out, targets)
            np.copyto(program.dscores, dscores.T)
            for call in program.backward:
                call()
        self.loss_layer.out = program.out
        return loss

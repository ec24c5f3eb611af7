"""What a net does with a few labelled examples, layer by layer: every layer's output and the gradient
of the loss with respect to it, and the gradient of every conv layer's filters (ConvNetJS's MNIST page
shows them as "Activations", "Activation Gradients" and "Weight Gradients").

Everything runs the net at inference (no dropout, batchnorm's running statistics), and the net is left
as training needs it: weights, the gradient buffer the optimizer reads, the random generator and each
layer's ``need_dx`` are what they were; only the caches of the last forward pass (which the next
training step's forward replaces before any backward reads them) change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.layers import Layer, LossLayer

if TYPE_CHECKING:
    from engine.net import Net


@dataclass(frozen=True)
class Inspection:
    """One labelled batch through the net at inference.

    outputs[i], output_grads[i]: (N, *batch_shape(layers[i].out_shape)), index-aligned with
    ``net.layers`` (``[0]`` the input); filter_grads: conv layer index -> (F, C, sy, sx); loss: the mean
    data loss over the N examples, whose gradients these are.
    """

    outputs: list[np.ndarray]
    output_grads: list[np.ndarray]
    filter_grads: dict[int, np.ndarray]
    loss: float


def loss_output_gradient(layer: LossLayer, targets: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """The mean loss of the loss layer's cached output, d loss / d that output, and d loss / d its
    input: (N, K) each. A softmax's output is probabilities p and its loss mean -log p_label, so the
    output gradient is -1 / (N p_label) at the label and 0 elsewhere (0 where p_label underflowed and
    the loss is clipped); svm and regression output their input."""
    loss, input_grad = layer.loss(targets)
    if layer.type != "softmax":
        return loss, input_grad, input_grad
    probs = layer.out
    rows = np.arange(probs.shape[0])
    picked = probs[rows, targets]
    tiny = np.finfo(probs.dtype).tiny
    output_grad = np.zeros_like(probs)
    with np.errstate(divide="ignore"):
        output_grad[rows, targets] = np.where(picked > tiny, -1.0 / (probs.shape[0] * picked), 0.0)
    return loss, output_grad, input_grad


def inspect(net: Net, x: Any, y: Any) -> Inspection:
    """Forward `x` (N, *input_shape) at inference and back-propagate the loss of labels or targets `y`
    through every layer, down to the input."""
    out = net.check_input(x)
    targets = net.check_targets(y, out.shape[0])
    hidden: list[Layer] = net.layers[1:]
    saved_grads = net.flat.grads.copy()
    saved_need_dx = [layer.need_dx for layer in hidden]
    try:
        outputs = [out]
        for layer in hidden:
            if layer.may_overwrite_input:  # it may compute in place: keep the input it overwrites
                outputs[-1] = out.copy()
            out = layer.forward(out, False)
            outputs.append(out)
        loss, last_grad, grad = loss_output_gradient(hidden[-1], targets)
        grads, filter_grads = [last_grad], {}
        for index in range(len(hidden) - 1, 0, -1):
            layer = hidden[index - 1]
            grads.append(grad)
            layer.need_dx = True
            grad = layer.inference_backward(grad)
            if layer.type == "conv":
                filter_grads[index] = layer.grads["w"].copy()
        grads.append(grad)
    finally:
        net.flat.grads[...] = saved_grads
        for layer, need_dx in zip(hidden, saved_need_dx, strict=True):
            layer.need_dx = need_dx
    return Inspection(outputs, grads[::-1], filter_grads, loss)

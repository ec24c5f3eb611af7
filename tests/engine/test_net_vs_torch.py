"""Whole nets against the same computation in torch (autograd as the reference, float64): outputs,
the mean loss and every parameter's gradient, including ConvNetJS's demo nets at full size.

The torch side is written from the desugared definitions alone: conv2d (cross-correlation, zero pad),
max_pool2d (padding never wins), avg_pool2d with padding counted as zeros, batch_norm with batch
statistics, cross_entropy for softmax, multi_margin_loss * K for ConvNetJS's hinge (torch divides by
the number of classes), and sum of half squared errors / N for regression.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine import Net
from engine.demo_nets import CIFAR10_LAYERS as CIFAR10
from engine.demo_nets import MNIST_LAYERS as MNIST
from tests.extras import from_extra

torch = from_extra("torch", "torch")
F = from_extra("torch", "torch.nn.functional")

MIXED = [
    {"type": "input", "out_sx": 7, "out_sy": 7, "out_depth": 2},
    {"type": "conv", "sx": 3, "filters": 6, "stride": 2, "pad": 1, "activation": "leaky_relu", "alpha": 0.1},
    {"type": "batchnorm"},
    {"type": "pool", "sx": 3, "stride": 1, "pad": 1, "kind": "avg"},
    {"type": "conv", "sx": 2, "sy": 3, "filters": 4, "pad": 1, "activation": "maxout", "group_size": 2},
    {"type": "pool", "sx": 2, "sy": 3, "stride": 1},
    {"type": "fc", "num_neurons": 5, "activation": "sigmoid"},
    {"type": "svm", "num_classes": 4},
]
VECTOR = [
    {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 3},
    {"type": "conv", "sx": 1, "filters": 6, "activation": "tanh"},
    {"type": "batchnorm"},
    {"type": "fc", "num_neurons": 4, "activation": "relu"},
    {"type": "regression", "num_neurons": 2},
]


def torch_scores(net: Net, x: np.ndarray, tensors: list[list[torch.Tensor]], training: bool) -> torch.Tensor:
    """The net's last hidden output (the loss layer's input) computed with torch.nn.functional."""
    h = torch.from_numpy(x)
    n = x.shape[0]
    for layer, params in zip(net.layers[1:-1], tensors[1:-1], strict=True):
        d = layer.definition
        images = h.reshape(n, *layer.in_shape)
        if layer.type == "fc":
            h = h.reshape(n, -1) @ params[0] + params[1]
        elif layer.type == "conv":
            h = F.conv2d(images, params[0], params[1], stride=d["stride"], padding=d["pad"])
        elif layer.type == "pool":
            pool = F.max_pool2d if d["kind"] == "max" else F.avg_pool2d
            h = pool(images, (d["sy"], d["sx"]), stride=d["stride"], padding=d["pad"])
        elif layer.type == "batchnorm":
            mean, var = (torch.from_numpy(layer.buffers[name]) for name in ("running_mean", "running_var"))
            h = F.batch_norm(h, mean.clone(), var.clone(), params[0], params[1], training, eps=d["eps"])
        elif layer.type == "maxout":
            h = h.reshape(n, h.shape[1] // d["group_size"], d["group_size"], *h.shape[2:]).amax(dim=2)
        elif layer.type == "leaky_relu":
            h = F.leaky_relu(h, d["alpha"])
        else:
            h = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}[layer.type](h)
    return h.reshape(n, -1)


def torch_loss(net: Net, scores: torch.Tensor, y: np.ndarray) -> torch.Tensor:
    target = torch.from_numpy(y)
    if net.loss_type == "softmax":
        return F.cross_entropy(scores, target)
    if net.loss_type == "svm":
        return F.multi_margin_loss(scores, target, margin=1.0) * scores.shape[1]
    return 0.5 * ((scores - target) ** 2).sum() / scores.shape[0]


def torch_parameters(net: Net) -> list[list[torch.Tensor]]:
    return [
        [torch.tensor(layer.params[name].copy(), requires_grad=True) for name in layer.params]
        for layer in net.layers
    ]


def data_for(net: Net, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((count, *net.input_shape))
    if net.loss_type == "regression":
        return x, rng.standard_normal((count, net.num_outputs))
    return x, rng.integers(0, net.num_outputs, size=count)


@pytest.mark.parametrize(
    ("defs", "count"),
    [pytest.param(MNIST, 4, id="mnist"), pytest.param(CIFAR10, 3, id="cifar10"),
     pytest.param(MIXED, 6, id="mixed"), pytest.param(VECTOR, 5, id="vector")],
)  # fmt: skip
def test_net_loss_and_gradients_match_torch_autograd(defs: list[dict[str, Any]], count: int) -> None:
    net = Net(defs, dtype=np.float64, seed=1)
    x, y = data_for(net, count, seed=2)
    loss = net.compute_gradients(x, y)

    tensors = torch_parameters(net)
    reference = torch_loss(net, torch_scores(net, x, tensors, training=True), y)
    reference.backward()
    assert loss == pytest.approx(reference.item(), rel=1e-10)
    for layer, params in zip(net.layers, tensors, strict=True):
        for name, tensor in zip(layer.params, params, strict=True):
            np.testing.assert_allclose(
                layer.grads[name], tensor.grad.numpy(), rtol=1e-7, atol=1e-12, err_msg=f"{layer.type}.{name}"
            )


@pytest.mark.parametrize("defs", [pytest.param(MNIST, id="mnist"), pytest.param(MIXED, id="mixed"),
                                  pytest.param(VECTOR, id="vector")])  # fmt: skip
def test_net_inference_matches_torch(defs: list[dict[str, Any]]) -> None:
    net = Net(defs, dtype=np.float64, seed=4)
    x, y = data_for(net, 5, seed=5)
    net.compute_gradients(x, y)  # moves batchnorm's running statistics away from (0, 1)
    with torch.no_grad():
        scores = torch_scores(net, x, torch_parameters(net), training=False)
        if net.loss_type == "softmax":
            scores = torch.softmax(scores, dim=1)
    np.testing.assert_allclose(net.forward(x), scores.numpy(), rtol=1e-10, atol=1e-12)

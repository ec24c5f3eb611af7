"""Trajectories of every trainer against torch.optim on the same net, batch and gradients (float64).

Equivalences (ConvNetJS formulation -> torch):
- sgd momentum (v <- mu v - lr g) == SGD(momentum) for a constant learning rate (torch keeps lr out
  of its buffer), nesterov == SGD(nesterov=True), adam == Adam, adadelta == Adadelta(lr=1.0).
- adagrad and rmsprop put eps inside the square root, torch adds it outside: compared with our eps
  at 1e-16 against torch's 0, where the two agree to ~1e-10 relative.
- weight decay: ours adds l2_decay / batch_size * w to the weights' gradient (never to biases), which
  is torch's weight_decay on a param group of the weights alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine import Net, make_optimizer
from tests.extras import from_extra

torch = from_extra("torch", "torch")

DEFS = [
    {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 3},
    {"type": "fc", "num_neurons": 5, "activation": "tanh"},
    {"type": "fc", "num_neurons": 4, "activation": "sigmoid"},
    {"type": "softmax", "num_classes": 3},
]
STEPS = 25


def torch_optimizer(
    method: str, groups: list[dict[str, Any]], hyper: dict[str, float]
) -> torch.optim.Optimizer:
    lr = hyper.get("learning_rate", 0.0)
    if method == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=hyper["momentum"])
    if method == "nesterov":
        return torch.optim.SGD(groups, lr=lr, momentum=hyper["momentum"], nesterov=True)
    if method == "adagrad":
        return torch.optim.Adagrad(groups, lr=lr, eps=0.0)
    if method == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr, alpha=hyper["ro"], eps=0.0)
    if method == "adadelta":
        return torch.optim.Adadelta(groups, lr=1.0, rho=hyper["ro"], eps=hyper["eps"])
    assert method == "adam"
    return torch.optim.Adam(groups, lr=lr, betas=(hyper["beta1"], hyper["beta2"]), eps=hyper["eps"])


CASES = [
    ("sgd", {"learning_rate": 0.2, "momentum": 0.9}),
    ("sgd", {"learning_rate": 0.3, "momentum": 0.0}),
    ("nesterov", {"learning_rate": 0.1, "momentum": 0.8}),
    ("adagrad", {"learning_rate": 0.1, "eps": 1e-16}),
    ("rmsprop", {"learning_rate": 0.01, "ro": 0.9, "eps": 1e-16}),
    ("adadelta", {"ro": 0.9, "eps": 1e-6}),
    ("adam", {"learning_rate": 0.02, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8}),
]


def batch() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    return rng.standard_normal((8, 3)), rng.integers(0, 3, size=8)


def compare_with_torch(method: str, hyper: dict[str, float], l2_decay: float, batch_size: int) -> None:
    x, y = batch()
    ours = Net(DEFS, dtype=np.float64, seed=2)
    oracle = Net(DEFS, dtype=np.float64, seed=2)  # only computes gradients at torch's weights
    optimizer = make_optimizer(
        ours, {"method": method, "l2_decay": l2_decay, "batch_size": batch_size, **hyper}
    )
    tensors = [torch.tensor(value.copy(), requires_grad=True) for value, _ in ours.parameters()]
    # In these defs every w has l2_decay_mul 1 and every b has none, as in ConvNetJS.
    weights = [tensor for tensor, layer_param in zip(tensors, oracle.parameters(), strict=True)
               if layer_param[0].ndim == 2]  # fmt: skip
    biases = [tensor for tensor in tensors if tensor.ndim == 1]
    groups = [
        {"params": weights, "weight_decay": l2_decay / batch_size},
        {"params": biases, "weight_decay": 0.0},
    ]
    reference = torch_optimizer(method, groups, hyper)
    for step in range(STEPS):
        ours.compute_gradients(x, y)
        optimizer.step()

        for tensor, (value, _) in zip(tensors, oracle.parameters(), strict=True):
            value[...] = tensor.detach().numpy()
        oracle.compute_gradients(x, y)
        for tensor, (_, grad) in zip(tensors, oracle.parameters(), strict=True):
            tensor.grad = torch.from_numpy(grad.copy())
        reference.step()

        expected = np.concatenate([tensor.detach().numpy().ravel() for tensor in tensors])
        np.testing.assert_allclose(ours.flat.values, expected, rtol=1e-8, atol=1e-9, err_msg=f"step {step}")
    assert not np.allclose(ours.flat.values, Net(DEFS, dtype=np.float64, seed=2).flat.values)


@pytest.mark.parametrize(
    ("method", "hyper"), [pytest.param(m, h, id=f"{m}-{i}") for i, (m, h) in enumerate(CASES)]
)
def test_optimizer_trajectory_matches_torch(method: str, hyper: dict[str, float]) -> None:
    compare_with_torch(method, hyper, l2_decay=0.0, batch_size=1)


@pytest.mark.parametrize(
    ("method", "hyper"), [pytest.param(m, h, id=f"{m}-{i}") for i, (m, h) in enumerate(CASES)]
)
def test_optimizer_weight_decay_matches_torch_weight_decay_over_batch_size(
    method: str, hyper: dict[str, float]
) -> None:
    compare_with_torch(method, hyper, l2_decay=0.05, batch_size=4)


def test_adam_learning_rate_change_matches_torch() -> None:
    values = np.array([0.5, -1.0, 2.0])
    gradients = np.random.default_rng(4).standard_normal((12, 3))
    ours = Net([{"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 1},
                {"type": "regression", "num_neurons": 1}], dtype=np.float64)  # fmt: skip
    ours.flat.values[...] = values[:2]
    optimizer = make_optimizer(ours, {"method": "adam", "learning_rate": 0.1})
    tensor = torch.tensor(values[:2].copy(), requires_grad=True)
    reference = torch.optim.Adam([tensor], lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    for step, gradient in enumerate(gradients):
        if step == 6:
            optimizer.set(learning_rate=0.01)
            reference.param_groups[0]["lr"] = 0.01
        ours.flat.grads[...] = gradient[:2]
        optimizer.step()
        tensor.grad = torch.from_numpy(gradient[:2].copy())
        reference.step()
        np.testing.assert_allclose(ours.flat.values, tensor.detach().numpy(), rtol=1e-12)

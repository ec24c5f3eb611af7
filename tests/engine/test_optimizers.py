"""Every trainer against steps computed by hand from ConvNetJS's trainer and the papers, ConvNetJS's
weight decay, hyperparameter changes between steps, and the trainer-spec rejections."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from engine import OPTIMIZERS, Net, SpecError, make_optimizer
from engine.optim import Optimizer
from engine.parameters import FlatParameters

TINY = [{"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2}, {"type": "softmax", "num_classes": 2}]
START = [0.5, -1.0, 2.0, 0.0]
# Three steps of gradients, with a zero and sign changes to exercise every branch.
GRADIENTS = [[0.1, -0.2, 0.0, 1.5], [-0.3, -0.1, 0.4, 1.0], [0.2, 0.05, -0.4, -2.0]]


def flat_parameters(values: list[float], l1_mul: float = 0.0, l2_mul: float = 0.0) -> FlatParameters:
    size = len(values)
    return FlatParameters(
        np.array(values, dtype=np.float64), np.zeros(size), np.full(size, l1_mul), np.full(size, l2_mul)
    )


def run(method: str, steps: list[list[float]], **hyper: Any) -> np.ndarray:
    flat = flat_parameters(START)
    optimizer = OPTIMIZERS[method](flat, **hyper)
    trajectory = []
    for gradient in steps:
        flat.grads[...] = gradient
        optimizer.step()
        trajectory.append(flat.values.copy())
    return np.array(trajectory)


def by_hand(update: Any, **hyper: float) -> np.ndarray:
    """Apply `update(w, g, state, t, **hyper) -> new w` value by value, in plain Python floats."""
    trajectory = []
    values = list(START)
    states: list[dict[str, float]] = [{} for _ in values]
    for t, gradient in enumerate(GRADIENTS, start=1):
        values = [
            update(w, g, state, t, **hyper) for w, g, state in zip(values, gradient, states, strict=True)
        ]
        trajectory.append(values)
    return np.array(trajectory)


# ConvNetJS's Trainer.train, one value at a time (gsum/xsum are ConvNetJS's names).
def sgd_by_hand(
    w: float, g: float, state: dict[str, float], t: int, learning_rate: float, momentum: float
) -> float:
    dx = momentum * state.get("gsum", 0.0) - learning_rate * g
    state["gsum"] = dx
    return w + dx


def plain_sgd_by_hand(
    w: float, g: float, state: dict[str, float], t: int, learning_rate: float, momentum: float
) -> float:
    assert momentum == 0.0
    return w - learning_rate * g


def nesterov_by_hand(
    w: float, g: float, state: dict[str, float], t: int, learning_rate: float, momentum: float
) -> float:
    dx = state.get("gsum", 0.0)
    state["gsum"] = state.get("gsum", 0.0) * momentum + learning_rate * g
    return w + momentum * dx - (1.0 + momentum) * state["gsum"]


def adagrad_by_hand(
    w: float, g: float, state: dict[str, float], t: int, learning_rate: float, eps: float
) -> float:
    state["gsum"] = state.get("gsum", 0.0) + g * g
    return w - learning_rate / math.sqrt(state["gsum"] + eps) * g


def rmsprop_by_hand(
    w: float, g: float, state: dict[str, float], t: int, learning_rate: float, ro: float, eps: float
) -> float:
    state["gsum"] = ro * state.get("gsum", 0.0) + (1 - ro) * g * g
    return w - learning_rate / math.sqrt(state["gsum"] + eps) * g


def adadelta_by_hand(w: float, g: float, state: dict[str, float], t: int, ro: float, eps: float) -> float:
    state["gsum"] = ro * state.get("gsum", 0.0) + (1 - ro) * g * g
    dx = -math.sqrt((state.get("xsum", 0.0) + eps) / (state["gsum"] + eps)) * g
    state["xsum"] = ro * state.get("xsum", 0.0) + (1 - ro) * dx * dx
    return w + dx


def adam_by_hand(
    w: float, g: float, state: dict[str, float], t: int, learning_rate: float, beta1: float, beta2: float,
    eps: float,
) -> float:  # fmt: skip
    # Kingma & Ba, Algorithm 1.
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    m_hat = state["m"] / (1 - beta1**t)
    v_hat = state["v"] / (1 - beta2**t)
    return w - learning_rate * m_hat / (math.sqrt(v_hat) + eps)


HAND_CASES = [
    ("sgd", sgd_by_hand, {"learning_rate": 0.1, "momentum": 0.9}),
    ("sgd", plain_sgd_by_hand, {"learning_rate": 0.1, "momentum": 0.0}),
    ("nesterov", nesterov_by_hand, {"learning_rate": 0.05, "momentum": 0.8}),
    ("adagrad", adagrad_by_hand, {"learning_rate": 0.1, "eps": 1e-6}),
    ("rmsprop", rmsprop_by_hand, {"learning_rate": 0.01, "ro": 0.9, "eps": 1e-6}),
    ("adadelta", adadelta_by_hand, {"ro": 0.9, "eps": 1e-6}),
    ("adam", adam_by_hand, {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.9, "eps": 1e-6}),
]


@pytest.mark.parametrize(
    ("method", "update", "hyper"),
    [pytest.param(*case, id=f"{case[0]}-{index}") for index, case in enumerate(HAND_CASES)],
)
def test_optimizer_steps_match_hand_computation(method: str, update: Any, hyper: dict[str, float]) -> None:
    np.testing.assert_allclose(
        run(method, GRADIENTS, **hyper), by_hand(update, **hyper), rtol=1e-12, atol=1e-15
    )


def test_windowgrad_is_rmsprop() -> None:
    net = Net(
        [{"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2}, {"type": "softmax", "num_classes": 2}]
    )
    assert type(make_optimizer(net, {"method": "windowgrad"})).method == "rmsprop"


def test_defaults_follow_convnetjs() -> None:
    flat = flat_parameters(START)
    assert OPTIMIZERS["sgd"](flat).hyper == {"learning_rate": 0.01, "batch_size": 1, "l1_decay": 0.0,
                                             "l2_decay": 0.0, "momentum": 0.9}  # fmt: skip
    assert OPTIMIZERS["adadelta"](flat).hyper["ro"] == 0.95
    assert OPTIMIZERS["adadelta"](flat).hyper["eps"] == 1e-8
    assert OPTIMIZERS["adam"](flat).hyper["beta1"] == 0.9
    assert OPTIMIZERS["adam"](flat).hyper["beta2"] == 0.999


def test_adam_first_step_moves_each_weight_by_the_learning_rate() -> None:
    # Bias correction makes the first step lr * g / |g| whatever the gradient's scale.
    gradient = [1e-4, -3.0, 250.0, -0.02]
    moved = run("adam", [gradient], learning_rate=0.01)[0] - np.array(START)
    np.testing.assert_allclose(moved, -0.01 * np.sign(gradient), rtol=1e-3)


def test_adadelta_ignores_the_learning_rate() -> None:
    np.testing.assert_array_equal(run("adadelta", GRADIENTS, learning_rate=0.5), run("adadelta", GRADIENTS))


@pytest.mark.parametrize("method", sorted(OPTIMIZERS))
def test_zero_gradient_leaves_weights_unchanged(method: str) -> None:
    trajectory = run(method, [[0.0] * 4] * 3)
    np.testing.assert_array_equal(trajectory, [START] * 3)
    assert np.all(np.isfinite(trajectory))


@pytest.mark.parametrize(
    ("method", "hyper"),
    [("sgd", {"learning_rate": 0.05}), ("nesterov", {"learning_rate": 0.05}),
     ("adagrad", {"learning_rate": 0.5}), ("rmsprop", {"learning_rate": 0.05}),
     ("adam", {"learning_rate": 0.05}), ("adadelta", {"eps": 1e-4})],
)  # fmt: skip
def test_steps_descend_a_quadratic(method: str, hyper: dict[str, float]) -> None:
    flat = flat_parameters([3.0, -2.0])
    optimizer = OPTIMIZERS[method](flat, **hyper)
    for _ in range(200):
        flat.grads[...] = flat.values  # gradient of |w|^2 / 2
        optimizer.step()
    assert np.linalg.norm(flat.values) < 0.01


# ---- weight decay: ConvNetJS adds l2_decay * l2_mul * w + l1_decay * l1_mul * sign(w) to the mean
# gradient after dividing the decay by batch_size; the reported decay losses are not divided. ----


def test_l2_decay_is_added_to_the_gradient_divided_by_batch_size() -> None:
    flat = flat_parameters([1.0, -2.0, 4.0], l2_mul=1.0)
    flat.l2_mul[2] = 0.0  # e.g. a bias
    optimizer = OPTIMIZERS["sgd"](flat, learning_rate=0.1, momentum=0.0, l2_decay=0.5, batch_size=4)
    flat.grads[...] = [0.2, 0.0, 0.3]
    losses = optimizer.step()
    expected_grad = np.array([0.2 + 0.5 * 1.0 / 4, 0.0 + 0.5 * -2.0 / 4, 0.3])
    np.testing.assert_allclose(flat.values, np.array([1.0, -2.0, 4.0]) - 0.1 * expected_grad)
    assert losses["l2_decay_loss"] == pytest.approx(0.5 * 0.5 * (1.0 + 4.0))
    assert losses["l1_decay_loss"] == 0.0


def test_l1_decay_pushes_towards_zero_by_its_sign() -> None:
    flat = flat_parameters([1.0, -2.0, 0.0], l1_mul=2.0)
    optimizer = OPTIMIZERS["sgd"](flat, learning_rate=0.1, momentum=0.0, l1_decay=0.3, batch_size=2)
    losses = optimizer.step()
    np.testing.assert_allclose(flat.values, [1.0 - 0.1 * 0.3 * 2.0 / 2, -2.0 + 0.1 * 0.3 * 2.0 / 2, 0.0])
    assert losses["l1_decay_loss"] == pytest.approx(0.3 * 2.0 * 3.0)


def test_decay_does_not_change_the_nets_gradient_buffer() -> None:
    flat = flat_parameters([1.0, -2.0], l1_mul=1.0, l2_mul=1.0)
    flat.grads[...] = [0.5, 0.5]
    OPTIMIZERS["sgd"](flat, l1_decay=0.1, l2_decay=0.1).step()
    np.testing.assert_array_equal(flat.grads, [0.5, 0.5])


def test_net_biases_are_not_decayed_and_layer_multipliers_apply() -> None:
    net = Net([{"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
               {"type": "fc", "num_neurons": 3, "l2_decay_mul": 0.0, "l1_decay_mul": 2.0, "bias_pref": 0.5},
               {"type": "softmax", "num_classes": 2}], dtype=np.float64)  # fmt: skip
    hidden, output = net.layers[1], net.layers[2]
    before = {"hw": hidden.params["w"].copy(), "hb": hidden.params["b"].copy(),
              "ow": output.params["w"].copy(), "ob": output.params["b"].copy()}  # fmt: skip
    optimizer = make_optimizer(net, {"method": "sgd", "momentum": 0.0, "learning_rate": 1.0,
                                     "l1_decay": 0.1, "l2_decay": 0.2, "batch_size": 1})  # fmt: skip
    net.flat.grads[...] = 0.0
    losses = optimizer.step()
    np.testing.assert_allclose(hidden.params["w"], before["hw"] - 0.1 * 2.0 * np.sign(before["hw"]))
    np.testing.assert_array_equal(hidden.params["b"], before["hb"])
    np.testing.assert_allclose(output.params["w"], before["ow"] * (1 - 0.2))
    np.testing.assert_array_equal(output.params["b"], before["ob"])
    assert losses["l1_decay_loss"] == pytest.approx(0.1 * 2.0 * np.abs(before["hw"]).sum())
    assert losses["l2_decay_loss"] == pytest.approx(0.5 * 0.2 * np.square(before["ow"]).sum())


def test_train_step_reports_data_loss_and_decay_losses() -> None:
    net = Net(TINY, dtype=np.float64)
    x, y = np.array([[1.0, 2.0], [-1.0, 0.5]]), np.array([0, 1])
    data_loss = net.compute_gradients(x, y)
    weights = net.layers[1].params["w"].copy()
    result = net.train_step(x, y, make_optimizer(net, {"l2_decay": 0.01}))
    assert result == {"loss": data_loss, "l1_decay_loss": 0.0,
                      "l2_decay_loss": pytest.approx(0.005 * np.square(weights).sum())}  # fmt: skip


# ---- hyperparameters: validated, changeable between steps, a bad value changes nothing ----


def test_learning_rate_can_change_between_steps() -> None:
    flat = flat_parameters([1.0])
    optimizer = OPTIMIZERS["sgd"](flat, learning_rate=0.1, momentum=0.0)
    flat.grads[...] = [1.0]
    optimizer.step()
    optimizer.set(learning_rate=0.01)
    optimizer.step()
    np.testing.assert_allclose(flat.values, [1.0 - 0.1 - 0.01])
    assert optimizer.hyper["learning_rate"] == 0.01


def test_changing_batch_size_rescales_decay() -> None:
    flat = flat_parameters([2.0], l2_mul=1.0)
    optimizer = OPTIMIZERS["sgd"](flat, learning_rate=1.0, momentum=0.0, l2_decay=0.1, batch_size=1)
    optimizer.set(batch_size=10)
    optimizer.step()
    np.testing.assert_allclose(flat.values, [2.0 - 0.1 * 2.0 / 10])
    optimizer.set(l2_decay=0.0)
    optimizer.step()
    np.testing.assert_allclose(flat.values, [2.0 - 0.1 * 2.0 / 10])


def test_momentum_state_survives_a_learning_rate_change() -> None:
    flat = flat_parameters([0.0])
    optimizer = OPTIMIZERS["sgd"](flat, learning_rate=1.0, momentum=0.5)
    flat.grads[...] = [1.0]
    optimizer.step()  # v = -1
    optimizer.set(learning_rate=0.0)
    optimizer.step()  # v = -0.5
    np.testing.assert_allclose(flat.values, [-1.5])
    assert optimizer.steps == 2


@pytest.mark.parametrize(
    ("method", "name", "value", "message"),
    [
        ("sgd", "learning_rate", -0.1, "trainer.learning_rate: must be between 0 and inf, got -0.1"),
        ("sgd", "learning_rate", math.nan, "trainer.learning_rate: must be a finite number, got nan"),
        ("sgd", "learning_rate", math.inf, "trainer.learning_rate: must be a finite number, got inf"),
        ("sgd", "learning_rate", "0.1", "trainer.learning_rate: must be a finite number, got '0.1'"),
        ("sgd", "learning_rate", None, "trainer.learning_rate: must be a finite number, got None"),
        ("sgd", "momentum", True, "trainer.momentum: must be a finite number, got True"),
        ("sgd", "momentum", 1.0, "trainer.momentum: must be between 0 and 1 (exclusive), got 1.0"),
        ("nesterov", "momentum", -0.5, "trainer.momentum: must be between 0 and 1 (exclusive), got -0.5"),
        ("sgd", "batch_size", 0, "trainer.batch_size: must be between 1 and inf, got 0"),
        ("sgd", "batch_size", 2.5, "trainer.batch_size: must be an integer, got 2.5"),
        ("sgd", "l2_decay", -1, "trainer.l2_decay: must be between 0 and inf, got -1"),
        ("sgd", "l1_decay", -1e-3, "trainer.l1_decay: must be between 0 and inf, got -0.001"),
        ("adam", "beta1", 1.0, "trainer.beta1: must be between 0 and 1 (exclusive), got 1.0"),
        ("adam", "beta2", 1.5, "trainer.beta2: must be between 0 and 1 (exclusive), got 1.5"),
        ("adam", "eps", 0.0, "trainer.eps: must be between 0 (exclusive) and inf, got 0.0"),
        ("adadelta", "eps", 0, "trainer.eps: must be between 0 (exclusive) and inf, got 0"),
        ("adagrad", "eps", -1e-8, "trainer.eps: must be between 0 (exclusive) and inf, got -1e-08"),
        ("rmsprop", "ro", 1.0, "trainer.ro: must be between 0 and 1 (exclusive), got 1.0"),
        ("adadelta", "ro", -0.1, "trainer.ro: must be between 0 and 1 (exclusive), got -0.1"),
        ("adam", "momentum", 0.9, "trainer.momentum: unknown for adam (known: learning_rate, batch_size, "
         "l1_decay, l2_decay, beta1, beta2, eps)"),
    ],
)  # fmt: skip
def test_bad_hyperparameter_is_rejected_and_changes_nothing(
    method: str, name: str, value: Any, message: str
) -> None:
    flat = flat_parameters(START)
    with pytest.raises(SpecError) as caught:
        OPTIMIZERS[method](flat, **{name: value})
    assert str(caught.value) == message
    assert caught.value.path == ("trainer", name)
    assert caught.value.location == f"trainer.{name}"

    optimizer = OPTIMIZERS[method](flat)
    before = dict(optimizer.hyper)
    with pytest.raises(SpecError):
        good = {"batch_size": 3} if name == "learning_rate" else {"learning_rate": 0.123}
        optimizer.set(**good, **{name: value})  # a good value alongside the bad one
    assert optimizer.hyper == before


def test_integral_float_batch_size_is_accepted() -> None:
    optimizer = OPTIMIZERS["sgd"](flat_parameters(START), batch_size=8.0)
    assert optimizer.hyper["batch_size"] == 8
    assert isinstance(optimizer.hyper["batch_size"], int)


def test_make_optimizer_defaults_to_sgd_and_passes_settings() -> None:
    net = Net(
        [{"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2}, {"type": "softmax", "num_classes": 2}]
    )
    optimizer = make_optimizer(net, {"batch_size": 20, "l2_decay": 0.001})
    assert isinstance(optimizer, Optimizer)
    assert optimizer.method == "sgd"
    assert optimizer.hyper["batch_size"] == 20
    assert optimizer.flat is net.flat


@pytest.mark.parametrize(
    ("trainer", "location", "message"),
    [
        ({"method": "lbfgs"}, "trainer.method", "trainer.method: must be one of sgd, nesterov, adagrad, "
         "adadelta, adam, rmsprop, windowgrad, got 'lbfgs'"),
        ({"method": ["sgd"]}, "trainer.method", "trainer.method: must be one of"),
        ({"method": None}, "trainer.method", "trainer.method: must be one of"),
        ([("method", "sgd")], "trainer", "trainer: must be an object, got list"),
        ({"method": "sgd", "learning_rate": -1}, "trainer.learning_rate", "trainer.learning_rate: must be"),
        ({"method": "adadelta", "beta1": 0.9}, "trainer.beta1", "trainer.beta1: unknown for adadelta"),
    ],
)  # fmt: skip
def test_make_optimizer_rejects_bad_trainer_specs(trainer: Any, location: str, message: str) -> None:
    net = Net(
        [{"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2}, {"type": "softmax", "num_classes": 2}]
    )
    with pytest.raises(SpecError) as caught:
        make_optimizer(net, trainer)
    assert str(caught.value).startswith(message)
    assert caught.value.location == location


def test_optimizer_state_is_created_lazily() -> None:
    optimizer = OPTIMIZERS["adam"](flat_parameters(START))
    assert optimizer.state == {}
    optimizer.step()
    assert set(optimizer.state) == {"first_moment", "second_moment"}
    assert optimizer.state["first_moment"].shape == (4,)


@pytest.mark.parametrize("method", sorted(OPTIMIZERS))
def test_float32_nets_stay_float32(method: str) -> None:
    net = Net(
        [{"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2}, {"type": "softmax", "num_classes": 2}]
    )
    optimizer = make_optimizer(net, {"method": method, "l2_decay": 0.1, "l1_decay": 0.1})
    net.compute_gradients(np.array([[1.0, 2.0]]), np.array([1]))
    optimizer.step()
    assert net.flat.values.dtype == np.float32
    assert all(state.dtype == np.float32 for state in optimizer.state.values())

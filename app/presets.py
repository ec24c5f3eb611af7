"""Ready-made job specs: ConvNetJS's demos and TensorFlow Playground's default, one per seed problem."""

from __future__ import annotations

import copy
from typing import Any

from engine.demo_nets import (
    AUTOENCODER_LAYERS,
    AUTOENCODER_TRAINER,
    CIFAR10_LAYERS,
    CIFAR10_TRAINER,
    CLASSIFY2D_LAYERS,
    CLASSIFY2D_TRAINER,
    MNIST_LAYERS,
    MNIST_TRAINER,
)

# TensorFlow Playground's default: features x1, x2; hidden layers 4 and 2, tanh; learning rate 0.03,
# batch 10, no regularisation (its SGD has no momentum).
PLAYGROUND_LAYERS = [
    {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
    {"type": "fc", "num_neurons": 4, "activation": "tanh"},
    {"type": "fc", "num_neurons": 2, "activation": "tanh"},
    {"type": "softmax", "num_classes": 2},
]
PLAYGROUND_TRAINER = {"method": "sgd", "learning_rate": 0.03, "momentum": 0.0, "batch_size": 10}


def _classify2d(dataset: str, description: str) -> dict[str, Any]:
    layers = copy.deepcopy(CLASSIFY2D_LAYERS)
    return {
        "id": f"classify2d-{dataset}",
        "title": f"ConvNetJS classify2d: {dataset.replace('_', '-')}",
        "description": description,
        "spec": {
            "name": f"classify2d {dataset}",
            "dataset": {"name": dataset},
            "layers": layers,
            "trainer": dict(CLASSIFY2D_TRAINER),
        },
    }


def _shapes_layers() -> list[dict[str, Any]]:
    """CIFAR-10's net on 32x32 greyscale shapes (ConvNetJS's CIFAR demo, one input channel)."""
    layers = copy.deepcopy(CIFAR10_LAYERS)
    layers[0]["out_depth"] = 1
    layers[-1]["num_classes"] = 3
    return layers


# ConvNetJS's trainer comparison demo (demo/js/trainers.js): a small fc net on 24x24 MNIST crops,
# trained with each of these, batch 8, L2 decay 0.001. "trainers" lists them, with the demo's names.
TRAINERS_LAYERS = [
    {"type": "input", "out_sx": 24, "out_sy": 24, "out_depth": 1},
    {"type": "fc", "num_neurons": 20, "activation": "relu"},
    {"type": "fc", "num_neurons": 20, "activation": "relu"},
    {"type": "softmax", "num_classes": 10},
]
_SHARED = {"batch_size": 8, "l2_decay": 0.001}
COMPARED_TRAINERS = [
    {"label": "sgd", "trainer": {"method": "sgd", "learning_rate": 0.01, "momentum": 0.0, **_SHARED}},
    {
        "label": "sgd+momentum",
        "trainer": {"method": "sgd", "learning_rate": 0.01, "momentum": 0.9, **_SHARED},
    },
    {
        "label": "adam",
        "trainer": {
            "method": "adam",
            "learning_rate": 0.01,
            "eps": 1e-8,
            "beta1": 0.9,
            "beta2": 0.99,
            **_SHARED,
        },
    },
    {"label": "adagrad", "trainer": {"method": "adagrad", "learning_rate": 0.01, "eps": 1e-6, **_SHARED}},
    {
        "label": "windowgrad",
        "trainer": {"method": "windowgrad", "learning_rate": 0.01, "eps": 1e-6, "ro": 0.95, **_SHARED},
    },
    {"label": "adadelta", "trainer": {"method": "adadelta", "eps": 1e-6, "ro": 0.95, **_SHARED}},
    {
        "label": "nesterov",
        "trainer": {"method": "nesterov", "learning_rate": 0.01, "momentum": 0.9, **_SHARED},
    },
]
# ConvNetJS's image painting demo (demo/image_regression.html): (x, y) in, seven fc layers of 20 relu,
# (r, g, b) out by regression; sgd with learning rate 0.01, momentum 0.9, batch 5, no decay.
PAINTING_LAYERS = [
    {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
    *({"type": "fc", "num_neurons": 20, "activation": "relu"} for _ in range(7)),
    {"type": "regression", "num_neurons": 3},
]
PAINTING_TRAINER = {"method": "sgd", "learning_rate": 0.01, "momentum": 0.9, "batch_size": 5, "l2_decay": 0.0}
PRESETS: list[dict[str, Any]] = [
    _classify2d("quadrants", "ConvNetJS's default 2D net (6 and 2 tanh neurons) on the four quadrants."),
    _classify2d("rings", "The same net on a ring between two regions of the other class."),
    _classify2d("three_mode", "Two classes, one of them in two separate blobs: three modes."),
    {
        "id": "playground-circle",
        "title": "TensorFlow Playground default",
        "description": "Circle data, features x1 and x2, two tanh layers of 4 and 2, learning rate 0.03.",
        "spec": {
            "name": "playground circle",
            "dataset": {"name": "circle"},
            "layers": PLAYGROUND_LAYERS,
            "trainer": PLAYGROUND_TRAINER,
        },
    },
    {
        "id": "mnist",
        "title": "ConvNetJS MNIST",
        "description": "The MNIST demo's convnet on 5,000 MNIST digits, random 24x24 crops.",
        "spec": {
            "name": "mnist",
            "dataset": {"name": "mnist", "crop": 24},
            "layers": MNIST_LAYERS,
            "trainer": dict(MNIST_TRAINER),
        },
    },
    {
        "id": "cifar-shapes",
        "title": "ConvNetJS CIFAR-10 net on shapes",
        "description": "The CIFAR-10 demo's three conv/pool stages on generated 32x32 shapes.",
        "spec": {
            "name": "cifar-like shapes",
            "dataset": {"name": "shapes", "size": 32},
            "layers": _shapes_layers(),
            "trainer": dict(CIFAR10_TRAINER),
        },
    },
    {
        "id": "trainers",
        "title": "ConvNetJS trainer comparison",
        "description": "The trainers demo: one small fc net on MNIST 24x24 crops, trained by seven trainers.",
        "spec": {
            "name": "trainers",
            "dataset": {"name": "mnist", "crop": 24},
            "layers": TRAINERS_LAYERS,
            "trainer": dict(COMPARED_TRAINERS[0]["trainer"]),
        },
        "trainers": COMPARED_TRAINERS,
    },
    {
        "id": "autoencoder",
        "title": "ConvNetJS autoencoder",
        "description": "MNIST through a 2-number code and back: fc 50, fc 2, fc 50, regression 784.",
        "spec": {
            "name": "autoencoder",
            "dataset": {"name": "mnist", "target": "input", "normalize": False},
            "layers": AUTOENCODER_LAYERS,
            "trainer": dict(AUTOENCODER_TRAINER),
            "stream": {"image_every": 0.25, "predictions": 10},
        },
    },
    {
        "id": "painting",
        "title": "ConvNetJS image painting",
        "description": "The image regression demo: seven fc layers of 20 relu learn (x, y) -> (r, g, b).",
        "spec": {
            "name": "painting",
            "dataset": {"name": "painting"},
            "layers": PAINTING_LAYERS,
            "trainer": dict(PAINTING_TRAINER),
        },
    },
]


def list_presets() -> list[dict[str, Any]]:
    """Every preset: id, title, description and a complete job spec (deep copies)."""
    return copy.deepcopy(PRESETS)

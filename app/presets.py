"""Ready-made job specs: ConvNetJS's demos and TensorFlow Playground's default, one per seed problem."""

from __future__ import annotations

import copy
from typing import Any

from engine.demo_nets import (
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
]


def list_presets() -> list[dict[str, Any]]:
    """Every preset: id, title, description and a complete job spec (deep copies)."""
    return copy.deepcopy(PRESETS)

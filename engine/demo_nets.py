"""ConvNetJS's demo nets and trainers, as its demo pages define them: the classify2d page, the MNIST
page and the CIFAR-10 page. Presets, the benchmarks and the terminal demo start from these."""

from __future__ import annotations

from engine.definitions import LayerDef

CLASSIFY2D_LAYERS: list[LayerDef] = [
    {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
    {"type": "fc", "num_neurons": 6, "activation": "tanh"},
    {"type": "fc", "num_neurons": 2, "activation": "tanh"},
    {"type": "softmax", "num_classes": 2},
]
CLASSIFY2D_TRAINER = {
    "method": "sgd",
    "learning_rate": 0.01,
    "momentum": 0.1,
    "batch_size": 10,
    "l2_decay": 0.001,
}

MNIST_LAYERS: list[LayerDef] = [
    {"type": "input", "out_sx": 24, "out_sy": 24, "out_depth": 1},
    {"type": "conv", "sx": 5, "filters": 8, "stride": 1, "pad": 2, "activation": "relu"},
    {"type": "pool", "sx": 2, "stride": 2},
    {"type": "conv", "sx": 5, "filters": 16, "stride": 1, "pad": 2, "activation": "relu"},
    {"type": "pool", "sx": 3, "stride": 3},
    {"type": "softmax", "num_classes": 10},
]
MNIST_TRAINER = {"method": "adadelta", "batch_size": 20, "l2_decay": 0.001}

CIFAR10_LAYERS: list[LayerDef] = [
    {"type": "input", "out_sx": 32, "out_sy": 32, "out_depth": 3},
    {"type": "conv", "sx": 5, "filters": 16, "stride": 1, "pad": 2, "activation": "relu"},
    {"type": "pool", "sx": 2, "stride": 2},
    {"type": "conv", "sx": 5, "filters": 20, "stride": 1, "pad": 2, "activation": "relu"},
    {"type": "pool", "sx": 2, "stride": 2},
    {"type": "conv", "sx": 5, "filters": 20, "stride": 1, "pad": 2, "activation": "relu"},
    {"type": "pool", "sx": 2, "stride": 2},
    {"type": "softmax", "num_classes": 10},
]
CIFAR10_TRAINER = {"method": "adadelta", "batch_size": 4, "l2_decay": 0.0001}

# ConvNetJS's autoencoder demo (demo/autoencoder.html): MNIST through a 2-neuron code and back, the target
# being the input itself. The demo trains with adadelta; adam separates the digits' codes in a fraction
# of the steps, so netplay starts with it.
AUTOENCODER_LAYERS: list[LayerDef] = [
    {"type": "input", "out_sx": 28, "out_sy": 28, "out_depth": 1},
    {"type": "fc", "num_neurons": 50, "activation": "tanh"},
    {"type": "fc", "num_neurons": 2},
    {"type": "fc", "num_neurons": 50, "activation": "tanh"},
    {"type": "regression", "num_neurons": 28 * 28},
]
AUTOENCODER_TRAINER = {"method": "adam", "learning_rate": 0.001, "batch_size": 50, "l2_decay": 0.001}

"""netplay's training engine: nets from ConvNetJS-style layer definitions, trained with NumPy.

>>> import engine
>>> net = engine.Net([{"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
...                   {"type": "fc", "num_neurons": 6, "activation": "tanh"},
...                   {"type": "fc", "num_neurons": 2, "activation": "tanh"},
...                   {"type": "softmax", "num_classes": 2}])
>>> net.num_parameters
38
"""

from engine.definitions import desugar
from engine.errors import SpecError
from engine.net import Net
from engine.optim import OPTIMIZERS, Optimizer, make_optimizer

__all__ = ["OPTIMIZERS", "Net", "Optimizer", "SpecError", "desugar", "make_optimizer"]

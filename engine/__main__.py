"""Train a net on a dataset in the terminal: ``python -m engine --dataset rings --steps 20000``.

The default net is ConvNetJS's classify2d demo net (fc 6 tanh, fc 2 tanh, softmax) with its trainer
(sgd, learning rate 0.01, momentum 0.1, batch 10, l2 decay 0.001), on a 2D dataset.
"""

from __future__ import annotations

import argparse
import json
import sys

from engine.datasets import make_dataset
from engine.demo_nets import CLASSIFY2D_LAYERS, CLASSIFY2D_TRAINER
from engine.errors import SpecError
from engine.net import Net
from engine.optim import make_optimizer
from engine.training import StopConditions, TrainingRun

REPORTS = 10


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="rings", help="a 2D classification set (default rings)")
    parser.add_argument("--steps", type=int, default=20000, help="training steps (default 20000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--layers", help="hidden layers as JSON (ConvNetJS definitions)")
    parser.add_argument("--trainer", help='trainer as JSON, e.g. \'{"method": "adam"}\'')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the training and print a progress line per report; returns the exit status."""
    args = _arguments(sys.argv[1:] if argv is None else argv)
    try:
        data = make_dataset(args.dataset, seed=args.seed)
        hidden = json.loads(args.layers) if args.layers else CLASSIFY2D_LAYERS[1:-1]
        sx, sy, depth = data.input_shape
        loss = {"type": "softmax", "num_classes": data.num_classes}
        net = Net(
            [{"type": "input", "out_sx": sx, "out_sy": sy, "out_depth": depth}, *hidden, loss], seed=args.seed
        )
        optimizer = make_optimizer(net, json.loads(args.trainer) if args.trainer else CLASSIFY2D_TRAINER)
    except (SpecError, json.JSONDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"{args.dataset}: {data.X_train.shape[0]} training and {data.X_test.shape[0]} test points; "
        f"net of {net.num_parameters} parameters"
    )
    run = TrainingRun(net, optimizer, data, seed=args.seed)
    reports = min(REPORTS, args.steps)
    for report in range(1, reports + 1):
        # The server's loop and measuring cadence, up to this report's step.
        while run.advance(1.0, StopConditions(max_steps=args.steps * report // reports)) is None:
            pass
        progress = run.take_progress()
        print(
            f"step {progress['step']:6d}  loss {progress['loss']:.4f}  "
            f"train acc {progress['train_accuracy']:.3f}  "
            f"test acc {progress['test_accuracy']:.3f} (step {progress['test_step']})  "
            f"{progress['examples_per_second']:,.0f} examples/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Examples per second of netplay's engine against PyTorch CPU on ConvNetJS's demo workloads.

Run from the repository root:

    python benchmarks/bench_engine.py                    # full run, Markdown table on stdout
    python benchmarks/bench_engine.py --quick            # short runs: a smoke check, not figures
    python benchmarks/bench_engine.py --only mnist --json out.json --numpy-threads 1

Every workload trains on the same seeded random arrays in both engines, pre-sliced into batches and
cycled, so batching cost is excluded from both. Each figure is the median (and best) of several timed
runs after a warm-up; netplay and torch runs alternate so drift in machine speed hits both alike.
PyTorch is optional: without it netplay's figures are printed with "n/a" ratios. See README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from engine.demo_nets import (  # noqa: E402
    AUTOENCODER_LAYERS,
    AUTOENCODER_TRAINER,
    CIFAR10_LAYERS,
    CIFAR10_TRAINER,
    CLASSIFY2D_LAYERS,
    CLASSIFY2D_TRAINER,
    MNIST_LAYERS,
    MNIST_TRAINER,
)

GRID_SIDE = 100
GRID_EXTENT = 5.0
IMAGE_FORWARD_BATCH = 100
DATA_SEED = 1234
TRAIN_BATCHES = 50


@dataclass(frozen=True)
class Workload:
    """A ConvNetJS demo net and trainer; `forward` is "grid" (2D nets) or "images" (a batch of images)."""

    name: str
    layer_defs: list[dict[str, Any]]
    trainer: dict[str, Any]
    forward: str
    train_target: float | None  # minimum netplay/torch ratio for training, torch on one thread
    grid_target: float | None = None  # minimum ratio for the grid forward against torch's default threads

    @property
    def batch_size(self) -> int:
        return int(self.trainer["batch_size"])

    @property
    def input_shape(self) -> tuple[int, ...]:
        d = self.layer_defs[0]
        if d["out_sx"] == d["out_sy"] == 1:
            return (d["out_depth"],)
        return (d["out_depth"], d["out_sy"], d["out_sx"])

    @property
    def regression(self) -> bool:
        """An autoencoder: its targets are its inputs, flattened."""
        return self.layer_defs[-1]["type"] == "regression"

    @property
    def num_classes(self) -> int:
        return int(self.layer_defs[-1]["num_classes"])


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            "classify2d",
            CLASSIFY2D_LAYERS,
            CLASSIFY2D_TRAINER,
            forward="grid",
            train_target=10.0,
            grid_target=1.0,
        ),
        Workload(
            "mlp",
            [
                CLASSIFY2D_LAYERS[0],
                *({"type": "fc", "num_neurons": 16, "activation": "relu"} for _ in range(3)),
                {"type": "softmax", "num_classes": 2},
            ],
            {"method": "adam", "learning_rate": 0.01, "batch_size": 32},
            forward="grid",
            train_target=None,
            grid_target=1.0,
        ),
        Workload("mnist", MNIST_LAYERS, MNIST_TRAINER, forward="images", train_target=0.8),
        Workload("cifar10", CIFAR10_LAYERS, CIFAR10_TRAINER, forward="images", train_target=0.8),
        Workload("autoencoder", AUTOENCODER_LAYERS, AUTOENCODER_TRAINER, forward="images", train_target=None),
    )
}


# --------------------------------------------------------------------------------------------- data


@dataclass
class Data:
    """The arrays both engines see: training batches (cycled) and the forward-pass input."""

    batches: list[tuple[np.ndarray, np.ndarray]]
    forward_x: np.ndarray
    forward_label: str


def grid_points(side: int = GRID_SIDE, extent: float = GRID_EXTENT) -> np.ndarray:
    """side*side points of a regular grid over [-extent, extent]^2, row-major: (side*side, 2) float32."""
    axis = np.linspace(-extent, extent, side, dtype=np.float32)
    xs, ys = np.meshgrid(axis, axis)
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def make_data(workload: Workload, num_batches: int = TRAIN_BATCHES, seed: int = DATA_SEED) -> Data:
    rng = np.random.default_rng(seed)
    n = workload.batch_size * num_batches
    x = rng.standard_normal((n, *workload.input_shape), dtype=np.float32)
    if workload.regression:
        y = x.reshape(n, -1).copy()
    else:
        y = rng.integers(0, workload.num_classes, size=n, dtype=np.int64)
    step = workload.batch_size
    batches = [
        (np.ascontiguousarray(x[i : i + step]), np.ascontiguousarray(y[i : i + step]))
        for i in range(0, n, step)
    ]
    if workload.forward == "grid":
        return Data(batches, grid_points(), f"grid forward {GRID_SIDE}x{GRID_SIDE}")
    images = rng.standard_normal((IMAGE_FORWARD_BATCH, *workload.input_shape), dtype=np.float32)
    return Data(batches, images, f"forward, batch {IMAGE_FORWARD_BATCH}")


# ------------------------------------------------------------------------------------------ netplay


def netplay_train(workload: Workload, data: Data) -> Callable[[int], None]:
    """A function running `calls` training steps (cycling the batches)."""
    net = engine.Net(workload.layer_defs, seed=0)
    optimizer = engine.make_optimizer(net, workload.trainer)
    batches = data.batches
    count = len(batches)

    def run(calls: int) -> None:
        for i in range(calls):
            x, y = batches[i % count]
            net.train_step(x, y, optimizer)

    return run


def netplay_forward(workload: Workload, data: Data) -> Callable[[int], None]:
    """A function running `calls` inference passes (probabilities) over the forward input."""
    net = engine.Net(workload.layer_defs, seed=0)
    x = data.forward_x

    def run(calls: int) -> None:
        for _ in range(calls):
            net.forward(x)

    return run


# -------------------------------------------------------------------------------------------- torch


def load_torch() -> Any | None:
    try:
        import torch
    except ImportError:
        return None
    return torch


def torch_model(torch: Any, workload: Workload) -> Any:
    """The workload's net written by hand as a PyTorch user would (logits out; softmax in the loss)."""
    nn = torch.nn
    if workload.name == "classify2d":
        return nn.Sequential(nn.Linear(2, 6), nn.Tanh(), nn.Linear(6, 2), nn.Tanh(), nn.Linear(2, 2))
    if workload.name == "mlp":
        return nn.Sequential(
            nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
            nn.Linear(16, 2),
        )  # fmt: skip
    if workload.name == "mnist":
        return nn.Sequential(
            nn.Conv2d(1, 8, 5, stride=1, padding=2), nn.ReLU(), nn.MaxPool2d(2, stride=2),
            nn.Conv2d(8, 16, 5, stride=1, padding=2), nn.ReLU(), nn.MaxPool2d(3, stride=3),
            nn.Flatten(), nn.Linear(16 * 4 * 4, 10),
        )  # fmt: skip
    if workload.name == "autoencoder":
        return nn.Sequential(
            nn.Flatten(), nn.Linear(28 * 28, 50), nn.Tanh(), nn.Linear(50, 2), nn.Linear(2, 50), nn.Tanh(),
            nn.Linear(50, 28 * 28),
        )  # fmt: skip
    if workload.name == "cifar10":
        return nn.Sequential(
            nn.Conv2d(3, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, stride=2),
            nn.Conv2d(16, 20, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, stride=2),
            nn.Conv2d(20, 20, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, stride=2),
            nn.Flatten(), nn.Linear(20 * 4 * 4, 10),
        )  # fmt: skip
    raise ValueError(f"no torch model for {workload.name}")


def torch_optimizer(torch: Any, workload: Workload, model: Any) -> Any:
    """The trainer's optimizer; ConvNetJS's l2_decay is per batch, so weight_decay = l2_decay / batch."""
    trainer = workload.trainer
    weight_decay = trainer.get("l2_decay", 0.0) / workload.batch_size
    params = model.parameters()
    method = trainer["method"]
    if method == "sgd":
        return torch.optim.SGD(
            params, lr=trainer["learning_rate"], momentum=trainer["momentum"], weight_decay=weight_decay
        )
    if method == "adam":
        return torch.optim.Adam(params, lr=trainer["learning_rate"], weight_decay=weight_decay)
    if method == "adadelta":
        return torch.optim.Adadelta(params, lr=1.0, rho=0.95, eps=1e-8, weight_decay=weight_decay)
    raise ValueError(f"no torch optimizer for {method}")


def torch_train(torch: Any, workload: Workload, data: Data) -> Callable[[int], None]:
    torch.manual_seed(0)
    model = torch_model(torch, workload)
    optimizer = torch_optimizer(torch, workload, model)
    loss_fn = regression_loss if workload.regression else torch.nn.CrossEntropyLoss()
    batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data.batches]
    count = len(batches)

    def run(calls: int) -> None:
        for i in range(calls):
            x, y = batches[i % count]
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()

    return run


def regression_loss(out: Any, y: Any) -> Any:
    """ConvNetJS's regression loss: half the squared error summed over outputs, averaged over the batch."""
    return 0.5 * ((out - y) ** 2).sum(dim=1).mean()


def torch_forward(torch: Any, workload: Workload, data: Data) -> Callable[[int], None]:
    torch.manual_seed(0)
    model = torch_model(torch, workload).eval()
    x = torch.from_numpy(data.forward_x)
    out = (lambda values: values) if workload.regression else (lambda values: torch.softmax(values, dim=1))

    def run(calls: int) -> None:
        with torch.no_grad():
            for _ in range(calls):
                out(model(x))

    return run


@contextmanager
def torch_threads(torch: Any, threads: int) -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# ------------------------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Settings:
    repeats: int = 5
    min_time: float = 0.6  # seconds per timed run
    warmup_time: float = 0.2
    max_other_load: float = 0.25  # CPU cores other processes may use during a run before it is redone


# Quick runs are too short for /proc/stat's 10 ms ticks to tell other processes' load: never redone.
QUICK = Settings(repeats=2, min_time=0.05, warmup_time=0.02, max_other_load=math.inf)


def system_busy_seconds() -> float | None:
    """CPU seconds all processes have been busy, summed over cores (Linux /proc/stat; None elsewhere)."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(value) for value in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def wait_for_quiet(max_load: float, timeout: float = 30.0, window: float = 0.1) -> float:
    """Sleep until other processes keep at most `max_load` cores busy over a `window` (we are idle
    meanwhile, so all busy time is theirs), or `timeout` seconds passed -> seconds waited."""
    if not math.isfinite(max_load) or system_busy_seconds() is None:
        return 0.0
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        before = system_busy_seconds()
        time.sleep(window)
        after = system_busy_seconds()
        if before is not None and after is not None and (after - before) / window <= max_load:
            break
    return time.perf_counter() - start


class Timer:
    """Times one workload function: warms it up and picks the calls per run so a run lasts about
    `min_time`; `run_once` then times one run and notes how many cores other processes kept busy."""

    def __init__(self, fn: Callable[[int], None], examples_per_call: int, settings: Settings) -> None:
        self.fn = fn
        self.examples = examples_per_call
        self.max_other_load = settings.max_other_load
        calls = 1
        spent = 0.0
        while True:  # warm-up doubles as calibration
            start = time.perf_counter()
            fn(calls)
            elapsed = time.perf_counter() - start
            spent += elapsed
            if spent >= settings.warmup_time and elapsed > 0:
                break
            calls *= 2
        per_call = elapsed / calls
        self.calls = max(1, math.ceil(settings.min_time / per_call))
        self.rates: list[float] = []
        self.other_loads: list[float | None] = []

    def run_once(self) -> bool:
        """Time one run; False when other processes used more than `max_other_load` cores meanwhile."""
        busy_before, cpu_before = system_busy_seconds(), time.process_time()
        start = time.perf_counter()
        self.fn(self.calls)
        elapsed = time.perf_counter() - start
        busy_after, cpu_after = system_busy_seconds(), time.process_time()
        self.rates.append(self.calls * self.examples / elapsed)
        if busy_before is None or busy_after is None:
            self.other_loads.append(None)
            return True
        other = max(0.0, (busy_after - busy_before) - (cpu_after - cpu_before)) / elapsed
        self.other_loads.append(other)
        return other <= self.max_other_load

    def summary(self, keep: list[int]) -> dict[str, Any]:
        """Figures over the runs at indices `keep` (the undisturbed ones); every run is listed."""
        kept = [self.rates[i] for i in keep]
        return {
            "median": statistics.median(kept),
            "best": max(kept),
            "runs": self.rates,
            "other_process_load": self.other_loads,
            "kept_runs": keep,
            "calls_per_run": self.calls,
            "examples_per_call": self.examples,
        }


@dataclass
class Row:
    workload: str
    metric: str
    netplay: dict[str, Any]
    torch: dict[str, Any] | None
    target: float | None
    torch_threads: int | None = None
    disturbed: bool = False  # other processes kept the CPU busy during most runs

    @property
    def ratio(self) -> float | None:
        if self.torch is None:
            return None
        return self.netplay["median"] / self.torch["median"]

    @property
    def met(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        return self.ratio >= self.target

    def to_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "metric": self.metric,
            "netplay_examples_per_s": self.netplay,
            "torch_examples_per_s": self.torch,
            "torch_threads": self.torch_threads,
            "ratio": self.ratio,
            "target": self.target,
            "met": self.met,
            "disturbed": self.disturbed,
        }


def measure(
    metric: str,
    workload: Workload,
    netplay_fn: Callable[[int], None],
    torch_fn: Callable[[int], None] | None,
    examples: int,
    settings: Settings,
    target: float | None,
    torch_context: Callable[[], Any],
    torch_thread_count: int | None,
) -> Row:
    """Alternate netplay and torch runs until `settings.repeats` pairs ran with the machine otherwise
    quiet (at most 3 x repeats pairs; if too few were quiet, every pair counts and the row is flagged)."""
    ours = Timer(netplay_fn, examples, settings)
    theirs = None
    if torch_fn is not None:
        with torch_context():
            theirs = Timer(torch_fn, examples, settings)
    quiet: list[int] = []
    waited = 0.0
    for attempt in range(3 * settings.repeats):
        waited += wait_for_quiet(settings.max_other_load)
        ok = ours.run_once()
        if theirs is not None:
            with torch_context():
                ok = theirs.run_once() and ok
        if ok:
            quiet.append(attempt)
            if len(quiet) == settings.repeats:
                break
    disturbed = len(quiet) < settings.repeats
    keep = list(range(len(ours.rates))) if disturbed else quiet
    if waited > 0.2 * (attempt + 1) + 2.0:  # more than the quiet checks themselves take
        print(f"    waited {waited:.0f} s for other processes to leave the CPU", file=sys.stderr, flush=True)
    return Row(
        workload.name,
        metric,
        ours.summary(keep),
        None if theirs is None else theirs.summary(keep),
        target,
        torch_thread_count if theirs is not None else None,
        disturbed,
    )


def run_workload(
    workload: Workload,
    settings: Settings,
    torch: Any | None,
    default_threads: int,
    log: Callable[[str], None],
) -> list[Row]:
    data = make_data(workload)
    one = (lambda: torch_threads(torch, 1)) if torch is not None else nullcontext
    rows = []
    log(f"  {workload.name}: train")
    rows.append(
        measure(
            f"train ({workload.trainer['method']}, batch {workload.batch_size})",
            workload,
            netplay_train(workload, data),
            torch_train(torch, workload, data) if torch is not None else None,
            workload.batch_size,
            settings,
            workload.train_target,
            one,
            1,
        )
    )
    forward_examples = data.forward_x.shape[0]
    log(f"  {workload.name}: {data.forward_label}")
    rows.append(
        measure(
            f"{data.forward_label}, torch 1 thread",
            workload,
            netplay_forward(workload, data),
            torch_forward(torch, workload, data) if torch is not None else None,
            forward_examples,
            settings,
            None,
            one,
            1,
        )
    )
    if workload.forward == "grid":
        log(f"  {workload.name}: {data.forward_label}, torch {default_threads} threads")
        rows.append(
            measure(
                f"{data.forward_label}, torch {default_threads} threads",
                workload,
                netplay_forward(workload, data),
                torch_forward(torch, workload, data) if torch is not None else None,
                forward_examples,
                settings,
                workload.grid_target,
                lambda: torch_threads(torch, default_threads) if torch is not None else nullcontext(),
                default_threads,
            )
        )
    return rows


# ------------------------------------------------------------------------------------------- report


def blas_info() -> list[dict[str, Any]]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [
        {key: pool.get(key) for key in ("user_api", "internal_api", "num_threads", "version", "prefix")}
        for pool in threadpool_info()
        if pool.get("user_api") == "blas"
    ]


def environment(torch: Any | None, default_threads: int | None, numpy_threads: int | None) -> dict[str, Any]:
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs, {platform.platform()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy_blas": blas_info(),
        "numpy_threads_limit": numpy_threads,
        "torch": None if torch is None else torch.__version__,
        "torch_default_threads": default_threads,
    }


def format_rate(rate: float) -> str:
    if rate >= 100:
        return f"{rate:,.0f}"
    return f"{rate:.3g}"


def markdown_table(rows: list[Row]) -> str:
    lines = [
        "| workload | metric | netplay ex/s | torch ex/s | ratio | target | met? |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        torch_rate = "n/a" if row.torch is None else format_rate(row.torch["median"])
        ratio = "n/a" if row.ratio is None else f"{row.ratio:.2f}x"
        target = "—" if row.target is None else f"≥ {row.target:g}x"
        met = "—" if row.target is None else ("n/a" if row.met is None else ("yes" if row.met else "**no**"))
        metric = f"{row.metric} (busy machine)" if row.disturbed else row.metric
        lines.append(
            f"| {row.workload} | {metric} | {format_rate(row.netplay['median'])} | {torch_rate} "
            f"| {ratio} | {target} | {met} |"
        )
    return "\n".join(lines)


def environment_lines(env: dict[str, Any]) -> list[str]:
    blas = "; ".join(
        f"{pool['internal_api']} {pool['version']}, {pool['num_threads']} thread"
        + ("" if pool["num_threads"] == 1 else "s")
        for pool in env["numpy_blas"]
    )
    limit = env["numpy_threads_limit"]
    return [
        f"- date: {env['date']}",
        f"- machine: {env['machine']}",
        f"- python {env['python']}, numpy {env['numpy']}",
        f"- numpy BLAS: {blas or 'unknown (threadpoolctl not installed)'}"
        + (f" (limited with --numpy-threads {limit})" if limit else ""),
        "- torch: "
        + (
            "not installed (pip install -e '.[torch]')"
            if env["torch"] is None
            else f"{env['torch']}, default {env['torch_default_threads']} threads"
        ),
    ]


# --------------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help=f"run only these workloads (repeatable or comma-separated): {', '.join(WORKLOADS)}",
    )
    parser.add_argument("--quick", action="store_true", help="short runs for a smoke check (noisy figures)")
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write every figure to this JSON file")
    parser.add_argument(
        "--numpy-threads", metavar="N", type=int, help="limit NumPy's BLAS threads (threadpoolctl)"
    )
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    parser.add_argument("--repeats", type=int, help="timed runs per figure (default 5, --quick 2)")
    parser.add_argument("--min-time", type=float, help="seconds per timed run (default 0.6, --quick 0.05)")
    parser.add_argument(
        "--max-other-load",
        type=float,
        metavar="CORES",
        help="redo a run when other processes kept more than this many cores busy (default 0.25)",
    )
    args = parser.parse_args(argv)
    names: list[str] = []
    for item in args.only or []:
        names.extend(name.strip().lower() for name in item.split(",") if name.strip())
    unknown = [name for name in names if name not in WORKLOADS]
    if unknown:
        parser.error(f"--only: unknown workload {', '.join(unknown)} (known: {', '.join(WORKLOADS)})")
    args.names = names or list(WORKLOADS)
    if args.numpy_threads is not None and args.numpy_threads < 1:
        parser.error("--numpy-threads: must be at least 1")
    return args


def run(
    names: list[str],
    settings: Settings,
    use_torch: bool = True,
    numpy_threads: int | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> tuple[dict[str, Any], list[Row]]:
    """Run the named workloads -> (environment, rows). Importable for tests and notebooks."""
    torch = load_torch() if use_torch else None
    default_threads = torch.get_num_threads() if torch is not None else None
    if numpy_threads is not None:
        from threadpoolctl import threadpool_limits

        limiter: Any = threadpool_limits(limits=numpy_threads, user_api="blas")
    else:
        limiter = nullcontext()
    with limiter:
        env = environment(torch, default_threads, numpy_threads)
        rows: list[Row] = []
        for name in names:
            rows.extend(run_workload(WORKLOADS[name], settings, torch, default_threads or 1, log))
    return env, rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    base = QUICK if args.quick else Settings()
    settings = Settings(
        repeats=args.repeats or base.repeats,
        min_time=args.min_time or base.min_time,
        warmup_time=base.warmup_time,
        max_other_load=base.max_other_load if args.max_other_load is None else args.max_other_load,
    )

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    env, rows = run(args.names, settings, not args.no_torch, args.numpy_threads, log)
    stat = f"median of {settings.repeats} runs of ~{settings.min_time:g} s each"
    print("\n".join(environment_lines(env)))
    print(f"- figures: examples/second, {stat}; ratio = netplay / torch (above 1: netplay is faster)")
    if math.isfinite(settings.max_other_load):
        print(
            f"- runs during which other processes kept more than {settings.max_other_load:g} cores busy "
            "were redone; rows marked (busy machine) never got enough quiet runs"
        )
    print()
    print(markdown_table(rows))
    if args.json:
        payload = {
            "environment": env,
            "settings": asdict(settings),
            "rows": [row.to_json() for row in rows],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The playground draws a plane net's boundary and neurons from its weights (static/js/netforward.js):
what it draws equals the server's frames for the same weights within the quantisation step (one uint8
code), for every activation, feature and loss the page offers; and the page asks for the server's grids
only for a net it cannot evaluate.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import numpy as np
import pytest

from app.checks import describe_layers
from app.frames import decode_frame
from app.jobs.snapshot import dataset_view
from app.visuals import VisualProducer, VisualView
from engine import Net
from engine.datasets import make_dataset
from engine.datasets.features import FEATURES
from engine.definitions import ACTIVATIONS
from tests.browser.conftest import AS_TEACHER

GRID, NEURON_GRID = 31, 12
GAIN = 3.0  # weights larger than at initialisation: sharp, varied boundaries to compare


def _input(depth: int) -> dict[str, Any]:
    return {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": depth}


def _hidden(activation: str | None, **extra: Any) -> list[dict[str, Any]]:
    first = {"type": "fc", "num_neurons": 6, **({"activation": activation} if activation else {}), **extra}
    return [first, {"type": "fc", "num_neurons": 4, "activation": "tanh"}]


# (case id, dataset name and parameters, hidden layers, loss layer)
CASES = [
    *(
        (
            f"classify2d-{activation}",
            {"name": "circle", "features": list(FEATURES)},
            _hidden(activation),
            "softmax",
        )
        for activation in ACTIVATIONS
    ),
    ("classify2d-leaky-alpha", {"name": "circle"}, _hidden("leaky_relu", alpha=0.3), "softmax"),
    ("classify2d-maxout-3", {"name": "circle"}, _hidden("maxout", group_size=3), "softmax"),
    ("classify2d-linear-fc", {"name": "spiral", "features": ["x1", "x2", "sinx1"]}, _hidden(None), "softmax"),
    ("classify2d-dropout", {"name": "xor"}, _hidden("relu", drop_prob=0.4), "softmax"),
    (
        "classify2d-svm-3-classes",
        {"name": "three_mode", "features": ["x1x2", "x2sq", "x1"]},
        _hidden("relu"),
        "svm",
    ),
    (
        "regress2d",
        {"name": "regress_gauss", "features": ["x1", "x2", "x1x2"]},
        _hidden("sigmoid"),
        "regression",
    ),
    ("regress1d", {"name": "sine"}, _hidden("relu"), "regression"),
]


def _loss(kind: str, data: Any) -> dict[str, Any]:
    if kind == "regression":
        return {"type": "regression", "num_neurons": 1}
    return {"type": kind, "num_classes": data.num_classes}


def _server_frames(dataset: dict[str, Any], hidden: list[dict[str, Any]], loss: str) -> dict[str, Any]:
    """The server's frames of one net with large random weights, its described layers and dataset."""
    params = {key: value for key, value in dataset.items() if key != "name"}
    data = make_dataset(dataset["name"], n_samples=60, seed=3, **params)
    layers = [_input(data.X_train.shape[1]), *hidden, _loss(loss, data)]
    net = Net(layers, seed=5)
    net.flat.values[:] *= GAIN
    producer = VisualProducer(net, data, VisualView(grid=GRID, neuron_grid=NEURON_GRID))
    frames = {kind: producer.frame(kind, 7) for kind in ("boundary", "neurons", "weights", "hidden")}
    view = {key: dataset_view(data)[key] for key in ("kind", "extent", "features", "class_names", "points")}
    return {"frames": frames, "layers": describe_layers(layers), "dataset": view}


DRAW_IN_PAGE = """async ({ weights, layers, dataset, grid, neuronGrid }) => {
  const { decodeFrame } = await import("/static/js/frames.js");
  const { drawnFrames, hiddenChoice, hiddenFrame, unpackWeights } = await import("/static/js/netforward.js");
  const buffer = Uint8Array.from(atob(weights), (c) => c.charCodeAt(0)).buffer;
  const frame = decodeFrame(buffer);
  const drawn = drawnFrames(layers, dataset, frame, { grid, neuronGrid, withNeurons: true });
  const choice = dataset.kind === "classify2d" ? hiddenChoice(layers, null) : null;
  const weightsOf = unpackWeights(frame, layers);
  drawn.hidden = choice && hiddenFrame(layers, dataset, weightsOf, choice, dataset.points.train, 7);
  const plain = (frame) => frame && {
    header: frame.header,
    arrays: Object.fromEntries(Object.entries(frame.arrays).map(
      ([name, { values, shape, range }]) => [name, { values: Array.from(values), shape, range }])),
  };
  return { boundary: plain(drawn.boundary), neurons: plain(drawn.neurons), hidden: plain(drawn.hidden) };
}"""


def _assert_same_arrays(server: bytes, drawn: dict[str, Any]) -> None:
    header, arrays = decode_frame(server)
    assert drawn["header"]["step"] == header["step"]
    entries = {entry["name"]: entry for entry in header["arrays"]}
    assert set(drawn["arrays"]) == set(arrays)
    for name, expected in arrays.items():
        got = drawn["arrays"][name]
        assert got["shape"] == list(expected.shape), name
        values = np.asarray(got["values"]).reshape(expected.shape)
        if "range" in entries[name]:  # quantised: within one code, over the same range
            assert got["range"] == pytest.approx(entries[name]["range"], rel=1e-5, abs=1e-6), name
            assert np.abs(values.astype(int) - expected.astype(int)).max() <= 1, name
        else:
            np.testing.assert_allclose(values, expected, rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.parametrize(("case", "dataset", "hidden", "loss"), CASES, ids=[case[0] for case in CASES])
def test_page_drawn_frames_equal_the_server_s_within_one_code(
    page, live_server: str, case: str, dataset: dict, hidden: list, loss: str
) -> None:
    server = _server_frames(dataset, hidden, loss)
    page.goto(f"{live_server}/api/catalogue")  # any page of the server's: its modules import from there
    drawn = page.evaluate(
        DRAW_IN_PAGE,
        {
            "weights": base64.b64encode(server["frames"]["weights"]).decode(),
            "layers": server["layers"],
            "dataset": server["dataset"],
            "grid": GRID,
            "neuronGrid": NEURON_GRID,
        },
    )
    _assert_same_arrays(server["frames"]["boundary"], drawn["boundary"])
    _assert_same_arrays(server["frames"]["neurons"], drawn["neurons"])
    if server["frames"]["hidden"] is None:  # the hidden space is drawn for classifiers only
        assert drawn["hidden"] is None
    else:
        _assert_same_arrays(server["frames"]["hidden"], drawn["hidden"])
        assert drawn["hidden"]["header"]["layer"] == decode_frame(server["frames"]["hidden"])[0]["layer"]


def test_every_activation_and_feature_the_engine_offers_is_evaluated_in_the_page(
    page, live_server: str
) -> None:
    catalogue = httpx.get(f"{live_server}/api/catalogue").json()
    page.goto(f"{live_server}/api/catalogue")
    known = page.evaluate(
        """async () => {
          const module = await import("/static/js/netforward.js");
          return { features: Object.keys(module.FEATURE_FUNCTIONS) };
        }"""
    )
    assert sorted(known["features"]) == sorted(feature["id"] for feature in catalogue["features"])
    tested = {case[0].split("-")[1] for case in CASES if case[0].startswith("classify2d-")}
    assert set(catalogue["activations"]) <= tested  # every activation has a parity case above


def _stream_kinds(page, live_server: str, hash_: str) -> list[str]:
    """The frame kinds the playground's stream asks for (its URL's, then its last watch message's),
    once the page drew a boundary."""
    asked: list[list[str]] = []

    def on_socket(socket: Any) -> None:
        asked.append(socket.url.split("kinds=")[1].split(","))

        def on_sent(payload: Any) -> None:
            if isinstance(payload, str) and (message := json.loads(payload))["type"] == "watch":
                asked.append(message["kinds"])

        socket.on("framesent", on_sent)

    page.on("websocket", on_socket)
    page.goto(f"{live_server}/{hash_}")
    page.wait_for_function(
        "() => { const c = document.getElementById('boundary'); const d = c.getContext('2d')"
        ".getImageData(0, 0, c.width, c.height).data; return new Set(d).size > 10; }"
    )
    return asked[-1]


def test_the_playground_asks_only_for_weights_for_a_net_it_draws(page, live_server: str) -> None:
    kinds = _stream_kinds(page, live_server, "#dataset=circle")
    assert "weights" in kinds and "boundary" not in kinds and "neurons" not in kinds


def test_a_linked_job_the_page_can_draw_switches_its_stream_to_the_weights(page, live_server: str) -> None:
    spec = {
        "dataset": {"name": "circle", "n_samples": 100},
        "layers": [_input(2), *_hidden("leaky_relu"), {"type": "softmax", "num_classes": 2}],
        "trainer": {"method": "sgd", "learning_rate": 0.01},
    }
    job = httpx.post(f"{live_server}/api/jobs?paused=true", json=spec, headers=AS_TEACHER).json()
    page.goto(f"{live_server}/api/catalogue")
    kinds = _stream_kinds(page, live_server, f"#job={job['id']}")
    page.wait_for_function("() => document.getElementById('count-step').textContent === '0'")
    assert "weights" in kinds and "boundary" not in kinds


def test_a_net_the_page_cannot_evaluate_keeps_the_server_s_grids(page, live_server: str) -> None:
    layers = [_input(2), {"type": "fc", "num_neurons": 4}, {"type": "batchnorm"}, {"type": "tanh"}]
    spec = {
        "dataset": {"name": "circle", "n_samples": 100},
        "layers": [*layers, {"type": "softmax", "num_classes": 2}],
        "trainer": {"method": "sgd", "learning_rate": 0.01},
    }
    job = httpx.post(f"{live_server}/api/jobs?paused=true", json=spec, headers=AS_TEACHER).json()
    kinds = _stream_kinds(page, live_server, f"#job={job['id']}")
    assert {"boundary", "neurons"} <= set(kinds)


@pytest.mark.parametrize(("path", "frame"), [("/#dataset=circle", "weights"), ("/painting", "painting")])
def test_the_page_shows_the_frames_per_second_it_receives(
    page, live_server: str, path: str, frame: str
) -> None:
    """Counted from the frames that reach the page: a figure while it plays, 0 once it is paused."""
    received: list[float] = []

    def on_socket(socket: Any) -> None:
        def on_frame(payload: Any) -> None:
            if (
                isinstance(payload, bytes)
                and json.loads(payload[8 : 8 + int.from_bytes(payload[4:8], "little")])["type"] == frame
            ):
                received.append(1.0)

        socket.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    page.goto(f"{live_server}{path}")
    page.wait_for_function("() => document.getElementById('play').textContent === 'Play'")
    page.click("#play")
    page.wait_for_function("() => Number(document.getElementById('count-fps').textContent) > 0")
    assert received  # the figure follows frames that came
    page.click("#play")  # pause: no more frames
    page.wait_for_function("() => document.getElementById('count-fps').textContent === '0'")

"""Every layer type a playground net can have, drawn live: each activation the layer editor offers (the
engine's, GET /api/catalogue, and none), leaky_relu and dropout written as layers of their own, and a
ConvNetJS net with maxout and dropout loaded from its file. For each, once it plays, the boundary, every
neuron picture of the diagram and the loss chart keep changing, the diagram draws a link per weight and
a maxout layer gets a column of its units (no JavaScript error on the way: the page fixture fails on
one)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_playground import (
    BOUNDARY_SUM,
    STEP,
    job_id,
    open_playground,
    show_layers,
    wait_for_new_job,
)
from tests.extras import require_program

TIMEOUT = 30_000
CONVNETJS = Path(__file__).resolve().parent.parent / "convnetjs"

# Per column of the diagram (nodes grouped by their left edge, in order): how many nodes, how many
# have a picture, how many of those are black all over (a picture painted from missing values), and a
# checksum of the pictures.
COLUMNS = """() => {
  const columns = new Map();
  for (const node of document.querySelectorAll("#diagram .diagram-node")) {
    const left = parseFloat(node.style.left);
    const kind = node.classList[1];
    if (!columns.has(left)) columns.set(left, { nodes: 0, painted: 0, black: 0, sum: 0, kind });
    const column = columns.get(left);
    column.nodes += 1;
    const canvas = node.querySelector("canvas");
    if (!canvas || !canvas.width) continue;
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let alpha = 0, colour = 0;
    for (let i = 0; i < data.length; i += 4) {
      alpha += data[i + 3];
      colour += data[i] + data[i + 1] + data[i + 2];
      column.sum += (i % 97) * (data[i] + 3 * data[i + 1] + 7 * data[i + 2]);
    }
    if (alpha) column.painted += 1;
    if (alpha && !colour) column.black += 1;
  }
  return [...columns.entries()].sort((a, b) => a[0] - b[0]).map(([, column]) => column);
}"""
LOSS_CHART_SUM = """() => {
  const canvas = document.getElementById("loss-chart");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) sum += (i % 89) * (data[i] + 3 * data[i + 1] + data[i + 3]);
  return sum;
}"""


def weight_count(live_server: str, job: str) -> int:
    """The weights of the job's fc layers (the loss layer's own included), each fed by the width of the
    layer before it: an fc's neurons, or after a maxout their maxima."""
    spec = httpx.get(f"{live_server}/api/jobs/{job}").json()["spec"]
    layers = spec["layers"] or spec["model"]["layers"]
    width, count = layers[0]["out_depth"], 0
    for layer in layers[1:]:
        neurons = layer.get("num_neurons", layer.get("num_classes"))
        if layer["type"] in ("fc", "softmax", "svm", "regression"):
            count += width * neurons
            width = neurons
        if layer["type"] == "maxout" or layer.get("activation") == "maxout":
            width //= layer.get("group_size", 2)
    return count


def pictures(page: Page) -> list[int]:
    return [column["sum"] for column in page.evaluate(COLUMNS)]


def drawn_live(page: Page, live_server: str) -> list[dict]:
    """Wait until the playing job's boundary, neuron pictures and loss chart have each changed twice,
    with every column of pictures painted whole and nothing black; the columns as COLUMNS says."""
    job = job_id(page)
    expect(page.locator("#diagram path.diagram-link[d]")).to_have_count(weight_count(live_server, job))
    for _ in range(2):
        boundary, chart, shown = page.evaluate(BOUNDARY_SUM), page.evaluate(LOSS_CHART_SUM), pictures(page)
        page.wait_for_function(f"({BOUNDARY_SUM})() !== {boundary}")
        page.wait_for_function(f"({LOSS_CHART_SUM})() !== {chart}")
        page.wait_for_function(
            f"(shown) => ({COLUMNS})().some((column, c) => column.sum !== shown[c])", arg=shown
        )
    columns = page.evaluate(COLUMNS)
    for column in columns:
        assert column["black"] == 0, columns
        assert column["painted"] in (0, column["nodes"]), columns  # a column is drawn whole or not at all
    return columns


def play_with_layers(page: Page, layers: list[dict]) -> str:
    """Put `layers` into the JSON editor, and wait for the job it makes (the page plays it)."""
    first = job_id(page)
    show_layers(page)
    page.locator("#layers").fill(json.dumps(layers))
    page.locator("#layers").blur()
    return wait_for_new_job(page, first)


def test_every_activation_the_editor_offers_draws_live(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    open_playground(page, live_server)
    show_layers(page)
    activation = page.get_by_label("hidden layer 1: activation")
    offered = activation.locator("option").evaluate_all("(options) => options.map((option) => option.value)")
    engine = httpx.get(f"{live_server}/api/catalogue").json()["activations"]
    assert sorted(offered) == sorted([*engine, "none"])
    page.get_by_role("button", name="Play").click()
    current = activation.input_value()
    drawn_live(page, live_server)
    for name in [name for name in offered if name != current]:
        first = job_id(page)
        activation.select_option(name)
        wait_for_new_job(page, first)
        columns = drawn_live(page, live_server)
        spec_layer = httpx.get(f"{live_server}/api/jobs/{job_id(page)}").json()["spec"]["layers"][1]
        assert spec_layer.get("activation", "none") == name
        assert page.evaluate(STEP) > 0
        if name == "maxout":  # 8 neurons, then a column of their 4 maxima, each joined to its 2
            assert [column["nodes"] for column in columns][1:3] == [
                spec_layer["num_neurons"],
                spec_layer["num_neurons"] // 2,
            ]
            assert [column["kind"] for column in columns][1:3] == ["hidden", "group"]
            expect(page.locator("#diagram .diagram-group-link")).to_have_count(spec_layer["num_neurons"])


def test_leaky_relu_and_dropout_as_layers_of_their_own_draw_live(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    open_playground(page, live_server)
    page.get_by_role("button", name="Play").click()
    play_with_layers(
        page,
        [
            {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
            {"type": "fc", "num_neurons": 6},
            {"type": "dropout", "drop_prob": 0.2},
            {"type": "leaky_relu", "alpha": 0.1},
            {"type": "fc", "num_neurons": 4, "activation": "tanh", "drop_prob": 0.3},
            {"type": "softmax", "num_classes": 2},
        ],
    )
    columns = drawn_live(page, live_server)
    assert [column["nodes"] for column in columns] == [2, 6, 4, 2]
    assert [column["painted"] for column in columns] == [2, 6, 4, 0]  # outputs are their class colours


def convnetjs_net(layers: list[dict]) -> dict:
    """A net made by ConvNetJS itself (its makeLayers and toJSON) from layer definitions."""
    node = shutil.which("node")
    found = node is not None and (CONVNETJS / "node_modules" / "convnetjs").is_dir()
    require_program(found, "Node and ConvNetJS: install node, then `npm ci --prefix tests/convnetjs`")
    script = (
        "const convnetjs = require('convnetjs'); const net = new convnetjs.Net();"
        f"net.makeLayers({json.dumps(layers)}); process.stdout.write(JSON.stringify(net.toJSON()));"
    )
    done = subprocess.run(
        [node, "-e", script], cwd=CONVNETJS, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout)


@pytest.mark.tools
def test_a_convnetjs_net_with_maxout_and_dropout_draws_live(
    page: Page, live_server: str, tmp_path: Path
) -> None:
    saved = convnetjs_net(
        [
            {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
            {"type": "fc", "num_neurons": 6, "activation": "maxout", "group_size": 2},  # fc 6, maxout 3
            {"type": "fc", "num_neurons": 4, "activation": "relu", "drop_prob": 0.3},
            {"type": "softmax", "num_classes": 2},
        ]
    )
    file = tmp_path / "convnetjs-maxout.json"
    file.write_text(json.dumps(saved))
    page.set_default_timeout(TIMEOUT)
    open_playground(page, live_server)
    page.get_by_role("button", name="Play").click()
    first = job_id(page)
    page.get_by_label("Load model").set_input_files(file)
    second = wait_for_new_job(page, first)
    assert (
        httpx.get(f"{live_server}/api/jobs/{second}").json()["spec"]["model"]["imported"]["from"]
        == "convnetjs"
    )
    columns = drawn_live(page, live_server)
    assert [(column["kind"], column["nodes"]) for column in columns] == [
        ("input", 2), ("hidden", 6), ("group", 3), ("hidden", 4), ("output", 2)
    ]  # fmt: skip
    assert [column["painted"] for column in columns] == [2, 0, 3, 4, 0]  # an fc before maxout: no picture
    expect(page.locator("#diagram .diagram-group-link")).to_have_count(6)

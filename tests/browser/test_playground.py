"""The 2D playground (/): pick data, train live, edit points and the net, share the setup by URL, play
again after a pause nobody chose, and stream the hidden space only while it is shown."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.browser.conftest import AS_TEACHER, eventually, own

TIMEOUT = 15_000

# Sum of the boundary canvas's pixels, to see it change; 0 before the first frame is drawn.
BOUNDARY_SUM = """() => {
  const canvas = document.getElementById("boundary");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) sum += data[i] * 3 + data[i + 1] * 5 + data[i + 2] * 7;
  return sum;
}"""
STEP = "Number(document.getElementById('count-step').textContent.replace(/,/g, ''))"


def _api(base: str, method: str, path: str) -> object:
    """A REST call as the teacher (the tests clean up every job)."""
    request = urllib.request.Request(base + path, method=method, headers=AS_TEACHER)
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def open_playground(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(live_server + "/")
    expect(page.locator("#status")).to_have_text("paused")


@pytest.fixture
def playground(page: Page, live_server: str, ready_digits: dict) -> Iterator[Page]:
    """The playground with its first job streaming; every job is deleted afterwards (but the session's
    ready digit net), so running jobs never hold the server's two slots into the next test."""
    open_playground(page, live_server)
    yield page
    for job in _api(live_server, "GET", "/api/jobs?limit=100")["items"]:
        if job["id"] == ready_digits["id"]:
            continue
        try:
            _api(live_server, "DELETE", f"/api/jobs/{job['id']}")
        except urllib.error.HTTPError as error:
            assert error.code == 404  # the page deleted it first (it drops replaced jobs)


def show_layers(page: Page) -> None:
    """Open the layer editor (the list and the JSON text) under the diagram."""
    page.locator(".net-details").evaluate("(details) => { details.open = true; }")


def job_id(page: Page) -> str:
    return page.locator("#job-id").get_attribute("data-job-id")


def job(page: Page, live_server: str) -> dict:
    return _api(live_server, "GET", f"/api/jobs/{job_id(page)}")


def wait_for_new_job(page: Page, previous: str) -> str:
    page.wait_for_function(
        "previous => document.getElementById('job-id').dataset.jobId !== previous", arg=previous
    )
    return job_id(page)


def hash_state(page: Page) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(page.evaluate("location.hash.slice(1)")))


def test_rings_train_live_and_pause_stops_the_counters(playground: Page, live_server: str) -> None:
    page = playground
    first = job_id(page)
    page.get_by_role("radio", name="rings").click()
    rings = wait_for_new_job(page, first)
    assert job(page, live_server)["dataset"] == "rings"
    page.wait_for_function(f"({BOUNDARY_SUM})() > 0")
    before = page.evaluate(BOUNDARY_SUM)

    page.get_by_role("button", name="Play").click()
    expect(page.locator("#status")).to_have_text("running")
    page.wait_for_function(f"({BOUNDARY_SUM})() !== {before}")
    page.wait_for_function(f"{STEP} > 999")

    def test_loss_fell() -> bool:
        points = _api(live_server, "GET", f"/api/jobs/{rings}/metrics")["points"]
        losses = [point["test_loss"] for point in points if point["test_loss"] is not None]
        return len(losses) > 1 and losses[-1] < 0.9 * losses[0]

    eventually(test_loss_fell)

    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#status")).to_have_text("paused")
    # The worker's last report, sent as it parks, can trail the paused status: a pause over REST (a
    # no-op now) answers only once the job has parked, so its step is final.
    stopped = _api(live_server, "POST", f"/api/jobs/{rings}/pause")
    assert stopped["status"] == "paused"
    page.wait_for_function(f"{STEP} === {stopped['step']}")
    # A fence: a trainer change reaches the page after anything the job sent before it, so once the
    # page shows it, a progress report after the pause would have been shown too.
    httpx.patch(
        f"{live_server}/api/jobs/{rings}", json={"trainer": {"learning_rate": 0.0123}}, headers=AS_TEACHER
    )
    expect(page.get_by_label("Learning rate")).to_have_value("0.0123")
    assert page.evaluate(STEP) == stopped["step"] == job(page, live_server)["step"]


def test_clicking_the_plot_adds_a_point_and_trains_on_points(playground: Page, live_server: str) -> None:
    page = playground
    first = job_id(page)
    count = _api(live_server, "GET", f"/api/jobs/{first}")["spec"]["dataset"]["n_samples"]
    page.locator("#boundary-overlay").click(position={"x": 8, "y": 8}, modifiers=["Shift"])
    second = wait_for_new_job(page, first)
    spec = _api(live_server, "GET", f"/api/jobs/{second}")["spec"]["dataset"]
    assert spec["name"] == "points"
    assert len(spec["points"]) == count + 1
    x, y, label = spec["points"][-1]
    assert x < -2.5 and y > 2.5 and label == 1
    assert json.loads(hash_state(page)["points"])[-1] == [x, y, label]

    page.locator("#boundary-overlay").click(position={"x": 8, "y": 8}, modifiers=["Control"])
    third = wait_for_new_job(page, second)
    remaining = _api(live_server, "GET", f"/api/jobs/{third}")["spec"]["dataset"]["points"]
    assert len(remaining) == count and [x, y, label] not in remaining


def test_editing_the_layer_text_changes_the_network(playground: Page) -> None:
    page = playground
    first = job_id(page)
    layers = [
        {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
        {"type": "fc", "num_neurons": 3, "activation": "relu"},
        {"type": "fc", "num_neurons": 3, "activation": "tanh"},
        {"type": "fc", "num_neurons": 2, "activation": "tanh"},
        {"type": "softmax", "num_classes": 2},
    ]
    show_layers(page)
    page.locator("#layers").fill(json.dumps(layers))
    page.locator("#layers").blur()
    wait_for_new_job(page, first)
    expect(page.locator("#layer-list li")).to_have_count(3)
    expect(page.locator("#layer-list select").first).to_have_value("relu")
    # the diagram: inputs (2) and every hidden neuron (3 + 3 + 2) get a picture; hovering one names it
    expect(page.locator("#diagram canvas")).to_have_count(10)
    page.locator("#diagram .diagram-node canvas").nth(3).hover()
    expect(page.locator(".diagram-card")).to_contain_text("layer 2, neuron 1")
    # the hidden-space view follows the chosen layer (layers 2, 4 and 6 are the tanh/relu outputs)
    page.get_by_label("Layer", exact=True).select_option("2")
    expect(page.locator("#hidden-caption")).to_contain_text("layer 2: neuron 0 (x) against neuron 1 (y)")
    page.get_by_role("button", name="Next neuron pair").click()
    expect(page.locator("#hidden-caption")).to_contain_text("layer 2: neuron 0 (x) against neuron 2 (y)")


def test_a_bad_definition_shows_the_server_message_next_to_the_text(playground: Page) -> None:
    page = playground
    first = job_id(page)
    show_layers(page)
    page.get_by_label("hidden layer 1: neurons").fill("0")
    page.get_by_label("hidden layer 1: neurons").blur()
    expect(page.locator("#layers-error")).to_contain_text("num_neurons must be >= 1, got 0")
    assert job_id(page) == first  # the running job stays


def test_the_url_hash_reproduces_the_setup(playground: Page, live_server: str) -> None:
    page = playground
    first = job_id(page)
    page.get_by_role("radio", name="moons").click()
    second = wait_for_new_job(page, first)
    page.get_by_role("checkbox", name="x₁x₂").check()  # the engine's label of x1x2
    third = wait_for_new_job(page, second)
    show_layers(page)
    page.get_by_role("button", name="Add hidden layer").click()
    wait_for_new_job(page, third)
    page.get_by_label("Learning rate ").fill("0.03")
    page.get_by_label("Learning rate ").blur()
    page.wait_for_function("location.hash.includes('learning_rate=0.03')")
    link = page.url
    original = eventually(
        lambda: (found := job(page, live_server))["trainer"]["learning_rate"] == 0.03 and found
    )

    copy = page.context.new_page()
    copy.goto(link)
    expect(copy.locator("#status")).to_have_text("paused")
    reproduced = job(copy, live_server)
    assert job_id(copy) != job_id(page)
    for key in ("dataset", "layers", "seed"):
        assert reproduced["spec"][key] == original["spec"][key]
    assert reproduced["trainer"] == original["trainer"]  # the live change included
    expect(copy.get_by_role("checkbox", name="x₁x₂")).to_be_checked()
    expect(copy.locator("#learning_rate")).to_have_value("0.03")
    expect(copy.get_by_role("radio", name="moons")).to_have_attribute("aria-checked", "true")


def test_a_live_learning_rate_change_reaches_the_job(playground: Page, live_server: str) -> None:
    page = playground
    page.get_by_role("button", name="Play").click()
    expect(page.locator("#status")).to_have_text("running")
    before = job_id(page)
    page.get_by_label("Learning rate ").fill("0.003")
    page.get_by_label("Learning rate ").blur()
    eventually(lambda: job(page, live_server)["trainer"]["learning_rate"] == 0.003)
    assert job_id(page) == before and job(page, live_server)["status"] == "running"


def test_a_diverged_job_says_so_and_suggests_a_lower_rate(page: Page, live_server: str) -> None:
    layers = [
        {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
        {"type": "fc", "num_neurons": 8, "activation": "relu"},
        {"type": "softmax", "num_classes": 2},
    ]
    # sgd by name: rings starts from its lecture net's trainer, adam, whose steps stay bounded
    setup = {
        "dataset": "rings",
        "layers": json.dumps(layers),
        "method": "sgd",
        "learning_rate": 1000,
        "momentum": 0.9,
    }
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/#{urllib.parse.urlencode(setup)}")
    expect(page.locator("#status")).to_have_text("paused")
    page.get_by_role("button", name="Play").click()
    expect(page.locator("#status")).to_contain_text("failed: diverged")
    expect(page.locator("#status")).to_contain_text("lower the learning rate")
    _api(live_server, "DELETE", f"/api/jobs/{job_id(page)}")


def test_a_saved_model_loads_back_as_a_new_job(playground: Page, live_server: str) -> None:
    page = playground
    first = job_id(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Save model").click()
    saved = json.loads(download.value.path().read_text())
    assert saved["format"] == "netplay.net"
    page.get_by_label("Load model").set_input_files(download.value.path())
    second = wait_for_new_job(page, first)
    spec = _api(live_server, "GET", f"/api/jobs/{second}")["spec"]
    assert spec["model"]["params"] == saved["params"] and spec["layers"] is None


def test_a_net_saved_by_convnetjs_loads_as_a_new_job_with_its_layers_shown(
    page: Page, live_server: str, tmp_path: Path
) -> None:
    saved = json.loads(CONVNETJS_FIXTURES.read_text())["fc"]["net"]  # 2 inputs, 3 classes
    file = tmp_path / "convnetjs-net.json"
    file.write_text(json.dumps(saved))
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/#dataset=spiral&classes=3")
    expect(page.locator("#status")).to_have_text("paused")
    first = job_id(page)

    page.get_by_label("Load model").set_input_files(file)

    second = wait_for_new_job(page, first)
    model = _api(live_server, "GET", f"/api/jobs/{second}")["spec"]["model"]
    assert model["imported"]["from"] == "convnetjs"
    expect(page.locator("#layer-list li")).to_have_count(2)  # fc 6 tanh, fc 4 relu
    expect(page.locator("#layers")).to_have_value(re.compile(r'"type":"softmax","num_classes":3'))
    with page.expect_download() as download:
        page.get_by_role("button", name="Save for ConvNetJS").click()
    exported = json.loads(download.value.path().read_text())
    assert [layer["layer_type"] for layer in exported["layers"]] == [
        layer["layer_type"] for layer in saved["layers"]
    ]


def test_the_page_modules_pure_helpers(page: Page, live_server: str) -> None:
    """State <-> hash, point editing, layer fitting and the neuron-pair cycle, run in the browser."""
    page.goto(live_server + "/static/css/netplay.css")
    results = page.evaluate(
        """async () => {
      const state = await import("/static/js/state.js");
      const datasets = await import("/static/js/datasets.js");
      const network = await import("/static/js/network.js");
      const neurons = await import("/static/js/neurons.js");
      const setup = { ...state.defaultState(), dataset: "points", points: [[0, 0, 0], [1, 1, 1]],
                      features: ["x1", "x1x2"], learning_rate: 0.2, discretize: true };
      const back = state.stateFromHash("#" + state.hashFromState(setup));
      const points = [[0, 0, 0], [2, 2, 1]];
      return {
        roundTrip: JSON.stringify(back) === JSON.stringify(setup),
        defaultsHash: state.hashFromState(state.defaultState()),
        badValueKeepsDefault: state.stateFromHash("#noise=abc&layers=[oops").noise,
        spec: state.jobSpec(setup).dataset,
        added: datasets.editPoints(points, { x: 3.7, y: -1.234, label: 1, remove: false }).at(-1),
        removed: datasets.editPoints(points, { x: 1.8, y: 1.9, label: 0, remove: true }),
        fitted: network.fitLayers([{ type: "fc", num_neurons: 3 }], 4, 3),
        pairs: [[0, 1], [0, 2], [1, 2]].map((pair) => neurons.nextPair(pair, 3)),
      };
    }"""
    )
    assert results["roundTrip"]
    assert results["defaultsHash"] == ""
    assert results["badValueKeepsDefault"] == 0
    assert results["spec"] == {
        "name": "points", "features": ["x1", "x1x2"], "test_fraction": 0.5,
        "points": [[0, 0, 0], [1, 1, 1]], "classes": 2,
    }  # fmt: skip
    assert results["added"] == [3, -1.23, 1]
    assert results["removed"] == [[0, 0, 0]]
    assert results["fitted"] == [
        {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 4},
        {"type": "fc", "num_neurons": 3},
        {"type": "softmax", "num_classes": 3},
    ]
    assert results["pairs"] == [[0, 2], [1, 2], [0, 1]]


def test_test_figures_are_charted_and_told_with_the_step_they_were_measured_at(
    page: Page, live_server: str
) -> None:
    """A progress report's test figures can be older than its step: the chart puts them at their own
    step, joining a training point there, and the words say which step and how many examples."""
    page.goto(live_server + "/static/css/netplay.css")
    results = page.evaluate(
        """async () => {
      const { LineChart } = await import("/static/js/linechart.js");
      const figures = await import("/static/js/figures.js");
      const chart = new LineChart(document.createElement("canvas"), []);
      const progress = [
        { step: 100, loss: 0.9, test_loss: 1.0, test_step: 100 },
        { step: 200, loss: 0.8, test_loss: 1.0, test_step: 100 },
        { step: 300, loss: 0.7, test_loss: 0.6, test_step: 250 },
        { step: 400, loss: 0.6, test_loss: 0.5 },
      ];
      for (const point of progress) {
        chart.add(point.step, { loss: point.loss });
        chart.add(figures.testStep(point), { test_loss: point.test_loss });
      }
      return {
        points: chart.points,
        subset: figures.measuredOn(4200, 1000, 10000, "test images"),
        whole: figures.measuredOn(4200, 10000, 10000, "test images"),
        never: figures.measuredOn(null, 0, 10000, "test images"),
      };
    }"""
    )
    assert results["points"] == [
        {"x": 100, "values": {"loss": 0.9, "test_loss": 1.0}},
        {"x": 200, "values": {"loss": 0.8}},
        {"x": 250, "values": {"test_loss": 0.6}},
        {"x": 300, "values": {"loss": 0.7}},
        {"x": 400, "values": {"loss": 0.6, "test_loss": 0.5}},
    ]
    assert results["subset"] == "step 4,200, 1,000 of 10,000 test images"
    assert results["whole"] == "step 4,200"
    assert results["never"] == ""


RINGS_JOB = {
    "name": "made through the API",
    "dataset": {"name": "rings", "n_samples": 200},
    "layers": [
        {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
        {"type": "fc", "num_neurons": 5, "activation": "tanh"},
        {"type": "softmax", "num_classes": 2},
    ],
    "trainer": {"method": "adam", "learning_rate": 0.02},
}


@pytest.fixture
def api_job(page: Page, live_server: str, ready_digits: dict) -> Iterator[str]:
    """The id of a paused rings job made through the REST API, as a script or another person would;
    every job is deleted afterwards."""
    page.set_default_timeout(TIMEOUT)
    with httpx.Client(base_url=live_server, timeout=10, headers=AS_TEACHER) as client:
        created = client.post("/api/jobs", json=RINGS_JOB)
        assert created.status_code == 201, created.text
        job_id = created.json()["id"]
        assert client.post(f"/api/jobs/{job_id}/pause").status_code == 200
        API_JOB_TOKENS[job_id] = created.json()["owner_token"]
        yield job_id
        for item in client.get("/api/jobs", params={"limit": 100}).json()["items"]:
            if item["id"] != ready_digits["id"]:  # the session's, kept for the pages that ask for it
                assert client.delete(f"/api/jobs/{item['id']}").status_code in (204, 404)


API_JOB_TOKENS: dict[str, str] = {}
CONVNETJS_FIXTURES = (
    Path(__file__).resolve().parent.parent / "convnetjs" / "fixtures.json"
)  # owner token of each `api_job`


def job_ids(live_server: str) -> set[str]:
    return {item["id"] for item in _api(live_server, "GET", "/api/jobs?limit=100")["items"]}


def test_a_job_link_opens_that_job_with_its_setup(page: Page, live_server: str, api_job: str) -> None:
    before = job_ids(live_server)
    own(page, {"id": api_job, "owner_token": API_JOB_TOKENS[api_job]})  # made in another tab
    page.goto(f"{live_server}/#job={api_job}")
    expect(page.locator("#job-id")).to_have_text(api_job)
    expect(page.locator("#status")).to_have_text("paused")
    expect(page.locator("#job-linked")).to_be_visible()
    # every control shows the job's setup
    expect(page.get_by_label("hidden layer 1: neurons")).to_have_value("5")
    expect(page.locator("#layer-list li")).to_have_count(1)
    expect(page.locator("#layers")).to_have_value(re.compile(r'"num_neurons":5'))
    expect(page.locator("#method")).to_have_value("adam")
    expect(page.locator("#learning_rate")).to_have_value("0.02")
    expect(page.locator("#n_samples")).to_have_value("200")
    expect(page.get_by_role("radio", name="rings")).to_have_attribute("aria-checked", "true")
    page.wait_for_function(f"({BOUNDARY_SUM})() > 0")
    assert hash_state(page) == {"job": api_job}
    assert job_ids(live_server) == before  # the page made no job of its own
    expect(page.locator("#watching")).to_be_hidden()  # this browser holds its token: not just watched

    page.get_by_role("button", name="Play").click()
    expect(page.locator("#status")).to_have_text("running")
    eventually(lambda: _api(live_server, "GET", f"/api/jobs/{api_job}")["step"] > 100)
    page.wait_for_function(f"{STEP} > 100")
    assert hash_state(page) == {"job": api_job}  # a reload shows the job again

    page.goto(live_server + "/jobs")
    assert httpx.get(f"{live_server}/api/jobs/{api_job}").status_code == 200  # not the page's to delete


def test_new_data_on_a_linked_job_trains_a_job_of_the_page_own(
    page: Page, live_server: str, api_job: str
) -> None:
    own(page, {"id": api_job, "owner_token": API_JOB_TOKENS[api_job]})  # made in another tab
    page.goto(f"{live_server}/#job={api_job}")
    expect(page.locator("#status")).to_have_text("paused")
    page.get_by_role("radio", name="moons").click()
    page_job = wait_for_new_job(page, api_job)
    expect(page.locator("#job-linked")).to_be_hidden()
    page.wait_for_function("new URLSearchParams(location.hash.slice(1)).get('dataset') === 'moons'")
    assert "job" not in hash_state(page)
    spec = _api(live_server, "GET", f"/api/jobs/{page_job}")["spec"]
    assert spec["layers"][1]["num_neurons"] == 5 and spec["trainer"]["method"] == "adam"
    linked = _api(live_server, "GET", f"/api/jobs/{api_job}")
    assert linked["status"] == "paused"  # left as it was

    page.goto(live_server + "/jobs")
    assert httpx.get(f"{live_server}/api/jobs/{api_job}").status_code == 200
    eventually(lambda: httpx.get(f"{live_server}/api/jobs/{page_job}").status_code == 404)  # the page's own


def test_an_unknown_job_link_says_so_and_trains_a_new_job(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/#job=nope")
    expect(page.locator("#toast")).to_contain_text("job 'nope' not found")
    expect(page.locator("#status")).to_have_text("paused")
    assert "job" not in hash_state(page)
    page_job = job_id(page)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(f"{STEP} > 0")
    _api(live_server, "DELETE", f"/api/jobs/{page_job}")


def test_the_state_of_a_job_made_from_a_saved_model(page: Page, live_server: str) -> None:
    """A spec with `model` instead of `layers` shows the model's layers; unset keys show the defaults
    the job really uses (the data set's and the engine's)."""
    page.goto(live_server + "/static/css/netplay.css")
    shown = page.evaluate(
        """async () => {
      const { stateFromJob } = await import("/static/js/state.js");
      const layers = [{ type: "input", out_sx: 1, out_sy: 1, out_depth: 2 },
                      { type: "fc", num_neurons: 7, activation: "relu" },
                      { type: "softmax", num_classes: 3 }];
      const detail = {
        spec: { dataset: { name: "spiral", classes: 3 }, layers: null, seed: 4,
                model: { format: "netplay.net", layers, params: [] } },
        trainer: { method: "sgd", learning_rate: 0.05, momentum: null },
      };
      const params = [{ name: "n_samples", default: 500 }, { name: "features", default: ["x1", "x2"] }];
      return stateFromJob(detail, params);
    }"""
    )
    assert shown["layers"][1] == {"type": "fc", "num_neurons": 7, "activation": "relu"}
    assert (shown["dataset"], shown["classes"], shown["n_samples"], shown["seed"]) == ("spiral", 3, 500, 4)
    trainer = (shown["method"], shown["learning_rate"], shown["momentum"], shown["batch_size"])
    assert trainer == ("sgd", 0.05, 0.9, 1)


class SocketCutter:
    """Carries the page's job streams through Playwright, so a test can cut them as a sleeping laptop
    or a dropped network would: while cut, the server has no viewer and the page's reconnections wait
    (they go through only when the test calls Playwright again after `restore`)."""

    def __init__(self, page: Page) -> None:
        self.cut_off = False
        self.open: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        page.route_web_socket(re.compile(r"/api/jobs/[^/]+/stream"), self._route)

    def _route(self, socket: WebSocketRoute) -> None:
        if self.cut_off:
            socket.close(code=4000, reason="cut by the test")
        else:
            self.open.append((socket, socket.connect_to_server()))

    def cut(self) -> None:
        self.cut_off = True
        for page_side, server_side in self.open:
            page_side.close(code=4000, reason="cut by the test")
            server_side.close()
        self.open.clear()

    def restore(self) -> None:
        self.cut_off = False


def test_a_job_paused_while_nobody_watched_plays_again_when_the_page_is_back(
    page: Page, live_server: str
) -> None:
    cutter = SocketCutter(page)
    open_playground(page, live_server)
    spec = job(page, live_server)["spec"]
    assert spec["pause_when_unwatched"] == float(page.evaluate("document.body.dataset.pauseWhenUnwatched"))
    assert "pause_when_unwatched" not in hash_state(page)  # a server setting, not part of the setup
    page.get_by_role("button", name="Play").click()
    expect(page.locator("#status")).to_have_text("running")

    cutter.cut()
    expect(page.locator("#connection")).to_contain_text("connection lost")
    paused = eventually(lambda: (found := job(page, live_server))["status"] == "paused" and found)
    assert paused["pause_reason"] == "unwatched"
    assert paused["message"].startswith("paused: nobody watching for")

    cutter.restore()
    page.wait_for_function(f"{STEP} > {paused['step']}")  # it trains again, and the page shows it
    expect(page.locator("#status")).to_have_text("running")
    expect(page.locator("#play")).to_have_text("Pause")
    assert job(page, live_server)["status"] == "running"


def test_a_tab_shown_again_resumes_its_job_even_before_its_stream_is_back(
    page: Page, live_server: str
) -> None:
    """A sleeping tab's socket may not have noticed anything: becoming visible, the page asks the
    server where its job stands and resumes it."""
    cutter = SocketCutter(page)
    open_playground(page, live_server)
    page.get_by_role("button", name="Play").click()
    expect(page.locator("#status")).to_have_text("running")
    cutter.cut()
    expect(page.locator("#connection")).to_contain_text("connection lost")
    eventually(lambda: job(page, live_server)["pause_reason"] == "unwatched")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # the tab is shown again
    eventually(lambda: job(page, live_server)["status"] == "running")  # its socket is still cut


def test_the_status_line_shows_why_a_job_paused_itself(page: Page, live_server: str) -> None:
    """A job that paused because nobody watched says so; a tab that never played it does not resume it."""
    created = httpx.post(f"{live_server}/api/jobs", json={**RINGS_JOB, "pause_when_unwatched": 0.5})
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    own(page, created.json())  # made in another tab of this browser
    eventually(lambda: httpx.get(f"{live_server}/api/jobs/{job_id}").json()["pause_reason"] == "unwatched")
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/#job={job_id}")
    expect(page.locator("#status")).to_have_text("paused: nobody watching for 0.5 s")
    expect(page.locator("#play")).to_have_text("Play")
    page.get_by_role("button", name="Play").click()
    expect(page.locator("#status")).to_have_text("running")  # the message went with the pause


def frame_header(payload: bytes | str) -> dict | None:
    """The header of a binary visual frame (app.frames: magic, header length, JSON), else None."""
    if isinstance(payload, str) or payload[:4] != b"NPF1":
        return None
    length = int.from_bytes(payload[4:8], "little")
    return json.loads(payload[8 : 8 + length])


def frame_kind(payload: bytes | str) -> str | None:
    header = frame_header(payload)
    return header and header["type"]


def is_frame(kind: str) -> Callable[[bytes | str], bool]:
    return lambda payload: frame_kind(payload) == kind


def watching(hidden: bool) -> Callable[[str | bytes], bool]:
    """Whether a sent message is the page's watch message with (or without) the hidden kind."""

    def check(payload: str | bytes) -> bool:
        message = json.loads(payload) if isinstance(payload, str) else {}
        return message.get("type") == "watch" and ("hidden" in message["kinds"]) == hidden

    return check


# A net the page cannot evaluate itself (batchnorm keeps running statistics the weights frame does not
# carry): the server draws its boundary, neurons and hidden space.
SERVER_DRAWN_NET = [
    {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
    {"type": "fc", "num_neurons": 4},
    {"type": "batchnorm"},
    {"type": "tanh"},
    {"type": "softmax", "num_classes": 2},
]
SERVER_DRAWN = "#dataset=circle&layers=" + urllib.parse.quote(json.dumps(SERVER_DRAWN_NET))


def test_the_hidden_space_is_streamed_only_while_its_view_is_open(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    with page.expect_websocket() as opened:
        page.goto(f"{live_server}/{SERVER_DRAWN}")
    expect(page.locator("#status")).to_have_text("paused")
    socket = opened.value
    kinds: list[str | None] = []
    socket.on("framereceived", lambda payload: kinds.append(frame_kind(payload)))
    hidden = page.locator("#hidden-details")
    page.get_by_role("button", name="Play").click()
    expect(page.locator("#status")).to_have_text("running")
    hidden.scroll_into_view_if_needed()  # on screen (clicking Play may have scrolled it away)
    socket.wait_for_event("framereceived", predicate=is_frame("hidden"))

    with socket.expect_event("framesent", predicate=watching(hidden=False)):
        hidden.locator("summary").click()
    expect(page.locator("#hidden-space")).to_be_hidden()
    closed_at = len(kinds)
    for _ in range(30):  # ~1 s of boundary frames, ten hidden-frame intervals of a running job
        socket.wait_for_event("framereceived", predicate=is_frame("boundary"))
    after_close = kinds[closed_at:]
    # a hidden frame queued before the server heard of the change may still come, then none
    settled = [i for i, kind in enumerate(after_close) if kind == "boundary"][5]
    assert "hidden" not in after_close[settled:], after_close

    with socket.expect_event("framesent", predicate=watching(hidden=True)):
        hidden.locator("summary").click()
    socket.wait_for_event("framereceived", predicate=is_frame("hidden"))
    expect(page.locator("#hidden-caption")).to_contain_text("neuron 0 (x) against neuron 1 (y)")


def test_the_hidden_space_of_a_paused_job_is_drawn_again_when_reopened(page: Page, live_server: str) -> None:
    """A paused job computes no frames of its own: reopening the view after a step asks it to draw."""
    page.set_default_timeout(TIMEOUT)
    with page.expect_websocket() as opened:
        page.goto(f"{live_server}/{SERVER_DRAWN}")
    expect(page.locator("#status")).to_have_text("paused")
    socket = opened.value
    hidden = page.locator("#hidden-details")
    hidden.scroll_into_view_if_needed()
    with socket.expect_event("framesent", predicate=watching(hidden=False)):
        hidden.locator("summary").click()
    page.get_by_role("button", name="Step").click()
    page.wait_for_function(f"{STEP} === 1")
    with socket.expect_event("framereceived", predicate=is_frame("hidden")) as drawn:
        hidden.locator("summary").click()
    assert frame_header(drawn.value)["step"] == 1


def test_the_page_draws_the_hidden_space_of_a_net_it_evaluates_and_follows_the_chosen_neurons(
    page: Page, live_server: str
) -> None:
    with page.expect_websocket() as opened:
        open_playground(page, live_server)  # the start on quadrants: two hidden layers of 8 tanh
    socket = opened.value
    kinds: list[str | None] = []
    socket.on("framereceived", lambda payload: kinds.append(frame_kind(payload)))
    hidden = page.locator("#hidden-details")
    hidden.scroll_into_view_if_needed()
    expect(page.locator("#hidden-caption")).to_contain_text("neuron 0 (x) against neuron 1 (y)")
    page.locator("#hidden-cycle").click()  # the next pair, for every viewer (a view message comes back)
    expect(page.locator("#hidden-caption")).to_contain_text("neuron 0 (x) against neuron 2 (y)")
    assert "hidden" not in kinds  # drawn from the weights in the page


def test_play_pressed_before_the_first_job_exists_plays_it_once_it_does(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    held: list[object] = []
    page.route("**/api/jobs?paused=true", lambda route: held.append(route))  # the page's first job, held
    page.goto(live_server + "/")
    page.wait_for_function("() => document.getElementById('play') !== null")
    eventually(lambda: held or page.evaluate("0"))  # the page has asked for its job
    page.get_by_role("button", name="Play").click()
    held[0].continue_()
    expect(page.locator("#status")).to_have_text("running")
    page.wait_for_function(f"{STEP} > 0")


def test_the_features_and_methods_offered_are_the_engine_s(playground: Page, live_server: str) -> None:
    page = playground
    catalogue = _api(live_server, "GET", "/api/catalogue")
    boxes = page.locator("#features input")
    assert boxes.evaluate_all("boxes => boxes.map((box) => box.value)") == [
        f["id"] for f in catalogue["features"]
    ]
    expect(page.locator("#features")).to_contain_text("x₁²")  # the engine's label
    methods = page.locator("#method option").evaluate_all("options => options.map((o) => o.value)")
    assert methods == [entry["method"] for entry in catalogue["trainers"]]

    first = job_id(page)
    page.locator("#features input[value='x1sq']").check()
    wait_for_new_job(page, first)
    assert job(page, live_server)["spec"]["dataset"]["features"] == ["x1", "x2", "x1sq"]
    assert json.loads(hash_state(page)["features"]) == ["x1", "x2", "x1sq"]  # the link keeps them

    page.locator("#method").select_option("adam")
    page.on("dialog", lambda dialog: dialog.accept())  # a trained job asks before it restarts
    expect(page.locator("#momentum")).to_be_disabled()  # adam takes no momentum (the catalogue says)
    page.locator("#method").select_option("nesterov")
    expect(page.locator("#momentum")).to_be_enabled()

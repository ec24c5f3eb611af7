"""The playground's presets (GET /api/presets): each seed problem starts from its lecture's neural net,
which passes 95% test accuracy; each lecture's linear classifier, picked from the preset picker, trains
and stays below 80%; the picker lists the 2D presets and names the one the setup is; a setup the
person chose (in the page or in the link) is kept when a data set is picked.

Accuracies are the job's own reports, read over the API while the page trains it."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import eventually

TIMEOUT = 15_000
SEED_PROBLEMS = ("quadrants", "rings", "three_mode")
# Seconds a default may take to pass 95% once Play is pressed: generous for a busy machine (on the
# 2-core development machine it took well under a second of training; queueing and startup come on top).
ACCURACY_SECONDS = 120.0
LINEAR_STEPS = 3000  # a linear preset is judged on every test figure of its job up to this step
CLASSIFY2D_NET = [
    {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
    {"type": "fc", "num_neurons": 6, "activation": "tanh"},
    {"type": "fc", "num_neurons": 2, "activation": "tanh"},
    {"type": "softmax", "num_classes": 2},
]


@pytest.fixture
def presets(live_server: str) -> dict[str, dict]:
    """Every preset of the server, by id."""
    return {preset["id"]: preset for preset in httpx.get(f"{live_server}/api/presets").json()}


@pytest.fixture
def playground(page: Page, live_server: str) -> Iterator[Page]:
    """The playground on its default data set, its first job paused at step 0."""
    page.set_default_timeout(TIMEOUT)
    page.goto(live_server + "/")
    expect(page.locator("#status")).to_have_text("paused")
    yield page


def lecture_id(dataset: str, kind: str) -> str:
    return f"lecture-{dataset.replace('_', '-')}-{kind}"


def job_id(page: Page) -> str:
    return page.locator("#job-id").get_attribute("data-job-id")


def new_job(page: Page, previous: str) -> str:
    """The id of the job the page made after `previous`."""
    page.wait_for_function(
        "previous => document.getElementById('job-id').dataset.jobId !== previous", arg=previous
    )
    return job_id(page)


def get_job(live_server: str, job: str) -> dict:
    return httpx.get(f"{live_server}/api/jobs/{job}").json()


@pytest.mark.parametrize("dataset", SEED_PROBLEMS)
def test_each_seed_problem_starts_from_its_lecture_net_which_passes_95_percent(
    playground: Page, live_server: str, presets: dict[str, dict], dataset: str
) -> None:
    page = playground
    net = presets[lecture_id(dataset, "net")]
    if dataset != "quadrants":  # the page's default data set; the others are picked
        first = job_id(page)
        page.get_by_role("radio", name=dataset.replace("_", " ")).click()
        new_job(page, first)
    job = get_job(live_server, job_id(page))
    assert job["spec"]["layers"] == net["spec"]["layers"]
    assert {key: job["spec"]["dataset"][key] for key in net["spec"]["dataset"]} == net["spec"]["dataset"]
    assert {key: job["trainer"][key] for key in net["spec"]["trainer"]} == net["spec"]["trainer"]
    expect(page.get_by_label("Preset")).to_have_value(net["id"])
    expect(page.locator("#preset-description")).to_have_text(net["description"])

    page.get_by_role("button", name="Play").click()

    def test_accuracy() -> float:
        return get_job(live_server, job["id"])["metrics"]["test_accuracy"] or 0.0

    eventually(lambda: test_accuracy() >= 0.95, timeout=ACCURACY_SECONDS)


@pytest.mark.parametrize("dataset", SEED_PROBLEMS)
def test_each_linear_preset_starts_training_and_stays_below_80_percent(
    playground: Page, live_server: str, presets: dict[str, dict], dataset: str
) -> None:
    page = playground
    linear = presets[lecture_id(dataset, "linear")]
    first = job_id(page)

    page.get_by_label("Preset").select_option(linear["id"])
    job = new_job(page, first)

    expect(page.locator("#preset-description")).to_have_text(linear["description"])
    expect(page.get_by_role("radio", name=dataset.replace("_", " "))).to_have_attribute(
        "aria-checked", "true"
    )
    expect(page.locator("#layer-list li")).to_have_count(0)  # no hidden layer
    assert get_job(live_server, job)["spec"]["layers"] == linear["spec"]["layers"]

    def measured_past_the_steps() -> bool:
        return (get_job(live_server, job)["metrics"]["test_step"] or 0) >= LINEAR_STEPS

    eventually(measured_past_the_steps, timeout=ACCURACY_SECONDS)  # it plays: nobody pressed Play
    history = httpx.get(f"{live_server}/api/jobs/{job}/metrics").json()["points"]
    accuracies = [point["test_accuracy"] for point in history if point["test_accuracy"] is not None]
    assert accuracies and max(accuracies) < 0.8, accuracies


def test_the_picker_lists_the_2d_presets_and_names_the_one_the_setup_is(
    playground: Page, live_server: str, presets: dict[str, dict]
) -> None:
    page = playground
    kinds = {entry["name"]: entry["kind"] for entry in httpx.get(f"{live_server}/api/datasets").json()}
    plane = ("classify2d", "regress2d", "regress1d")  # the playground draws these kinds
    drawn = [key for key, preset in presets.items() if kinds[preset["spec"]["dataset"]["name"]] in plane]
    options = page.locator("#preset option").evaluate_all("options => options.map((option) => option.value)")
    assert options == ["", *drawn]
    assert {"mnist", "painting", "autoencoder"}.isdisjoint(options)

    first = job_id(page)
    page.get_by_label("Preset").select_option("classify2d-rings")
    job = get_job(live_server, new_job(page, first))
    assert job["spec"]["layers"] == presets["classify2d-rings"]["spec"]["layers"]
    assert job["trainer"]["method"] == "sgd" and job["trainer"]["learning_rate"] == 0.01
    expect(page.locator("#learning_rate")).to_have_value("0.01")

    page.get_by_label("Learning rate ").fill("0.05")
    page.get_by_label("Learning rate ").blur()
    expect(page.get_by_label("Preset")).to_have_value("")  # no preset has this setup
    expect(page.locator("#preset-description")).to_be_hidden()


def test_a_chosen_setup_stays_when_a_data_set_is_picked_and_when_a_link_names_it(
    playground: Page, live_server: str, presets: dict[str, dict]
) -> None:
    page = playground
    page.get_by_label("Learning rate ").fill("0.05")
    page.get_by_label("Learning rate ").blur()
    page.wait_for_function("location.hash.includes('learning_rate=0.05')")
    first = job_id(page)

    page.get_by_role("radio", name="rings").click()
    rings = get_job(live_server, new_job(page, first))

    quadrants_net = presets[lecture_id("quadrants", "net")]["spec"]
    assert rings["spec"]["layers"] == quadrants_net["layers"]  # the net the person trained, not rings'
    assert rings["trainer"]["learning_rate"] == 0.05

    link = {"dataset": "rings", "layers": json.dumps(CLASSIFY2D_NET)}
    opened = page.context.new_page()
    opened.goto(f"{live_server}/#{urllib.parse.urlencode(link)}")
    expect(opened.locator("#status")).to_have_text("paused")
    linked = get_job(live_server, job_id(opened))
    rings_net = presets[lecture_id("rings", "net")]["spec"]
    assert linked["spec"]["layers"] == CLASSIFY2D_NET  # the link's net...
    assert linked["trainer"]["method"] == rings_net["trainer"]["method"]  # ...with rings' other settings
    assert linked["spec"]["dataset"]["n_samples"] == rings_net["dataset"]["n_samples"]


def test_starting_states_round_trip_through_the_link(page: Page, live_server: str) -> None:
    """state.js's pure helpers with the server's presets: a data set's start is a link of its name only,
    and an untouched start follows the data set picked while a changed one stays."""
    page.goto(live_server + "/static/css/netplay.css")
    results = page.evaluate(
        """async () => {
      const state = await import("/static/js/state.js");
      const [presets, catalogue] = await Promise.all(
        ["/api/presets", "/api/datasets"].map((path) => fetch(path).then((answer) => answer.json())));
      const starts = state.startingStates(presets, catalogue);
      const rings = state.startState("rings", starts);
      const changed = { ...state.startState("quadrants", starts), learning_rate: 0.5 };
      return {
        starts: Object.keys(starts).sort(),
        ringsHash: state.hashFromState(rings, starts),
        back: JSON.stringify(state.stateFromHash("#dataset=rings", starts)) === JSON.stringify(rings),
        defaultHash: state.hashFromState(state.startState("quadrants", starts), starts),
        follows: state.pickDataset(state.startState("quadrants", starts), "rings", starts),
        spiral: state.pickDataset(rings, "spiral", starts).method,
        stays: state.pickDataset(changed, "rings", starts),
        ringsLayers: rings.layers,
      };
    }"""
    )
    assert results["starts"] == ["quadrants", "regress_gauss", "rings", "sine", "three_mode"]
    assert results["ringsHash"] == "dataset=rings"
    assert results["back"]
    assert results["defaultHash"] == ""
    assert results["follows"]["dataset"] == "rings" and results["follows"]["layers"] == results["ringsLayers"]
    assert results["follows"]["n_samples"] == 1000 and results["follows"]["method"] == "adam"
    assert results["spiral"] == "sgd"  # a data set without a start: the page's defaults
    assert results["stays"] == {"dataset": "rings"}

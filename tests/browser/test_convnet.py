"""The ConvNet page against a live server: train a small net on xo, watch its layers, predictions and
loss, pause it, get the server's message for a bad net, classify a drawing, upload a data set; stop
the job it started when it starts another, and resume its job after a pause nobody chose."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import numpy as np
from playwright.sync_api import Page, expect

from tests.browser.conftest import AS_TEACHER, eventually, own

# A net small enough to learn X versus O in a few seconds.
SMALL_NET = [
    {"type": "input", "out_sx": 9, "out_sy": 9, "out_depth": 1},
    {"type": "conv", "sx": 3, "filters": 4, "stride": 1, "pad": 1, "activation": "relu"},
    {"type": "pool", "sx": 3, "stride": 3},
    {"type": "softmax", "num_classes": 2},
]

# True once the first channel canvas of layer 1 (conv) holds drawn, not uniform, pixels.
ACTIVATIONS_DRAWN = """() => {
  const canvas = document.querySelector('[data-layer="1"] .layer-maps canvas');
  if (!canvas) return false;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let lo = 255, hi = 0, opaque = true;
  for (let i = 0; i < data.length; i += 4) {
    lo = Math.min(lo, data[i]);
    hi = Math.max(hi, data[i]);
    opaque = opaque && data[i + 3] === 255;
  }
  return opaque && hi > lo;
}"""


# True once layer 1's (conv) filter gradients are drawn in both signs: red (positive) and blue
# (negative) pixels.
FILTER_GRADIENTS_DRAWN = """() => {
  const canvas = document.querySelector('[data-layer="1"] .filter-grads canvas');
  if (!canvas) return false;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let red = false, blue = false;
  for (let i = 0; i < data.length; i += 4) {
    red = red || data[i] > data[i + 2];
    blue = blue || data[i + 2] > data[i];
  }
  return red && blue;
}"""


def draw_a_stroke(page: Page) -> None:
    """Two crossing strokes on the drawing pad."""
    page.locator("#pad").scroll_into_view_if_needed()  # clicking Start may have scrolled it away
    box = page.locator("#pad").bounding_box()
    for (x0, y0), (x1, y1) in (((0.2, 0.2), (0.8, 0.8)), ((0.8, 0.2), (0.2, 0.8))):
        page.mouse.move(box["x"] + x0 * box["width"], box["y"] + y0 * box["height"])
        page.mouse.down()
        page.mouse.move(box["x"] + x1 * box["width"], box["y"] + y1 * box["height"], steps=6)
        page.mouse.up()


def start_xo(page: Page, live_server: str, layers: list[dict]) -> None:
    page.goto(f"{live_server}/convnet#dataset=xo")
    expect(page.locator("#dataset-info")).to_contain_text("9×9×1")
    page.fill("#layers", json.dumps(layers))
    page.click("#start")


def job_id(page: Page) -> str:
    page.wait_for_function("location.hash.startsWith('#job=')")
    return page.evaluate("location.hash.slice(5)")


def test_convnet_trains_xo_shows_layers_predictions_loss_and_pauses(page: Page, live_server: str) -> None:
    start_xo(page, live_server, SMALL_NET)
    job = job_id(page)
    expect(page.locator(".layer-box")).to_have_count(6)  # input conv relu pool fc softmax
    page.wait_for_function(ACTIVATIONS_DRAWN)
    expect(page.locator("[data-layer='1'] .layer-maps canvas")).to_have_count(4)
    expect(page.locator("[data-layer='1'] .layer-filters canvas")).to_have_count(1)
    # beside them, as ConvNetJS's MNIST page: activation gradients per channel, filter gradients
    expect(page.locator("[data-layer='1'] .layer-grads canvas")).to_have_count(4)
    expect(page.locator("[data-layer='5'] .layer-grads canvas")).to_have_count(1)  # softmax: one strip
    page.wait_for_function(FILTER_GRADIENTS_DRAWN)
    expect(page.locator("[data-layer='1'] .grad-range")).to_have_text(re.compile(r"^gradients ±\d"))
    expect(page.locator("[data-layer='1'] .filter-grads")).to_contain_text("filter gradients ±")

    cards = page.locator(".prediction-card")
    expect(cards).to_have_count(8)
    expect(cards.first.locator(".prob-bars li")).to_have_count(2)  # top 3 of xo's two classes
    expect(page.locator("table.confusion tbody tr")).to_have_count(2)

    # held-out figures say the step they were measured at
    expect(page.locator("[data-note='test_accuracy']")).to_have_text(re.compile(r"^\(step [\d,]+\)$"))
    page.locator("#loss-chart").hover()
    page.wait_for_function("(document.querySelector('#loss-chart').dataset.readout || '').includes('loss')")

    page.click("#sample-next")  # set_view over the socket: the next frame shows test image 1
    expect(page.locator("#sample-label")).to_contain_text("image 1:")
    page.fill("#learning_rate", "0.05")
    page.keyboard.press("Tab")  # set_trainer over the socket; the job answers with its trainer
    expect(page.locator("#trainer-now")).to_contain_text("learning_rate 0.05")

    page.click("#toggle")
    expect(page.locator("#toggle")).to_have_text("Resume")
    expect(page.locator("#job-status")).to_contain_text("paused")
    state = httpx.get(f"{live_server}/api/jobs/{job}").json()
    assert (state["status"], state["trainer"]["learning_rate"]) == ("paused", 0.05)


def test_convnet_shows_the_servers_message_for_a_bad_net(page: Page, live_server: str) -> None:
    bad = [*SMALL_NET[:1], {"type": "conv", "sx": 3, "filters": 0}, *SMALL_NET[2:]]
    start_xo(page, live_server, bad)
    expect(page.locator("#layers-error")).to_contain_text("layer 1 (conv): filters must be >= 1, got 0")
    assert page.evaluate("location.hash") == "#dataset=xo"


def test_convnet_drawing_pad_predicts_class_probabilities(page: Page, live_server: str) -> None:
    start_xo(page, live_server, SMALL_NET)
    job = job_id(page)
    expect(page.locator(".prediction-card").first).to_be_visible()
    with page.expect_request(f"**/api/jobs/{job}/predict"):  # the page's own job, not the ready net
        draw_a_stroke(page)
    bars = page.locator("#pad-result .prob-bars li")
    expect(bars).to_have_count(2)
    expect(bars.first).to_contain_text("x")
    expect(bars.first).to_contain_text("%")
    expect(page.locator("#ready-note")).to_be_hidden()
    httpx.post(f"{live_server}/api/jobs/{job}/stop", headers=AS_TEACHER).raise_for_status()


def test_a_fresh_convnet_page_answers_a_drawing_with_the_ready_digit_net(
    page: Page, live_server: str, ready_digits: dict
) -> None:
    metrics = httpx.get(f"{live_server}/api/jobs/{ready_digits['id']}").json()["metrics"]
    page.goto(f"{live_server}/convnet")
    note = page.locator("#ready-note")
    accuracy = f"{100 * metrics['test_accuracy']:.1f}% test accuracy (step {metrics['test_step']:,})"
    expect(note).to_contain_text(f"ready digit net (MNIST), {accuracy}")
    with page.expect_request(f"**/api/jobs/{ready_digits['id']}/predict"):  # nobody pressed Start
        draw_a_stroke(page)
    expect(page.locator("#pad-result .prob-bars li")).to_have_count(10)  # a bar per digit
    expect(page.locator("#pad-result .prob-bars li.hit")).to_have_text(re.compile(r"^\d[\d.]+%$"))
    assert [job["id"] for job in httpx.get(f"{live_server}/api/jobs").json()["items"]] == [ready_digits["id"]]


def test_convnet_uploads_an_npz_set_and_fits_the_default_net_to_it(
    page: Page, live_server: str, tmp_path: Path
) -> None:
    rng = np.random.default_rng(0)
    upload = tmp_path / "tiny.npz"
    np.savez(upload, X=rng.random((60, 12, 12)).astype(np.float32), y=np.arange(60) % 3)
    page.goto(f"{live_server}/convnet#dataset=xo")
    expect(page.locator("#dataset-info")).to_contain_text("9×9×1")
    page.set_input_files("#upload", str(upload))
    expect(page.locator("#dataset option:checked")).to_have_text("upload: tiny.npz")
    expect(page.locator("#dataset-info")).to_contain_text("3 classes (0, 1, 2); input 12×12×1")
    layers = json.loads(page.locator("#layers").input_value())
    assert layers[0] == {"type": "input", "out_sx": 12, "out_sy": 12, "out_depth": 1}
    assert layers[-1] == {"type": "softmax", "num_classes": 3}


def test_convnet_lists_uploads_uses_any_and_deletes_only_its_own(
    page: Page, live_server: str, tmp_path: Path
) -> None:
    rng = np.random.default_rng(1)
    mine, theirs = tmp_path / "mine.npz", tmp_path / "theirs.npz"
    for path in (mine, theirs):
        np.savez(path, X=rng.random((40, 10, 10)).astype(np.float32), y=np.arange(40) % 2)
    uploaded = httpx.post(f"{live_server}/api/datasets", files={"file": ("theirs.npz", theirs.read_bytes())})
    assert uploaded.status_code == 201, uploaded.text
    their_file = uploaded.json()["file"]
    page.goto(f"{live_server}/convnet#dataset=xo")
    page.set_input_files("#upload", str(mine))
    expect(page.locator("#dataset option:checked")).to_have_text("upload: mine.npz")
    page.click("#uploads-summary")
    my_row = page.locator("#uploads-list li", has_text="-mine.npz")
    their_row = page.locator(f"#uploads-list li[data-file='{their_file}']")
    expect(my_row).to_contain_text("yours")
    expect(their_row.get_by_role("button", name=f"Delete {their_file}")).to_be_disabled()
    expect(page.locator("#uploads-summary")).to_contain_text(" of ")

    their_row.get_by_role("button", name=f"Use {their_file}").click()
    expect(page.locator("#dataset option:checked")).to_have_text(f"upload: {their_file}")
    my_file = my_row.get_attribute("data-file")
    page.once("dialog", lambda dialog: dialog.accept())
    my_row.get_by_role("button", name=f"Delete {my_file}").click()
    expect(my_row).to_have_count(0)
    listed = {item["file"] for item in httpx.get(f"{live_server}/api/datasets/uploads").json()["items"]}
    assert their_file in listed and my_file not in listed
    httpx.delete(f"{live_server}/api/datasets/uploads/{their_file}", headers=AS_TEACHER).raise_for_status()


def test_convnet_loads_a_convnetjs_net_and_saves_it_in_both_formats(
    page: Page, live_server: str, tmp_path: Path
) -> None:
    fixtures = Path(__file__).resolve().parent.parent / "convnetjs" / "fixtures.json"
    saved = json.loads(fixtures.read_text())["xo"]["net"]  # made by ConvNetJS for 9x9 two-class images
    file = tmp_path / "xo-from-convnetjs.json"
    file.write_text(json.dumps(saved))
    page.goto(f"{live_server}/convnet#dataset=xo")
    expect(page.locator("#dataset-info")).to_contain_text("9×9×1")

    page.get_by_label("Load model").set_input_files(file)

    expect(page.locator("#job-status")).to_contain_text("running")
    job = job_id(page)
    assert (
        httpx.get(f"{live_server}/api/jobs/{job}").json()["spec"]["model"]["imported"]["from"] == "convnetjs"
    )
    expect(page.locator("#layers")).to_have_value(re.compile(r'"type":"conv","sx":3,"sy":3,"stride":2'))
    with page.expect_download() as download:
        page.get_by_role("button", name="Save for ConvNetJS").click()
    exported = json.loads(download.value.path().read_text())
    assert [layer["layer_type"] for layer in exported["layers"]] == [
        layer["layer_type"] for layer in saved["layers"]
    ]
    with page.expect_download() as download:
        page.get_by_role("button", name="Save model").click()
    assert json.loads(download.value.path().read_text())["format"] == "netplay.net"
    httpx.post(f"{live_server}/api/jobs/{job}/stop", headers=AS_TEACHER).raise_for_status()


def status_of(live_server: str, job: str) -> dict:
    return httpx.get(f"{live_server}/api/jobs/{job}").json()


def test_convnet_stops_the_job_it_started_when_it_starts_another(page: Page, live_server: str) -> None:
    start_xo(page, live_server, SMALL_NET)
    first = job_id(page)
    expect(page.locator("#job-status")).to_contain_text("running")
    page.click("#start")
    page.wait_for_function("first => location.hash !== `#job=${first}`", arg=first)
    second = job_id(page)
    expect(page.locator("#job-status")).to_contain_text("running")
    assert status_of(live_server, first)["status"] == "stopped"
    assert status_of(live_server, second)["status"] == "running"

    page.reload()  # the tab still knows the job it started
    expect(page.locator("#job-status")).to_contain_text("running")
    page.click("#start")
    page.wait_for_function("second => location.hash !== `#job=${second}`", arg=second)
    assert status_of(live_server, second)["status"] == "stopped"


def test_convnet_resumes_its_job_after_an_unwatched_pause_when_reopened(page: Page, live_server: str) -> None:
    start_xo(page, live_server, SMALL_NET)
    job = job_id(page)
    expect(page.locator("#job-status")).to_contain_text("running")
    link = page.url
    page.goto(f"{live_server}/static/css/netplay.css")  # nobody watches the job any more
    paused = eventually(lambda: (found := status_of(live_server, job))["status"] == "paused" and found)
    assert paused["pause_reason"] == "unwatched"

    page.goto(link)  # the same tab comes back: the person had it playing
    expect(page.locator("#job-status")).to_contain_text("running")
    eventually(lambda: status_of(live_server, job)["step"] > paused["step"])
    assert status_of(live_server, job)["status"] == "running"


def test_convnet_says_why_a_job_opened_by_its_link_paused(page: Page, live_server: str) -> None:
    spec = {"dataset": {"name": "xo"}, "layers": SMALL_NET, "pause_when_unwatched": 0.5}
    created = httpx.post(f"{live_server}/api/jobs", json=spec)
    assert created.status_code == 201, created.text
    job = created.json()["id"]
    own(page, created.json())  # made by another tab of this browser
    eventually(lambda: status_of(live_server, job)["pause_reason"] == "unwatched")
    page.goto(f"{live_server}/convnet#job={job}")
    expect(page.locator("#job-status")).to_contain_text("paused")
    expect(page.locator("#job-message")).to_have_text("paused: nobody watching for 0.5 s")
    expect(page.locator("#toggle")).to_have_text("Resume")  # this tab never played it: it stays paused
    page.click("#toggle")
    expect(page.locator("#job-status")).to_contain_text("running")
    expect(page.locator("#job-message")).to_be_hidden()


# The page's main buttons: training, the model's save and load, and the pad's.
MAIN_BUTTONS = (
    "#start",
    "#toggle",
    "#save-model",
    "#save-convnetjs",
    "label[for='load-model']",
    "#pad-predict",
)


def test_the_page_answers_while_the_data_set_preview_is_still_loading(
    page: Page, live_server: str, ready_digits: dict
) -> None:
    held: list = []  # the MNIST preview requests, never answered while the test looks
    page.route("**/api/datasets/mnist/preview*", lambda route: held.append(route))
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{live_server}/convnet")
    expect(page.locator("#progress")).to_have_text("Loading the mnist data set…")
    assert held  # the preview was asked for, and has not come
    layers = json.loads(page.locator("#layers").input_value())  # the preset's net, at once
    assert [layer["type"] for layer in layers] == ["input", "conv", "pool", "conv", "pool", "softmax"]
    with page.expect_request(f"**/api/jobs/{ready_digits['id']}/predict"):
        draw_a_stroke(page)  # the pad answers with the ready net, preview or not
    expect(page.locator("#pad-result .prob-bars li")).to_have_count(10)
    page.locator("#start").scroll_into_view_if_needed()
    assert page.evaluate("scrollY") == 0  # the pad and the buttons are on the first screen
    for selector in MAIN_BUTTONS:
        box = page.locator(selector).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 720, selector
    page.unroute_all(behavior="ignoreErrors")


def test_on_a_phone_the_run_buttons_come_first_and_nothing_overflows(page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/convnet")
    expect(page.locator("#dataset-info")).to_contain_text("10 classes")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for selector in MAIN_BUTTONS[:5]:  # Start, Pause and the model's buttons: before any panel
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844, selector
    pad = page.locator("#pad-predict")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390


def test_a_first_visit_to_a_fresh_server_answers_at_once_and_says_what_is_loading(
    page: Page, fresh_server: str
) -> None:
    page.goto(f"{fresh_server}/convnet")
    progress = page.locator("#progress")
    expect(progress).to_contain_text("ready digit net")  # asked for, queued or training: never silent
    layers = json.loads(page.locator("#layers").input_value())
    assert layers[-1] == {"type": "softmax", "num_classes": 10}
    ready = eventually(lambda: httpx.get(f"{fresh_server}/api/ready/digits").json())
    with page.expect_request(f"**/api/jobs/{ready['id']}/predict"):
        draw_a_stroke(page)  # whether it has trained a step or not: its current weights answer
    expect(page.locator("#pad-result .prob-bars li")).to_have_count(10)
    live = (
        r"The pad's ready digit net is (queued|training|resuming)\b.*: [\d.]+% test accuracy \(step [\d,]+\)"
    )
    expect(progress).to_have_text(
        re.compile(live),
        timeout=120_000,  # a fresh server loads MNIST in its worker, then trains: live accuracy at step 1
    )
    expect(progress).not_to_contain_text("data set")  # the preview came meanwhile

"""The playground's details, seen in the browser: counters that hold a billion, TF Playground's colours
(white where the net is undecided, the class colours where it is sure) and a colour scale that says so,
axis numbers beside the plot, figures blanked the moment another job is asked for, preset titles shown
whole, a 1D caption about x, and clicked points that train."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, WebSocketRoute, expect

from tests.browser.conftest import eventually
from tests.browser.test_playground import STEP, job_id, open_playground, wait_for_new_job

TIMEOUT = 20_000
CLASS_A, CLASS_B = (245, 147, 34), (8, 119, 189)
COUNTERS = {
    "count-step": ("step", 1_144_744, "1,144,744"),
    "count-epoch": ("epoch", 114_474, "114,474"),
    "count-examples": ("examples_seen", 1_144_744_123, "1,144,744,123"),
    "count-rate": ("examples_per_second", 1_234_567.8, "1,234,568"),
}
# Each counter's text, whether the text lies inside its box and whether the box shows it all.
COUNTER_BOXES = """(ids) => ids.map((id) => {
  const number = document.getElementById(id);
  const range = document.createRange();
  range.selectNodeContents(number);
  const text = range.getBoundingClientRect();
  const cell = number.parentElement.getBoundingClientRect();
  return { text: number.textContent, inside: text.left >= cell.left - 0.5 && text.right <= cell.right + 0.5,
           whole: number.scrollWidth <= number.clientWidth };
})"""


class StreamTap:
    """Routes the page's job streams through the test, which can send the page messages of its own."""

    def __init__(self, page: Page) -> None:
        self.sockets: list[WebSocketRoute] = []
        page.route_web_socket(re.compile(r"/api/jobs/[^/]+/stream"), self._route)

    def _route(self, socket: WebSocketRoute) -> None:
        socket.connect_to_server()
        self.sockets.append(socket)

    def send(self, message: dict) -> None:
        self.sockets[-1].send(json.dumps(message))


def dataset_of(live_server: str, job: str) -> dict:
    """The dataset part of a job's spec ({} once the page has replaced and deleted the job)."""
    found = httpx.get(f"{live_server}/api/jobs/{job}")
    return found.json()["spec"]["dataset"] if found.status_code == 200 else {}


@pytest.mark.parametrize("width, height", [(1280, 720), (390, 844)])
def test_the_counters_show_ten_digit_numbers_whole(
    browser: Browser, live_server: str, width: int, height: int
) -> None:
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    tap = StreamTap(page)
    open_playground(page, live_server)
    progress = {
        "type": "progress",
        "loss": 0.1,
        "train_accuracy": 0.9,
        "test_loss": 0.2,
        "test_accuracy": 0.8,
    }
    tap.send({**progress, **{key: value for key, value, _ in COUNTERS.values()}, "test_step": 1_144_000})
    expect(page.locator("#count-examples")).to_have_text("1,144,744,123")
    boxes = page.evaluate(COUNTER_BOXES, list(COUNTERS))
    assert [box["text"] for box in boxes] == [text for _, _, text in COUNTERS.values()]
    assert all(box["inside"] and box["whole"] for box in boxes), boxes
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.context.close()


def test_undecided_is_white_and_sure_is_the_class_colour(page: Page, live_server: str) -> None:
    """The paint (boundary.js) at probabilities 0.5 and 1, then the untrained net's plot: every pixel
    between white and one class's colour, and where the net is undecided, white."""
    page.set_default_timeout(TIMEOUT)
    open_playground(page, live_server)
    painted = page.evaluate(
        """async () => {
      const { paintProbabilities } = await import("/static/js/boundary.js");
      const paint = (probs, classes) => {
        const image = new ImageData(probs.length / classes, 1);
        paintProbabilities(image, probs, classes, false);
        return Array.from({ length: image.width }, (_, i) => [...image.data.slice(4 * i, 4 * i + 3)]);
      };
      return { two: paint([255, 128, 0, 0, 127, 255], 2), three: paint([85, 85, 85], 3) };
    }"""
    )
    assert painted["two"][0] == list(CLASS_A) and painted["two"][2] == list(CLASS_B)
    assert all(channel >= 253 for channel in painted["two"][1]), painted  # p = 0.5: white
    assert all(channel >= 253 for channel in painted["three"][0]), painted  # a guess among three: white

    page.wait_for_function("document.getElementById('boundary').width > 1")  # the untrained net's plot
    page.wait_for_function(
        """() => { const c = document.getElementById('boundary');
          return c.getContext('2d').getImageData(0, 0, 1, 1).data[3] === 255; }"""
    )
    off_scale, white = page.evaluate(
        """([a, b]) => {
      const canvas = document.getElementById("boundary");
      const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      const onSegment = (r, g, bl, colour) => {  // r, g, b = 255 + (colour - 255) * t for one t
        const deltas = colour.map((c) => 255 - c);
        const longest = deltas.indexOf(Math.max(...deltas));
        const t = (255 - [r, g, bl][longest]) / deltas[longest];
        const near = [r, g, bl].every((v, k) => Math.abs(v - (255 - deltas[k] * t)) <= 4);
        return t >= -0.02 && t <= 1.02 && near;
      };
      let offScale = 0, white = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, bl] = [data[i], data[i + 1], data[i + 2]];
        if (!onSegment(r, g, bl, a) && !onSegment(r, g, bl, b)) offScale++;
        if (r > 235 && g > 235 && bl > 235) white++;
      }
      return [offScale, white];
    }""",
        [CLASS_A, CLASS_B],
    )
    assert off_scale == 0
    assert white > 0  # somewhere the untrained net is undecided


def test_the_colour_scale_and_the_axis_numbers_sit_beside_the_plot(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    open_playground(page, live_server)
    scale = page.locator("#colour-scale")
    expect(scale).to_be_visible()
    expect(scale.locator(".scale-ticks span")).to_have_text(["A sure", "50%", "B sure"])
    ends = scale.locator("canvas").evaluate(
        """(canvas) => { const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, 1).data;
          const at = (i) => [...data.slice(4 * i, 4 * i + 3)];
          return [at(0), at((canvas.width - 1) / 2), at(canvas.width - 1)]; }"""
    )
    assert ends[0] == list(CLASS_A) and ends[2] == list(CLASS_B) and min(ends[1]) >= 253, ends

    plot = page.locator("#boundary-overlay").bounding_box()
    expect(page.locator("#axis-x span")).to_have_text(["−3", "−2", "−1", "0", "1", "2", "3"])
    expect(page.locator("#axis-y span")).to_have_count(7)
    for number in page.locator("#axis-x span").all():
        box = number.bounding_box()
        assert box["y"] >= plot["y"] + plot["height"] - 0.5, (box, plot)  # below the plot
        assert plot["x"] - box["width"] <= box["x"] <= plot["x"] + plot["width"], (box, plot)
    for number in page.locator("#axis-y span").all():
        box = number.bounding_box()
        assert box["x"] + box["width"] <= plot["x"] + 0.5, (box, plot)  # left of it
        assert plot["y"] - box["height"] <= box["y"] <= plot["y"] + plot["height"], (box, plot)

    page.goto(f"{live_server}/#dataset=multiclass")  # three classes: a bar each, from a guess to sure
    expect(page.locator("#colour-scale .scale-row")).to_have_count(3)
    expect(page.locator("#colour-scale .scale-ticks span").first).to_have_text("33%")


def test_a_preset_switch_blanks_the_old_jobs_figures_at_once(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    open_playground(page, live_server)
    old = job_id(page)
    page.get_by_role("button", name="Play").click()
    expect(page.locator("#figure-test-accuracy")).to_have_text(re.compile(r"%$"))
    page.wait_for_function(f"{STEP} > 0")
    held: list[Route] = []

    def hold_creation(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)  # the new job's creation waits until the test lets it go
        else:
            route.continue_()

    page.route(re.compile(r"/api/jobs(\?.*)?$"), hold_creation)
    page.get_by_label("Preset").select_option("lecture-rings-net")
    expect(page.locator("#figure-test-accuracy")).to_have_text("–")
    for counter in ("count-step", "count-epoch", "count-examples"):
        expect(page.locator(f"#{counter}")).to_have_text("0")
    # the old job trains on and reports while the new one is being made: none of it is shown
    shown = httpx.get(f"{live_server}/api/jobs/{old}").json()["step"]
    eventually(lambda: httpx.get(f"{live_server}/api/jobs/{old}").json()["step"] > shown)
    eventually(lambda: held)
    expect(page.locator("#figure-test-accuracy")).to_have_text("–")
    expect(page.locator("#count-step")).to_have_text("0")
    held[0].continue_()
    wait_for_new_job(page, old)
    expect(page.locator("#figure-test-accuracy")).to_have_text(re.compile(r"%$"))


@pytest.mark.parametrize("width", [1280, 390])
def test_the_preset_menu_shows_long_titles_whole(browser: Browser, live_server: str, width: int) -> None:
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    open_playground(page, live_server)
    presets = httpx.get(f"{live_server}/api/presets").json()
    options = page.locator("#preset option").evaluate_all(
        "(options) => options.map((option) => option.value)"
    )
    longest = max(
        (preset for preset in presets if preset["id"] in options), key=lambda preset: len(preset["title"])
    )
    page.get_by_label("Preset").select_option(longest["id"])
    shown = page.locator("#preset selectedcontent")
    expect(shown).to_have_text(longest["title"])
    whole = shown.evaluate(
        """(element) => { const select = element.closest("select").getBoundingClientRect();
          const box = element.getBoundingClientRect();
          return element.scrollWidth <= element.clientWidth && box.right <= select.right + 0.5 &&
                 box.bottom <= select.bottom + 0.5; }"""
    )
    assert whole
    page.context.close()


def test_a_1d_plot_says_what_its_squares_show(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/#dataset=sine")
    expect(page.locator("#status")).to_have_text("paused")
    hint = page.locator(".diagram-hint")
    expect(hint).to_contain_text("along x")
    expect(hint).not_to_contain_text("plane")
    page.goto(f"{live_server}/#dataset=rings")
    expect(hint).to_contain_text("over the plane")


def test_clicked_points_train_unless_the_person_holds_some_out(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/#dataset=sine")
    expect(page.locator("#status")).to_have_text("paused")
    first = job_id(page)
    page.locator("#boundary-overlay").click(position={"x": 150, "y": 60})
    curve = wait_for_new_job(page, first)
    dataset = httpx.get(f"{live_server}/api/jobs/{curve}").json()["spec"]["dataset"]
    assert dataset["name"] == "line_points" and dataset["test_fraction"] == 0
    expect(page.locator("#figure-steps")).to_contain_text("No test points: every point trains")
    expect(page.locator("#test_fraction-value")).to_have_text("0")
    page.locator("#boundary-overlay").click(position={"x": 250, "y": 60})  # a second click: trains too
    second = wait_for_new_job(page, curve)
    assert httpx.get(f"{live_server}/api/jobs/{second}").json()["spec"]["dataset"]["test_fraction"] == 0

    page.locator("#test_fraction").fill("0.3")  # the person asks for test points
    wait_for_new_job(page, second)
    eventually(lambda: dataset_of(live_server, job_id(page)).get("test_fraction") == 0.3)

    page.goto("about:blank")  # a page of its own: a hash change alone would make the job meanwhile
    page.goto(f"{live_server}/#dataset=quadrants")  # points clicked on the plane train as well
    expect(page.locator("#status")).to_have_text("paused")
    plane = job_id(page)
    page.locator("#boundary-overlay").click(position={"x": 30, "y": 30})
    points = wait_for_new_job(page, plane)
    assert httpx.get(f"{live_server}/api/jobs/{points}").json()["spec"]["dataset"]["test_fraction"] == 0

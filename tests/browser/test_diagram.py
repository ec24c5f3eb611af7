"""The playground's network diagram against a live server: a link per weight drawn from the job's own
weights, links that change as it trains, a weight typed into the diagram that reaches the job and
every viewer (or a bad one that shows the server's message), a weight set elsewhere shown at once, and
a pointer that finds the nearest link where an 8-8 net's links tangle."""

from __future__ import annotations

import math
import re

import httpx
from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from tests.browser.conftest import AS_TEACHER, eventually
from tests.browser.test_playground import job_id, open_playground, wait_for_new_job

TIMEOUT = 20_000
LINKS = "#diagram path.diagram-link[d]"
POINTS = [[0.0, 0.0], [1.5, -1.0], [-2.0, 2.5]]


def dense_shapes(live_server: str, job: str) -> list[tuple[int, int]]:
    """(inputs, neurons) of every fc layer of the job's desugared net: the weights the diagram links."""
    layers = httpx.get(f"{live_server}/api/jobs/{job}").json()["layers"]
    width, shapes = layers[0]["out_depth"], []
    for layer in layers:
        if layer["type"] == "fc":
            shapes.append((width, layer["num_neurons"]))
            width = layer["num_neurons"]
    return shapes


def widths(page: Page) -> list[str]:
    return page.eval_on_selector_all(
        LINKS, "(paths) => paths.map((path) => path.getAttribute('stroke-width'))"
    )


def test_the_diagram_draws_a_link_per_weight_and_they_change_while_training(
    page: Page, live_server: str
) -> None:
    open_playground(page, live_server)
    page.set_default_timeout(TIMEOUT)
    job = job_id(page)
    shapes = dense_shapes(live_server, job)
    expect(page.locator(LINKS)).to_have_count(sum(inputs * neurons for inputs, neurons in shapes))
    expect(page.locator("#diagram .diagram-bias")).to_have_count(sum(neurons for _, neurons in shapes))
    before = widths(page)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(
        "(before) => [...document.querySelectorAll('#diagram path.diagram-link[d]')]"
        ".some((path, i) => path.getAttribute('stroke-width') !== before[i])",
        arg=before,
    )
    page.locator(LINKS).first.hover(force=True)
    expect(page.locator(".diagram-card b")).to_have_text(re.compile(r"^-?\d+\.\d{3}$"))  # its value, large


def test_a_weight_typed_into_the_diagram_reaches_the_job_and_another_viewer(
    page: Page, browser: Browser, live_server: str
) -> None:
    open_playground(page, live_server)
    page.set_default_timeout(TIMEOUT)
    job = job_id(page)
    predict = f"{live_server}/api/jobs/{job}/predict"
    before = httpx.post(predict, json={"points": POINTS}).json()["outputs"]
    watcher = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()  # no token: read only
    watcher.set_default_timeout(TIMEOUT)
    watcher.goto(f"{live_server}/#job={job}")
    expect(watcher.locator(LINKS)).to_have_count(page.locator(LINKS).count())

    last = page.locator(LINKS).last  # a link into the output layer
    index = last.get_attribute("data-index")
    last.dispatch_event("click")
    box = page.get_by_label("new value of the weight (Enter to apply)")
    box.fill("3.5")
    box.press("Enter")

    twin = watcher.locator(f'{LINKS}[data-index="{index}"]').last
    expect(twin).to_have_attribute("data-value", "3.5")
    eventually(lambda: httpx.post(predict, json={"points": POINTS}).json()["outputs"] != before)
    expect(last).to_have_attribute("data-value", "3.5")
    watcher.context.close()


def test_a_bad_weight_shows_the_servers_message(page: Page, live_server: str) -> None:
    open_playground(page, live_server)
    page.set_default_timeout(TIMEOUT)
    page.locator("#diagram .diagram-bias").first.click()
    box = page.get_by_label("new value of the bias (Enter to apply)")
    box.fill("1e9")
    box.press("Enter")
    expect(page.locator("#toast")).to_contain_text("value: Input should be less than or equal to 1000000")
    page.locator("#diagram .diagram-bias").first.click()
    box.fill("twelve")
    box.press("Enter")
    expect(page.locator("#toast")).to_contain_text("value: Input should be a valid number")
    assert math.isfinite(float(page.locator("#diagram .diagram-bias").first.get_attribute("data-value")))


def test_the_diagrams_buttons_add_and_remove_neurons_and_layers(page: Page, live_server: str) -> None:
    open_playground(page, live_server)
    page.set_default_timeout(TIMEOUT)

    def hidden_widths() -> list[int]:
        return [neurons for _, neurons in dense_shapes(live_server, job_id(page))][:-1]

    before = hidden_widths()
    first = job_id(page)
    page.get_by_role("button", name="Add a neuron to hidden layer 1").click()
    second = wait_for_new_job(page, first)
    assert hidden_widths() == [before[0] + 1, *before[1:]]
    page.get_by_role("button", name="Remove the last hidden layer").click()
    third = wait_for_new_job(page, second)
    assert hidden_widths() == [before[0] + 1, *before[1:-1]]
    page.get_by_role("button", name="Add a hidden layer").click()
    wait_for_new_job(page, third)
    assert len(hidden_widths()) == len(before)
    expect(page.locator("#diagram .diagram-node.hidden")).to_have_count(sum(hidden_widths()))


class FrameDropper:
    """Routes the page's job streams through the test, which can stop passing the server's binary
    frames on (its JSON messages still pass): what the page shows then comes from messages alone."""

    def __init__(self, page: Page) -> None:
        self.dropping = False
        page.route_web_socket(re.compile(r"/api/jobs/[^/]+/stream"), self._route)

    def _route(self, socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()
        server.on_message(
            lambda message: None if self.dropping and isinstance(message, bytes) else socket.send(message)
        )


def test_a_weight_set_on_a_paused_job_shows_at_once_from_the_weight_message(
    page: Page, live_server: str
) -> None:
    """The diagram applies the socket's `weight` message itself: with no new frame from the job (they are
    dropped here), the link and the bias set through the API show their new values."""
    dropper = FrameDropper(page)
    open_playground(page, live_server)
    page.set_default_timeout(TIMEOUT)
    job = job_id(page)
    link = page.locator(f'{LINKS}[data-layer="1"][data-index="1,2"]')
    expect(link).to_have_attribute("data-value", re.compile(r"."))
    before = link.get_attribute("stroke-width")
    dropper.dropping = True
    for change in (
        {"param": "w", "index": [1, 2], "value": -3.25},
        {"param": "b", "index": [0], "value": 1.5},
    ):
        answer = httpx.post(
            f"{live_server}/api/jobs/{job}/weights", json={"layer": 1, **change}, headers=AS_TEACHER
        )
        assert answer.status_code == 200, answer.text
    expect(link).to_have_attribute("data-value", "-3.25")
    assert link.get_attribute("stroke") == "rgb(245,147,34)" and link.get_attribute("stroke-width") != before
    expect(page.locator("#diagram .diagram-node.hidden .diagram-bias").first).to_have_attribute(
        "data-value", "1.5"
    )
    assert httpx.get(f"{live_server}/api/jobs/{job}").json()["step"] == 0  # paused all along: no step made it


# A point on a link of the diagram where the old rule (the topmost stroke under the pointer wins) picks
# another link than the nearest one: {x, y} in the page, `nearest` and `topmost` as indices of the links.
# Distances come from the browser's own path geometry (getPointAtLength), not the page's code.
TANGLED_POINT = """() => {
  const links = [...document.querySelectorAll("#diagram path.diagram-link[d]")];
  const box = document.getElementById("diagram").getBoundingClientRect();
  const samples = links.map((path) => {
    const length = path.getTotalLength();
    return Array.from({ length: 401 }, (_, i) => path.getPointAtLength((length * i) / 400));
  });
  const distance = (points, x, y) => Math.min(...points.map((p) => Math.hypot(p.x - x, p.y - y)));
  for (let k = 20; k < 160; k += 4) {
    for (const points of samples) {
      const { x, y } = points[k];
      const topmost = links.findLastIndex((path) => path.isPointInStroke(new DOMPoint(x, y)));
      const order = samples.map((other, i) => [distance(other, x, y), i]).sort((a, b) => a[0] - b[0]);
      const [[first, nearest], [second]] = order;
      if (topmost >= 0 && topmost !== nearest && second - first > 1.5) {
        return { x: box.left + x, y: box.top + y, nearest, topmost };
      }
    }
  }
  return null;
}"""


def test_a_click_edits_the_nearest_link_of_a_tangled_8_8_net_and_hover_highlights_it(
    page: Page, live_server: str
) -> None:
    open_playground(page, live_server)  # the quadrants lecture net: 2 inputs, 8 and 8 tanh, 2 outputs
    page.set_default_timeout(TIMEOUT)
    job = job_id(page)
    assert [neurons for _, neurons in dense_shapes(live_server, job)] == [8, 8, 2]
    expect(page.locator(LINKS)).to_have_count(2 * 8 + 8 * 8 + 8 * 2)
    # strong first-layer weights: wide strokes that overlap where the links leave the inputs
    for source in range(2):
        for target in range(8):
            value = 3.0 if (source + target) % 2 else -3.0
            change = {"layer": 1, "param": "w", "index": [source, target], "value": value}
            assert (
                httpx.post(
                    f"{live_server}/api/jobs/{job}/weights", json=change, headers=AS_TEACHER
                ).status_code
                == 200
            )
    expect(page.locator(f'{LINKS}[data-layer="1"][data-index="1,7"]')).to_have_attribute("data-value", "-3")
    point = page.evaluate(TANGLED_POINT)
    assert point, "no point where the topmost link is not the nearest"
    nearest, topmost = page.locator(LINKS).nth(point["nearest"]), page.locator(LINKS).nth(point["topmost"])
    untouched = topmost.get_attribute("data-value")

    page.mouse.move(point["x"], point["y"])
    expect(nearest).to_have_class(re.compile(r"\bhot\b"))
    expect(page.locator("#diagram .diagram-link.hot")).to_have_count(1)
    expect(page.locator("#diagram path.diagram-hot")).to_have_attribute("d", nearest.get_attribute("d"))
    expect(page.locator(".diagram-card")).to_contain_text(nearest.get_attribute("data-name"))

    page.mouse.click(point["x"], point["y"])
    box = page.get_by_label("new value of the weight (Enter to apply)")
    box.fill("2.5")
    box.press("Enter")
    expect(nearest).to_have_attribute("data-value", "2.5")
    assert topmost.get_attribute("data-value") == untouched

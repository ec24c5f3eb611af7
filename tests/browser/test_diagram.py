"""The playground's network diagram against a live server: a link per weight drawn from the job's own
weights, links that change as it trains, and a weight typed into the diagram that reaches the job and
every viewer (or a bad one that shows the server's message)."""

from __future__ import annotations

import math
import re

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import eventually
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

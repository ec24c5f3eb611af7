"""Regression on the playground against a live server: TF Playground's 2D sets drawn in a diverging
scale with the loss as an RMSE, and ConvNetJS's 1D demo: a fitted curve, each neuron's curve on demand,
and points clicked onto the plot becoming the data."""

from __future__ import annotations

import json

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import eventually
from tests.browser.test_playground import STEP, job_id, show_layers, wait_for_new_job

TIMEOUT = 30_000
# Pixels of a canvas near a colour: (r, g, b) within 60 on each channel; non-transparent only.
COLOUR_PIXELS = """([id, rgb]) => {
  const canvas = document.getElementById(id);
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0 && rgb.every((c, k) => Math.abs(data[i + k] - c) < 60)) count++;
  }
  return count;
}"""
ORANGE, BLUE = [245, 147, 34], [8, 119, 189]
# Pixels of a canvas leaning orange (red well above blue) and leaning blue: both signs of a value shown.
LEANING = """(id) => {
  const canvas = document.getElementById(id);
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let orange = 0;
  let blue = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] > data[i + 2] + 40) orange++;
    if (data[i + 2] > data[i] + 40) blue++;
  }
  return [orange, blue];
}"""


def colour_pixels(page: Page, canvas: str, rgb: list[int]) -> int:
    return page.evaluate(COLOUR_PIXELS, [canvas, rgb])


def held_out_losses(live_server: str, job: str) -> list[float]:
    points = httpx.get(f"{live_server}/api/jobs/{job}/metrics").json()["points"]
    return [point["test_loss"] for point in points if point["test_loss"] is not None]


def learns(live_server: str, job: str) -> bool:
    losses = held_out_losses(live_server, job)
    return len(losses) > 1 and losses[-1] < 0.6 * losses[0]


def test_a_2d_regression_draws_its_values_and_learns(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/#dataset=regress_gauss")
    expect(page.locator("#status")).to_have_text("paused")
    job = job_id(page)
    spec = httpx.get(f"{live_server}/api/jobs/{job}").json()["spec"]
    assert spec["layers"][-1] == {"type": "regression", "num_neurons": 1}
    page.get_by_role("button", name="Play").click()
    eventually(lambda: learns(live_server, job), timeout=60)
    page.wait_for_function(f"() => ({LEANING})('boundary').every((count) => count > 500)")
    expect(page.locator(".figures")).to_contain_text("Test RMSE")
    expect(page.locator("#figure-test-accuracy")).to_be_hidden()
    expect(page.locator("#colour-scale")).to_contain_text("the net's value")
    expect(page.locator("#colour-scale .scale-ticks span").nth(1)).to_have_text("0")


def test_the_1d_regression_fits_a_curve_shows_each_neuron_and_takes_clicked_points(
    page: Page, live_server: str
) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/#dataset=sine")
    expect(page.locator("#status")).to_have_text("paused")
    first = job_id(page)
    assert httpx.get(f"{live_server}/api/jobs/{first}").json()["spec"]["layers"][0]["out_depth"] == 1
    page.get_by_role("button", name="Play").click()
    eventually(lambda: learns(live_server, first), timeout=60)
    page.wait_for_function(f"() => ({COLOUR_PIXELS})(['boundary-overlay', {ORANGE}]) > 200")  # the curve
    without = colour_pixels(page, "boundary-overlay", BLUE)
    page.get_by_label("Each neuron's curve").check()
    page.wait_for_function(f"() => ({COLOUR_PIXELS})(['boundary-overlay', {BLUE}]) > {without} + 200")

    box = page.locator("#boundary-overlay").bounding_box()
    page.locator("#boundary-overlay").click(position={"x": box["width"] / 2, "y": box["height"] / 6})
    second = wait_for_new_job(page, first)
    dataset = httpx.get(f"{live_server}/api/jobs/{second}").json()["spec"]["dataset"]
    assert dataset["name"] == "line_points"
    x, y = dataset["points"][-1]
    assert abs(x) < 0.2 and 1.0 < y < 2.0  # the middle of [-5, 5], a sixth down from 3 in [-6, 3]
    assert len(dataset["points"]) > 100  # the sine's own points, then the click
    assert page.get_by_role("radio", name="your curve").get_attribute("aria-checked") == "true"
    page.wait_for_function(f"{STEP} > 0")  # the page was playing: the new job plays too


def test_the_net_editor_takes_a_regression_net(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/#dataset=regress_plane")
    expect(page.locator("#status")).to_have_text("paused")
    first = job_id(page)
    layers = [
        {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
        {"type": "fc", "num_neurons": 3, "activation": "relu"},
        {"type": "regression", "num_neurons": 1},
    ]
    show_layers(page)
    page.locator("#layers").fill(json.dumps(layers))
    page.locator("#layers").blur()
    second = wait_for_new_job(page, first)
    expect(page.locator("#layers-error")).to_have_text("")
    assert httpx.get(f"{live_server}/api/jobs/{second}").json()["spec"]["layers"] == layers

"""The autoencoder page against a live server: the 2D codes of the test digits and reconstructions
beside their originals, drawn live while the loss falls."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import eventually

TIMEOUT = 60_000
# Distinct colours of the dots on the code plot (a colour per digit drawn, plus white).
SCATTER_COLOURS = """() => {
  const canvas = document.querySelector('#codes');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const seen = new Set();
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] === 255) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
  }
  return seen.size;
}"""
STAT = "Number(document.querySelector('[data-stat={}]').textContent.replace(/,/g, ''))"


def test_the_page_draws_codes_and_reconstructions_while_the_loss_falls(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/autoencoder")
    expect(page.locator("#net-info")).to_contain_text("28×28×1 pixels → 50 → 2 → 50 → 784")
    page.click("#start")

    expect(page.locator("#job-status")).to_have_text("· running")
    expect(page.locator("#codes-note")).to_contain_text("test images at layer 3, its 2 numbers, at step")
    expect(page.locator("#codes-legend li")).to_have_count(10)
    expect(page.locator("#reconstructions figure")).to_have_count(10)
    expect(page.locator("#reconstructions figure").first.locator("canvas")).to_have_count(2)
    page.wait_for_function(f"() => ({SCATTER_COLOURS})() > 5")  # dots of several digits' colours
    job_id = page.evaluate("() => new URLSearchParams(location.hash.slice(1)).get('job')")

    def held_out_losses() -> list[float]:
        points = httpx.get(f"{live_server}/api/jobs/{job_id}/metrics").json()["points"]
        return [point["test_loss"] for point in points if point["test_loss"] is not None]

    # from the untrained net's first measurement, whenever the page happened to show its first figure
    eventually(lambda: len(losses := held_out_losses()) > 1 and losses[-1] < 0.8 * losses[0], timeout=60)
    page.wait_for_function(f"() => {STAT.format('test_loss')} < {0.9 * held_out_losses()[0]}")  # shown too

    job = httpx.get(f"{live_server}/api/jobs/{job_id}").json()
    assert job["spec"]["dataset"] == {"name": "mnist", "target": "input", "normalize": False}
    page.click("#toggle")
    expect(page.locator("#job-status")).to_have_text("· paused")

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390

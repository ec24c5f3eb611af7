"""The painting page against a live server (ConvNetJS's image_regression demo): the net's picture is drawn
beside the original and comes closer to it as the job trains, the learning rate changes live, and an
uploaded picture can be painted."""

from __future__ import annotations

import io

import httpx
import numpy as np
from playwright.sync_api import Page, expect

from tests.browser.conftest import eventually
from tests.extras import from_extra

Image = from_extra("data", "PIL.Image")

TIMEOUT = 60_000
# Mean absolute difference (0..255) between the original and the net's picture as drawn on the page.
DISTANCE = """() => {
  const pixels = (id) => {
    const canvas = document.getElementById(id);
    return canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  };
  const [original, painted] = [pixels("original"), pixels("painted")];
  if (original.length !== painted.length) return null;
  let total = 0;
  for (let i = 0; i < original.length; i += 4) {
    for (let c = 0; c < 3; c++) total += Math.abs(original[i + c] - painted[i + c]);
  }
  return total / (3 * original.length / 4);
}"""
DRAWN_STEP = "Number(document.getElementById('painted').dataset.step ?? -1)"


def job_of(page: Page, live_server: str) -> dict:
    job_id = page.locator("#job-id").text_content()
    return httpx.get(f"{live_server}/api/jobs/{job_id}").json()


def losses(live_server: str, job_id: str) -> list[float]:
    points = httpx.get(f"{live_server}/api/jobs/{job_id}/metrics").json()["points"]
    return [point["loss"] for point in points if point["loss"] is not None]


def test_the_nets_picture_comes_closer_to_the_original_as_it_trains(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/painting")
    page.wait_for_function(f"{DRAWN_STEP} === 0")  # the untrained net's picture, the job paused at step 0
    page.wait_for_function(f"({DISTANCE})() !== null")  # the original is drawn too, at the same size
    untrained = page.evaluate(DISTANCE)
    job = job_of(page, live_server)
    assert job["status"] == "paused" and job["dataset"] == "painting"

    page.click("#play")

    first = eventually(lambda: losses(live_server, job["id"]), timeout=60)[0]
    eventually(lambda: losses(live_server, job["id"])[-1] < 0.4 * first, timeout=120)
    trained_step = job_of(page, live_server)["step"]
    page.wait_for_function(f"{DRAWN_STEP} >= {trained_step}")
    trained = page.evaluate(DISTANCE)
    assert trained < 0.6 * untrained, (untrained, trained)
    expect(page.locator("#loss-at")).to_contain_text("loss at step")

    page.fill("#learning_rate", "0.002")
    page.locator("#learning_rate").dispatch_event("change")
    eventually(lambda: job_of(page, live_server)["trainer"]["learning_rate"] == 0.002)
    assert "learning_rate=0.002" in page.url


def png_upload(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def test_an_uploaded_picture_is_painted_and_listed(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/painting")
    page.wait_for_function(f"{DRAWN_STEP} === 0")
    pixels = np.zeros((30, 60, 3), np.uint8)
    pixels[:, 30:] = (220, 30, 30)  # left black, right red

    page.set_input_files(
        "#upload", files=[{"name": "halves.png", "mimeType": "image/png", "buffer": png_upload(pixels)}]
    )

    page.wait_for_function("document.getElementById('picture').value.startsWith('file:')")
    file = page.locator("#picture").input_value().removeprefix("file:")
    assert file.endswith("-halves.png")
    eventually(lambda: job_of(page, live_server).get("spec", {}).get("dataset", {}).get("file") == file)
    page.wait_for_function(
        "() => { const c = document.getElementById('painted'); return c.width === 48 && c.height === 24; }"
    )
    original = page.evaluate(
        """() => { const c = document.getElementById('original');
          return [c.width, c.height, [...c.getContext('2d').getImageData(0, 12, 48, 1).data]]; }"""
    )
    width, height, row = original
    assert (width, height) == (48, 24)
    assert row[4 * 2] < 20 and row[4 * 45] > 200  # black on the left, red on the right
    expect(page.locator("#uploads-list li")).to_have_count(1)
    expect(page.locator("#uploads-list li").first).to_contain_text("halves.png")


def test_a_painting_job_linked_from_another_page_opens_here_read_only(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    preset = next(p for p in httpx.get(f"{live_server}/api/presets").json() if p["id"] == "painting")
    spec = {**preset["spec"], "dataset": {"name": "painting", "picture": "rings", "size": 32}}
    created = httpx.post(f"{live_server}/api/jobs?paused=true", json=spec).json()

    page.goto(f"{live_server}/#job={created['id']}")  # the playground sends it to the page that draws it

    page.wait_for_url(f"**/painting#job={created['id']}")
    page.wait_for_function(f"{DRAWN_STEP} === 0")
    expect(page.locator("#job-id")).to_have_text(created["id"])
    expect(page.locator("#job-readonly")).to_be_visible()  # someone else's: watched, not driven
    expect(page.locator("#picture")).to_have_value("rings")
    expect(page.locator("#size")).to_have_value("32")
    assert httpx.get(f"{live_server}/api/jobs/{created['id']}").json()["status"] == "paused"

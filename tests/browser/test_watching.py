"""A classmate's job opened by its link, watched read only: a banner at the top names it, the page shows
no control it cannot use (nothing that would change the job or silently train another), and one
button makes a copy of one's own, from the watched job's weights."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import AS_TEACHER, eventually
from tests.browser.test_playground import RINGS_JOB, wait_for_new_job

TIMEOUT = 20_000
POINTS = [[0.0, 0.0], [1.5, -1.0], [-2.0, 2.5], [2.5, 2.5]]

# Controls only the job's owner (or the teacher) may use, and controls that would start a job of the
# viewer's own without saying so: none may be visible to a watcher.
OWNER_CONTROLS = (
    "#play", "#step", "#reset", "#reset-new-seed", "#method", "#learning_rate", "#momentum", "#batch_size",
    "#l1_decay", "#l2_decay", "#seed", "#preset", "#dataset-picker", "#noise", "#regenerate", "#remove-mode",
    "#features", "#layers", "#add-layer", "#diagram button", "#hidden_layer", "#hidden-cycle", "#load-model",
)  # fmt: skip


@pytest.fixture
def classmates_job(live_server: str) -> str:
    """A rings job someone else made and trained a little (it completed after 300 steps): no token for
    it in the page's browser."""
    spec = {**RINGS_JOB, "name": "Ada's rings", "stop": {"max_steps": 300}}
    created = httpx.post(f"{live_server}/api/jobs", json=spec, headers=AS_TEACHER, timeout=10)
    assert created.status_code == 201, created.text
    job = created.json()["id"]
    eventually(lambda: httpx.get(f"{live_server}/api/jobs/{job}").json()["status"] == "completed", timeout=60)
    return job


def predictions(live_server: str, job: str) -> list:
    return httpx.post(f"{live_server}/api/jobs/{job}/predict", json={"points": POINTS}).json()["outputs"]


@pytest.mark.parametrize("width, height", [(1280, 720), (390, 844)])
def test_a_watcher_sees_a_banner_at_the_top_no_control_it_cannot_use_and_one_copy_button(
    browser: Browser, live_server: str, classmates_job: str, width: int, height: int
) -> None:
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(TIMEOUT)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server}/#job={classmates_job}")
    expect(page.locator("#status")).to_contain_text("completed")

    banner = page.get_by_role("region", name="Watching someone else's job")
    expect(banner).to_contain_text(f"Watching “Ada's rings” (job {classmates_job[:8]})")
    expect(banner).to_contain_text("read only")
    box = banner.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= height / 3, box  # at the top, seen at once
    for selector in OWNER_CONTROLS:
        expect(page.locator(selector).first).to_be_hidden()
    copy = page.get_by_role("button", name="Make my own copy")
    expect(copy).to_have_count(1)
    expect(copy).to_be_in_viewport()
    for shown in ("#boundary-overlay", "#diagram", "#loss-chart", "#save-model", "#show-test"):
        expect(page.locator(shown)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    jobs = {item["id"] for item in httpx.get(f"{live_server}/api/jobs").json()["items"]}
    page.locator("#boundary-overlay").click(position={"x": 20, "y": 20})  # no point added, no job made
    expect(page.locator("#job-id")).to_have_text(classmates_job)
    assert {item["id"] for item in httpx.get(f"{live_server}/api/jobs").json()["items"]} == jobs
    assert not errors
    page.context.close()


def test_make_my_own_copy_trains_a_paused_copy_from_the_watched_jobs_weights(
    page: Page, live_server: str, classmates_job: str
) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/#job={classmates_job}")
    expect(page.locator("#watching")).to_be_visible()
    watched = predictions(live_server, classmates_job)

    page.get_by_role("button", name="Make my own copy").click()

    copy = wait_for_new_job(page, classmates_job)
    expect(page.locator("#watching")).to_be_hidden()
    expect(page.locator("#status")).to_have_text("paused")
    for selector in ("#play", "#learning_rate", "#dataset-picker", "#diagram button"):
        expect(page.locator(selector).first).to_be_visible()
    spec = httpx.get(f"{live_server}/api/jobs/{copy}").json()["spec"]
    assert spec["model"] is not None and spec["trainer"]["method"] == "adam"
    assert predictions(live_server, copy) == watched  # its weights: where the watched job is
    assert (
        httpx.get(f"{live_server}/api/jobs/{classmates_job}").json()["status"] == "completed"
    )  # left as it was
    page.get_by_role("button", name="Play").click()
    expect(page.locator("#status")).to_have_text("running")

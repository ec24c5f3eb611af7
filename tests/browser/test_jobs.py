"""The jobs page against a live server: jobs started through the REST API are listed with their
status, two ticked jobs get two curves and a legend, an image job's link opens it live, the row
buttons pause, resume, stop and delete the browser's own jobs (every job with the teacher's token,
none of anyone else's), and a job's keep box marks it kept."""

from __future__ import annotations

import socket
import time

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import AS_TEACHER, TEACHER, eventually, own

XO_NET = [
    {"type": "input", "out_sx": 9, "out_sy": 9, "out_depth": 1},
    {"type": "conv", "sx": 3, "filters": 4, "stride": 1, "pad": 1, "activation": "relu"},
    {"type": "pool", "sx": 3, "stride": 3},
    {"type": "softmax", "num_classes": 2},
]
SPIRAL_NET = [
    {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
    {"type": "fc", "num_neurons": 8, "activation": "tanh"},
    {"type": "softmax", "num_classes": 2},
]

# True once the chart canvas has pixels of every given "rgb(r, g, b)" colour: a curve drawn in it.
CURVES_DRAWN = """(colors) => {
  const canvas = document.querySelector("#compare-chart");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  return colors.map((color) => color.match(/\\d+/g).map(Number)).every(([r, g, b]) => {
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 30) return true;
    }
    return false;
  });
}"""


def swatch_color(item: Locator) -> str:
    return item.locator(".swatch").evaluate("(swatch) => getComputedStyle(swatch).backgroundColor")


def create_job(live_server: str, **spec: object) -> dict:
    """A job created through the API (by someone else than the page's browser): {id, owner_token...}."""
    response = httpx.post(f"{live_server}/api/jobs", json=spec)
    assert response.status_code == 201, response.text
    return response.json()


def test_jobs_lists_a_job_created_through_the_api_with_its_status(page: Page, live_server: str) -> None:
    job = create_job(
        live_server, name="api xo", dataset={"name": "xo"}, layers=XO_NET, stop={"max_steps": 50}
    )["id"]
    page.goto(f"{live_server}/jobs")
    row = page.locator(f"#jobs-table tr[data-id='{job}']")
    expect(row.locator("a")).to_have_text("api xo")
    expect(row.locator("a")).to_have_attribute("href", f"/convnet#job={job}")
    expect(row.locator(".status")).to_contain_text("completed")  # the page refreshes by itself
    expect(row.locator("button[data-action='delete']")).to_be_disabled()  # someone else's job
    expect(row.locator(".mine")).to_be_hidden()
    measured = httpx.get(f"{live_server}/api/jobs/{job}").json()["metrics"]["test_step"]
    expect(row.locator("td").nth(7)).to_have_attribute("title", f"measured at step {measured}")


def test_jobs_shows_the_machine_training_each_job(page: Page, live_server: str) -> None:
    job = create_job(live_server, name="node rings", dataset={"name": "rings"}, layers=SPIRAL_NET)["id"]
    node = eventually(lambda: httpx.get(f"{live_server}/api/jobs/{job}").json()["node"])
    assert node == socket.gethostname()  # the local pool's workers run on this machine
    page.goto(f"{live_server}/jobs")
    cell = page.locator(f"#jobs-table tr[data-id='{job}'] td").nth(10)
    expect(cell).to_have_text(node)
    expect(cell).to_have_attribute("title", "The machine training it now")
    httpx.post(f"{live_server}/api/jobs/{job}/pause", headers=AS_TEACHER).raise_for_status()
    expect(cell).to_have_text("—")  # parked: on no worker


def test_jobs_overlays_the_curves_of_two_selected_jobs(page: Page, live_server: str) -> None:
    stop = {"max_steps": 300}
    for method, rate in (("sgd", 0.01), ("adam", 0.003)):
        create_job(
            live_server, name=f"spiral {method}", dataset={"name": "spiral"}, layers=SPIRAL_NET,
            trainer={"method": method, "learning_rate": rate, "batch_size": 10}, stop=stop,
        )  # fmt: skip
    page.goto(f"{live_server}/jobs")
    for name in ("spiral sgd", "spiral adam"):
        row = page.locator("#jobs-table tbody tr", has_text=name).first
        expect(row.locator(".status")).to_contain_text("completed")
        row.get_by_role("checkbox", name=f"Compare {name}").check()
    legend = page.locator("#legend li")
    expect(legend).to_have_count(2)
    expect(legend.nth(0)).to_have_text("spiral sgd")  # in the order they were ticked
    expect(legend.nth(1)).to_have_text("spiral adam")
    page.wait_for_function(CURVES_DRAWN, arg=[swatch_color(legend.nth(0)), swatch_color(legend.nth(1))])
    assert "compare=" in page.evaluate("location.hash")


def test_jobs_watch_link_opens_an_image_job_on_the_convnet_page(page: Page, live_server: str) -> None:
    job = create_job(live_server, name="watched xo", dataset={"name": "xo"}, layers=XO_NET)["id"]
    httpx.post(f"{live_server}/api/jobs/{job}/pause", headers=AS_TEACHER).raise_for_status()
    page.goto(f"{live_server}/jobs")
    page.locator(f"#jobs-table tr[data-id='{job}'] a").click()
    expect(page).to_have_url(f"{live_server}/convnet#job={job}")
    expect(page.locator("#job-status")).to_contain_text("paused")
    expect(page.locator("#dataset")).to_have_value('{"name":"xo"}')
    expect(page.locator(".layer-box")).to_have_count(6)
    expect(page.locator(".prediction-card")).to_have_count(8)  # a paused job draws once for a viewer
    expect(page.locator("#job-readonly")).to_be_visible()  # someone else's: watched, not driven
    expect(page.locator("#toggle")).to_be_disabled()
    httpx.post(f"{live_server}/api/jobs/{job}/stop", headers=AS_TEACHER).raise_for_status()


def test_jobs_buttons_pause_resume_stop_and_delete_a_job(page: Page, live_server: str) -> None:
    created = create_job(live_server, name="controlled xo", dataset={"name": "xo"}, layers=XO_NET)
    job = created["id"]
    own(page, created)
    page.goto(f"{live_server}/jobs")
    row = page.locator(f"#jobs-table tr[data-id='{job}']")
    expect(row.locator(".mine")).to_have_text("yours")
    status = row.locator(".status")
    expect(status).to_have_text("running")
    row.get_by_role("button", name="Pause controlled xo").click()
    expect(status).to_have_text("paused")
    row.get_by_role("button", name="Resume controlled xo").click()
    expect(status).to_have_text("running")
    row.get_by_role("button", name="Stop controlled xo").click()
    expect(status).to_have_text("stopped")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete controlled xo").click()
    expect(row).to_have_count(0)
    assert httpx.get(f"{live_server}/api/jobs/{job}").status_code == 404


def test_jobs_says_why_a_job_paused_and_its_keep_box_keeps_it(page: Page, live_server: str) -> None:
    created = create_job(
        live_server, name="idle xo", dataset={"name": "xo"}, layers=XO_NET, pause_when_unwatched=0.5
    )
    job = created["id"]
    own(page, created)
    page.goto(f"{live_server}/jobs")
    row = page.locator(f"#jobs-table tr[data-id='{job}']")
    expect(row.locator(".status")).to_have_text("paused")  # the page refreshes by itself
    expect(row.locator(".message")).to_have_text("nobody watching for 0.5 s")
    expect(row.locator(".status")).to_have_attribute("title", "paused: nobody watching for 0.5 s")

    keep = row.get_by_role("checkbox", name="Keep idle xo")
    expect(keep).not_to_be_checked()
    keep.check()
    deadline = time.monotonic() + 10
    while not httpx.get(f"{live_server}/api/jobs/{job}").json()["keep"]:
        assert time.monotonic() < deadline, "the job was not marked keep"
        time.sleep(0.05)
    page.reload()
    expect(
        page.locator(f"#jobs-table tr[data-id='{job}']").get_by_role("checkbox", name="Keep idle xo")
    ).to_be_checked()


def test_the_teacher_s_token_offers_the_controls_of_every_job(page: Page, live_server: str) -> None:
    job = create_job(live_server, name="a student's xo", dataset={"name": "xo"}, layers=XO_NET)["id"]
    page.goto(f"{live_server}/jobs")
    row = page.locator(f"#jobs-table tr[data-id='{job}']")
    stop = row.get_by_role("button", name="Stop a student's xo")
    expect(stop).to_be_disabled()

    page.fill("#teacher-token", "a guess")
    page.click("#teacher-form button[type='submit']")
    expect(page.locator("#toast")).to_contain_text("not the teacher's token")
    expect(stop).to_be_disabled()

    page.fill("#teacher-token", TEACHER)
    page.click("#teacher-form button[type='submit']")
    expect(page.locator("#teacher-state")).to_contain_text("Teacher")
    expect(stop).to_be_enabled()
    stop.click()
    expect(row.locator(".status")).to_have_text("stopped")
    page.reload()  # the browser keeps the token
    expect(page.locator(f"#jobs-table tr[data-id='{job}'] button[data-action='delete']")).to_be_enabled()
    page.click("#teacher-forget")
    expect(page.locator(f"#jobs-table tr[data-id='{job}'] button[data-action='delete']")).to_be_disabled()


def test_on_a_phone_the_jobs_table_scrolls_and_the_page_does_not(page: Page, live_server: str) -> None:
    create_job(live_server, name="a long job name for a narrow screen", dataset={"name": "xo"}, layers=XO_NET)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/jobs")
    expect(page.locator("#jobs-table tbody tr")).not_to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    scroller = page.locator(".table-scroll")
    assert scroller.evaluate("(box) => box.scrollWidth > box.clientWidth")  # the table itself scrolls

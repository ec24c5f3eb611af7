"""The jobs page against a live server: jobs started through the REST API are listed with their
status, two ticked jobs get two curves and a legend, an image job's link opens it live, the row
buttons pause, resume, stop and delete the browser's own jobs (every job with the teacher's token,
none of anyone else's), and a job's keep box marks it kept."""

from __future__ import annotations

import csv
import io
import re
import socket
import time
from pathlib import Path

import httpx
import pytest
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


def create_paused(live_server: str, **spec: object) -> dict:
    """A job created paused at step 0 through the API (someone else's): it holds no training slot."""
    response = httpx.post(f"{live_server}/api/jobs", params={"paused": "true"}, json=spec)
    assert response.status_code == 201, response.text
    return response.json()


# True when the element's computed font size and colour are those of `other` (a selector).
SAME_LOOK = """(cell, other) => {
  const a = getComputedStyle(cell), b = getComputedStyle(document.querySelector(other));
  return [a.fontSize, a.color, b.fontSize, b.color];
}"""


def test_your_own_row_reads_like_every_other_row(page: Page, live_server: str) -> None:
    mine = create_paused(live_server, name="my xo", dataset={"name": "xo"}, layers=XO_NET)
    theirs = create_paused(live_server, name="their xo", dataset={"name": "xo"}, layers=XO_NET)["id"]
    own(page, mine)
    page.goto(f"{live_server}/jobs")
    row = page.locator(f"#jobs-table tr[data-id='{mine['id']}']")
    expect(row.locator(".mine")).to_have_text("yours")
    for column in (3, 4, 9):  # data set, step, trainer
        other = f"#jobs-table tr[data-id='{theirs}'] td:nth-child({column + 1})"
        size, color, other_size, other_color = row.locator("td").nth(column).evaluate(SAME_LOOK, other)
        assert (size, color) == (other_size, other_color)
    badge = row.locator(".mine").evaluate("(badge) => parseFloat(getComputedStyle(badge).fontSize)")
    cell = row.locator("td").nth(3).evaluate("(cell) => parseFloat(getComputedStyle(cell).fontSize)")
    assert badge < cell  # only the badge is small


def test_compared_runs_of_one_name_are_told_apart_by_what_differs(page: Page, live_server: str) -> None:
    trainers = {
        "sgd": {"method": "sgd", "learning_rate": 0.01, "momentum": 0.0, "batch_size": 10},
        "sgd+momentum": {"method": "sgd", "learning_rate": 0.01, "momentum": 0.9, "batch_size": 10},
        "adam": {"method": "adam", "learning_rate": 0.01, "batch_size": 10},
        "adadelta": {"method": "adadelta", "batch_size": 20, "l2_decay": 0.001},
    }
    rings = {"name": "playground rings", "dataset": {"name": "rings"}, "layers": SPIRAL_NET}
    ids = {
        label: create_paused(live_server, **rings, trainer=trainer)["id"]
        for label, trainer in trainers.items()
    }
    page.goto(f"{live_server}/jobs#compare={','.join(ids.values())}")
    expect(page.locator("#legend li")).to_have_text([
        "playground rings (sgd, batch 10, l2_decay 0, momentum 0)",
        "playground rings (sgd, batch 10, l2_decay 0, momentum 0.9)",
        "playground rings (adam, batch 10, l2_decay 0)",
        "playground rings (adadelta, batch 20, l2_decay 0.001)",
    ])  # fmt: skip
    shown = {
        "sgd": "sgd · lr 0.01 · batch 10 · momentum 0",
        "sgd+momentum": "sgd · lr 0.01 · batch 10 · momentum 0.9",
        "adam": "adam · lr 0.01 · batch 10 · beta1 0.9 · beta2 0.999 · eps 1e-8",
        "adadelta": "adadelta · batch 20 · l2_decay 0.001 · ro 0.95 · eps 1e-8",  # it takes no learning rate
    }
    for label, text in shown.items():
        cell = page.locator(f"#jobs-table tr[data-id='{ids[label]}'] td").nth(9)
        expect(cell).to_have_text(text)
    expect(page.locator(f"#jobs-table tr[data-id='{ids['sgd']}'] td").nth(9)).to_have_attribute(
        "title", "sgd: learning_rate 0.01, batch_size 10, l1_decay 0, l2_decay 0, momentum 0"
    )


RUN_LABELS = """async (cases) => {
  const { distinctLabels } = await import("/static/js/runlabels.js");
  const catalogue = await (await fetch("/api/catalogue")).json();
  const datasets = await (await fetch("/api/datasets")).json();
  return cases.map((runs) => Object.fromEntries(distinctLabels(runs, catalogue, datasets)));
}"""


def test_run_labels_name_the_fields_in_which_setups_differ(page: Page, live_server: str) -> None:
    net = [*SPIRAL_NET[:1], {"type": "fc", "num_neurons": 8, "activation": "tanh"}, SPIRAL_NET[-1]]
    base = {"dataset": {"name": "rings"}, "layers": net, "trainer": {"method": "sgd"}, "seed": 0}

    def run(job_id: str, name: str = "rings", **changes: object) -> dict:
        return {"id": job_id, "name": name, "spec": {**base, **changes}}

    wider = [*net[:1], {"type": "fc", "num_neurons": 16, "activation": "relu"}, net[-1]]
    cases = [
        [run("a"), run("b", name="spiral")],  # names differ: the names alone
        [run("a"), run("b", seed=3)],
        [run("a"), run("b", dataset={"name": "rings", "noise": 0.3})],  # noise left out: the default
        [run("a"), run("b", layers=wider)],
        [run("a"), run("b", trainer={"method": "sgd", "momentum": 0.9})],  # 0.9 is sgd's default
        [run("a"), run("b", trainer={"method": "windowgrad"}), run("c", trainer={"method": "rmsprop"})],
    ]
    page.goto(f"{live_server}/static/css/netplay.css")
    assert page.evaluate(RUN_LABELS, cases) == [
        {"a": "rings", "b": "spiral"},
        {"a": "rings (seed 0)", "b": "rings (seed 3)"},
        {"a": "rings (noise 0)", "b": "rings (noise 0.3)"},
        {"a": "rings (layers 8 tanh)", "b": "rings (layers 16 relu)"},
        {"a": "rings (job a)", "b": "rings (job b)"},
        {"a": "rings (sgd)", "b": "rings (rmsprop) · job b", "c": "rings (rmsprop) · job c"},
    ]


def tensorboard_smoothing(values: list[float], weight: float) -> list[float]:
    """TensorBoard's scalar smoothing (vz_line_chart2's resmoothDataset): a moving average started at 0,
    divided by 1 - weight ** n over the n values so far; a constant series stays as it is."""
    if all(value == values[0] for value in values):
        return list(values)
    last, smoothed = 0.0, []
    for n, value in enumerate(values, start=1):
        last = last * weight + (1 - weight) * value
        smoothed.append(last / (1 - weight**n))
    return smoothed


def set_smoothing(page: Page, weight: float) -> None:
    page.locator("#smoothing").evaluate(
        "(slider, weight) => { slider.value = weight; slider.dispatchEvent(new Event('input')); }", weight
    )


def ticks(page: Page, axis: str) -> list[str]:
    """The tick labels the compare chart drew on its x or y axis."""
    text = page.locator("#compare-chart").get_attribute(f"data-{axis}-ticks") or ""
    return text.split(" | ")


def test_compare_smooths_scales_and_exports_the_overlaid_curves(page: Page, live_server: str) -> None:
    ids = {}
    for method in ("sgd", "adam"):
        trainer = {"method": method, "learning_rate": 0.01, "batch_size": 10}
        ids[method] = create_job(
            live_server, name="rings compare", dataset={"name": "rings"}, layers=SPIRAL_NET,
            trainer=trainer, stop={"max_steps": 400},
        )["id"]  # fmt: skip
    for job in ids.values():
        eventually(lambda job=job: httpx.get(f"{live_server}/api/jobs/{job}").json()["status"] == "completed")
    page.goto(f"{live_server}/jobs#compare={ids['sgd']},{ids['adam']}")
    expect(page.locator("#legend li")).to_have_text(["rings compare (sgd)", "rings compare (adam)"])
    expect(page.locator("#smoothing-value")).to_have_text("0.600")  # TensorBoard's default

    set_smoothing(page, 0.9)
    expect(page.locator("#smoothing-value")).to_have_text("0.900")
    page.wait_for_function("location.hash.includes('smoothing=0.9')")
    by_step = [float(tick.replace(",", "")) for tick in ticks(page, "x")]
    page.select_option("#x-axis", "examples")
    page.wait_for_function("document.querySelector('#compare-chart').dataset.xTicks.includes('1,000')")
    by_examples = [float(tick.replace(",", "")) for tick in ticks(page, "x")]
    assert max(by_examples) == 10 * max(by_step)  # a batch of 10 examples a step
    page.select_option("#x-axis", "time")
    expect(page.locator("#log-x")).to_be_disabled()  # wall time starts at 0
    page.wait_for_function("document.querySelector('#compare-chart').dataset.xTicks.endsWith(' s')")
    page.select_option("#x-axis", "step")
    page.check("#log-y")
    page.check("#log-x")
    page.wait_for_function("location.hash.includes('logy=1') && location.hash.includes('logx=1')")
    for axis in ("x", "y"):  # 1, 2, 5... times powers of ten
        assert all(re.fullmatch(r"[1-9](,?0)*|0\.0*[1-9]", tick) for tick in ticks(page, axis)), ticks(
            page, axis
        )

    page.reload()  # the settings are in the address
    expect(page.locator("#smoothing-value")).to_have_text("0.900")
    expect(page.locator("#log-y")).to_be_checked()
    expect(page.locator("#legend li")).to_have_count(2)
    with page.expect_download() as download:
        page.click("#download-csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert list(rows[0]) == [
        "run", "job", "metric", "step", "examples_seen", "seconds", "wall_time", "value", "smoothed",
    ]  # fmt: skip
    for method, job in ids.items():
        points = [p for p in httpx.get(f"{live_server}/api/jobs/{job}/metrics").json()["points"] if p["loss"]]
        mine = [row for row in rows if row["job"] == job]
        assert {row["run"] for row in mine} == {f"rings compare ({method})"}
        assert {row["metric"] for row in mine} == {"loss"}
        assert [int(row["step"]) for row in mine] == [p["step"] for p in points]
        assert [int(row["examples_seen"]) for row in mine] == [p["examples_seen"] for p in points]
        assert [float(row["wall_time"]) for row in mine] == [p["time"] for p in points]
        assert [float(row["value"]) for row in mine] == [p["loss"] for p in points]
        smoothed = tensorboard_smoothing([p["loss"] for p in points], 0.9)
        assert [float(row["smoothed"]) for row in mine] == pytest.approx(smoothed, rel=1e-9)

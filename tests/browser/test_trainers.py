"""The trainer comparison page against a live server: the same net, data and seed trained side by side
by the ticked trainers, curves against examples seen, a table of their figures, and a new comparison
stopping the previous one."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import eventually
from tests.browser.test_jobs import CURVES_DRAWN, swatch_color

TIMEOUT = 30_000
LOSS_CURVES_DRAWN = CURVES_DRAWN.replace("#compare-chart", "#loss-chart")


def jobs(live_server: str) -> dict[str, dict]:
    """The jobs the page started (every job but the server's ready digit net), with their specs."""
    items = httpx.get(f"{live_server}/api/jobs", params={"limit": 100}).json()["items"]
    return {
        item["id"]: httpx.get(f"{live_server}/api/jobs/{item['id']}").json()
        for item in items
        if item["name"] != "ready digit net"
    }


def test_trainers_train_one_setup_side_by_side_and_a_new_comparison_stops_the_last(
    page: Page, live_server: str
) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/trainers")
    expect(page.locator("#trainer-rows tbody tr")).to_have_count(7)  # ConvNetJS's seven, from the server
    page.select_option("#setup", label="ConvNetJS classify2d: rings")
    for label in ("sgd", "adagrad", "windowgrad", "nesterov"):
        page.get_by_role("checkbox", name=f"Train {label}", exact=True).uncheck()
    page.fill("#budget", "2000")

    page.click("#run")  # each trainer sees 2,000 examples, however many job slots are free

    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(3)
    for label in ("sgd+momentum", "adam", "adadelta"):
        expect(rows.filter(has_text=label).locator("td").nth(0)).to_have_text("completed")
    for row in rows.all():  # the server's own figures; 250 steps of 8 (an epoch's last batch is smaller)
        job = httpx.get(f"{live_server}/api/jobs/{row.get_attribute('data-id')}").json()
        assert job["step"] == 250
        expect(row.locator("td").nth(1)).to_have_text(f"{job['examples_seen']:,}")
    legend = page.locator("#legend li")
    expect(legend).to_have_count(3)
    page.wait_for_function(LOSS_CURVES_DRAWN, arg=[swatch_color(legend.nth(i)) for i in range(3)])
    first = jobs(live_server)
    assert sorted(job["trainer"]["method"] for job in first.values()) == ["adadelta", "adam", "sgd"]
    specs = [job["spec"] for job in first.values()]
    assert all(spec["layers"] == specs[0]["layers"] and spec["seed"] == specs[0]["seed"] for spec in specs)
    assert all(spec["dataset"]["name"] == "rings" for spec in specs)

    page.fill("#budget", "")
    page.click("#run")  # until stopped
    expect(rows.locator("td:first-of-type", has_text="completed")).to_have_count(0)
    second = {row.get_attribute("data-id") for row in rows.all()}
    page.click("#run")  # again: the second comparison's jobs stop, three new ones take their place

    eventually(
        lambda: all(job["status"] == "stopped" for job in jobs(live_server).values() if job["id"] in second)
    )
    expect(rows).to_have_count(3)
    page.wait_for_function(
        "(old) => [...document.querySelectorAll('#results tbody tr')]"
        ".every((row) => !old.includes(row.dataset.id))",
        arg=list(second),
    )


def test_each_trainer_row_offers_its_methods_settings_as_the_catalogue_describes_them(
    page: Page, live_server: str
) -> None:
    catalogue = httpx.get(f"{live_server}/api/catalogue").json()["trainers"]
    used = {entry["method"]: [h for h in entry["hyper"] if h["used"]] for entry in catalogue}
    page.goto(f"{live_server}/trainers")
    rows = page.locator("#trainer-rows tbody tr")
    expect(rows).to_have_count(7)
    for row in rows.all():
        method = row.locator("[data-role='method']").input_value()
        boxes = row.locator("input[data-hyper]")
        hypers = {hyper["name"]: hyper for hyper in used[method]}
        assert sorted(box.get_attribute("data-hyper") for box in boxes.all()) == sorted(hypers)
        for box in boxes.all():
            hyper = hypers[box.get_attribute("data-hyper")]
            assert float(box.get_attribute("placeholder")) == hyper["default"]
            assert box.get_attribute("min") == (None if hyper["low"] is None else f"{hyper['low']:g}")
            assert box.get_attribute("max") == (None if hyper["high"] is None else f"{hyper['high']:g}")
    adadelta = page.locator("#trainer-rows tr[data-label='adadelta']")
    expect(adadelta.get_by_role("spinbutton", name="ro of adadelta")).to_have_value("0.95")
    expect(adadelta.get_by_role("spinbutton", name="learning_rate of adadelta")).to_have_count(0)  # ignored
    page.locator("#trainer-rows tr[data-label='sgd'] [data-role='method']").select_option("adam")
    sgd = page.locator("#trainer-rows tr[data-label='sgd']")  # now adam: its own settings, no momentum
    expect(sgd.get_by_role("spinbutton", name="beta1 of sgd")).to_have_attribute("placeholder", "0.9")
    expect(sgd.get_by_role("spinbutton", name="momentum of sgd")).to_have_count(0)
    expect(sgd.get_by_role("spinbutton", name="learning_rate of sgd")).to_have_value("0.01")  # kept

    page.get_by_role("spinbutton", name="momentum of sgd+momentum").fill("1")  # must be below 1
    jobs_before = httpx.get(f"{live_server}/api/jobs").json()["total"]  # the ready net, if it is there
    page.click("#run")
    expect(page.locator("#toast")).to_contain_text("sgd+momentum: momentum must be in [0, 1), got 1")
    assert httpx.get(f"{live_server}/api/jobs").json()["total"] == jobs_before  # none started


def test_edited_and_added_rows_train_with_their_own_settings_told_apart_and_export_one_csv(
    page: Page, live_server: str
) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/trainers")
    page.select_option("#setup", label="ConvNetJS classify2d: rings")
    for label in ("sgd+momentum", "adam", "adagrad", "windowgrad", "nesterov"):
        page.get_by_role("checkbox", name=f"Train {label}", exact=True).uncheck()
    page.get_by_role("spinbutton", name="ro of adadelta").fill("0.9")
    page.select_option("#add-method", "sgd")
    page.click("#add-trainer")  # a second "sgd" row, at sgd's defaults
    added = page.locator("#trainer-rows tbody tr").last
    added.get_by_role("spinbutton", name="learning_rate of sgd").fill("0.1")
    added.get_by_role("spinbutton", name="momentum of sgd").fill("0.5")
    page.fill("#budget", "800")
    page.click("#run")

    results = page.locator("#results tbody tr")
    expect(results).to_have_count(3)
    expect(results.locator("td:nth-of-type(1)", has_text="completed")).to_have_count(3)
    trainers = sorted((job["trainer"] for job in jobs(live_server).values()), key=lambda t: t["method"])
    assert trainers[0] == {"method": "adadelta", "ro": 0.9, "eps": 1e-6, "batch_size": 8, "l2_decay": 0.001}
    assert {"method": "sgd", "learning_rate": 0.1, "momentum": 0.5} in trainers
    legend = page.locator("#legend li")
    expect(legend).to_have_text([
        "sgd (lr 0.01, batch 8, l2_decay 0.001, momentum 0)",
        "adadelta",
        "sgd (lr 0.1, batch 1, l2_decay 0, momentum 0.5)",  # the budget's steps are not told
    ])  # fmt: skip
    expect(results.last.locator("td").last).to_have_text("sgd · lr 0.1 · momentum 0.5")
    page.wait_for_function(LOSS_CURVES_DRAWN, arg=[swatch_color(legend.nth(i)) for i in range(3)])

    with page.expect_download() as download:
        page.click("#download-csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert {row["metric"] for row in rows} == {"loss", "test_accuracy", "train_accuracy"}
    assert {row["run"] for row in rows} == {item.inner_text() for item in legend.all()}
    for row in rows:  # against examples seen by default: each row has all three x values
        assert int(row["examples_seen"]) > 0 and int(row["step"]) > 0 and float(row["seconds"]) >= 0


def test_on_a_phone_the_trainer_rows_scroll_and_the_page_does_not(page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/trainers")
    expect(page.locator("#trainer-rows tbody tr")).to_have_count(7)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#trainer-rows").evaluate("(table) => table.parentElement.scrollWidth > 390")
    for selector in ("#run", "#download-csv", "#add-trainer"):
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, selector

"""The trainer comparison page against a live server: the same net, data and seed trained side by side
by the ticked trainers, curves against examples seen, a table of their figures, and a new comparison
stopping the previous one."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import eventually
from tests.browser.test_jobs import CURVES_DRAWN, swatch_color

TIMEOUT = 30_000
LOSS_CURVES_DRAWN = CURVES_DRAWN.replace("#compare-chart", "#loss-chart")


def jobs(live_server: str) -> dict[str, dict]:
    items = httpx.get(f"{live_server}/api/jobs", params={"limit": 100}).json()["items"]
    return {item["id"]: httpx.get(f"{live_server}/api/jobs/{item['id']}").json() for item in items}


def test_trainers_train_one_setup_side_by_side_and_a_new_comparison_stops_the_last(
    page: Page, live_server: str
) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/trainers")
    expect(page.locator("#trainer-boxes input")).to_have_count(7)  # ConvNetJS's seven, from the server
    page.select_option("#setup", label="ConvNetJS classify2d: rings")
    for label in ("sgd", "adagrad", "windowgrad", "nesterov"):
        page.locator("#trainer-boxes label", has_text=label).first.locator("input").uncheck()
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

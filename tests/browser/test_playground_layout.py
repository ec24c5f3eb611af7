"""The playground read at a glance: what fits a 1280x720 screen and a 390 px phone, the legend and the
test-data toggle, links that hide parts of the page, a link edited in the address bar, and the question
before a method change restarts training."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_playground import STEP, job, job_id, open_playground, wait_for_new_job

TIMEOUT = 20_000
# Pixels of the overlay that points cover (the overlay is transparent elsewhere).
POINT_PIXELS = """() => {
  const canvas = document.getElementById('boundary-overlay');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 200) count++;
  return count;
}"""


def small_page(browser: Browser, width: int, height: int) -> Page:
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(TIMEOUT)
    return page


def test_the_boundary_the_diagram_and_the_charts_fit_1280x720_and_a_phone_does_not_overflow(
    browser: Browser, live_server: str
) -> None:
    page = small_page(browser, 1280, 720)
    open_playground(page, live_server)
    expect(page.locator("#diagram path.diagram-link[d]").first).to_be_attached()
    for selector in (
        "#boundary-overlay",
        "#diagram",
        "#loss-chart",
        "#accuracy-chart",
        "#figure-test-accuracy",
    ):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 720, (selector, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, (selector, box)
    page.context.close()

    phone = small_page(browser, 390, 844)
    open_playground(phone, live_server)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    plot = phone.locator("#boundary-overlay").bounding_box()
    for selector in (".pg-controls", ".pg-network", ".pg-data"):
        assert plot["y"] < phone.locator(selector).bounding_box()["y"], selector  # the plot comes first
    phone.context.close()


def test_the_legend_names_the_classes_and_the_test_points_can_be_hidden(page: Page, live_server: str) -> None:
    open_playground(page, live_server)
    page.set_default_timeout(TIMEOUT)
    legend = page.locator("#legend li")
    expect(legend).to_have_text(["class A", "class B", "training point (filled)", "test point (ringed)"])
    expect(page.locator("#colour-scale")).to_contain_text("white where the net is undecided")
    page.wait_for_function(f"() => ({POINT_PIXELS})() > 0")
    both = page.evaluate(POINT_PIXELS)
    page.get_by_label("Show test data").uncheck()
    page.wait_for_function(f"(both) => ({POINT_PIXELS})() < both * 0.8", arg=both)
    assert "show_test=false" in page.evaluate("location.hash")
    page.get_by_label("Show test data").check()
    page.wait_for_function(f"(both) => ({POINT_PIXELS})() === both", arg=both)


def test_a_link_hides_the_parts_a_lesson_does_not_need(page: Page, live_server: str) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live_server}/#dataset=circle&hide=data,trainer,shape,editor")
    expect(page.locator("#status")).to_have_text("paused")
    for hidden in (".pg-data", ".trainer-fields", ".net-details", "#diagram button"):
        expect(page.locator(hidden).first).to_be_hidden()
    for shown in ("#play", "#boundary-overlay", ".pg-network", "#features", "#loss-chart"):
        expect(page.locator(shown).first).to_be_visible()
    assert "hide=data%2Ctrainer%2Cshape%2Ceditor" in page.evaluate("location.hash")


def test_editing_the_address_bar_applies_the_new_setup(page: Page, live_server: str) -> None:
    open_playground(page, live_server)
    page.set_default_timeout(TIMEOUT)
    first = job_id(page)
    page.evaluate("location.hash = '#dataset=rings&learning_rate=0.03&hide=data'")
    second = wait_for_new_job(page, first)
    spec = job(page, live_server)["spec"]
    assert spec["dataset"]["name"] == "rings" and spec["trainer"]["learning_rate"] == 0.03
    expect(page.get_by_label("Learning rate")).to_have_value("0.03")
    expect(page.locator(".pg-data")).to_be_hidden()
    page.evaluate("location.hash = location.hash.replace('hide=data', 'hide=')")  # only the look changes
    expect(page.locator(".pg-data")).to_be_visible()
    assert job_id(page) == second


def test_changing_the_method_asks_before_it_restarts_training(page: Page, live_server: str) -> None:
    open_playground(page, live_server)
    page.set_default_timeout(TIMEOUT)
    first = job_id(page)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(f"{STEP} > 0")
    questions: list[str] = []

    def decline(dialog: object) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    method = page.get_by_label("Method")
    current = method.input_value()
    other = "nesterov" if current != "nesterov" else "adam"
    page.once("dialog", decline)
    method.select_option(other)
    expect(method).to_have_value(current)
    assert f"Changing the method to {other} restarts training from step 0" in questions[0]
    assert job_id(page) == first

    page.once("dialog", lambda dialog: dialog.accept())
    method.select_option(other)
    wait_for_new_job(page, first)
    assert httpx.get(f"{live_server}/api/jobs/{job_id(page)}").json()["trainer"]["method"] == other

"""The playground in headless Chromium, for the classroom benchmark's page figures: how soon a page's first
frame that draws the boundary arrives (`page_first_boundary`), and how soon many tabs pressing Play at
once each show 95% test accuracy (`tabs_to_95`). Needs Playwright (the test extra) and Debian's Chromium.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from serving import frame_type

CHROMIUM = os.environ.get("NETPLAY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
DRAWING_KINDS = ("boundary", "weights")  # the frames that draw the boundary: the page's, the server's


def page_first_boundary(url: str, loads: int) -> list[float]:
    """Seconds from navigating to the playground to the first frame on its socket that draws the
    boundary (a weights frame the page draws it from, or the server's boundary frame)."""
    from playwright.sync_api import sync_playwright

    seconds = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(loads):
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            page = context.new_page()
            seen: list[float] = []

            def on_socket(socket: Any, seen: list[float] = seen) -> None:
                def on_frame(payload: Any) -> None:
                    if isinstance(payload, bytes) and not seen and frame_type(payload) in DRAWING_KINDS:
                        seen.append(time.monotonic())

                socket.on("framereceived", on_frame)

            page.on("websocket", on_socket)
            started = time.monotonic()
            page.goto(f"{url}/")
            page.wait_for_function("() => true")  # let the page's events reach this process
            deadline = started + 30
            while not seen and time.monotonic() < deadline:
                page.wait_for_timeout(5)
            seconds.append(seen[0] - started)
            context.close()
        browser.close()
    return seconds


TEST_ACCURACY = "parseFloat(document.querySelector('#figure-test-accuracy').textContent)"
FRAMES_SHOWN = "parseFloat(document.querySelector('#count-fps').textContent)"


async def tabs_to_95(url: str, tabs: int) -> tuple[list[float], list[float]]:
    """`tabs` playground pages in one headless Chromium, each its own visitor (browser context), all
    loaded, then Play clicked on every one at once: (seconds from each click to its page showing test
    accuracy >= 95%; frames/s each page shows 5 s after its click)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = []
        for _ in range(tabs):
            context = await browser.new_context(viewport={"width": 1280, "height": 720})
            page = await context.new_page()
            await page.goto(f"{url}/")
            pages.append(page)

        async def play(page: Any) -> tuple[float, float]:
            started = time.monotonic()
            await page.click("#play")
            await page.wait_for_function(f"() => {TEST_ACCURACY} >= 95", polling=50, timeout=120_000)
            reached = time.monotonic() - started
            await asyncio.sleep(max(0.0, started + 5 - time.monotonic()))
            return reached, await page.evaluate(f"() => {FRAMES_SHOWN}")

        results = await asyncio.gather(*(play(page) for page in pages))
        await browser.close()
    return [reached for reached, _ in results], [frames for _, frames in results]

"""
The page in a real browser: headless Chromium, driven by chromedriver.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.processes import Running, eventually
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from boredbot.page import render_page
from boredbot.status import Status
from luggage.cache import Reading

#: Starts real services or processes (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

#: The quickstart's picture of the page: taken by the test below, which
#: rewrites it whenever the page (or the browser) draws it otherwise.
SCREENSHOT = Path(__file__).parents[2] / "docs" / "tutorial" / "page.png"


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    for program in (CHROMIUM, CHROMEDRIVER):
        # A missing browser fails the run: a skipped browser test proves nothing.
        assert shutil.which(program), (
            f"{program} is missing: apt-get install chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        options.add_argument(flag)
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        try:
            yield driver
        finally:
            driver.quit()


def test_poking_in_the_browser_entertains_the_bot(
    bot: tuple[Running, str], browser: webdriver.Chrome
) -> None:
    _, url = bot

    def statuses() -> list[str]:
        browser.get(url + "/")
        return [
            item.text for item in browser.find_elements(By.CSS_SELECTOR, "li .status")
        ]

    eventually(lambda: len(statuses()) >= 2)
    assert browser.title == "boredbot"
    browser.find_element(By.XPATH, "//button[text()='Poke the bot']").click()
    # The poke answers 303 to the page, which says so (no cookie needed).
    # click() may return before the form's navigation ends: wait for it.
    eventually(lambda: browser.current_url == url + "/?poked=1", timeout=10)
    assert browser.current_url == url + "/?poked=1"
    notice = browser.find_element(By.CLASS_NAME, "poked").text
    assert notice == "Poked! The bot notices within 0.3 s."
    assert browser.get_cookies() == []
    eventually(lambda: "Someone poked me! That was fun." in statuses())
    assert "Mood:" in browser.find_element(By.ID, "mood").text
    # The inline style is allowed by the Content-Security-Policy's hash;
    # a refused style would leave the default (serif) font.
    font = browser.find_element(By.TAG_NAME, "body").value_of_css_property(
        "font-family"
    )
    assert font == "sans-serif"


def _posted(at: str, status: str) -> dict[str, str]:
    return {"createdAt": f"2026-11-26T{at}.000Z", "status": status}


#: What the bot shows an iteration after a poke: the picture's fixed content.
PICTURED = Status(
    mood_part=Reading(
        [
            {
                "mood": "content",
                "feeling": "Content: I was entertained.",
                "since": "2026-11-26T09:00:40.000Z",
            }
        ],
        read_at=0.0,
    ),
    lines_part=Reading(
        [
            _posted("09:00:40", "Someone poked me! That was fun."),
            _posted("09:00:30", "I'm so very bored."),
            _posted("09:00:20", "I'm bored"),
            _posted("09:00:10", "I'm getting restless."),
        ],
        read_at=0.0,
    ),
)


def test_the_quickstart_pictures_the_page_as_it_is(
    browser: webdriver.Chrome, tmp_path: Path
) -> None:
    """
    The page as the bot renders it (fixed content, so that the picture
    changes only when the page does), drawn by the real browser, is the
    picture in the quickstart; the test writes it there when it differs, so
    that the change shows in C{git status}.
    """
    page = tmp_path / "page.html"
    page.write_bytes(render_page(PICTURED))
    browser.set_window_size(800, 600)
    browser.get(page.as_uri())
    assert browser.find_element(By.CLASS_NAME, "feeling").text == (
        "Content: I was entertained."
    )
    picture = browser.get_screenshot_as_png()
    assert picture.startswith(b"\x89PNG\r\n\x1a\n")
    if not SCREENSHOT.exists() or SCREENSHOT.read_bytes() != picture:
        SCREENSHOT.write_bytes(picture)

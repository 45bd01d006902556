"""
The page in a real browser: headless Chromium, driven by chromedriver.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator

import pytest
from helpers.processes import Running, eventually
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

#: Starts real services or processes (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


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

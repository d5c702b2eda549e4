"""The built site in headless Chromium: loads clean from file://, sorts, filters, stays inert.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package; skipped
with the reason when they are absent. Saves ``test-artifacts/leaderboard.png``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from board_fixtures import HOSTILE, build

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def browser():
    if not CHROMIUM or not DRIVER:
        pytest.skip("headless Chromium not installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1600,1200",
        "--allow-file-access-from-files",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=DRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def severe(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def names(driver) -> list[str]:
    return [a.text for a in driver.find_elements("css selector", "#board tbody tr a.model")]


def test_site_in_headless_chromium(runs, browser):
    from selenium.webdriver.support.ui import Select

    site = runs["tmp"] / "site"
    assert build(runs, site) == 0
    browser.get((site / "index.html").as_uri())
    assert severe(browser) == []
    assert browser.execute_script("return window.__pwned === undefined")

    rows = browser.find_elements("css selector", "#board tbody tr")
    assert len(rows) == 4
    first = names(browser)
    assert HOSTILE in first  # shown as text, exactly as in the results file

    # Sorting by the base model's worst set reorders the rows; clicking again reverses.
    browser.find_element("css selector", 'th[data-col="name"] button').click()
    by_name = names(browser)
    assert by_name == sorted(first, key=str.lower) and by_name != first
    browser.find_element("css selector", 'th[data-col="name"] button').click()
    assert names(browser) == by_name[::-1]
    browser.find_element("css selector", 'th[data-col="overall"] button').click()
    assert names(browser) == first  # best overall first, as rendered

    # Filters: strategy hides rows, family hides the other families' columns.
    browser.find_element("css selector", '.strategy-filter[value="base"]').click()
    visible = [
        r for r in browser.find_elements("css selector", "#board tbody tr") if r.is_displayed()
    ]
    assert len(visible) == 2
    assert browser.find_element("id", "row-count").text == "2 modèles"
    Select(browser.find_element("id", "family-filter")).select_by_value("openqa")
    shown = [
        th.get_attribute("data-col")
        for th in browser.find_elements("css selector", "#board thead th")
        if th.is_displayed()
    ]
    assert shown == [
        "rank",
        "name",
        "strategy",
        "kqa",
        "frclinicalqa",
        "frmedqa",
        "avg_openqa",
        "overall",
    ]
    Select(browser.find_element("id", "family-filter")).select_by_value("all")
    browser.find_element("css selector", '.strategy-filter[value="base"]').click()

    imgs = browser.find_elements("css selector", "figure img")
    assert len(imgs) == 3
    for img in imgs:
        assert (
            browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img)
            > 0
        )

    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "leaderboard.png"))

    # The hostile model's own page: its name is the heading's text, nothing ran.
    browser.find_element("link text", HOSTILE).click()
    assert browser.find_element("css selector", "h1.model-name").text == HOSTILE
    assert browser.execute_script("return window.__pwned === undefined")
    assert severe(browser) == []
    browser.get((site / "tasks" / "frclinicalqa.html").as_uri())
    assert browser.find_element("tag name", "h1").text == "FrClinicalQA"
    assert len(browser.find_elements("css selector", "table.plain tbody tr")) == 4
    assert severe(browser) == []

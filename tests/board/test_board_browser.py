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
    browser.find_element("css selector", '.strategy-filter[value="unknown"]').click()
    visible = [
        r for r in browser.find_elements("css selector", "#board tbody tr") if r.is_displayed()
    ]
    assert len(visible) == 2
    assert browser.find_element("id", "row-count").text == "2 models"
    Select(browser.find_element("id", "family-filter")).select_by_value("openqa")
    shown = [
        th.get_attribute("data-col")
        for th in browser.find_elements("css selector", "#board thead th")
        if th.is_displayed()
    ]
    assert shown == [
        "rank",
        "name",
        "overall",
        "avg_openqa",
        "kqa",
        "frclinicalqa",
        "frmedqa",
    ]
    Select(browser.find_element("id", "family-filter")).select_by_value("all")
    browser.find_element("css selector", '.strategy-filter[value="unknown"]').click()

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


def showcase(tmp_path: Path) -> Path:
    """A small board as a reader would see it: a base, three adaptations, a long name."""
    import json

    from board_fixtures import BASE, CPT, SFT, run_card, signif_for, write_run

    out = tmp_path / "showcase"
    long_name = "medfr-test/MedMistral-CPT-SFT-Instruct-v0.2-7B"
    extra = {"twins": True, "calibration": True}  # translation gap and calibration sections
    write_run(out, BASE, 0.35, seed=1, **extra)
    cards = tmp_path / "cards"
    for model, strategy, q, seed in ((CPT, "CPT", 0.55, 2), (long_name, "CPT+SFT", 0.6, 4)):
        folder = cards / strategy
        folder.mkdir(parents=True)
        card = run_card(model, BASE, strategy, 40.0)
        card["hardware"] = {"gpu": "H100", "num_gpus": 8, "bf16": True}
        (folder / "run_card.json").write_text(json.dumps(card))
        write_run(out, model, q, seed=seed, pretrained=str(folder), **extra)
    write_run(out, SFT, 0.5, seed=3, **extra)
    entries = tmp_path / "showcase_entries"
    entries.mkdir()
    (entries / "base.yaml").write_text(f"model: {BASE}\nstrategy: base\n")
    (entries / "sft.yaml").write_text(f"model: {SFT}\nbase_model: {BASE}\nstrategy: SFT\n")
    signif = tmp_path / "showcase_signif.json"
    data = signif_for(CPT, BASE)
    for c in data["comparisons"]:  # raw and Bonferroni-adjusted p, as medfr-signif writes them
        c["p_value"] = {"win": 0.0004, "tie": 0.3, "loss": 0.0009}[c["decision"]]
        c["p_adjusted"] = min(1.0, c["p_value"] * 15)
    signif.write_text(json.dumps(data))
    site = tmp_path / "showcase_site"
    from medfr_eval.cli import board_main

    code = board_main(["build", str(out), "--signif", str(signif), "--board", str(entries),
                       "-o", str(site)])  # fmt: skip
    assert code == 0
    return site


def test_layout_at_desktop_and_phone_widths(tmp_path, browser):
    """The whole table fits at 1,400 px; rank and name stay put when a phone scrolls sideways.

    Saves the four screenshots leaderboard/README.md shows (copied by hand after a look)."""
    from medfr_eval.board.table import slugify

    site = showcase(tmp_path)
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in ((1400, 900), (390, 844)):
        browser.set_window_size(width, height)
        browser.get((site / "index.html").as_uri())
        assert severe(browser) == []
        inner = browser.execute_script("return window.innerWidth")
        overall = browser.find_element("css selector", 'th[data-col="overall"]')
        if width == 1400:
            assert overall.rect["x"] + overall.rect["width"] <= inner
            # the whole table fits: abbreviated set headings, no sideways scrolling
            scroll = (
                "var s = document.querySelector('.scroll'); return [s.scrollWidth, s.clientWidth]"
            )
            full, shown = browser.execute_script(scroll)
            assert full <= shown + 1, (full, shown)
        else:  # the phone shot shows the table, not the introduction above it
            browser.execute_script("document.getElementById('filters').scrollIntoView()")
        assert browser.execute_script("return document.documentElement.scrollWidth") <= inner + 1
        assert browser.save_screenshot(str(ARTIFACTS / f"board-table-{width}.png"))
        name = browser.find_element("css selector", "#board tbody tr td.c-name")
        before = name.rect["x"]
        browser.execute_script("document.querySelector('.scroll').scrollLeft = 600")
        assert abs(name.rect["x"] - before) < 1  # sticky
        link = name.find_element("css selector", "a.model")
        assert link.size["width"] > 0
        browser.get((site / "models" / f"{slugify('medfr-test/MedMistral-CPT')}.html").as_uri())
        assert severe(browser) == []
        doc_width = browser.execute_script("return document.documentElement.scrollWidth")
        assert doc_width <= inner + 1  # no sideways scrolling of the whole page
        assert browser.save_screenshot(str(ARTIFACTS / f"board-model-{width}.png"))
        img = browser.find_element("css selector", "figure.reliability img")
        loaded = "return arguments[0].complete && arguments[0].naturalWidth"
        assert browser.execute_script(loaded, img) > 0
        assert img.rect["x"] + img.rect["width"] <= inner + 1
        browser.execute_script("document.getElementById('translation-gap').scrollIntoView()")
        assert browser.save_screenshot(str(ARTIFACTS / f"board-model-gap-{width}.png"))
        browser.execute_script("document.getElementById('calibration').scrollIntoView()")
        assert browser.save_screenshot(str(ARTIFACTS / f"board-model-calibration-{width}.png"))
        browser.execute_script("document.getElementById('vs-base').scrollIntoView()")
        assert browser.save_screenshot(str(ARTIFACTS / f"board-model-vs-base-{width}.png"))
        browser.execute_script("document.getElementById('run-card').scrollIntoView()")
        assert browser.save_screenshot(str(ARTIFACTS / f"board-model-card-{width}.png"))
    browser.set_window_size(1400, 900)
    browser.get((site / "plots" / "families.svg").as_uri())
    assert browser.save_screenshot(str(ARTIFACTS / "board-families.png"))

"""The report in a real browser: headless Chromium (Debian's chromium + chromium-driver) via selenium.

Checks that every <img> decoded (naturalWidth > 0) and that the key sections
and tables are present by id, and saves a screenshot under tmp_path. Skips
only when no browser is installed and CI is not set; under CI a missing
browser is a failure (.ci/run installs it).
"""

from __future__ import annotations

import base64
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sim.cli import main as cli
from tests.conftest import in_ci, small_town, unavailable

pytestmark = pytest.mark.slow  # a Chromium, and a report's plots drawn (about 20 s of CPU in all)

SCENARIO = small_town("report-browser", "Does fast-track approval restart a small town's firms sooner?",
                      horizon_days=50, seed=5, replications=3, firms=40, workers=15, cadres=8) + """\
finance:   # firms short of cash fail in the queues, so that fast track clearly wins over three replications
  wage_arrears_days: {sme: 0, micro: 0}
variants:
  fast-track:
    policies:
      approval: {name: fast_track}
  fast-track-again:   # the same policy: a tie that no verdict may break
    policies:
      approval: {name: fast_track}
"""

RUN_SECTIONS = ("scorecard", "question", "headline", "comparison", "plots", "variants", "parameters", "reproduce")
RUN_TABLES = ("scorecard-table", "headline-table", "comparison-table", "variants-table", "parameters-table", "reproduce-table")
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver",)


def _which(names: tuple[str, ...]) -> str | None:
    return next((p for p in (shutil.which(n) for n in names) if p), None)


@pytest.fixture(scope="module")
def results_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run with a variant; ``python -m sim run`` writes report.html at its end."""
    root = tmp_path_factory.mktemp("report-browser")
    scenario = root / "scenario.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    out = root / "results"
    assert cli(["run", str(scenario), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert (out / "report.html").is_file()
    return out


@pytest.fixture(scope="module")
def browser() -> Any:
    """A headless Chromium driven by chromedriver (closed after the module's tests)."""
    if not in_ci():
        pytest.importorskip("selenium")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = _which(BROWSERS), _which(DRIVERS)
    if binary is None or driver_path is None:
        missing = "chromium" if binary is None else "chromedriver"
        unavailable(f"no headless browser: {missing} is not installed (Debian: apt-get install chromium "
                    "chromium-driver)")
    profile = tempfile.mkdtemp(prefix="sim-report-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", "--window-size=1280,1600"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@dataclass(frozen=True)
class PageCheck:
    images: int
    broken: list[str]  # alt text of images that did not decode
    missing: list[str]  # ids not found


def check_page(driver: Any, html: Path, ids: tuple[str, ...], screenshot: Path | None = None) -> PageCheck:
    """Open ``html`` and report broken images and missing element ids; optionally save a screenshot."""
    driver.get(html.resolve().as_uri())
    driver.execute_script("return document.readyState")  # get() waits for the load event, images included
    broken = driver.execute_script(
        "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
        ".map(i => i.alt || i.src.slice(0, 40));")
    count = driver.execute_script("return document.images.length;")
    missing = [i for i in ids if not driver.execute_script("return !!document.getElementById(arguments[0]);", i)]
    if screenshot is not None:
        height = min(int(driver.execute_script("return document.body.scrollHeight;")), 12000)
        driver.set_window_size(1280, max(height, 800))
        driver.save_screenshot(str(screenshot))
        driver.set_window_size(1280, 1600)
    return PageCheck(int(count), list(broken), missing)


def test_report_renders_in_chromium(browser: Any, results_folder: Path, tmp_path: Path) -> None:
    html = results_folder / "report.html"
    shot = tmp_path / "report.png"
    result = check_page(browser, html, RUN_SECTIONS + RUN_TABLES, screenshot=shot)
    assert result.images >= 6, result  # 复工率, 复岗率, 达产率, KM, queues, utilisation, forest
    assert result.broken == [], f"images that did not load: {result.broken}"
    assert result.missing == [], f"sections or tables missing: {result.missing}"
    assert shot.stat().st_size > 10_000  # a real page, not a blank one


def test_scorecard_comes_first_and_names_no_winner_on_a_tie(browser: Any, results_folder: Path) -> None:
    """Two identical variants: the scorecard is the first section and no sentence calls either the best."""
    browser.get((results_folder / "report.html").resolve().as_uri())
    first = browser.execute_script("return document.querySelector('main section').id;")
    assert first == "scorecard"
    answer = browser.execute_script(
        "return Array.from(document.querySelectorAll('#scorecard ul.answer li')).map(li => li.innerText);")
    assert answer, "the scorecard gives no answer"
    assert not any(f"{v} is best" in line for line in answer for v in ("fast-track", "fast-track-again")), answer
    assert any("fast-track, fast-track-again" in line or "fast-track-again, fast-track" in line
               for line in answer), answer  # grouped as a tie
    text = browser.execute_script("return document.getElementById('scorecard').innerText;")
    signed_zero = re.findall(r"[+-]0\.0+(?![0-9])", text)  # '-0.0', '+0.00'; a small sum ('-0.0056') is not zero
    assert signed_zero == [] and "p = <" not in text
    # the identical variant against fast-track's column: every verdict visible, none blank
    verdicts = browser.execute_script(
        "return Array.from(document.querySelectorAll('#scorecard-table .verdict')).map(e => e.innerText);")
    assert verdicts and all(v.strip() for v in verdicts)


def test_check_detects_a_broken_image_and_a_missing_section(browser: Any, results_folder: Path,
                                                           tmp_path: Path) -> None:
    """The check must fail on a corrupted data URI and on a section that is gone."""
    text = (results_folder / "report.html").read_text(encoding="utf-8")
    uris = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert uris, "the report embeds no PNG"
    raw = bytearray(base64.b64decode(uris[1]))
    raw[8:40] = b"\x00" * 32  # wreck the PNG header: the browser cannot decode it
    corrupted = text.replace(uris[1], base64.b64encode(bytes(raw)).decode("ascii"), 1)
    corrupted = corrupted.replace('id="comparison"', 'id="gone"', 1)
    bad = tmp_path / "report.html"
    bad.write_text(corrupted, encoding="utf-8")
    result = check_page(browser, bad, RUN_SECTIONS + RUN_TABLES)
    assert len(result.broken) == 1, result
    assert result.missing == ["comparison"], result


def test_thirteen_variants_wrap_down_the_page_and_what_holds_firms_back_is_drawn(browser: Any,
                                                                                  tmp_path: Path) -> None:
    """A scenario with thirteen variants (a policy and its twelve timing variants): every table of the run's
    report fits the width of its section (the costs' tables too, with their verdicts in words) (blocks of variants wrap down the page, nothing scrolls sideways), and
    the section on what holds firms back shows its figure and tables."""
    from sim.report import write_report
    from tests.test_report_held_back import held_folder

    decay = {"base": 10.0, **{f"window-day-{day}": 4.0 + day / 10 for day in range(0, 60, 5)}}
    restart = {"base": 20.0, **{f"window-day-{day}": 10.0 + day / 5 for day in range(0, 60, 5)}}
    assert len(decay) == 13
    html = write_report(held_folder(tmp_path / "run", decay, restart, costs=True), "en")
    result = check_page(browser, html, ("scorecard", "held-back", "held-contrast-table", "fig-held_back",
                                        "scorecard-table-3", "costs-table-3"))
    assert result.broken == [] and result.missing == [], result
    browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true);")
    overflowing = browser.execute_script("""
        return Array.from(document.querySelectorAll('main table')).filter(t => {
            const box = t.closest('section').getBoundingClientRect();
            return t.getBoundingClientRect().right > box.right + 1;
        }).map(t => t.id);""")
    assert overflowing == [], f"tables wider than their section: {overflowing}"
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth;")
    why = browser.execute_script("return document.querySelector('#held-back .answer-line').innerText;")
    assert why.startswith("Why window-day-0 leads") and "compared with base" in why

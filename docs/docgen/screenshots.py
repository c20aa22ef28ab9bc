"""The workbench's screenshots for docs/app.md: ``python docs/generate.py --screenshots``.

Starts ``python -m sim app`` on the default scenario in a scratch folder, as a planner would, and
answers the page's own example question — what if the green channel opened on 20 February for SMEs
too? — in headless Chromium: the what-if is opened from the saved list (the file the page itself
would save), run against the base with a few replications, and each main view is photographed into
docs/images/. The figures in the pictures are those of the current model: rerun after a model change.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from docgen import DOCS, ROOT

IMAGES = DOCS / "images"
SCENARIO = Path("scenarios") / "tieling-2020.yaml"  # relative to the scratch folder: the pictures show no path of this machine
QUESTION = "What if the green channel opened on 20 February for SMEs too?"
CHANGES = {"policies.loans.window_opens_day": "2020-02-20", "policies.loans.green_channel_for": ["above_scale", "sme"]}
NAME = "green-sme"
REPLICATIONS = 4
START_SECONDS, RUN_SECONDS = 180, 1200  # a cold start of Panel; 8 default replications on a loaded machine

# Every element matching a selector, in the document and in every shadow root below it (Panel draws its
# widgets in shadow DOM).
DEEP = """
function all(root, selector, out) {
  root.querySelectorAll(selector).forEach(e => out.push(e));
  root.querySelectorAll('*').forEach(e => { if (e.shadowRoot) all(e.shadowRoot, selector, out); });
  return out;
}
function deepText(node) {
  return [node, ...all(node, '*', [])].map(e => e.shadowRoot ? deepText(e.shadowRoot) : '')
    .join('') + (node.textContent || '');
}
"""
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver", "chromium-driver")


def screenshots() -> list[Path]:
    """Photograph the workbench's main views into docs/images/; the files written."""
    from sim.app.whatifs import WhatIf, Workspace

    IMAGES.mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="sim-docs-app-"))
    try:
        for shared in ("scenarios", "data"):
            (scratch / shared).symlink_to(ROOT / shared, target_is_directory=True)
        whatifs = Path("whatifs")
        Workspace(scratch / SCENARIO, scratch / whatifs / SCENARIO.stem).save(
            WhatIf(NAME, QUESTION, CHANGES, REPLICATIONS))
        with _app(scratch, whatifs) as url, _browser(scratch) as driver:
            return _photograph(driver, url)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _photograph(driver: Any, url: str) -> list[Path]:
    def find(selector: str) -> list[Any]:
        return list(driver.execute_script(DEEP + "return all(document, arguments[0], []);", selector))

    def text(selector: str) -> str:
        return str(driver.execute_script(
            DEEP + "return all(document, arguments[0], []).map(e => e.textContent).join('\\n');", selector))

    def inner(host: str, selector: str) -> Any:
        return driver.execute_script(DEEP + "const h = all(document, arguments[0], [])[0]; if (!h) return null;"
                                     "return all(h.shadowRoot || h, arguments[1], [])[0] || null;", host, selector)

    def wait(condition: Callable[[], Any], seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not _answered(condition):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the workbench did not show {what} within {seconds} s; "
                                   f"its status: {text('.status')!r}")
            time.sleep(0.5)

    def shot(name: str) -> Path:
        time.sleep(2)  # let the plots finish drawing
        path = IMAGES / f"app-{name}.png"
        driver.save_screenshot(str(path))
        return path

    def tab(title: str) -> None:
        driver.execute_script(DEEP + "const t = all(document, '.bk-tab', []).find(e => e.textContent.trim() === "
                                     "arguments[0]); if (t) t.click();", title)

    def card(title: str) -> None:
        """Open the lever card with this title and close the others, one click at a time (each goes to the
        server and back)."""
        for _ in range(10):
            clicked = driver.execute_script(
                DEEP + "const h = all(document, '.card-header', []).find(h => { const t = deepText(h); "
                "return !t.includes('More series') && t.includes(arguments[0]) !== h.innerHTML.includes('chevron-down'); });"
                "if (h) h.click(); return !!h;", title)
            if not clicked:
                return
            time.sleep(1.5)

    written = []
    driver.set_script_timeout(120)
    driver.get(url)
    wait(lambda: find(".run-button"), START_SECONDS, "its page")
    choose = inner(".saved", "select")
    driver.execute_script("const s = arguments[0]; const i = Array.from(s.options).findIndex(o => "
                          "o.text.startsWith(arguments[1])); s.selectedIndex = i;"
                          "s.dispatchEvent(new Event('change', {bubbles: true}));", choose, NAME + " —")
    inner(".open-saved", "button").click()
    wait(lambda: "green" in str(driver.execute_script("return arguments[0].value;", inner(".whatif-name", "input"))),
         60, "the saved what-if")
    card("Loan channels")
    written.append(shot("levers"))
    inner(".run-button", "button").click()
    # the report's link is the last thing the page shows of a finished run: the final curves are sent before it
    wait(lambda: "Finished" in text(".status") and find("a.open-report"), RUN_SECONDS, "the end of the run")
    tab("Curves")
    written.append(shot("curves"))
    tab("Scorecard")
    written.append(shot("scorecard"))
    tab("Counties")
    written.append(shot("counties"))
    return written


def _answered(condition: Callable[[], Any]) -> bool:
    """The condition, or False while the browser is too busy to answer (a page drawing plots on a loaded
    machine)."""
    from selenium.common.exceptions import WebDriverException
    from urllib3.exceptions import ReadTimeoutError

    try:
        return bool(condition())
    except (WebDriverException, ReadTimeoutError, TimeoutError):
        return False


@contextmanager
def _app(scratch: Path, whatifs: Path) -> Iterator[str]:
    """``python -m sim app`` on the default scenario, on a free local port; its address."""
    from sim.app.background import workbench

    with workbench(SCENARIO, whatifs, scratch / "server.log", cwd=scratch, start_seconds=START_SECONDS) as (url, _):
        yield url


@contextmanager
def _browser(scratch: Path) -> Iterator[Any]:
    """Headless Chromium through chromedriver, a window the size of a laptop's screen."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = next((p for p in map(shutil.which, BROWSERS) if p), None)
    driver_path = next((p for p in map(shutil.which, DRIVERS) if p), None)
    if binary is None or driver_path is None:
        raise RuntimeError("the screenshots need chromium and chromedriver (Debian: apt-get install chromium "
                           "chromium-driver) and selenium (pip install -e '.[dev]')")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 f"--user-data-dir={scratch / 'chromium'}", "--window-size=1440,1000", "--hide-scrollbars"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()

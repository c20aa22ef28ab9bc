"""The workbench as a planner uses it: ``python -m sim app`` in a subprocess, headless Chromium via selenium.

Opens the page, refuses a bad value with the message of ``validate``, changes a lever, runs 2
replications of a small scenario and sees the curves and a verdict appear, cancels a run (its
replications are kept), reopens a saved what-if in a new session, and checks that the server's log
holds no traceback. Panel draws its widgets in shadow DOM: the helpers below look through it.
Under CI a missing browser or Panel is a failure (.ci/run installs both); elsewhere a skip.
"""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import pytest

from sim.app.whatifs import WhatIf, Workspace
from sim.cli import main as cli
from sim.report.scorecard import Verdict
from tests.conftest import in_ci, small_town
from tests.test_report_browser import browser  # noqa: F401  (the same headless Chromium)

pytestmark = pytest.mark.slow

SCENARIO = small_town("small-town", "Do fast-track approval and more liaisons restart a small town's firms sooner?",
                      horizon_days=40, seed=5, replications=2, firms=40, workers=15, cadres=8,
                      counties=("north", "south"))
START_SECONDS = 90  # the server's first page: Panel's imports and the run process's, on a loaded machine
RUN_SECONDS = 120

# Every element matching a selector, in the document and in every shadow root below it.
DEEP = """
function all(root, selector, out) {
  root.querySelectorAll(selector).forEach(e => out.push(e));
  root.querySelectorAll('*').forEach(e => { if (e.shadowRoot) all(e.shadowRoot, selector, out); });
  return out;
}
"""


@dataclass
class App:
    url: str
    log: Path
    scenario: Path
    whatifs: Path
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    if not in_ci():
        pytest.importorskip("panel")
    from sim.app.background import workbench

    root = tmp_path_factory.mktemp("app")
    scenario = root / "small-town.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    log = root / "server.log"
    try:
        with workbench(scenario, root / "whatifs", log, cwd=root, start_seconds=START_SECONDS, workers=2) as served:
            url, process = served
            yield App(url, log, scenario, root / "whatifs", process)
    except RuntimeError as exc:
        if "did not start" not in str(exc):
            raise
        pytest.fail(str(exc))


class Page:
    """The page in the browser, reached through Panel's shadow roots."""

    def __init__(self, driver: Any, app: App) -> None:
        self.driver, self.app = driver, app
        driver.set_script_timeout(120)  # a busy page (plots drawn on a loaded machine) answers late, not never
        driver.get(app.url)
        self.wait(lambda: self.find(".run-button"), START_SECONDS, "the page")

    def find(self, selector: str) -> list[Any]:
        return list(self.driver.execute_script(DEEP + "return all(document, arguments[0], []);", selector))

    def inner(self, host: str, selector: str) -> Any:
        return self.driver.execute_script(
            DEEP + "const h = all(document, arguments[0], [])[0]; if (!h) return null;"
            "return all(h.shadowRoot || h, arguments[1], [])[0] || null;", host, selector)

    def text(self, selector: str) -> str:
        return str(self.driver.execute_script(
            DEEP + "return all(document, arguments[0], []).map(e => e.textContent).join('\\n');", selector))

    def type(self, host: str, value: str, selector: str = "input") -> None:
        """Type a value into a control and leave it (as a planner does: the change event)."""
        element = self.inner(host, selector)
        assert element is not None, f"no {selector} in {host}"
        self.driver.execute_script("const e = arguments[0]; e.value = arguments[1];"
                                   "e.dispatchEvent(new Event('input', {bubbles: true}));"
                                   "e.dispatchEvent(new Event('change', {bubbles: true}));", element, value)

    def pick_date(self, host: str, iso: str) -> None:
        element = self.inner(host, "input")
        assert element is not None, f"no date field in {host}"
        self.driver.execute_script("arguments[0]._flatpickr.setDate(arguments[1], true);", element, iso)

    def choose(self, host: str, starts_with: str) -> None:
        """Pick the option of a drop-down whose text starts with ``starts_with``."""
        select = self.inner(host, "select")
        assert select is not None, f"no drop-down in {host}"
        found = self.driver.execute_script(
            "const s = arguments[0]; const i = Array.from(s.options).findIndex(o => o.text.startsWith(arguments[1]));"
            "if (i < 0) return false; s.selectedIndex = i; s.dispatchEvent(new Event('change', {bubbles: true}));"
            "return true;", select, starts_with)
        assert found, f"no option '{starts_with}…' in {host}"

    def click(self, host: str) -> None:
        self.inner(host, "button").click()

    def wait(self, condition: Callable[[], Any], seconds: float, what: str) -> Any:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = condition()
            if found:
                return found
            time.sleep(0.5)
        raise AssertionError(f"{what} did not appear in {seconds} s; status: {self.text('.status')!r}; "
                             f"errors: {self.text('.input-error')!r}")

    def value(self, host: str, selector: str = "input") -> str:
        element = self.inner(host, selector)
        return str(self.driver.execute_script("return arguments[0].value;", element))


@pytest.fixture(scope="module")
def page(browser: Any, app: App) -> Page:  # noqa: F811
    return Page(browser, app)


def _validate_message(app: App, name: str, changes: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> str:
    """What ``python -m sim validate`` says of the what-if file with these changes."""
    workspace = Workspace(app.scenario, app.whatifs / app.scenario.stem)
    path = workspace.path_of(name)  # where the page would save it: the path is part of the message
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(workspace.text(WhatIf(name, "", changes)), encoding="utf-8")
    try:
        capsys.readouterr()
        assert cli(["validate", str(path)]) == 2
        return capsys.readouterr().err.strip()
    finally:
        path.unlink()


@pytest.mark.parametrize(("lever", "bad", "good", "changes"), [
    (".lever-cadres-liaisons-count", "-3", "8", {"cadres.liaisons.count": -3}),
    (".lever-policies-loans-window_opens_day", "2020-01-20", "2020-02-13",
     {"policies.loans.window_opens_day": "2020-01-20"}),
])
def test_a_bad_value_in_a_control_is_refused_with_the_message_of_validate(
        page: Page, capsys: pytest.CaptureFixture[str], lever: str, bad: str, good: str,
        changes: dict[str, Any]) -> None:
    name = page.value(".whatif-name")
    if "day" in lever:
        page.pick_date(lever, bad)
    else:
        page.type(lever, bad)
    shown = page.wait(lambda: page.text(".input-error"), 30, "the error")
    assert shown.strip() == _validate_message(page.app, name, changes, capsys)
    assert page.inner(".run-button", "button").get_attribute("disabled") is not None
    if "day" in lever:
        page.pick_date(lever, good)
    else:
        page.type(lever, good)
    page.wait(lambda: not page.text(".input-error"), 30, "the error's end")


def test_a_changed_lever_runs_against_the_base_and_the_results_arrive(page: Page, tmp_path: Path) -> None:
    page.choose(".lever-policies-approval-name", "fast_track")
    page.wait(lambda: page.find(".lever-policies-approval-steps"), 30, "the fast-track procedure's parts")
    page.type(".whatif-note", "Does fast-track approval restart the town sooner?", "textarea")
    name = page.value(".whatif-name")
    page.click(".run-button")
    page.wait(lambda: page.find(".curves canvas") or page.find("canvas"), RUN_SECONDS, "the curves")
    page.wait(lambda: page.find("td[class^='verdict-']"), RUN_SECONDS, "a verdict")
    page.wait(lambda: "Finished" in page.text(".status") or "finished" in page.text(".status"), RUN_SECONDS,
              "the end of the run")
    verdicts = {e.get_attribute("class") for e in page.find("td[class^='verdict-']")}
    assert verdicts <= {f"verdict-{v}" for v in get_args(Verdict)}
    whatif = page.app.whatifs / page.app.scenario.stem / f"{name}.yaml"
    assert page.value(".command") == f"python -m sim run {whatif.relative_to(page.app.scenario.parent)} --workers 2"
    assert cli(["validate", str(whatif)]) == 0
    # the link is the last thing the page shows of a finished run: it may arrive a moment after the status
    page.wait(lambda: page.find("a.open-report"), 30, "the report's link")
    report = page.driver.execute_script(DEEP + "const a = all(document, 'a.open-report', [])[0]; return a && a.href;")
    assert report, page.text(".report-link")
    with urllib.request.urlopen(report, timeout=30) as response:
        assert response.status == 200 and b"scorecard" in response.read()
    page.driver.save_screenshot(str(tmp_path / "workbench.png"))


def test_cancel_stops_a_run_and_keeps_what_finished(page: Page) -> None:
    before = page.value(".whatif-name")
    # long enough that Cancel comes first on a quiet machine too (60 finished in 12 s there); a saved what-if is
    # never changed: the edit gets a new name
    page.type(".whatif-replications", "1000")
    name = page.wait(lambda: page.value(".whatif-name") != before and page.value(".whatif-name"), 30, "a new name")
    page.click(".run-button")
    page.wait(lambda: "Running" in page.text(".status") and " 0 of" not in page.text(".status"), RUN_SECONDS,
              "the first replications")
    page.click(".cancel-button")
    page.wait(lambda: "Cancelled" in page.text(".status"), RUN_SECONDS, "the end of the cancelled run")
    out = page.app.whatifs / page.app.scenario.stem / name
    assert (out / "run_state.json").is_file() and (out / "store.sqlite").is_file()


def test_a_saved_whatif_reopens_in_a_new_session_and_the_log_has_no_traceback(browser: Any, app: App) -> None:  # noqa: F811
    page = Page(browser, app)
    options = page.driver.execute_script("return Array.from(arguments[0].options).map(o => o.text).join('\\n');",
                                         page.inner(".saved", "select"))
    assert "what-if-1 — finished" in options and "interrupted" in options, options
    page.choose(".saved", "what-if-1 —")
    page.click(".open-saved")
    page.wait(lambda: "finished earlier" in page.text(".status"), 60, "the saved what-if")
    assert page.value(".lever-policies-approval-name", "select") == "fast_track"
    assert page.value(".whatif-note", "textarea").startswith("Does fast-track approval")
    page.wait(lambda: page.find("canvas") and page.find("td[class^='verdict-']"), 60, "its results")
    log = app.log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log

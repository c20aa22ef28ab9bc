"""Shared helpers: tiny scenarios built in code, small scenario and sweep files for command-line tests, running
them quietly, a Ctrl-C or a full disk at a chosen moment, batches of a chosen size, the text a figure's SVG draws;
the Hypothesis profiles (fixed examples in CI, free exploration elsewhere); Ctrl-C for the commands tests start;
a failure shown even when pytest's traceback format fails (tests/tracebacks.py)."""

from __future__ import annotations

import errno
import os
import signal
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from hypothesis import HealthCheck, settings

import sim.experiment.runner
from sim.experiment.batching import Batches
from sim.scenario.loader import deep_merge
from sim.scenario.schema import Scenario
from tests.tracebacks import pytest_runtest_makereport  # noqa: F401  (a hook: see tests/tracebacks.py)


def in_ci() -> bool:
    """True when the environment variable CI is set to something other than empty, 0, false or no."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def unavailable(message: str) -> NoReturn:
    """Skip a test whose tool or font is missing (``message`` says which, and how to install it); under CI,
    whose .ci/run installs every one the tests need, fail instead."""
    if in_ci():
        pytest.fail(message + "; CI must install it (see .ci/run).")
    pytest.skip(message)


def require_cjk_font() -> None:
    """The test draws Chinese characters: without a CJK font it is ``unavailable``."""
    from sim.plotting import style

    if style.find_cjk_font() is None:
        unavailable("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")


# Property tests. In CI (.ci/run sets CI=true) every run draws the same examples (derandomize: a fixed
# seed per test), so CI fails only on a change of the code, never on a case nobody saw before. Elsewhere
# each run explores new examples and keeps every failure in the local example database (.hypothesis/),
# which replays it first next time; a failure found must then be fixed and kept in the test as an
# @example, so that CI runs it too. Both draw 200 examples per test; `HYPOTHESIS_PROFILE=explore` draws
# 2,000 (the tests that state their own max_examples, because each example runs the simulator, keep theirs).
# No deadline and no too-slow health check: on a shared machine an example's wall time says nothing
# about the code.
_RELAXED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=200, derandomize=True, database=None, print_blob=True, **_RELAXED)
settings.register_profile("dev", max_examples=200, **_RELAXED)
settings.register_profile("explore", max_examples=2000, **_RELAXED)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if in_ci() else "dev"))

# Small scenario files with a fast-track variant, for tests that run the command line on them.
_SMALL = """
name: small
horizon_days: 30
replications: 3
population:
  strata:
    - {{name: firms, count: 30}}{more}
variants:
  fast:
    policies:
      approval: {{name: fast_track}}
"""
SMALL_TWO_STRATA = _SMALL.format(more="\n    - {name: big, count: 10, size_class: above_scale, priority: essential}")
SMALL_ONE_STRATUM = _SMALL.format(more="")

# A small sweep of one of them (as small.yaml beside it): two levels of every county's reviewers.
SMALL_SWEEP = """
scenario: small.yaml
levers:
  counties[*].approval_reviewers: {levels: [1, 3]}
design: {name: grid}
replications: 2
outcomes: [mean_restart_day, restarted_share]
"""

# A small scenario of two counties with offices of their own, for sweeps and optimisations over them.
TWO_COUNTIES = """
name: two-counties
horizon_days: {horizon}
replications: 3
counties:
  - {{name: a, weight: 0.5, approval_reviewers: 2, inspectors: 2}}
  - {{name: b, weight: 0.5, approval_reviewers: 2, inspectors: 2}}
population:
  strata:
    - {{name: firms, count: {count}}}
"""


def small_town(name: str, description: str | None = None, *, horizon_days: int, seed: int, replications: int,
               firms: int, workers: int, cadres: int | None = None, counties: tuple[str, ...] = ("north",)) -> str:
    """A small town's scenario file, for tests that run it whole (reports, plots, exports, the workbench).

    One approval reviewer and one inspector in each of ``counties`` (of equal weight), one stratum of
    ``firms`` firms of ``workers`` workers each, ``cadres`` liaisons and as many supervisors (the defaults
    when None). The text ends with a newline: a test appends its variants or other sections to it.
    """
    lines = [f"name: {name}"] + ([f"description: {description}"] if description else [])
    lines += [f"horizon_days: {horizon_days}", f"seed: {seed}", f"replications: {replications}", "counties:"]
    lines += [f"  - {{name: {county}, weight: 1, approval_reviewers: 1, inspectors: 1}}" for county in counties]
    lines += ["population:", "  strata:", f"    - {{name: firms, count: {firms}, workers: {workers}}}"]
    if cadres is not None:
        lines += ["cadres:", f"  liaisons: {{count: {cadres}}}", f"  supervisors: {{count: {cadres}}}"]
    return "\n".join(lines) + "\n"


# Ten replications of about a second each: a run long enough to be interrupted, or to lose a worker, midway.
BIGGER = """
name: bigger
horizon_days: 60
replications: 5
population:
  strata:
    - {name: firms, count: 300}
variants:
  fast:
    policies:
      approval: {name: fast_track}
"""


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C reaches the commands the tests start, however pytest itself was started.

    A command started in the background by a non-interactive shell (`pytest &` in a script) begins with
    SIGINT ignored, and its children inherit that: the tests that send SIGINT to a run would then see it
    finish instead of stop. With a handler of its own here, a child starts with the default instead.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


# Modules whose tests run on one worker, one after the other, when pytest-xdist spreads the suite over the
# cores (pyproject.toml: -n auto): the tests of a module that share a module-scoped fixture (often a whole
# run, which each worker would otherwise make again), and the browser modules (the workbench's tests follow
# one another, a run then its cancel then its reopening; two Chromiums at once only slow each other).
# The tests whose node id names Dask run on one worker too, one after the other: each starts a cluster of
# its own, and two at once on a 2-core machine slow each other's worker restarts past their timeouts.
# Every other test goes to whichever worker is free. Collection fails if a module-scoped fixture's module is
# missing here. (A scheduler of our own: pytest-xdist's xdist_group marks are lost with pytest 9.2, whose
# structured node ids no longer take the group's suffix, pytest-xdist issue 1386.)
ONE_WORKER = {
    "tests/test_app_browser.py": "browser",
    "tests/test_report_browser.py": "browser",
    "tests/test_cohorts.py": "cohorts",
    "tests/test_export.py": "export",
    "tests/test_folders.py": "folders",
    "tests/test_modules.py": "modules",
    "tests/test_plots.py": "plots",
    "tests/test_report.py": "report",
    "tests/test_report_depends.py": "report_depends",
    "tests/test_safe_writes.py": "safe_writes",
}


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: unknown when it is not loaded (-p no:xdist)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Load scheduling, except that the tests of a module in ONE_WORKER are one unit of work, and so are
    the tests whose node id names Dask."""
    if config.getvalue("dist") != "load":
        return None  # another --dist asked for on the command line
    from xdist.scheduler import LoadScopeScheduling

    class Grouped(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            if "dask" in nodeid.lower():
                return "dask"
            return ONE_WORKER.get(nodeid.split("::")[0], nodeid)

    return Grouped(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses a module-scoped fixture is in a module of ONE_WORKER; the modules with slow tests
    run first (in their order, each module's tests in theirs), so that the last work handed to the workers is
    quick tests, which even out the ends of their queues (the longest jobs first)."""
    with_slow = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in with_slow)  # a stable sort
    missing = set()
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        chains = info.name2fixturedefs.values() if info is not None else []
        module = item.nodeid.split("::")[0]
        if any(d.scope == "module" for chain in chains for d in chain) and module not in ONE_WORKER:
            missing.add(module)
    if missing:
        raise pytest.UsageError(f"tests/conftest.py: add {sorted(missing)} to ONE_WORKER: their tests share a "
                                "module-scoped fixture, which each worker would otherwise build again")


# A small optimisation of a small scenario: liaisons and every county's reviewers within a staff budget.
SMALL_OPTIMIZE = """\
scenario: small.yaml
decisions:
  cadres.liaisons.count: {low: 0, high: 20, step: 10}
  counties[*].approval_reviewers: {low: 1, high: 3}
budget:
  staff:
    limit: 40
    weights:
      cadres.liaisons.count: 1
      counties[*].approval_reviewers: 2
objectives: {mean_restart_day: minimize, failed_share: minimize}
selection: {delta: 1.0}
"""


def write_small(folder: Path, text: str = SMALL_ONE_STRATUM) -> Path:
    """``folder/small.yaml`` holding a small scenario file; its path."""
    path = folder / "small.yaml"
    path.write_text(text)
    return path


def edit_file(path: Path, old: str, new: str) -> None:
    """Replace ``old``, which must be in the file, by ``new``."""
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new))


def refused(argv: list[str], capsys: pytest.CaptureFixture[str], *expected: str) -> str:
    """Run the command line: it must exit 2, without a traceback, with every ``expected`` text in its message."""
    from sim.cli import main

    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    for text in expected:
        assert text in err, err
    return err


def run_quietly(scenario: Path, out: Path, *extra: str) -> int:
    """``python -m sim run`` on one worker, without progress or report; the exit code."""
    from sim.cli import main

    return main(["run", str(scenario), "--out", str(out), "--workers", "1", "-q", "--no-report", *extra])


_RUN_TASK = sim.experiment.runner.run_task  # the real one, whatever a test has patched


def interrupt_after(monkeypatch: pytest.MonkeyPatch, finished: int) -> list[tuple[str, int]]:
    """The in-process runner raises KeyboardInterrupt (as Ctrl-C does) once ``finished`` runs are done;
    returns the (variant, replication) of every run that finished."""
    calls: list[tuple[str, int]] = []

    def run_task(task: Any) -> Any:
        if len(calls) == finished:
            raise KeyboardInterrupt
        calls.append((task.variant, task.replication))
        return _RUN_TASK(task)

    monkeypatch.setattr(sim.experiment.runner, "run_task", run_task)
    return calls


@pytest.fixture
def reports_without_plots() -> Iterator[None]:
    """Reports are written whole but draw no plot (a note says so): drawing a small run's plots takes about
    10 s of CPU. For tests of what surrounds a report (folders, locks, where files are written), never for
    tests of the report or its plots (tests/test_report*.py, tests/test_plots.py draw them). A patch of its
    own, so that a test's ``monkeypatch.undo()`` keeps it."""
    import sim.report.build
    from sim.plotting import Plots
    from sim.plotting.style import use_language

    def no_plots(folder: Any, lang: Any = "en", *args: Any, **kwargs: Any) -> Plots:
        return Plots([], ["plots left out by the test"], use_language(lang))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sim.report.build, "make_plots", no_plots)
        yield


def disk_full_for(monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    """os.replace fails with ENOSPC for files whose name ends with ``suffix``, as on a full disk."""
    real = os.replace

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if str(dst).endswith(suffix):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


def tiny(**overrides: Any) -> Scenario:
    """A deterministic scenario: fixed durations, no rework, no problems, no outbreaks, no ban.

    Firms are held back only by the state: inputs and orders never bind and a firm reopens as soon as it is
    allowed (tests of the production network, demand and the reopening decision switch them on), every firm's
    orders follow its sector's, customers pay as they always did at prices as they always were, a closed firm
    pays its costs in full and fails as soon as its cash and credit line are gone.
    """
    base: dict[str, Any] = {
        "name": "tiny",
        "horizon_days": 30,
        "seed": 7,
        "replications": 1,
        "calendar": {"restart_ban_until_day": 0},
        "counties": [{"name": "c", "approval_reviewers": 1, "inspectors": 1}],
        "population": {"strata": [{"name": "s", "count": 2, "workers": 10, "readiness": 1.0,
                                   "nonlocal_share": 0.0, "cash_runway_days": 1000}]},
        "approval": {"preparation_days": 1.0, "review_days": 2.0, "rework_probability": 0.0},
        # only the paperwork takes time, and offices never close, so that event times stay round
        "preparation": {"supplies": {"market_days": 0.0, "allocation_days": 0.0}, "plan": {"plan_days": 0.0},
                        "health": {"days": 0.0}},
        "office_hours": {k: {"hours_per_day": 24, "days_per_week": 7, "opens_at_hour": 0}
                         for k in ("approval", "inspection", "departments", "registration")},
        "inspection": {"visit_days": 0.5},
        "problems": {"kinds": []},
        "outbreak": {"hazard_per_worker": 0.0},
        "registration": {"background_per_day": 0.0},
        "workforce": {"local_return_days": 0.0},
        "network": {"enabled": False},
        "demand": {"enabled": False, "exposure_cv": {"above_scale": 0.0, "sme": 0.0, "micro": 0.0}},
        "reopening": {"enabled": False},
        "finance": {"receivable_delay_days": {"above_scale": 0.0, "sme": 0.0, "micro": 0.0},
                    "input_price_premium": 0.0, "closed_cost_share": {"taxes": 1.0, "other": 1.0},
                    "wage_arrears_days": {"above_scale": 0.0, "sme": 0.0, "micro": 0.0}},
        "policies": {"coverage": {"name": "none"}, "approval": {"name": "standard"},
                     "loans": {"enabled": False},
                     "relief": {"unemployment_insurance_refund": {"enabled": False},
                                "training_subsidy": {"enabled": False}}},
    }
    return Scenario.model_validate(deep_merge(base, overrides))


@pytest.fixture
def tiny_scenario() -> Scenario:
    return tiny()


def batches_of(monkeypatch: pytest.MonkeyPatch, size: int) -> list[int]:
    """Executors hand out new jobs ``size`` at a time, whatever their durations; returns the sizes handed out.

    Batches are cut in the main process, so this holds for pool and Dask workers alike.
    """
    sizes: list[int] = []
    take = Batches.take

    def taken(self: Batches[Any]) -> list[Any]:
        batch = take(self)
        sizes.append(len(batch))
        return batch

    monkeypatch.setattr(Batches, "size", lambda self: size)
    monkeypatch.setattr(Batches, "take", taken)
    return sizes


def assert_workers_end_when_killed(cmd: list[str], what: str, settle: float = 0.0) -> None:
    """Start ``cmd`` (a command with 2 local workers), SIGKILL it once its workers are up (after ``settle``
    seconds), and check that the workers end too: each checks its parent every WATCHDOG_SECONDS (1 s);
    20 s allow for a loaded machine."""
    import os
    import signal
    import subprocess
    import time
    from pathlib import Path

    import psutil

    proc = subprocess.Popen(cmd, cwd=Path(__file__).parent.parent, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    workers: list[int] = []
    while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
        workers = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
    assert proc.poll() is None and len(workers) >= 2, f"the {what} ended before its workers could be seen"
    time.sleep(settle)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    gone_by = time.monotonic() + 20
    alive = workers
    while alive and time.monotonic() < gone_by:
        time.sleep(0.2)
        alive = [p for p in alive if _running(p)]
    assert alive == [], f"workers outlived the killed {what}"


def _running(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def svg_tree(svg: Path) -> ET.Element:
    """An SVG file's XML, its comments kept."""
    return ET.parse(svg, parser=ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))).getroot()


def drawn_text(svg: Path) -> list[str]:
    """The strings a figure's SVG draws. With svg.fonttype 'path' (sim.plotting.style) matplotlib draws
    each string as glyph outlines and writes it just before them as an XML comment."""
    return [c.text[1:-1] for c in svg_tree(svg).iter() if c.tag is ET.Comment and c.text]

"""Shared helpers: tiny scenarios built in code, small scenario files for command-line tests, batches of a
chosen size, the text a figure's SVG draws; the Hypothesis profiles (fixed examples in CI, free exploration elsewhere)."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from sim.experiment.batching import Batches
from sim.scenario.loader import deep_merge
from sim.scenario.schema import Scenario


def in_ci() -> bool:
    """True when the environment variable CI is set to something other than empty, 0, false or no."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


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

# A small scenario file with a fast-track variant, for tests that run the command line on it.
SMALL_TWO_STRATA = """
name: small
horizon_days: 30
replications: 3
population:
  strata:
    - {name: firms, count: 30}
    - {name: big, count: 10, size_class: above_scale, priority: essential}
variants:
  fast:
    policies:
      approval: {name: fast_track}
"""

SMALL_ONE_STRATUM = """
name: small
horizon_days: 30
replications: 3
population:
  strata:
    - {name: firms, count: 30}
variants:
  fast:
    policies:
      approval: {name: fast_track}
"""


def tiny(**overrides: Any) -> Scenario:
    """A deterministic scenario: fixed durations, no rework, no problems, no outbreaks, no ban.

    Firms are held back only by the state: inputs and orders never bind and a firm reopens as soon as it is
    allowed (tests of the production network, demand and the reopening decision switch them on), and
    customers pay as they always did at prices as they always were.
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
        "demand": {"enabled": False},
        "reopening": {"enabled": False},
        "finance": {"receivable_delay_days": {"above_scale": 0.0, "sme": 0.0, "micro": 0.0},
                    "input_price_premium": 0.0},
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

"""The benchmark script runs end to end at tiny sizes and prints figures that hang together.

No timing is asserted (the machine is shared): each figure is parsed and checked for what must hold
whatever the machine's speed — rates positive, each printed ratio the quotient of the numbers it is
printed from, counts that follow from the sizes asked for, the 1,000,000-firm memory projection equal
to the run's own pre-flight estimate.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim.experiment.memory import replication_bytes

ROOT = Path(__file__).parent.parent
LABEL = 58  # benchmarks/run.py line(): the figure's name fills 58 columns, then its value, then its target
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


class Printed(float):
    """A number as the benchmark printed it, with half a unit of its last digit: how far rounding moved it."""

    half: float


def _printed(text: str) -> list[Printed]:
    out = []
    for digits in NUMBER.findall(text):
        number = Printed(digits.replace(",", ""))
        number.half = 0.5 * 10.0 ** -(len(digits.split(".")[1]) if "." in digits else 0)
        out.append(number)
    return out


def _values(line: str) -> list[Printed]:
    """The numbers in a figure line's value (after its name, before its target)."""
    return _printed(line[LABEL:].split("target")[0])


def _numbers(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in NUMBER.findall(text)]


def _lines(out: str, head: str) -> list[str]:
    return [ln for ln in out.splitlines() if ln.startswith(head)]


def _one(out: str, head: str) -> str:
    found = _lines(out, head)
    assert len(found) == 1, f"{len(found)} lines start with {head!r}:\n{out}"
    return found[0]


def _note(out: str, line: str) -> str:
    """The indented note printed under a figure line."""
    lines = out.splitlines()
    note = lines[lines.index(line) + 1]
    assert note.startswith("   ("), note
    return note


def _ratio_holds(a: Printed, b: Printed, ratio: Printed) -> bool:
    """``ratio`` was printed from ``a / b``, and all three were rounded when printed: the printed ratio is
    within its own rounding of a quotient of numbers within theirs (a 2-worker rate of 14.4 runs/min against
    29.0 on one is any quotient from 0.494 to 0.499, printed 0.49 or 0.50)."""
    lowest = (a - a.half) / (b + b.half)
    highest = (a + a.half) / (b - b.half)
    return lowest - ratio.half - 1e-9 <= ratio <= highest + ratio.half + 1e-9


@pytest.mark.slow
def test_benchmark_runs_at_tiny_sizes() -> None:
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--tiny"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "failed" not in out, out

    # 1, 2: the model's events/s against a bare SimPy loop with its processes and events
    model, bare, ratio = _values(_one(out, "1. model events/s"))
    assert model > 0 and bare > 0 and _ratio_holds(model, bare, ratio)
    processes, _, horizon = _numbers(_note(out, _one(out, "1. model events/s")))[:3]
    per_day, events = _values(_one(out, "2. events per enterprise per simulated day"))
    assert per_day == pytest.approx(events / (processes * horizon), abs=0.0006)
    assert 0 < per_day < 5

    # 3: one replication at 200 and 400 enterprises (the strata round to within a few firms)
    runs = [(_numbers(ln[:LABEL])[-1], *_values(ln)) for ln in _lines(out, "3. one replication,")]
    assert len(runs) == 2, out
    for (size, seconds, mib, kb_per_enterprise), asked in zip(runs, (200, 400), strict=True):
        assert abs(size - asked) <= 3 and seconds >= 0 and 10 < mib < 4096 and 0 <= kb_per_enterprise < 1000
    assert _one(out, "3. draws of the same firm identical").rstrip().endswith("MET")
    # 1,000,000 firms: not run at tiny sizes; the time projected from the 400-firm run (seconds per
    # firm × 10⁶, from a time printed to 0.1 s) and the memory from the run's own pre-flight estimate
    million = _one(out, "3. 1,000,000 enterprises")
    need = replication_bytes(1_000_000) / 2**30
    if "refused" in million:
        needs, available = _values(million)
        assert needs == pytest.approx(need, abs=0.05) and available < needs
    else:
        eta, projected = _values(million)
        assert projected == pytest.approx(need, abs=0.05)
        size, seconds = runs[1][:2]
        assert eta == pytest.approx(seconds / size * 1e6, abs=0.05 / size * 1e6 + 0.5)
    # a Liaoning-shaped population: 400 firms one by one and 20,000 individual businesses in cohorts of 10
    liaoning = _one(out, "3. Liaoning-shaped population")
    seconds, gib = _values(liaoning)
    assert seconds >= 0 and 0 < gib < 16
    firms, one_by_one, individual, cohort, simulated, events = _numbers(_note(out, liaoning))
    assert (one_by_one, individual, cohort) == (400, 20_000, 10)
    assert firms == one_by_one + individual and simulated == one_by_one + individual / cohort
    assert events > simulated
    # cohorts against firm by firm: largest gaps of the mean resumption series, in percentage points; a
    # cohort model that went wrong (cohorts never restarting, say) would be tens of points off city-wide
    city, size_classes, counties = _values(_one(out, "3. cohorts of 3 vs firm by firm"))
    assert 0 <= city <= 25 and 0 <= size_classes <= 100 and 0 <= counties <= 100

    # 4: the approval office as M/M/5, against Ciw (when installed) and bare SimPy
    ciw = _one(out, "4. approval office M/M/5 customers/s ÷ Ciw")
    if "not installed" not in ciw:
        ours, theirs, ratio = _values(ciw)
        assert ours > 0 and theirs > 0 and _ratio_holds(ours, theirs, ratio)
    ours, bare, ratio = _values(_one(out, "4. approval office M/M/5 customers/s ÷ bare SimPy"))
    assert ours > 0 and bare > 0 and _ratio_holds(ours, bare, ratio)

    # 5: sweeps on 1 worker, 2 workers and a 2-worker Dask cluster: each speed-up the quotient of its rate
    (one,) = _values(_one(out, "5. sweep runs/minute, 1 worker"))
    assert one > 0
    for label in ("2 workers", "dask LocalCluster, 2 workers"):
        rate, speedup = _values(_one(out, f"5. sweep speed-up, {label}"))
        assert speedup > 0 and _ratio_holds(rate, one, speedup), label
    (short_one,) = _values(_one(out, "5. short runs/s, 1 worker"))
    assert short_one > 0
    for label in ("2 workers", "dask LocalCluster, 2 workers"):
        rate, speedup = _values(_one(out, f"5. short runs/s, {label}"))
        assert speedup > 0 and _ratio_holds(rate, short_one, speedup), label

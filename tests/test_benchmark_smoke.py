"""The benchmark script runs end to end at tiny sizes (no timing is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_benchmark_runs_at_tiny_sizes() -> None:
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--tiny"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert len(re.findall(r"3\. one replication, [\d,]+ enterprises", out)) == 2
    same = next(ln for ln in out.splitlines() if "draws of the same firm identical" in ln)
    assert same.rstrip().endswith("MET") and "NOT MET" not in same
    assert "4. approval office M/M/5" in out
    # the first ratio names its reference loop; the sizes that are not run say what they would need
    assert "1. model events/s ÷ bare SimPy events/s" in out and "reference loop:" in out
    million = next(ln for ln in out.splitlines() if "1,000,000 enterprises" in ln)
    assert re.search(r"(refused: needs|not run).*GiB", million), million
    # a Liaoning-shaped population (firms one by one, individual businesses in cohorts) runs
    liaoning = next(ln for ln in out.splitlines() if "Liaoning-shaped population" in ln)
    assert re.search(r"\d+ s, [\d.]+ GiB", liaoning), liaoning
    assert "20,000 individual businesses in cohorts of 10" in out
    assert re.search(r"3\. cohorts of 3 vs firm by firm.*city [\d.]+ pp", out)
    # the sweeps: each executor's rate, the speed-ups against their targets, short runs on every executor
    assert re.search(r"5\. sweep runs/minute, 1 worker +[\d,.]+", out), out
    for label in ("2 workers", "dask LocalCluster, 2 workers"):
        assert re.search(rf"5\. sweep speed-up, {label} +[\d,.]+ runs/min = [\d.]+× +target ≥", out), out
        assert re.search(rf"5\. short runs/s, {label} +[\d,]+ = [\d.]+×", out), out
    assert "failed" not in out

"""Rerun tests many times while a load generator keeps every core busy: do they flake on a busy machine?

    python benchmarks/under_load.py                      # the Dask and signal tests, 20 rounds, one busy
                                                         # process per core
    python benchmarks/under_load.py --rounds 5 --load 4 -- tests/test_interrupt.py
    python benchmarks/under_load.py --list               # the tests it would run
    python benchmarks/under_load.py --rounds 3 --workers auto -- tests   # the whole suite as CI runs it

The tests that wait for other processes (Dask clusters and their workers, commands stopped by a signal)
are the ones a shared CI machine breaks: their waits scale with a measured start-up or an environment
setting (sim/experiment/dask_executor.py), and this script is how that claim is checked. The load is
``--load`` processes spinning on arithmetic at normal priority (default: one per core), started before the
first round and stopped after the last; each round is one ``pytest -n 0`` of the chosen tests (one process,
so that the tests compete with the load rather than with each other; ``--workers auto`` as CI runs them). Prints one line per round (passed,
failed, seconds, the 1-minute load average) and a summary; exits 1 if any round had a failure.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# the tests whose node id names Dask, and the tests that stop commands with signals
DEFAULT_SELECTION = ["tests/test_dask_faults.py", "tests/test_interrupt.py", "tests/test_worker_loss.py",
                     "tests/test_misuse.py", "tests/test_experiment.py", "tests/test_sweep.py",
                     "tests/test_batching.py", "tests/test_api_overrides.py", "tests/test_folders.py"]
DEFAULT_KEYWORDS = "dask or Dask or signal or sigint or sigterm or interrupt or ctrl or kill or worker"


def spin(stop: mp.synchronize.Event) -> None:  # type: ignore[name-defined]
    """Keep one core busy until told to stop."""
    x = 0.0
    while not stop.is_set():
        for i in range(200_000):
            x += i * 1e-9


def run_round(args: list[str], workers: str) -> tuple[int, int, float, str, str]:
    started = time.perf_counter()
    # addopts emptied: the project's own -q would make this -qq, which prints no summary line to count from.
    # Native tracebacks: pytest's own format parses the failing test's source files with `ast`, which on
    # CPython 3.11.7 can raise "SystemError: AST constructor recursion depth mismatch" (CPython issue
    # 106905) and end the session with an INTERNALERROR that hides the failure and skips the tests after it.
    done = subprocess.run([sys.executable, "-m", "pytest", "-o", "addopts=", "--strict-markers", "-n", workers, "-q",
                           "-p", "no:cacheprovider", "--tb=native", *args],
                          cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()[-300:]
    passed = sum(int(n) for n in re.findall(r"(\d+) passed", tail))
    failed = sum(int(n) for n in re.findall(r"(\d+) (?:failed|error)", tail))
    if done.returncode != 0 and failed == 0:
        failed = 1  # pytest itself broke (a crash, an internal error, nothing collected): count it
    failures = "\n".join(line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR")))
    return passed, failed, seconds, failures, done.stdout + done.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="how many times to run the tests (default 20)")
    parser.add_argument("--load", type=int, default=os.cpu_count() or 1,
                        help="busy processes of the load generator (default: one per core)")
    parser.add_argument("--workers", default="0",
                        help="pytest-xdist workers for each round (default 0: one process; 'auto' as CI runs)")
    parser.add_argument("--keep", type=Path, default=Path("results") / "under-load",
                        help="folder for the whole output of each round with a failure (default results/under-load)")
    parser.add_argument("--list", action="store_true", help="list the tests and stop")
    parser.add_argument("tests", nargs="*", help="pytest arguments (default: the Dask and signal tests)")
    ns = parser.parse_args(argv)
    if ns.rounds < 1 or ns.load < 0:
        parser.error("--rounds must be at least 1 and --load at least 0")
    selection = ns.tests or [*DEFAULT_SELECTION, "-k", DEFAULT_KEYWORDS]
    if ns.list:
        return subprocess.run([sys.executable, "-m", "pytest", "-n", "0", "--collect-only", "-q", "-o", "addopts=",
                               *selection],
                              cwd=ROOT).returncode

    stop = mp.Event()
    spinners = [mp.Process(target=spin, args=(stop,), daemon=True) for _ in range(ns.load)]
    for p in spinners:
        p.start()
    print(f"load generator: {ns.load} busy process(es) on {os.cpu_count()} core(s); tests: {' '.join(selection)}",
          flush=True)
    totals = {"passed": 0, "failed": 0, "bad_rounds": 0}
    try:
        for k in range(1, ns.rounds + 1):
            passed, failed, seconds, failures, output = run_round(selection, ns.workers)
            totals["passed"] += passed
            totals["failed"] += failed
            totals["bad_rounds"] += failed > 0
            print(f"round {k:>2}: {passed} passed, {failed} failed, {seconds:,.0f} s, "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
            if failed:
                ns.keep.mkdir(parents=True, exist_ok=True)
                kept = ns.keep / f"round-{k:02d}.txt"
                kept.write_text(output, encoding="utf-8")
                print(f"{failures}\n(the round's whole output: {kept})", flush=True)
    finally:
        stop.set()
        for p in spinners:
            p.join(timeout=5)
    print(f"{ns.rounds} rounds: {totals['passed']} passed, {totals['failed']} failed "
          f"({totals['bad_rounds']} round(s) with a failure)", flush=True)
    return 1 if totals["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())

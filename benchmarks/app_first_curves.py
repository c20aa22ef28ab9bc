"""Time from "Run" to the first curves of the workbench on the default scenario (target: 10 s on 2 cores).

Saves a what-if of scenarios/tieling-2020.yaml (the green channel on 20 February for SMEs too) in a
temporary what-ifs folder, starts the run queue as ``python -m sim app`` does (its run process is up
before the planner clicks Run), submits the what-if and prints the seconds until the first
replication arrives (the first curve on the page) and until the first pair (base and what-if,
replication 0: the first comparison); the page draws what arrived at its next look at the queue,
at most TICK_MS later. The run is then cancelled (its replications are kept, as on the page).

    python -m benchmarks.app_first_curves [--workers N] [--repeat K]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sim.app.page import TICK_MS
from sim.app.runs import Options, RunQueue
from sim.app.whatifs import WhatIf, Workspace, results_folder

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "tieling-2020.yaml"
CHANGES = {"policies.loans.window_opens_day": "2020-02-20", "policies.loans.green_channel_for": ["above_scale", "sme"]}


def once(queue: RunQueue, workspace: Workspace, name: str) -> tuple[float, float, float]:
    """Seconds from submitting to the first replication and to the first pair, and the first pair's own
    model time (the longer of its two replications' wall seconds in their workers)."""
    path = workspace.save(WhatIf(name, "green channel on 20 February for SMEs too", CHANGES))
    t0 = time.monotonic()
    run = queue.submit(name, path, results_folder(path), 0)
    first = pair = None
    while pair is None:
        now = queue.get(run.id)
        assert now is not None
        if now.done:
            raise SystemExit(f"the run ended before a pair arrived: {now.message}")
        arrived = {(r.variant, r.replication) for r in now.results}
        if first is None and arrived:
            first = time.monotonic() - t0
        if {("base", 0), (name, 0)} <= arrived:
            pair = time.monotonic() - t0
        time.sleep(0.02)
    model = max(r.wall_seconds for r in now.results if r.replication == 0)
    queue.cancel(run.id)
    while not (queue.get(run.id) or run).done:
        time.sleep(0.1)
    assert first is not None
    return first, pair, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sim-app-bench-") as tmp:
        workspace = Workspace(SCENARIO, Path(tmp) / "tieling-2020")
        t0 = time.monotonic()
        queue = RunQueue(Options(workers=args.workers))
        queue.ready.wait(120)
        print(f"run process ready in {time.monotonic() - t0:.1f} s (at the app's start, before any Run)")
        try:
            for k in range(args.repeat):
                first, pair, model = once(queue, workspace, f"green-sme-{k + 1}")
                print(f"Run {k + 1}: first curve after {first:.1f} s, first pair (base and what-if) after {pair:.1f} s "
                      f"(of which the replications themselves {model:.1f} s); on the page at most "
                      f"{TICK_MS / 1000:.1f} s later")
        finally:
            queue.close()
    print(f"cores: {os.cpu_count()}, workers: {args.workers or os.cpu_count()}, load average: "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

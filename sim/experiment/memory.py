"""Will a population fit in memory? An estimate before running, instead of a MemoryError after minutes.

One replication holds every enterprise as Python objects (its state, timers, cash book, records), so its
memory grows linearly with the enterprises. Measured: the traced Python heap of one replication of the
default scenario grows by 4.8 KB per enterprise (tracemalloc, 1,000 → 4,000 enterprises, 120 days), and a
replication of 199,000 enterprises took 1.37 GB of resident memory (≈ 6.1 KB per enterprise above the
interpreter's own ≈ 150 MB). Since then the cadres' working day, money and worker return added state:
a replication of 99,999 enterprises now peaks at 930 MiB, 8.4 KB per enterprise (benchmarks/run.py).
The estimate takes 9 KB per enterprise plus 150 MB per worker process, a little above the
measurements, so that it errs towards refusing.

A stratum simulated in cohorts (``cohort_size``) costs that per cohort, plus the results' row of each
firm a cohort stands for (its outcomes and attributes, repeated per member after the run): measured
on a Liaoning-sized run (107,400 firms one by one and 2.7 M individual businesses in cohorts of 10,
377,399 simulated enterprises), 4.5 GB peak: about 0.35 KB per firm beyond 9 KB per simulated
enterprise; the estimate takes 1.2 KB per represented firm.

Local workers (the process pool and a Dask LocalCluster) share this machine's memory: the default number
of workers is lowered until each has room for one replication, and a population that does not fit even
in one worker, or in the --workers asked for, is refused (exit 2) with the estimate. Workers of a remote
Dask cluster are not checked: their memory is theirs.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

from sim.errors import InputError
from sim.scenario.loader import LoadedScenario

BYTES_PER_ENTERPRISE = 9_000
BYTES_PER_WORKER = 150_000_000
BYTES_PER_FIRM_ROW = 1_200  # each represented firm's results row, in a run with strata in cohorts


def sizes(loaded: LoadedScenario) -> list[tuple[int, int]]:
    """(firms, simulated enterprises) of every variant: a cohort is one simulated enterprise (a CSV's
    data rows are counted without parsing them)."""
    out = []
    for _, scenario in loaded.all_variants():
        csv_path = scenario.population.csv
        if csv_path is not None:
            n = _csv_rows(csv_path)
            out.append((n, n))
        else:
            strata = scenario.population.strata
            out.append((sum(s.count for s in strata), sum(-(-s.count // s.cohort_size) for s in strata)))
    return out


def _csv_rows(csv_path: str) -> int:
    try:
        with open(csv_path, encoding="utf-8-sig", newline="") as f:
            return max(0, sum(1 for _ in csv.reader(f)) - 1)
    except (OSError, UnicodeDecodeError, csv.Error):
        return 0  # the loader reports an unreadable CSV


def replication_bytes(n: int, simulated: int | None = None) -> int:
    """Estimated memory of one worker running one replication of ``n`` firms, ``simulated`` of them
    simulated enterprises (fewer when strata run in cohorts; None: all ``n``)."""
    if simulated is None or simulated >= n:
        return BYTES_PER_WORKER + BYTES_PER_ENTERPRISE * n
    return BYTES_PER_WORKER + BYTES_PER_ENTERPRISE * simulated + BYTES_PER_FIRM_ROW * n


def available_bytes() -> int | None:
    """Memory available to new processes (MemAvailable of /proc/meminfo); None where it cannot be read."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB"


def fit_workers(loaded: LoadedScenario, workers: int, explicit: bool, file: str) -> tuple[int, str | None]:
    """How many local workers the population leaves room for, and a note when the default was lowered.

    Raises InputError when one replication does not fit in the available memory, or when the ``workers``
    the planner asked for (``explicit``) do not all fit.
    """
    available = available_bytes()
    n, simulated = max(sizes(loaded), key=lambda fs: replication_bytes(*fs), default=(0, 0))
    if available is None or n == 0:
        return workers, None
    need = replication_bytes(n, simulated)
    fits = int(available // need)
    key = "population.csv" if loaded.base.population.csv is not None else "population.strata"
    if fits < 1:
        if simulated < n:
            how = (f"{simulated:,} simulated enterprises in all (strata in cohorts) × {BYTES_PER_ENTERPRISE:,} bytes + "
                   f"{BYTES_PER_FIRM_ROW:,} bytes of results per firm + {_gb(BYTES_PER_WORKER)} per worker")
        else:
            how = f"{BYTES_PER_ENTERPRISE:,} bytes per enterprise + {_gb(BYTES_PER_WORKER)} per worker"
        raise InputError.single(file, f"{n:,} enterprises need about {_gb(need)} of memory for one replication "
                                f"({how}), and this machine has {_gb(available)} available. Model fewer "
                                "enterprises (a sample, with its shares kept), simulate the largest strata in "
                                "(bigger) cohorts (population.strata[].cohort_size), or run on a machine with more "
                                "memory.", key=key)
    if workers <= fits:
        return workers, None
    if explicit:
        raise InputError.single(file, f"{workers} workers × about {_gb(need)} each ({n:,} enterprises) exceed the "
                                f"{_gb(available)} of memory available; use --workers {fits} or fewer.", key=key)
    return fits, (f"{n:,} enterprises need about {_gb(need)} per worker: running {fits} worker(s) instead of "
                  f"{workers} to fit in the {_gb(available)} of memory available.")


def workers_that_fit(loaded: LoadedScenario, workers: int | None, scheduler: str | None,
                     say: Callable[[str], None]) -> int | None:
    """The workers to start on this machine (``workers`` None: one per core, lowered to fit in memory)."""
    if scheduler:  # a remote cluster's workers have their own memory
        return workers
    from sim.experiment.executors import default_workers

    fitted, note = fit_workers(loaded, workers or default_workers(), workers is not None, str(loaded.path))
    if note:
        say(f"note: {note}")
    return fitted if workers is None and note else workers

"""The functions that tests hand to worker processes: as a sweep's model (``FunctionModel``), or to run on
every Dask worker (``Client.run``) and say what the worker is like.

A worker imports the module a function is defined in before it can run it. Defined in a test module,
they made every worker started import that module and what it imports (pandas, Hypothesis, the command
line: about 0.8 s of CPU each, 1.8 s under the suite's load), and a test that kills its worker pays that
again on every restart. Here a worker imports only what these functions need.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np


def dies_once(values: Mapping[str, Any], replication: int) -> dict[str, float]:
    """Kills its own worker process (as the kernel's OOM killer does) the first time it runs point x=2, r=0
    (the file named by ROBUST_MARKER records that it did)."""
    x = float(values["x"])
    if x == 2 and replication == 0:
        marker = Path(os.environ["ROBUST_MARKER"])
        if not marker.exists():
            marker.write_text("died once")
            os.kill(os.getpid(), signal.SIGKILL)
    return {"y": 10 * x + replication}


def always_dies(values: Mapping[str, Any], replication: int) -> dict[str, float]:
    """Kills its worker every time at point x=2, r=0."""
    if float(values["x"]) == 2 and replication == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    return {"y": 10 * float(values["x"]) + replication}


def kills_its_worker(values: Mapping[str, Any], replication: int) -> dict[str, float]:
    """Ends its Dask worker (started without a nanny, nothing restarts it) from x=2 on."""
    if float(values["x"]) >= 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return {"y": float(values["x"])}


def freezes_once(values: Mapping[str, Any], replication: int) -> dict[str, float]:
    """Stops its own worker process (SIGSTOP: as if its machine hung) the first time it runs x=2, r=0 (the
    file named by FREEZE_MARKER records that it did)."""
    x = float(values["x"])
    time.sleep(0.2)  # long enough for the other worker to take its share meanwhile
    if x == 2 and replication == 0:
        try:
            Path(os.environ["FREEZE_MARKER"]).touch(exist_ok=False)
        except FileExistsError:
            pass
        else:
            os.kill(os.getpid(), signal.SIGSTOP)
    return {"y": 10 * x + replication}


def noisy(values: Mapping[str, Any], replication: int) -> dict[str, float]:
    """Draws from the job's own stream (keyed by point and replication); fails at x=3, replication 1."""
    x = int(values["x"])
    if x == 3 and replication == 1:
        raise ValueError("a deliberate fault in the middle of a batch")
    rng = np.random.default_rng([x, replication])
    return {"y": float(rng.normal(x, 1.0))}


def worker_settings() -> tuple[object, object]:
    """Run on a Dask worker (or here): whether Dask's sampling profiler is on, and its event-loop tick."""
    import dask

    return dask.config.get("distributed.worker.profile.enabled"), dask.config.get("distributed.admin.tick.interval")


def worker_state() -> tuple[int, bool, bool, str | None]:
    """Run on a Dask worker (``Client.run``): its parent process, whether the model was imported before any
    job ran, whether it ignores SIGINT, and the environment variable SIM_TEST_SETTING."""
    import sys

    return (os.getppid(), "sim.model.world" in sys.modules, signal.getsignal(signal.SIGINT) == signal.SIG_IGN,
            os.environ.get("SIM_TEST_SETTING"))

"""Local workers that die or stop at the worst moment: while sending a result back, or frozen when Ctrl-C
comes (README "When things go wrong").

A worker killed while its result is half-way down the pipe must cost only a rerun of its jobs, never a
wait for ever; Ctrl-C (or SIGTERM, or Ctrl-Z then ``kill %1``) must end the run at the first signal,
with the resume message and every finished replication kept, whatever state the workers are in.
The executor-level cases run in a child process so that a hang fails the test instead of stalling it.
"""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.conftest import BIGGER
from tests.conftest import SMALL_TWO_STRATA as SMALL

ROOT = Path(__file__).parent.parent
# the number of the write system call, which the sender is inside while a large result is half sent
WRITE_SYSCALL = {"x86_64": 1, "aarch64": 64}.get(platform.machine())
BIG = 64 * 2**20  # bytes: far more than a pipe holds (64 KB), so the send blocks half-way, waiting for the reader
HANG = 120.0  # seconds: a child process still running after this is hung (each case takes a few seconds)


class MidSend:
    """A result that acts on its worker while being sent back, part of it in the pipe and the rest not.

    Pickling it arms a thread that waits until the sending thread is inside the write system call, then
    either kills the worker (``action`` "kill": SIGKILL, as the out-of-memory killer does) or stops its
    whole process group ("stop": as Ctrl-Z does while the result is on its way; SIGSTOP, since the
    SIGTSTP of Ctrl-Z is discarded in a group without a terminal, such as a test's). It is pickled
    as ``value`` with ``BIG`` bytes of padding, and unpickled to ``value``.
    """

    def __init__(self, value: Any, action: str) -> None:
        self.value = value
        self.action = action

    def __reduce__(self) -> tuple[Any, ...]:
        sender = threading.get_native_id()

        def act_mid_send() -> None:
            path = Path(f"/proc/self/task/{sender}/syscall")
            while path.read_text().split()[0] != str(WRITE_SYSCALL):
                time.sleep(0.0002)
            if self.action == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            else:
                os.killpg(os.getpgid(0), signal.SIGSTOP)

        threading.Thread(target=act_mid_send, daemon=True).start()
        return (_unpadded, (self.value, bytes(BIG)))


def _unpadded(value: Any, padding: bytes) -> Any:
    return value


def _once(marker: Path) -> bool:
    """True the first time it is called with ``marker`` (in any process)."""
    try:
        marker.touch(exist_ok=False)
    except FileExistsError:
        return False
    return True


def dies_sending_once(payload: str, replication: int) -> Any:
    """Job 1's first run dies while its result is half sent; every run returns ``replication * 10``."""
    if replication == 1 and _once(Path(payload)):
        return MidSend(replication * 10, "kill")
    return replication * 10


needs_proc = pytest.mark.skipif(WRITE_SYSCALL is None or not Path("/proc/self/task").is_dir(),
                                reason="needs Linux /proc and a known write system call number")


# the child: runs 6 jobs on 2 local workers and prints what came back
CHILD = """
import sys
from tests.test_worker_loss import dies_sending_once
from sim.experiment.executors import Job, LocalExecutor

jobs = [Job(str(r), 0, r, sys.argv[1], dies_sending_once) for r in range(6)]
with LocalExecutor(2) as executor:
    got = {c.key: (c.value, c.error) for c in executor.run(jobs)}
print(sorted(got.items()))
"""


@needs_proc
@pytest.mark.slow
def test_a_worker_killed_while_sending_its_result_has_its_job_rerun(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    try:
        res = subprocess.run([sys.executable, "-c", CHILD, str(marker)], cwd=ROOT, capture_output=True, text=True,
                             timeout=HANG)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the executor hung after a worker died while sending its result (no end in {HANG:g} s)")
    assert res.returncode == 0, res.stderr
    assert "note: a worker process was killed (SIGKILL" in res.stderr and "its 1 job(s) are run again" in res.stderr
    # job 1 was run again; nothing failed
    assert res.stdout.strip() == str(sorted((str(r), (r * 10, None)) for r in range(6)))


def unpicklable_at_3(payload: Any, replication: int) -> Any:
    return (lambda: replication) if replication == 3 else replication


def test_a_result_that_cannot_be_sent_back_is_its_jobs_error() -> None:
    from sim.experiment.executors import Job, LocalExecutor

    jobs = [Job(str(r), 0, r, None, unpicklable_at_3) for r in range(6)]
    with LocalExecutor(2) as executor:
        got = {c.key: c for c in executor.run(jobs)}
    assert {k: c.value for k, c in got.items() if c.error is None} == {str(r): r for r in range(6) if r != 3}
    assert "pickle" in (got["3"].error or "")


# -- a run on the command line ---------------------------------------------------------------------------

# the child: `python -m sim ARGS` where the result of replication 2 of variant "fast" (run after most others)
# does ACTION while it is sent back
CLI_CHILD = """
import sys
from pathlib import Path
import sim.experiment.runner as runner
from sim.cli import main
from tests.test_worker_loss import MidSend, _once

real, marker, action = runner.run_task, Path(sys.argv[1]), sys.argv[2]

def run_task(task):
    result = real(task)
    if (task.variant, task.replication) == ("fast", 2) and _once(marker):
        return MidSend(result, action)
    return result

runner.run_task = run_task
sys.exit(main(sys.argv[3:]))
"""


# -- Ctrl-C whatever the workers are doing ---------------------------------------------------------------


def _started_run(tmp_path: Path) -> tuple[subprocess.Popen[str], Path, list[int]]:
    """A run on 2 local workers, in its own process group (as a terminal's job), once a replication has
    finished; with its workers' process ids."""
    from sim.experiment.run_state import PARTIAL

    scen = tmp_path / "bigger.yaml"
    scen.write_text(BIGGER)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sim", "run", str(scen), "--out", str(out), "--workers", "2", "-q", "--no-report"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    while not (out / PARTIAL).exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    workers = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
    assert len(workers) == 2
    return proc, out, workers


def _ends_at_the_first_signal(proc: subprocess.Popen[str], out: Path, workers: list[int]) -> None:
    """The run ended on the signal already sent, alone, with the resume message; no worker is left."""
    from sim.experiment.run_state import PARTIAL

    try:
        _, err = proc.communicate(timeout=HANG)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"one signal did not end the run ({HANG:g} s)")
    assert proc.returncode == 130, err
    assert "Interrupted:" in err and "--resume" in err and "Traceback" not in err, err
    assert (out / PARTIAL).exists()  # the finished replications are kept
    assert not [p for p in workers if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]


@pytest.mark.slow
def test_ctrl_c_ends_a_run_at_once_while_a_worker_is_stopped(tmp_path: Path) -> None:
    proc, out, workers = _started_run(tmp_path)
    os.kill(workers[0], signal.SIGSTOP)  # a frozen worker: it can neither finish nor be stopped politely
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
    _ends_at_the_first_signal(proc, out, workers)


def _run_args(tmp_path: Path, out: Path, workers: int, scenario: str = BIGGER) -> list[str]:
    scen = tmp_path / "scenario.yaml"
    scen.write_text(scenario)
    return ["run", str(scen), "--out", str(out), "--workers", str(workers), "-q", "--no-report"]


@needs_proc
@pytest.mark.slow
def test_a_run_whose_worker_dies_sending_a_result_finishes_with_the_same_tables(tmp_path: Path) -> None:
    out = tmp_path / "out"
    try:
        res = subprocess.run([sys.executable, "-c", CLI_CHILD, str(tmp_path / "marker"), "kill",
                              *_run_args(tmp_path, out, 2, SMALL)], cwd=ROOT, capture_output=True, text=True,
                             timeout=600)
    except subprocess.TimeoutExpired:
        pytest.fail("the run hung after a worker died while sending its result")
    assert res.returncode == 0, res.stderr
    assert "note: a worker process was killed (SIGKILL" in res.stderr
    serial = tmp_path / "serial"
    assert subprocess.run([sys.executable, "-m", "sim", *_run_args(tmp_path, serial, 1, SMALL)], cwd=ROOT,
                          capture_output=True, timeout=600).returncode == 0
    for name in ("summary.csv", "enterprises.csv", "timeseries.csv"):
        assert (out / name).read_bytes() == (serial / name).read_bytes(), name


@needs_proc
@pytest.mark.slow
def test_ctrl_z_while_a_result_is_sent_then_kill_ends_the_run_at_once(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", CLI_CHILD, str(tmp_path / "marker"), "stop",
                             *_run_args(tmp_path, out, 2)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + 300  # until the worker sending fast#2 stops the job (Ctrl-Z)
    while psutil.Process(proc.pid).status() != psutil.STATUS_STOPPED and proc.poll() is None:
        assert time.monotonic() < deadline, "the job was never stopped"
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it was stopped"
    workers = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
    os.killpg(proc.pid, signal.SIGTERM)  # `kill %1`: SIGTERM to the job's group, then SIGCONT to wake it
    os.killpg(proc.pid, signal.SIGCONT)
    _ends_at_the_first_signal(proc, out, workers)

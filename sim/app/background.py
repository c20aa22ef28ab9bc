"""The workbench in a background process: ``python -m sim app`` started, waited for, and stopped as Ctrl-C
stops it. For scripts that drive the page in a browser (the documentation's screenshots, the browser tests).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.app.server import ADDRESS, READY


def free_port() -> int:
    """A port of the loopback address that nothing listens on now."""
    with socket.socket() as s:
        s.bind((ADDRESS, 0))
        return int(s.getsockname()[1])


@contextmanager
def workbench(scenario: Path, whatifs: Path, log: Path, *, cwd: Path, start_seconds: float,
              workers: int | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Serve ``scenario`` on a free port, its output in ``log``; yield its address and process once it listens.

    Raises RuntimeError (with the server's output) if it ends or does not listen within ``start_seconds``;
    on leaving, sends it SIGINT (a run still going keeps its replications) and kills it after 60 s.
    """
    port = free_port()
    command = [sys.executable, "-m", "sim", "app", str(scenario), "--port", str(port), "--whatifs", str(whatifs)]
    if workers is not None:
        command += ["--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
    try:
        deadline = time.monotonic() + start_seconds
        while READY not in log.read_text(encoding="utf-8", errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the workbench did not start: {log.read_text(encoding='utf-8', errors='replace')}")
            time.sleep(0.2)
        yield f"http://{ADDRESS}:{port}/", process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

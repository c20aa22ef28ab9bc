"""The performance page's figures: the benchmark's own printout, as it ran.

``benchmarks/run.py`` measures each figure against a reference measured in the
same run (the machine may be shared: ratios compare, seconds only roughly).
It takes about ten minutes, so it runs only when asked (``python
docs/generate.py --benchmark``); its record says when and on what machine.
"""

from __future__ import annotations

from docgen.results import Json
from docgen.workspace import Workspace


def benchmark(ws: Workspace) -> Json:
    command = "python benchmarks/run.py" + (" --tiny" if ws.quick else "")
    captured = ws.run(command)
    return {"output": captured.output, "commands": [{"command": command, "seconds": round(captured.seconds, 1)}]}

"""How long each bad input takes to be refused (run by hand, not by pytest).

    python tests/bad_inputs/measure_messages.py [--subprocess]

Prints, per corpus file, the time ``load_scenario`` takes to raise its
InputError (the work of ``validate`` after Python has started), and with
``--subprocess`` the wall time of the whole ``python -m sim validate FILE``,
which adds the interpreter start and the imports (numpy, scipy, pydantic).
A file generated past the size limit and one of 200,000 values are included.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent.parent))

from sim.errors import InputError  # noqa: E402
from sim.scenario.loader import load_scenario  # noqa: E402
from sim.scenario.yaml_source import MAX_FILE_BYTES, MAX_NODES  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        huge = Path(tmp) / "huge.yaml"
        huge.write_text("name: huge\ndescription: '" + "x" * MAX_FILE_BYTES + "'\n")
        many = Path(tmp) / "many.yaml"
        many.write_text("name: many\ndescription: [" + "1," * MAX_NODES + "1]\n")
        files = sorted(p for p in HERE.glob("*.yaml") if p.name != "expected.yaml") + [huge, many]
        worst = 0.0
        for path in files:
            t0 = time.perf_counter()
            try:
                load_scenario(path)
                outcome = "ACCEPTED (should be refused)"
            except InputError as exc:
                outcome = f"{len(exc.problems)} problem(s)"
            load = time.perf_counter() - t0
            line = f"{path.name:34s} load {load * 1000:7.1f} ms  {outcome}"
            if "--subprocess" in sys.argv:
                t0 = time.perf_counter()
                res = subprocess.run([sys.executable, "-m", "sim", "validate", str(path)], capture_output=True,
                                     cwd=HERE.parent.parent)
                wall = time.perf_counter() - t0
                line += f"  process {wall:5.2f} s exit {res.returncode}"
                worst = max(worst, wall)
            else:
                worst = max(worst, load)
            print(line)
        print(f"slowest: {worst:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

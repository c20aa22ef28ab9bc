"""The tutorial's commands, run as a newcomer types them, with what each printed.

Each step is a shell command run from the repository's root (here: the
scratch workspace that looks like it), in order, so that later steps read
the folders earlier ones wrote. The page shows every command with its output
as captured; the figures its closing paragraph quotes are read from the same
results folders.
"""

from __future__ import annotations

import shutil

from docgen.results import Json, robustness, run_figures
from docgen.studies import COMMON
from docgen.workspace import Workspace

MY_CITY = """\
extends: scenarios/tieling-2020.yaml
name: my-city
description: >
  If our city can spare only 400 liaisons instead of Tieling's 918, does
  fast-track approval still restart our firms sooner?
cadres:
  liaisons: {count: 400}
variants:
  ordinary-approval:
    policies:
      approval: {name: standard}
"""

PYTHON_SNIPPET = """\
python - <<'EOF'
import pandas as pd
c = pd.read_csv("results/tutorial/fast-track/comparison.csv")
days = c[c.metric == "mean_restart_day"][["variant", "mean_difference", "ci_low", "ci_high"]]
print(days.round(2).to_string(index=False))
EOF"""


def steps(ws: Workspace) -> list[tuple[str, str]]:
    """(key, command) in the order the page runs them."""
    r = ws.replications
    robust = 3 if ws.quick else 6
    return [
        ("version", "python -m sim --version"),
        ("validate", "python -m sim validate scenarios/tieling-2020.yaml"),
        ("run", f"python -m sim run scenarios/tieling-2020.yaml -r {r(4)} --out results/tutorial/default"),
        ("ls", "ls results/tutorial/default"),
        ("question", "cat scenarios/fast-track.yaml"),
        ("fast_track", f"python -m sim run scenarios/fast-track.yaml -r {r(4)} --out results/tutorial/fast-track"),
        ("python", PYTHON_SNIPPET),
        ("compare", "python -m sim compare results/tutorial/fast-track --reference fast-track"),
        ("robustness", f"python -m sim run scenarios/fast-track.yaml --robustness {robust} -r 1 "
                       "--out results/tutorial/fast-track-robustness"),
        ("write", f"cat > my-city.yaml <<'EOF'\n{MY_CITY}EOF"),
        ("my_validate", "python -m sim validate my-city.yaml"),
        ("my_run", f"python -m sim run my-city.yaml -r {r(4)} --out results/tutorial/my-city --no-report"),
        ("my_provenance", "grep -n 'cadres.liaisons.count' results/tutorial/my-city/scenario.resolved.yaml"),
    ]


# what the closing paragraph quotes, read once the step that wrote it has run: (record key, folder, the
# reference variant of its differences). compare rewrites comparison.csv against fast-track, so the
# differences from the base are read before it, and those from fast-track after.
READ_AFTER = {"fast_track": ("fast_track", "fast-track", "base"),
              "compare": ("against_fast_track", "fast-track", "fast-track"),
              "my_run": ("my_city", "my-city", "base")}


def tutorial(ws: Workspace) -> Json:
    out: Json = {"steps": {}, "commands": []}
    results = ws.root / "results" / "tutorial"
    shutil.rmtree(results, ignore_errors=True)  # a kept workspace: the commands start from nothing, as a reader's
    (ws.root / "my-city.yaml").unlink(missing_ok=True)
    for key, command in steps(ws):
        captured = ws.run(command)
        out["steps"][key] = {"command": command, "output": captured.output, "seconds": round(captured.seconds, 1)}
        out["commands"].append({"command": command.splitlines()[0] + (" …" if "\n" in command else ""),
                                "seconds": round(captured.seconds, 1)})
        if key in READ_AFTER:
            name, folder, reference = READ_AFTER[key]
            out[name] = run_figures(results / folder, COMMON, (reference,))
    out["robustness"] = robustness(results / "fast-track-robustness")
    return out

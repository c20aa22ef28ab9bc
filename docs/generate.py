"""Generate the documentation's pages: ``python docs/generate.py`` (from the repository's root).

Runs every study of the findings pages (docs/docgen/studies.py) and the
tutorial's commands, keeps what the pages need in docs/_records/, and renders
every generated page: the findings, the tutorial, the scenario reference and
one page per module of the model. About 40 minutes on a 2-core machine at load 2-4, two hours at load 5-11; `--only`
reruns the studies of one page.

    python docs/generate.py                 # run everything, render everything
    python docs/generate.py --only fast-track tutorial
    python docs/generate.py --render        # no runs: render from the records (after editing a template)
    python docs/generate.py --benchmark     # also rerun benchmarks/run.py for the performance page (10 min)
    python docs/generate.py --quick DIR     # shrunk scenarios, few replications, into DIR (the tests)
    python docs/generate.py --screenshots   # only the workbench's pictures for docs/app.md (a few minutes)

A page made from runs carries the hash of the regression baseline it was made
with; tests/test_docs.py fails when the baseline has changed since.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docgen import DOCS, RECORDS, ROOT  # noqa: E402
from docgen.baseline import baseline_hash  # noqa: E402
from docgen.performance import benchmark  # noqa: E402
from docgen.render import render_all  # noqa: E402
from docgen.results import Json  # noqa: E402
from docgen.studies import STUDIES, Study  # noqa: E402
from docgen.tutorial import tutorial  # noqa: E402
from docgen.workspace import workspace  # noqa: E402

ALL: tuple[Study, ...] = (*STUDIES, Study("tutorial", tutorial))
BENCHMARK = Study("performance", benchmark)


def git_commit() -> str:
    """HEAD, marked "+changes" when a tracked file differs from it; the records this command rewrites do not
    count (the second study would otherwise always be marked)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":(exclude)docs/_records"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} cores, load average {load:.1f} at the start"


def record(study: Study, data: Json, quick: bool, started: str) -> Json:
    from sim import __version__

    return {"study": study.name, "generated_at": started, "sim_version": __version__, "git_commit": git_commit(),
            "baseline_sha256": baseline_hash(), "quick": quick, "machine": machine(), "data": data}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", metavar="STUDY", choices=[s.name for s in (*ALL, BENCHMARK)],
                        help="run only these studies (the others' records are kept)")
    parser.add_argument("--render", action="store_true", help="run nothing: render the pages from the records")
    parser.add_argument("--benchmark", action="store_true", help="also run benchmarks/run.py (about 10 minutes)")
    parser.add_argument("--screenshots", action="store_true",
                        help="only photograph the workbench (python -m sim app, headless Chromium) for docs/app.md")
    parser.add_argument("--quick", type=Path, metavar="DIR",
                        help="shrunk scenarios and few replications; records and pages go to DIR, not docs/")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="run the commands in DIR and keep it (results/…)")
    args = parser.parse_args(argv)
    if args.screenshots:
        from docgen.screenshots import screenshots

        for path in screenshots():
            print(f"→ {path.relative_to(ROOT)}", file=sys.stderr)
        return 0

    out = args.quick.resolve() if args.quick else DOCS
    records = out / "_records" if args.quick else RECORDS
    records.mkdir(parents=True, exist_ok=True)
    chosen = [s for s in (*ALL, BENCHMARK) if (args.only and s.name in args.only)
              or (not args.only and (s is not BENCHMARK or args.benchmark or args.quick))]
    if not args.render:
        started = dt.date.today().isoformat()
        with workspace(quick=bool(args.quick), keep=args.keep) as ws:
            for study in chosen:
                begin = time.perf_counter()
                print(f"{study.name}: running…", file=sys.stderr, flush=True)
                data = study.collect(ws)
                path = records / f"{study.name}.json"
                path.write_text(json.dumps(record(study, data, bool(args.quick), started), indent=1,
                                           ensure_ascii=False) + "\n", encoding="utf-8")
                print(f"{study.name}: {time.perf_counter() - begin:.0f} s → {path.relative_to(out.parent)}",
                      file=sys.stderr, flush=True)
    only = {s.name for s in chosen} if args.only else None
    written = render_all(records, out, only)
    print(f"{len(written)} page(s) written under {out}.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m sim report RESULTS_DIR``: the planner's report of a finished run or sweep."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from sim.cli.arguments import command_parser, path_arg
from sim.plotting.labels import LANGUAGES


def add_language_option(p: argparse.ArgumentParser) -> None:
    """--lang en|zh, shared by the commands that write a report."""
    p.add_argument("--lang", choices=LANGUAGES, default="en",
                   help="language of the report and the plot labels: en (default) or zh (Chinese; needs a "
                        "CJK font such as Debian's fonts-noto-cjk)")


def check_language(lang: str) -> None:
    """Fail before a long run if its Chinese report could not be drawn (NoCJKFontError, exit 2)."""
    if lang == "zh":
        from sim.plotting.style import INSTALL_HINT, NoCJKFontError, find_cjk_font

        if find_cjk_font() is None:
            raise NoCJKFontError(f"Chinese labels (--lang zh) need a CJK font and none was found; {INSTALL_HINT}.")


def write_after_run(folder: Path, lang: str) -> None:
    """Write the report at the end of a run or sweep; on failure say how to retry (the results are kept)."""
    from sim.report import write_report

    print(f"Writing the report ({lang})…", file=sys.stderr)
    try:
        path = write_report(folder, lang)  # type: ignore[arg-type]
    except BaseException:
        print(f"The results in {folder} are complete, but the report was not written; after fixing the "
              f"problem below, run: python -m sim report {folder} --lang {lang}", file=sys.stderr)
        raise
    print(f"Report: {path}")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command_parser(sub, "report",
                       description="Write a self-contained report.html (plots embedded, no network needed) and "
                                   "the plots as PNG and SVG under plots/, from the CSV files of a results "
                                   "folder of `python -m sim run` or `python -m sim sweep`. The report shows "
                                   "the question, the decision scorecard with costs and what the answer depends on, the "
                                   "headline table, the paired comparison with Holm-corrected p-values, the plots, what differs between the variants, every parameter "
                                   "with its unit and provenance, and how to reproduce the run.")
    p.add_argument("folder", type=path_arg, help="results folder (e.g. results/tieling-2020/20200203-120000)")
    add_language_option(p)
    p.add_argument("--output", "-o", type=path_arg, default=None,
                   help="where to write the HTML (default: RESULTS_DIR/report.html)")
    p.add_argument("--robustness", type=path_arg, default=None, metavar="DIR",
                   help="a `run --robustness` folder of the same scenario, merged into a run's report as 'What "
                        "this answer depends on' (default: the latest finished one beside RESULTS_DIR made from "
                        "the same scenario)")
    p.set_defaults(handler=main)


def _robustness(folder: Path | None, command: list[str]) -> contextlib.AbstractContextManager[object]:
    """Hold a named robustness folder as a reader (only a finished one, with the tables it wrote)."""
    from sim.experiment.folder import reading

    return reading(folder, "report --robustness", ("robustness",), command) if folder is not None \
        else contextlib.nullcontext()


def main(args: argparse.Namespace) -> int:
    from sim.experiment.folder import reading
    from sim.report import write_report

    # read as one of the folder's readers: never while a run rewrites it, only once it finished, and only
    # the tables its experiment wrote (the report and plots are then noted in its record)
    command = ["python", "-m", "sim", *sys.argv[1:]]
    with reading(args.folder, "report", ("run", "sweep", "optimisation"), command), \
            _robustness(args.robustness, command):
        print(f"Writing the report of {args.folder} ({args.lang})…", file=sys.stderr)
        path = write_report(args.folder, args.lang, args.output, args.robustness)
    print(f"Report: {path}")
    return 0

"""The planner's report: one self-contained HTML file per results folder.

``write_report(folder, lang)`` draws the plots (PNG and SVG under
``plots/``), gathers the tables from the folder's CSV files and writes
``report.html``: images are embedded as base64 data URIs and the CSS is
inline, so the file can be mailed or opened offline. Works on any finished
run or sweep folder; a file another step did not write is skipped with a note.
"""

from __future__ import annotations

from pathlib import Path

from sim.errors import OutputError
from sim.plotting import ResultsFolder
from sim.plotting.labels import LANGUAGES, Lang
from sim.report.build import build_context, render

__all__ = ["LANGUAGES", "write_report"]

REPORT_FILE = "report.html"


def write_report(folder: str | Path, lang: Lang = "en", out: Path | None = None,
                 robustness: str | Path | None = None) -> Path:
    """Write ``<folder>/report.html`` (or ``out``) in ``lang`` ("en" or "zh"); return its path.

    ``robustness``: the folder of a ``run --robustness`` of the same scenario, merged into a run's
    report as "What this answer depends on" (by default the latest one beside ``folder``).

    Raises InputError if ``folder`` is not a finished results folder, and
    OutputError if the report cannot be written or Chinese is asked for
    without a CJK font (both exit 2 in the CLI).
    """
    from sim.results.output import write_text

    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    results = ResultsFolder.open(folder)
    target = out or results.path / REPORT_FILE
    html = render(build_context(results, lang, Path(robustness) if robustness is not None else None))
    try:
        write_text(target, html)
    except OSError as exc:
        raise OutputError(f"cannot write the report {target}: {exc.strerror or exc}.") from None
    return target

"""Writing a run's results folder.

Every file is written whole under a private temporary name and renamed
(:mod:`sim.results.atomic`), so no reader ever sees half a file. The folder
holds the fully resolved scenario, the manifest (seed, version, git commit,
wall time, events) and the tables, so anyone can rerun it.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim import __version__
from sim.errors import OutputError
from sim.results.atomic import replace_atomically
from sim.results.folder_record import note_written
from sim.results.run_result import RunResult
from sim.scenario.loader import LoadedScenario


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a private file, then rename it to ``path`` (see :mod:`sim.results.atomic`).

    In a results folder, the file is noted in the folder's record first (and a file of the folder
    that no experiment wrote is not replaced): :func:`sim.results.folder_record.note_written`.
    """
    replace_atomically(path, write, before_rename=note_written)


def write_text(path: Path, text: str) -> None:
    def write(p: Path) -> None:
        p.write_text(text, encoding="utf-8")

    atomic_write(path, write)


def _stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def default_folder(loaded: LoadedScenario, root: Path = Path("results"), prefix: str = "") -> Path:
    """A new folder ``root/<scenario name>/<prefix><timestamp>``, made here and now.

    Two commands started in the same second must not share a folder: the folder is made with an
    exclusive ``mkdir``, and one that exists already gets a suffix (``-2``, ``-3``, …).
    """
    parent = root / loaded.base.name
    try:
        parent.mkdir(parents=True, exist_ok=True)
        stem = prefix + _stamp()
        for n in range(1, 10_000):
            folder = parent / (stem if n == 1 else f"{stem}-{n}")
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            return folder
    except OSError as exc:
        raise OutputError(f"cannot make a results folder under {parent}: {exc.strerror or exc}.") from None
    raise OutputError(f"cannot make a new results folder under {parent}: 9,999 of {stem} exist; choose --out.")


def resolved_scenario(loaded: LoadedScenario) -> dict[str, Any]:
    """The base with every default filled in, the variants' overrides and provenance notes.

    It is itself a valid scenario file: ``python -m sim run scenario.resolved.yaml``
    reruns the experiment.
    """
    doc: dict[str, Any] = loaded.base.model_dump(mode="json", by_alias=True)
    if loaded.overrides:
        doc["variants"] = loaded.overrides
    if loaded.provenance:
        doc["provenance"] = loaded.provenance
    return doc


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def build_info() -> dict[str, str | None]:
    """What made a results folder: the package version and git commit, for every manifest."""
    return {"package_version": __version__, "git_commit": git_commit()}


def write_manifest_json(out: Path, manifest: dict[str, Any]) -> None:
    """``manifest.json`` of a run, sweep, optimisation or robustness folder (atomic, UTF-8)."""
    write_file(out / "manifest.json", lambda p: p.write_text(json.dumps(manifest, indent=2, ensure_ascii=False,
                                                                     default=_json_default) + "\n",
                                                          encoding="utf-8"))


def write_results(out: Path, loaded: LoadedScenario, results: list[RunResult]) -> None:
    """scenario.resolved.yaml, summary.csv, timeseries.csv and enterprises.csv (the manifest comes last:
    :func:`run_manifest`, written once every table is)."""
    try:
        resolved = yaml.safe_dump(resolved_scenario(loaded), allow_unicode=True, sort_keys=False)
        write_text(out / "scenario.resolved.yaml", resolved)
        atomic_write(out / "summary.csv", lambda p: summary_frame(results).to_csv(p, index=False))
        atomic_write(out / "timeseries.csv",
                     lambda p: timeseries_frame(results, loaded.base.start_date).to_csv(p, index=False))
        atomic_write(out / "enterprises.csv", lambda p: enterprises_frame(results).to_csv(p, index=False))
    except OSError as exc:
        raise OutputError(f"cannot write results to {out}: {exc.strerror or exc}.") from None


def run_manifest(loaded: LoadedScenario, results: list[RunResult], wall_seconds: float, command: list[str],
                 workers: int) -> dict[str, Any]:
    """What made a run's tables: ``manifest.json`` (seed, version, git commit, wall time, events)."""
    events = int(sum(r.events for r in results))
    enterprises = int(results[0].summary["enterprises"]) if results else 0
    days = float(loaded.base.horizon_days)
    return {
        "scenario": loaded.base.name,
        "scenario_file": str(loaded.path),
        "seed": loaded.base.seed,
        "replications": loaded.base.replications,
        "variants": [name for name, _ in loaded.all_variants()],
        **build_info(),
        "command": command,
        "workers": workers,
        "wall_seconds": round(wall_seconds, 3),
        "events_simulated": events,
        "events_per_enterprise": events / max(1, enterprises * len(results)),
        "events_per_enterprise_day": events / max(1.0, enterprises * len(results) * days),
        "finished_at": dt.datetime.now().isoformat(timespec="seconds"),
    }


def summary_frame(results: list[RunResult]):  # type: ignore[no-untyped-def]
    import pandas as pd

    rows = [{"variant": r.variant, "replication": r.replication, **r.summary} for r in results]
    return pd.DataFrame(rows)


def timeseries_frame(results: list[RunResult], start_date: dt.date):  # type: ignore[no-untyped-def]
    import pandas as pd

    frames = []
    for r in results:
        cols: dict[str, Any] = {"variant": r.variant, "replication": r.replication}
        day = r.series["day"].astype(int)
        cols["day"] = day
        cols["date"] = [(start_date + dt.timedelta(days=int(d))).isoformat() for d in day]
        for name, values in r.series.items():
            if name != "day":
                cols[name] = values
        frames.append(pd.DataFrame(cols))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def enterprises_frame(results: list[RunResult]):  # type: ignore[no-untyped-def]
    import pandas as pd

    frames = []
    for r in results:
        n = len(r.enterprise_ids)
        cols: dict[str, Any] = {"variant": [r.variant] * n, "replication": np.full(n, r.replication),
                                "id": r.enterprise_ids}
        cols.update(r.attributes)
        cols["covered_111"] = (np.asarray(r.attributes["liaison"]) >= 0) & (np.asarray(r.attributes["supervisor"]) >= 0)
        cols.update(r.outcomes)
        frames.append(pd.DataFrame(cols))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def write_frame(path: Path, frame: Any) -> None:
    """Write a DataFrame as CSV atomically; an OS error becomes an OutputError."""
    write_file(path, lambda p: frame.to_csv(p, index=False))


def write_file(path: Path, write: Callable[[Path], object]) -> None:
    """:func:`atomic_write`, with an OS error (disk full, no permission) as an OutputError."""
    try:
        atomic_write(path, write)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}.") from None


def update_manifest(out: Path, extra: dict[str, Any]) -> None:
    """Add keys to an existing manifest.json (e.g. how many replications a precision target took)."""
    path = out / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OutputError(f"cannot update {path}: it cannot be read ({getattr(exc, 'strerror', None) or exc}).") \
            from None
    if not isinstance(manifest, dict):
        raise OutputError(f"cannot update {path}: it is not a manifest (a JSON object).")
    manifest.update(extra)
    write_manifest_json(out, manifest)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# -- exporting tables (sim export, Results.to_excel) ---------------------------------------------

EXPORT_FORMATS = ("csv", "parquet", "xlsx")
EXCEL_ROWS = 1_048_576 - 1  # an Excel sheet's rows, less the header
_ENGINES = {"parquet": ("pyarrow", "parquet"), "xlsx": ("openpyxl", "excel")}


def missing_engine(fmt: str, what: str | None = None, instead: str = "export with --format csv") -> str | None:
    """Why ``fmt`` cannot be written here (the optional package it needs is not installed), else None.

    ``what`` names what needs it (default: "Parquet export" or "Excel export"); ``instead`` what else to do.
    """
    import importlib.util

    if fmt not in _ENGINES:
        return None
    package, extra = _ENGINES[fmt]
    if importlib.util.find_spec(package) is not None:
        return None
    what = what or f"{'Parquet' if fmt == 'parquet' else 'Excel'} export"
    return (f"{what} needs the {package} package, which is not installed. Install it with\n\n    pip install "
            f"{package}\n\n(or pip install -e \".[{extra}]\"), or {instead}.")


def too_long_for_a_sheet(name: str, rows: int, instead: str) -> str:
    """The note on a table left out of a workbook because it is longer than an Excel sheet."""
    return (f"{name}: {rows:,} rows, more than an Excel sheet holds ({EXCEL_ROWS:,}); left out of the workbook: "
            f"{instead}.")


def export_tables(tables: dict[str, Any], out: Path, fmt: str, workbook: str = "results") -> tuple[list[Path], list[str]]:
    """Write ``tables`` (name → DataFrame) into the folder ``out``: one file per table (csv, parquet) or one
    workbook ``<workbook>.xlsx`` with a sheet per table. Returns the files written and, for xlsx, the names of
    the tables left out (longer than an Excel sheet; see :func:`too_long_for_a_sheet`). OutputError when a
    file cannot be written."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, not {fmt!r}")
    if fmt == "xlsx":
        left_out = [name for name, frame in tables.items() if len(frame) > EXCEL_ROWS]
        # Excel's limit on a sheet's name is 31 characters
        sheets = {name[:31]: frame for name, frame in tables.items() if name not in left_out}

        def write_book(p: Path) -> None:
            import pandas as pd

            with pd.ExcelWriter(p, engine="openpyxl") as book:
                for sheet, frame in sheets.items():
                    frame.to_excel(book, sheet_name=sheet, index=False)

        target = out / f"{workbook}.xlsx"
        write_file(target, write_book)
        return [target], left_out
    written: list[Path] = []
    for name, frame in tables.items():
        target = out / f"{name}.{fmt}"

        def write(p: Path, f: Any = frame) -> None:
            if fmt == "csv":
                f.to_csv(p, index=False)
            else:
                f.to_parquet(p, index=False, engine="pyarrow")

        write_file(target, write)
        written.append(target)
    return written, []

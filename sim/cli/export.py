"""``python -m sim export DIR``: a results folder's tables as CSV, Parquet or an Excel workbook.

A run's folder gives its tables (summary, comparison, time series, firms,
restart survival); a sweep's, optimisation's or robustness run's folder the
runs of its result store (one row per run) and the sweeps made into it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.arguments import command_parser, path_arg
from sim.errors import InputError, OutputError
from sim.experiment.folder import reading
from sim.experiment.store import STORE_NAME, ResultStore
from sim.plotting.folder import ResultsFolder
from sim.results.folder_record import FINISHED, KINDS
from sim.results.output import (
    EXPORT_FORMATS,
    export_tables,
    missing_engine,
    too_long_for_a_sheet,
)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command_parser(sub, "export",
                       description="Write the tables of a results folder. A run's folder: summary, comparison, "
                                   "timeseries, enterprises and the restart-survival tables. A sweep's (or "
                                   f"optimisation's, or robustness run's) folder: the runs of its {STORE_NAME} "
                                   "(one row per run: key, point, replication, seed, swept parameters, every summary "
                                   "metric, wall time) and sweeps (one row per invocation).")
    p.add_argument("folder", type=path_arg, help="results folder of a run, sweep, optimisation or robustness run")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="csv",
                   help="csv (default, a file per table), parquet (needs pyarrow) or xlsx (one workbook, a sheet "
                        "per table; needs openpyxl)")
    p.add_argument("--out", type=path_arg, default=None, help="where to write the tables (default: FOLDER/export)")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    folder: Path = args.folder
    # a store is whole at every moment (SQLite), so an unfinished sweep's runs so far may be exported too
    with reading(folder, "export", tuple(KINDS), ["python", "-m", "sim", *sys.argv[1:]], unfinished=True) as record:
        if record is not None and record.status != FINISHED:
            if record.kind == "run":
                raise InputError.single(folder, "the run in this folder did not finish, so its tables are partial "
                                        "or missing; finish it with --resume, then export.")
            print(f"note: the {record.kind} in {folder} did not finish; the export holds the runs finished so far.",
                  file=sys.stderr)
        return _export(args, folder)


def _export(args: argparse.Namespace, folder: Path) -> int:
    is_run = (folder / "summary.csv").is_file() and (folder / "timeseries.csv").is_file()
    if not is_run and not (folder / STORE_NAME).is_file():
        raise InputError.single(str(folder), f"no result store here (expected {folder / STORE_NAME}) and no run's "
                                "tables (summary.csv, timeseries.csv); give the results folder of a run, sweep, "
                                "optimisation or robustness run.")
    missing = missing_engine(args.format)
    if missing is not None:
        print(f"error: {missing}", file=sys.stderr)
        return 2
    out: Path = args.out or folder / "export"
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file; export writes into a folder. Give a folder (it is created if "
                          f"missing), e.g. --out {out.parent / 'export'}.")
    if is_run:
        tables = ResultsFolder(folder).run_tables()
    else:
        with ResultStore(folder) as store:
            tables = store.tables()
    written, left_out = export_tables(tables, out, args.format)
    for name in left_out:
        print(f"note: {too_long_for_a_sheet(name, len(tables[name]), 'export it with --format csv or parquet')}",
              file=sys.stderr)
    if args.format == "xlsx":
        sheets = ", ".join(f"{name} ({len(frame):,} rows)" for name, frame in tables.items() if name not in left_out)
        print(f"{written[0]}: sheets {sheets}")
    else:
        for path in written:
            print(f"{path}: {len(tables[path.stem]):,} row(s)")
    return 0

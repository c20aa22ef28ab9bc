"""``python -m sim export DIR``: the result store of a sweep folder as CSV or Parquet tables."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any

from sim.cli.arguments import path_arg
from sim.errors import InputError, OutputError
from sim.experiment.folder import reading
from sim.experiment.store import STORE_NAME, ResultStore
from sim.results.folder_record import FINISHED, KINDS
from sim.results.output import atomic_write


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("export", help="write a sweep's result store as CSV or Parquet tables",
                       description=f"Read {STORE_NAME} of a sweep results folder and write its tables: "
                                   "runs (one row per run: key, point, replication, seed, swept parameters, every "
                                   "summary metric, wall time) and sweeps (one row per invocation).")
    p.add_argument("folder", type=path_arg, help="sweep results folder (holding store.sqlite)")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv",
                   help="csv (default) or parquet (needs pyarrow)")
    p.add_argument("--out", type=path_arg, default=None, help="where to write the tables (default: FOLDER/export)")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    folder: Path = args.folder
    # a store is whole at every moment (SQLite), so an unfinished sweep's runs so far may be exported too
    with reading(folder, "export", tuple(KINDS), ["python", "-m", "sim", *sys.argv[1:]], unfinished=True) as record:
        if record is not None and record.status != FINISHED:
            print(f"note: the {record.kind} in {folder} did not finish; the export holds the runs finished so far.",
                  file=sys.stderr)
        return _export(args, folder)


def _export(args: argparse.Namespace, folder: Path) -> int:
    if not (folder / STORE_NAME).is_file():
        raise InputError.single(str(folder), f"no result store here (expected {folder / STORE_NAME}); give the "
                                "results folder of a sweep (python -m sim sweep ... --out FOLDER).")
    if args.format == "parquet" and importlib.util.find_spec("pyarrow") is None:
        print("error: Parquet export needs the pyarrow package, which is not installed. Install it with\n\n"
              "    pip install pyarrow\n\n(or pip install -e \".[parquet]\"), or export with --format csv.",
              file=sys.stderr)
        return 2
    out: Path = args.out or folder / "export"
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file; export writes several tables into a folder. Give a folder "
                          f"(it is created if missing), e.g. --out {out.parent / 'export'}.")
    with ResultStore(folder) as store:
        tables = store.tables()
    for name, frame in tables.items():
        path = out / f"{name}.{args.format}"

        def write(p: Path, f: Any = frame) -> None:
            if args.format == "csv":
                f.to_csv(p, index=False)
            else:
                f.to_parquet(p, index=False, engine="pyarrow")

        atomic_write(path, write)
        print(f"{path}: {len(frame)} row(s)")
    return 0

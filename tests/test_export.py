"""Exporting a results folder's tables: `sim export` on a run's folder (CSV, Excel), Results.to_excel(), a clear
message when the optional package is missing, and a table too long for an Excel sheet left out with a note."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sim
from sim.cli import main as cli
from sim.plotting.folder import RUN_TABLES
from sim.results import output
from sim.results.folder_record import RECORD
from tests.conftest import small_town

SCENARIO = small_town("export-test", horizon_days=30, seed=4, replications=2, firms=20, workers=10) + """\
variants:
  fast:
    policies: {approval: {name: fast_track}}
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> sim.Results:
    root = tmp_path_factory.mktemp("export")
    (root / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    return sim.run(root / "s.yaml", out=root / "run", workers=1)


def _no_openpyxl(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "openpyxl" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_a_run_folder_exports_its_tables_as_csv(results: sim.Results, tmp_path: Path) -> None:
    assert cli(["export", str(results.out), "--out", str(tmp_path / "csv")]) == 0
    for name in ("summary", "comparison", "timeseries", "enterprises", "restart_survival"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "csv" / f"{name}.csv"),
                                      pd.read_csv(results.out / f"{name}.csv"), obj=name)


def test_a_run_folder_exports_an_excel_workbook(results: sim.Results, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["export", str(results.out), "--format", "xlsx"]) == 0
    book = results.out / "export" / "results.xlsx"
    assert f"{book}: sheets summary (4 rows)" in capsys.readouterr().out
    sheets = pd.read_excel(book, sheet_name=None)
    assert list(sheets)[:4] == ["summary", "comparison", "timeseries", "enterprises"]
    pd.testing.assert_frame_equal(sheets["summary"], results.summary, check_dtype=False)


def test_results_to_excel(results: sim.Results, tmp_path: Path) -> None:
    book = results.to_excel(tmp_path / "mine.xlsx")
    assert book == tmp_path / "mine.xlsx"
    pd.testing.assert_frame_equal(pd.read_excel(book, sheet_name="comparison"), results.comparison,
                                  check_dtype=False)
    assert results.to_excel() == results.out / "export" / "results.xlsx"
    with pytest.raises(ValueError, match="ends in .xlsx"):
        results.to_excel(tmp_path / "mine.csv")


def test_without_openpyxl_the_message_says_what_to_install(results: sim.Results, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    _no_openpyxl(monkeypatch)
    with pytest.raises(ImportError, match=r"(?s)Results.to_excel\(\) needs the openpyxl package.*pip install openpyxl"):
        results.to_excel(tmp_path / "x.xlsx")
    assert cli(["export", str(results.out), "--format", "xlsx", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "Excel export needs the openpyxl package" in err and '".[excel]"' in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_a_table_too_long_for_a_sheet_is_left_out_with_a_note(results: sim.Results, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(output, "EXCEL_ROWS", 70)  # enterprises.csv has 20 firms x 2 variants x 2 replications
    assert len(results.enterprises) == 80 and len(results.summary) == 4
    written, left_out = output.export_tables({"summary": results.summary, "enterprises": results.enterprises},
                                             tmp_path, "xlsx")
    assert left_out == ["enterprises"]
    assert list(pd.read_excel(written[0], sheet_name=None)) == ["summary"]
    with pytest.warns(UserWarning) as warned:
        results.to_excel(tmp_path / "warned.xlsx")
    too_long = {name for name in RUN_TABLES if (results.out / f"{name}.csv").is_file()
                and len(pd.read_csv(results.out / f"{name}.csv")) > 70}
    assert "enterprises" in too_long
    assert sorted(str(w.message).split(":")[0] for w in warned) == sorted(too_long)
    assert any(f"enterprises: 80 rows, more than an Excel sheet holds (70); left out of the workbook: its CSV is "
               f"{results.out / 'enterprises.csv'}." == str(w.message) for w in warned)
    assert cli(["export", str(results.out), "--format", "xlsx", "--out", str(tmp_path / "cli")]) == 0
    captured = capsys.readouterr()
    assert "note: enterprises: 80 rows" in captured.err and "export it with --format csv or parquet" in captured.err
    assert "enterprises (" not in captured.out and "summary (4 rows)" in captured.out


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is None, reason="Parquet needs pyarrow (the parquet extra)")
def test_a_run_folder_exports_parquet(results: sim.Results, tmp_path: Path) -> None:
    assert cli(["export", str(results.out), "--format", "parquet", "--out", str(tmp_path)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "timeseries.parquet"), results.series)


def test_an_unfinished_run_is_not_exported(results: sim.Results, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(results.out, copy, ignore=shutil.ignore_patterns("export"))
    record = json.loads((copy / RECORD).read_text(encoding="utf-8"))
    (copy / RECORD).write_text(json.dumps({**record, "status": "running"}), encoding="utf-8")
    assert cli(["export", str(copy)]) == 2
    err = capsys.readouterr().err
    assert "did not finish" in err and "--resume" in err and "Traceback" not in err
    assert not (copy / "export").exists()


def test_a_folder_with_no_tables_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["export", str(tmp_path)]) == 2
    assert "no run's tables (summary.csv, timeseries.csv)" in capsys.readouterr().err

"""The result store: stable keys, one row per run, exact round trip, WAL, export."""

from __future__ import annotations

import hashlib
import importlib.util
import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main as cli_main
from sim.experiment.store import ResultStore, RunRecord, canonical_json, run_key


def record(key: str, point: int = 0, rep: int = 0, value: float = 1.0) -> RunRecord:
    return RunRecord(key, point, rep, 7, {"a.b": 3, "c[*].d": "x"},
                     {"y": value, "never": math.nan, "tiny": 0.1 + 0.2}, 0.5)


def test_keys_are_stable_and_distinguish_what_matters() -> None:
    one = {"scenario": {"b": [1, 2], "a": 1.5}, "version": "1"}
    same = {"version": "1", "scenario": {"a": 1.5, "b": [1, 2]}}
    assert run_key(one, 0) == run_key(same, 0)
    assert len(run_key(one, 0)) == 64
    assert run_key(one, 0) != run_key(one, 1)
    assert run_key(one, 0) != run_key({"scenario": {"b": [2, 1], "a": 1.5}, "version": "1"}, 0)
    assert canonical_json({"b": 1, "a": [True, None]}) == '{"a":[true,null],"b":1}'
    # the key is the sha256 of this exact text, so it does not depend on the process or dict order
    assert run_key({"x": 1}, 2) == hashlib.sha256(b'{"point":{"x":1},"replication":2}').hexdigest()


def test_put_is_one_row_per_key_and_round_trips_exactly(tmp_path: Path) -> None:
    with ResultStore(tmp_path) as store:
        store.put(record("k1", value=1 / 3))
        store.put(record("k1", value=99.0))  # a run already stored is left as it is
        store.put(record("k2", point=1))
        assert store.count() == 2
        assert store.finished(["k1", "k2", "k3"]) == {"k1", "k2"}
        got = store.summaries(["k1", "k3"])
    assert set(got) == {"k1"}
    assert got["k1"]["y"] == 1 / 3  # bit for bit
    assert got["k1"]["tiny"] == 0.1 + 0.2
    assert math.isnan(got["k1"]["never"])
    with sqlite3.connect(tmp_path / "store.sqlite") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_each_result_is_committed_before_the_next_arrives(tmp_path: Path) -> None:
    """Another connection sees a result as soon as put() returns (no batching that a kill could lose)."""
    with ResultStore(tmp_path) as store:
        reader = sqlite3.connect(tmp_path / "store.sqlite")
        for i in range(3):
            store.put(record(f"k{i}"))
            assert reader.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == i + 1
        reader.close()


def test_a_group_is_committed_whole_when_it_ends_and_not_at_all_when_it_fails(tmp_path: Path) -> None:
    with ResultStore(tmp_path) as store:
        reader = sqlite3.connect(tmp_path / "store.sqlite")
        with store.group():
            store.put(record("k0"))
            store.put(record("k1"))
            assert reader.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0
        assert reader.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2
        with pytest.raises(KeyboardInterrupt), store.group():
            store.put(record("k2"))
            raise KeyboardInterrupt  # Ctrl-C while the group is written
        assert store.count() == 2 and store.finished(["k0", "k1", "k2"]) == {"k0", "k1"}
        reader.close()


def test_results_that_arrive_together_are_committed_together(tmp_path: Path) -> None:
    """run_jobs writes each group an executor hands back in one transaction, before asking for more."""
    from sim.experiment.executors import Completed, Executor, Job
    from sim.experiment.runner import run_jobs

    class TwoGroups(Executor):
        def run_grouped(self, jobs: list[Job]) -> Iterator[list[Completed]]:
            done = [Completed(j.key, 1.0, 0.0) for j in jobs]
            yield done[:2]
            yield done[2:]

    seen: list[int] = []
    with ResultStore(tmp_path) as store:
        reader = sqlite3.connect(tmp_path / "store.sqlite")

        def on_done(c: Completed) -> None:
            seen.append(reader.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
            store.put(record(c.key))

        jobs = [Job(f"k{i}", 0, i, None, max) for i in range(3)]
        run_jobs(TwoGroups(), jobs, on_done, progress=False, group=store.group)
        reader.close()
        assert store.count() == 3
    assert seen == [0, 0, 2]  # the first group became visible at once, when it ended


def test_sweeps_table_records_each_invocation(tmp_path: Path) -> None:
    with ResultStore(tmp_path) as store:
        sid = store.start_sweep("s.yaml", "grid", 4, 8, 2, "local", 2)
        store.put(record("k1"), sid)
        store.finish_sweep(sid, "finished")
        tables = store.tables()
    sweeps = tables["sweeps"]
    assert list(sweeps["status"]) == ["finished"] and int(sweeps["skipped"][0]) == 2
    runs = tables["runs"]
    assert list(runs["key"]) == ["k1"] and int(runs["sweep"][0]) == sid
    assert runs["a.b"][0] == 3 and runs["y"][0] == 1.0 and math.isnan(runs["never"][0])


def test_export_csv_and_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with ResultStore(tmp_path) as store:
        store.put(record("k1"))
        store.put(record("k2", point=1, value=2.5))
    assert cli_main(["export", str(tmp_path)]) == 0
    runs = pd.read_csv(tmp_path / "export" / "runs.csv")
    assert list(runs["y"]) == [1.0, 2.5] and "seed" in runs.columns
    assert (tmp_path / "export" / "sweeps.csv").exists()
    if importlib.util.find_spec("pyarrow") is not None:
        assert cli_main(["export", str(tmp_path), "--format", "parquet", "--out", str(tmp_path / "pq")]) == 0
        assert pd.read_parquet(tmp_path / "pq" / "runs.parquet")["y"].tolist() == [1.0, 2.5]


def test_export_without_pyarrow_says_how_to_install_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with ResultStore(tmp_path) as store:
        store.put(record("k1"))
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a))
    assert cli_main(["export", str(tmp_path), "--format", "parquet"]) == 2
    err = capsys.readouterr().err
    assert "pip install pyarrow" in err and "Traceback" not in err
    assert not (tmp_path / "export" / "runs.parquet").exists()


def test_export_of_a_folder_without_a_store_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["export", str(tmp_path)]) == 2
    assert "no result store here" in capsys.readouterr().err

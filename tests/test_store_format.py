"""No code in data (issue break 12): the result store keeps replications in a format that loading cannot execute.

A results folder received from someone else used to run whatever its pickles said on ``--resume``. Now a
replication is stored as JSON plus the raw bytes of its numpy arrays (:mod:`sim.experiment.result_codec`):
loading builds only numbers, text and arrays of plain dtypes. A store written by an older version (whose
replications are pickles) is refused with a message, and a pickle found in a current store is a damaged
entry (run again), never loaded.
"""

from __future__ import annotations

import json
import math
import pickle
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim.experiment.runner
from sim.cli import main
from sim.errors import OutputError
from sim.experiment.result_codec import MAGIC, decode_result, encode_result
from sim.experiment.store import STORE_NAME, ResultStore
from sim.model.world import run_replication
from sim.results.run_result import RunResult
from tests.conftest import SMALL_ONE_STRATUM as SMALL
from tests.conftest import tiny


class Payload:
    """What a hostile folder's pickle holds: unpickling it writes a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (exec, (f"open({str(self.marker)!r}, 'w').write('the payload ran')",))


def _interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A run stopped after 2 of its 6 replications: (scenario file, results folder)."""
    scen = tmp_path / "small.yaml"
    scen.write_text(SMALL)
    out = tmp_path / "out"
    real = sim.experiment.runner.run_task
    calls: list[int] = []

    def stop_after_two(task: Any) -> Any:
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(1)
        return real(task)

    monkeypatch.setattr(sim.experiment.runner, "run_task", stop_after_two)
    assert main(["run", str(scen), "--out", str(out), "--workers", "1", "-q", "--no-report"]) == 130
    monkeypatch.undo()
    return scen, out


def test_a_store_of_pickles_written_by_an_older_version_is_refused_and_never_unpickled(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    scen, out = _interrupted(tmp_path, monkeypatch)
    marker = tmp_path / "marker"
    with sqlite3.connect(out / STORE_NAME) as conn:  # as an older version wrote it, with a planted payload
        conn.execute("UPDATE runs SET result = ?", (pickle.dumps(Payload(marker)),))
        conn.execute("PRAGMA user_version = 0")
    capsys.readouterr()
    assert main(["run", str(scen), "--out", str(out), "--workers", "1", "-q", "--no-report", "--resume"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    assert "written by an older version" in err and "pickle" in err and str(out / STORE_NAME) in err
    assert not marker.exists()


def test_a_pickle_in_a_current_store_is_a_damaged_entry_run_again_never_loaded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    scen, out = _interrupted(tmp_path, monkeypatch)
    marker = tmp_path / "marker"
    with sqlite3.connect(out / STORE_NAME) as conn:
        conn.execute("UPDATE runs SET result = ? WHERE replication = 0 AND label = 'base'",
                     (pickle.dumps(Payload(marker)),))
    capsys.readouterr()
    assert main(["run", str(scen), "--out", str(out), "--workers", "1", "-q", "--no-report", "--resume"]) == 0
    err = capsys.readouterr().err
    assert "1 replication(s) in" in err and "could not be read back (a damaged entry)" in err
    assert not marker.exists()


def test_an_older_store_without_replications_is_taken_over(tmp_path: Path) -> None:
    # a sweep's store holds summaries only (JSON): nothing in it can run, so an older one is kept
    with sqlite3.connect(tmp_path / STORE_NAME) as conn:
        conn.execute("CREATE TABLE runs (key TEXT PRIMARY KEY, sweep INTEGER, point INTEGER NOT NULL, replication "
                     "INTEGER NOT NULL, seed INTEGER, parameters TEXT NOT NULL, summary TEXT NOT NULL, wall_seconds "
                     "REAL, finished_at TEXT NOT NULL)")
        conn.execute("INSERT INTO runs VALUES ('k', NULL, 0, 0, 1, '{}', '{\"y\": 1.5}', 0.1, 'then')")
    with ResultStore(tmp_path) as store:
        assert store.summaries(["k"]) == {"k": {"y": 1.5}}


def test_a_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    with ResultStore(tmp_path):
        pass
    with sqlite3.connect(tmp_path / STORE_NAME) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(OutputError, match="newer version"):
        ResultStore(tmp_path)


# -- the format itself ------------------------------------------------------------------------------------

def _result() -> RunResult:
    return run_replication(tiny(), "base", 3)


def _same(a: RunResult, b: RunResult) -> None:
    assert (a.variant, a.replication, a.events, a.wall_seconds) == (b.variant, b.replication, b.events, b.wall_seconds)
    assert a.enterprise_ids == b.enterprise_ids
    assert a.summary.keys() == b.summary.keys()
    for k, v in a.summary.items():
        assert type(v) is type(b.summary[k]) and (v == b.summary[k] or (math.isnan(v) and math.isnan(b.summary[k])))
    for section in ("outcomes", "series", "attributes"):
        one, two = getattr(a, section), getattr(b, section)
        assert one.keys() == two.keys(), section
        for k in one:
            assert np.asarray(one[k]).dtype == np.asarray(two[k]).dtype, (section, k)
            np.testing.assert_array_equal(one[k], two[k])


def test_a_replication_round_trips_exactly() -> None:
    result = _result()
    result.summary["never"] = math.nan
    back = decode_result(encode_result(result))
    assert back is not None
    _same(result, back)
    for arr in back.outcomes.values():  # arrays come back writable, as the model made them
        assert arr.flags.writeable


def test_values_that_are_not_arrays_round_trip_too() -> None:
    result = _result()
    result.attributes.update({"names": ["a", "b"], "pair": (1, 2.5), "nested": {"x": np.float32(0.1)},
                              "flag": True, "none": None})
    back = decode_result(encode_result(result))
    assert back is not None
    assert back.attributes["names"] == ["a", "b"] and back.attributes["pair"] == (1, 2.5)
    assert back.attributes["nested"]["x"] == np.float32(0.1) and type(back.attributes["nested"]["x"]) is np.float32
    assert back.attributes["flag"] is True and back.attributes["none"] is None


def test_what_cannot_be_stored_safely_is_refused_when_saved() -> None:
    result = _result()
    result.attributes["objects"] = np.array([object()], dtype=object)
    with pytest.raises(TypeError, match="object"):
        encode_result(result)


def _edit_first_array(blob: bytes, edit: Any) -> bytes:
    """The blob with ``edit`` applied to the description of its first array (dtype, shape, offset, bytes)."""
    start = len(MAGIC) + 8
    length = int.from_bytes(blob[len(MAGIC):start], "little")
    header = json.loads(blob[start:start + length])
    first = next(iter(header["outcomes"]["$dict"].values()))["$array"]
    edit(first)
    text = json.dumps(header).encode()
    return MAGIC + len(text).to_bytes(8, "little") + text + blob[start + length:]


@pytest.mark.parametrize("damage", ["truncated", "pickle", "object dtype", "bad shape", "outside", "empty"])
def test_a_damaged_or_hostile_entry_decodes_to_none(damage: str) -> None:
    blob = encode_result(_result())
    if damage == "truncated":
        blob = blob[: len(blob) - 10]
    elif damage == "pickle":
        blob = pickle.dumps(_result())
    elif damage == "object dtype":
        blob = _edit_first_array(blob, lambda a: a.__setitem__(0, "|O"))
    elif damage == "bad shape":
        blob = _edit_first_array(blob, lambda a: a.__setitem__(1, [7, *a[1]]))
    elif damage == "outside":
        blob = _edit_first_array(blob, lambda a: a.__setitem__(2, 10**9))
    else:
        blob = b""
    assert decode_result(blob) is None

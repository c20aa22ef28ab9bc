"""The result store: every finished replication, kept in an embedded SQLite database.

``run`` and ``sweep`` (and anything else that runs replications) keep their
finished replications here. A replication is keyed by a stable hash (sha256 of
canonical JSON) of what determines its result (:mod:`sim.experiment.fingerprint`):
the fully resolved scenario (which includes the seed, not the number of
replications), the replication, the
package version, a fingerprint of the model's source and of a population CSV's
content. A rerun into the same folder finds the replications already done and
skips them, and a changed model or population never reuses old results; the
``code`` and ``data`` columns say which of them a stored result was made with. Each result is written as
soon as it arrives (write-ahead log, ``synchronous=FULL``), in its own
transaction or (:meth:`ResultStore.group`) in one with the results that
arrived together from the same batch of a worker: a sweep killed at any moment
loses at most the runs still in flight and those that arrived in the same
instant as the write it interrupted.

Tables:

``runs``
    key, sweep (the sweep that produced it), point, replication, seed, the
    point's swept parameter values (JSON), the run's summary metrics (JSON),
    wall seconds, finish time; ``label`` (a run's variant), ``code`` and
    ``data`` (fingerprints of the model source and of the population CSV it
    was made with) and ``result`` (a run's full result in a format that
    loading cannot execute, :mod:`sim.experiment.result_codec`).
``sweeps``
    one row per invocation: file, design, points, runs, runs skipped, status.

The database's ``user_version`` is the format (:data:`STORE_FORMAT`). Older
versions kept a run's full result as a Python pickle, which can run any code
when loaded: a store of theirs that holds such results is refused with a
message, never read (one that holds summaries only, as a sweep's, is taken
over); a store from a newer version is refused too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from sim.errors import OutputError

STORE_NAME = "store.sqlite"
STORE_FILES = (STORE_NAME, f"{STORE_NAME}-wal", f"{STORE_NAME}-shm", f"{STORE_NAME}-journal")  # SQLite's own files
STORE_FORMAT = 2  # 1 (user_version 0): results pickled; 2: results in sim.experiment.result_codec's format
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,
    sweep INTEGER,
    point INTEGER NOT NULL,
    replication INTEGER NOT NULL,
    seed INTEGER,
    parameters TEXT NOT NULL,
    summary TEXT NOT NULL,
    wall_seconds REAL,
    finished_at TEXT NOT NULL,
    label TEXT,
    code TEXT,
    data TEXT,
    result BLOB
);
CREATE TABLE IF NOT EXISTS errors (
    key TEXT NOT NULL,
    sweep INTEGER,
    point INTEGER NOT NULL,
    replication INTEGER NOT NULL,
    seed INTEGER,
    parameters TEXT NOT NULL,
    traceback TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sweeps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file TEXT,
    design TEXT,
    points INTEGER,
    runs INTEGER,
    skipped INTEGER,
    executor TEXT,
    workers INTEGER,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL
);
"""


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def run_key(identity: Mapping[str, Any], replication: int) -> str:
    """sha256 of the canonical JSON of a point's identity and the replication."""
    return hashlib.sha256(canonical_json({"point": identity, "replication": replication}).encode()).hexdigest()


def run_keys(identity: Mapping[str, Any], replications: range) -> list[str]:
    """``run_key(identity, r)`` for every r, without serialising the identity again for each one.

    The canonical JSON is ``{"point":<identity>,"replication":<r>}`` (keys sorted), so the hash of the
    common prefix is computed once and copied: 100,000 replications of a point take a fraction of a second.
    """
    prefix = hashlib.sha256(('{"point":' + canonical_json(identity) + ',"replication":').encode())
    keys = []
    for r in replications:
        h = prefix.copy()
        h.update(f"{int(r)}}}".encode())
        keys.append(h.hexdigest())
    return keys


@dataclass(frozen=True)
class RunRecord:
    """One finished run."""

    key: str
    point: int
    replication: int
    seed: int | None
    parameters: dict[str, Any]
    summary: dict[str, float]
    wall_seconds: float
    label: str | None = None
    code: str | None = None
    data: str | None = None
    result: bytes | None = None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _dumps_summary(summary: Mapping[str, float]) -> str:
    # NaN (a day never reached) is kept as null; floats round-trip exactly through repr
    return json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in summary.items()},
                      sort_keys=True)


def _loads_summary(text: str) -> dict[str, float]:
    return {k: (math.nan if v is None else float(v)) for k, v in json.loads(text).items()}


class ResultStore:
    """``store.sqlite`` in a results folder. Use as a context manager.

    One writer: the main process of a run or sweep (the results folder is locked while it writes).
    """

    def __init__(self, folder: Path, durable: bool = True) -> None:
        """``durable``: also survive an operating-system crash or power loss (an fsync per commit);
        without it a result survives the sweep process being killed, which is all that cheap
        evaluations (e.g. test functions, thousands a second) need."""
        self.path = folder / STORE_NAME
        self.damaged = 0  # stored runs found unreadable and discarded (they are run again)
        self._grouped = False  # inside group(): writes join its transaction
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if self.path.is_symlink():
                raise OutputError(f"the result store {self.path} is a symbolic link; the tool does not open a "
                                  "store through a link. Remove the link, or choose another folder.")
            self._conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except OSError as exc:
            raise OutputError(f"cannot create the result store in {folder}: {exc.strerror or exc}.") from None
        except sqlite3.DatabaseError as exc:
            raise OutputError(f"cannot open the result store {self.path}: {exc}.") from None
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            self._check_format()
            self._conn.executescript(SCHEMA)
            self._add_columns()
            self._conn.execute(f"PRAGMA user_version = {STORE_FORMAT}")
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise OutputError(f"cannot open the result store {self.path}: {exc}.") from None
        except BaseException:
            self._conn.close()
            raise

    def _check_format(self) -> None:
        """Refuse a store this version must not read: pickled results (older) or an unknown format (newer)."""
        version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        if version > STORE_FORMAT:
            raise OutputError(f"the result store {self.path} was written by a newer version of the tool (format "
                              f"{version}; this one reads {STORE_FORMAT}); use that version, or start over with "
                              "--force or a new --out folder.")
        if version == STORE_FORMAT:
            return
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(runs)")}
        if "result" in columns and self._conn.execute(
                "SELECT 1 FROM runs WHERE result IS NOT NULL LIMIT 1").fetchone() is not None:
            raise OutputError(f"the result store {self.path} was written by an older version of the tool, which "
                              "kept each replication as a Python pickle; this version never loads a pickle (loading "
                              "one runs whatever code it holds, and the folder may come from anyone). Start over "
                              "with --force or a new --out folder, or finish the run with the version that "
                              "started it.")

    def _add_columns(self) -> None:
        """A store written by an older version lacks the newer columns: add them (empty)."""
        have = {row[1] for row in self._conn.execute("PRAGMA table_info(runs)")}
        for name, kind in (("label", "TEXT"), ("code", "TEXT"), ("data", "TEXT"), ("result", "BLOB")):
            if name not in have:
                self._conn.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    def finished(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are already in the store (with a readable summary; a damaged one is discarded)."""
        keys = list(dict.fromkeys(keys))
        done: set[str] = set()
        damaged: list[str] = []
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for key, text in self._read(f"SELECT key, summary FROM runs WHERE key IN ({marks})", chunk):
                try:
                    _loads_summary(text)
                except (TypeError, ValueError, AttributeError):
                    damaged.append(key)
                else:
                    done.add(key)
        self.discard(damaged)
        return done

    def discard(self, keys: Iterable[str]) -> None:
        """Remove stored runs that cannot be read back (a damaged entry), so that they are run again."""
        keys = list(keys)
        if not keys:
            return
        with self._transaction():
            self._conn.executemany("DELETE FROM runs WHERE key = ?", [(k,) for k in keys])
        self.damaged += len(keys)

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        """Rows of a query; a damaged database file is bad input (exit 2), not an internal error."""
        try:
            return self._conn.execute(sql, tuple(params)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise OutputError(f"the result store {self.path} is damaged and cannot be read ({exc}). Move it "
                              "away and run again (finished runs in it are lost), or start over with --force "
                              "or a new --out folder.") from None

    def put(self, record: RunRecord, sweep: int | None = None) -> None:
        """Write one run in its own transaction (a run already stored is left as it is)."""
        with self._transaction():
            self._conn.execute(
                "INSERT OR IGNORE INTO runs (key, sweep, point, replication, seed, parameters, summary, wall_seconds, "
                "finished_at, label, code, data, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.key, sweep, record.point, record.replication, record.seed,
                 canonical_json(record.parameters), _dumps_summary(record.summary), record.wall_seconds, _now(),
                 record.label, record.code, record.data, record.result))

    def put_error(self, record: RunRecord, traceback_text: str, sweep: int | None = None) -> None:
        """Record a run that raised (its key stays out of ``runs``, so a rerun tries it again)."""
        with self._transaction():
            self._conn.execute(
                "INSERT INTO errors (key, sweep, point, replication, seed, parameters, traceback, failed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (record.key, sweep, record.point, record.replication, record.seed,
                 canonical_json(record.parameters), traceback_text, _now()))

    def summaries(self, keys: Iterable[str]) -> dict[str, dict[str, float]]:
        """The stored summary of each key found."""
        keys = list(dict.fromkeys(keys))
        out: dict[str, dict[str, float]] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for key, text in self._read(f"SELECT key, summary FROM runs WHERE key IN ({marks})", chunk):
                out[key] = _loads_summary(text)
        return out

    def results(self, keys: Iterable[str]) -> dict[str, bytes]:
        """The stored full result (:mod:`sim.experiment.result_codec` bytes) of each key found that has one."""
        keys = list(dict.fromkeys(keys))
        out: dict[str, bytes] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in self._read(
                    f"SELECT key, result FROM runs WHERE result IS NOT NULL AND key IN ({marks})", chunk):
                out[key] = bytes(blob)
        return out

    def made_with(self, label: str, replication: int) -> list[tuple[str | None, str | None]]:
        """(code, data) fingerprints of the stored results of one labelled replication, whatever their key."""
        rows = self._read("SELECT code, data FROM runs WHERE label = ? AND replication = ?", (label, replication))
        return [(code, data) for code, data in rows]

    def start_sweep(self, file: str, design: str, points: int, runs: int, skipped: int, executor: str,
                    workers: int) -> int:
        with self._transaction():
            cur = self._conn.execute(
                "INSERT INTO sweeps (file, design, points, runs, skipped, executor, workers, started_at, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running')",
                (file, design, points, runs, skipped, executor, workers, _now()))
        return int(cur.lastrowid or 0)

    def finish_sweep(self, sweep: int, status: str) -> None:
        with self._transaction():
            self._conn.execute("UPDATE sweeps SET finished_at = ?, status = ? WHERE id = ?", (_now(), status, sweep))

    def count(self, from_replication: int = 0) -> int:
        """Stored runs (of replication ``from_replication`` or later)."""
        return int(self._read("SELECT COUNT(*) FROM runs WHERE replication >= ?", (from_replication,))[0][0])

    def tables(self) -> dict[str, Any]:
        """The store as pandas DataFrames: runs (parameters and summary metrics as columns) and sweeps.

        A damaged entry (unreadable JSON) is left out and counted in ``damaged``.
        """
        import pandas as pd

        rows = []
        cur = self._read("SELECT key, sweep, point, replication, seed, parameters, summary, wall_seconds, "
                         "finished_at, label, code, data FROM runs ORDER BY sweep, point, replication, key")
        for key, sweep, point, rep, seed, params, summary, wall, finished, label, code, data in cur:  # not the blobs
            row: dict[str, Any] = {"key": key, "sweep": sweep, "point": point, "replication": rep, "seed": seed}
            try:
                row.update(json.loads(params))
                row.update(_loads_summary(summary))
            except (TypeError, ValueError, AttributeError):
                self.damaged += 1
                continue
            row.update({"wall_seconds": wall, "finished_at": finished, "label": label, "code": code, "data": data})
            rows.append(row)
        sweeps = pd.DataFrame(self._read("SELECT * FROM sweeps ORDER BY id"),
                              columns=["id", "file", "design", "points", "runs", "skipped", "executor", "workers",
                                       "started_at", "finished_at", "status"])
        errors = pd.DataFrame(self._read("SELECT key, sweep, point, replication, seed, parameters, traceback, "
                                         "failed_at FROM errors ORDER BY rowid"),
                              columns=["key", "sweep", "point", "replication", "seed", "parameters", "traceback",
                                       "failed_at"])
        return {"runs": pd.DataFrame(rows), "sweeps": sweeps, "errors": errors}

    @contextlib.contextmanager
    def group(self) -> Iterator[None]:
        """Writes inside the block share one transaction: one commit (and one fsync) for all of them.

        For the results that arrived together from a worker: with runs of a few milliseconds, a
        commit per run would cost more than the runs. The group is written whole or not at all.
        """
        if self._grouped:
            yield
            return
        with self._transaction():
            self._grouped = True
            try:
                yield
            finally:
                self._grouped = False

    def _transaction(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext() if self._grouped else _Transaction(self._conn, self.path)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error) on an autocommit connection."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._path = path

    def __enter__(self) -> None:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            self._fail(exc)

    def __exit__(self, exc_type: object, exc: object, _tb: object) -> None:
        try:
            self._conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")
        except sqlite3.DatabaseError as err:
            exc = exc or err
        if isinstance(exc, sqlite3.DatabaseError):  # disk full, read-only, locked, damaged: the planner can fix it
            self._fail(exc)

    def _fail(self, exc: sqlite3.DatabaseError) -> NoReturn:
        raise OutputError(f"cannot write to the result store {self._path}: {exc}. Free some space or choose "
                          "a writable --out; the results already stored are kept.") from None


"""Jobs handed to workers in batches: how batches are cut, and that a batch changes nothing a job gives.

A batch only carries jobs: each job is evaluated on its own, from its own replication, and gives its own
result or failure, on a local pool and on Dask alike. (Workers that die in the middle of a batch are in
tests/test_misuse.py.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sim.cli import main
from sim.experiment.batching import BATCH_SECONDS, BATCHES_PER_WORKER, MAX_BATCH, Batches
from sim.experiment.dask_executor import DaskExecutor
from sim.experiment.designs import GridDesign
from sim.experiment.executors import LocalExecutor
from sim.scenario.ranges import Parameter
from sim.sweep.run import FunctionModel, run_sweep
from sim.sweep.spec import SweepSpec
from tests.conftest import SMALL_TWO_STRATA, batches_of
from tests.worker_jobs import noisy

# -- cutting batches ------------------------------------------------------------------------------------


def test_batches_hold_one_job_until_durations_are_known_then_about_batch_seconds_of_work() -> None:
    batches = Batches(range(10_000), workers=2)
    assert [len(batches.take()) for _ in range(4)] == [1, 1, 1, 1]
    for _ in range(8):
        batches.observe(0.001)
    assert batches.size() == round(BATCH_SECONDS / 0.001)
    batches.observe(5.0)  # a worker's first job, slowed by its imports, is an outlier
    assert batches.size() == round(BATCH_SECONDS / 0.001)
    for _ in range(40):
        batches.observe(1.5)  # runs of the default scenario: one per task
    assert batches.size() == 1


def test_the_last_batches_are_short_so_that_workers_finish_together() -> None:
    batches = Batches(range(100), workers=2)
    batches.observe(1e-6)  # a batch of BATCH_SECONDS would take every job
    sizes = []
    while batches:
        sizes.append(len(batches.take()))
    assert sizes[0] == 100 // (2 * BATCHES_PER_WORKER)
    assert sizes[-4:] == [1, 1, 1, 1] and sum(sizes) == 100
    huge = Batches(range(10 * MAX_BATCH * 2 * BATCHES_PER_WORKER), workers=2)
    huge.observe(0.0)
    assert huge.size() == MAX_BATCH


def test_jobs_to_retry_go_first_and_alone_and_a_batch_given_back_keeps_its_order() -> None:
    batches = Batches(["a", "b", "c", "d", "e"], workers=1)
    batches.observe(1e-6)
    first = batches.take()
    assert first == ["a"]  # an even share of 5 jobs over 1 worker × BATCHES_PER_WORKER
    batches.give_back(first)
    batches.retry("x")
    batches.retry("y")
    assert batches.take() == ["x"] and batches.take() == ["y"]
    assert batches.take() == ["a"] and len(batches) == 4


@given(jobs=st.integers(0, 300), workers=st.integers(1, 8),
       durations=st.lists(st.floats(0.0, 3.0), max_size=40))
@example(jobs=1, workers=1, durations=[5e-324])  # found: BATCH_SECONDS / a subnormal duration is inf (OverflowError)
def test_every_job_is_handed_out_once_in_order(jobs: int, workers: int, durations: list[float]) -> None:
    batches = Batches(range(jobs), workers)
    out: list[int] = []
    for d in durations:
        batches.observe(d)
    while batches:
        batch = batches.take()
        assert 1 <= len(batch) <= MAX_BATCH
        out.extend(batch)
    assert out == list(range(jobs))


# -- executors with batches: the same results, one failure per faulty job ----------------------------




def _sweep(executor: Any, out: Path) -> Any:
    spec = SweepSpec("function", Path("-"), [Parameter(paths=["x"], levels=list(range(8)))],
                     GridDesign(name="grid"), 3, ["y"])
    return run_sweep(spec, FunctionModel(noisy, ["y"], seed=1), out, executor, progress=False,
                     say=lambda _: None, durable=False)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["local", "dask"])
def test_batched_runs_give_the_in_process_results_and_a_raising_job_fails_alone(
        kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with LocalExecutor(1) as executor:
        ref = _sweep(executor, tmp_path / "ref")
    sizes = batches_of(monkeypatch, 5)
    with LocalExecutor(2) if kind == "local" else DaskExecutor(2) as executor:
        report = _sweep(executor, tmp_path / "out")
    assert max(sizes) == 5  # the faulty job shared its batch with others
    assert report.failed == ref.failed == 1 and report.ran == 24
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    pd.testing.assert_frame_equal(results, pd.read_csv(tmp_path / "ref" / "results.csv"))
    assert results["y"].isna().sum() == 1  # point 3, replication 1; the rest of its batch gave values
    assert (tmp_path / "out" / "sweep.log").read_text().count("ValueError: a deliberate fault") == 1


@pytest.mark.slow
@pytest.mark.parametrize("executor", [["--workers", "2"], ["--executor", "dask", "--workers", "2"]],
                         ids=["local-pool", "dask-localcluster"])
def test_a_sweep_of_the_simulator_in_batches_gives_the_tables_of_one_job_per_task(
        executor: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "small.yaml").write_text(SMALL_TWO_STRATA)
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("scenario: small.yaml\nlevers:\n  counties[*].approval_reviewers: {levels: [1, 2, 3]}\n"
                     "design: {name: grid}\nreplications: 3\noutcomes: [mean_restart_day, restarted_share]\n")

    def tables(out: Path) -> list[bytes]:
        assert main(["sweep", str(sweep), "--out", str(out), "-q", "--no-report", *executor]) == 0
        return [(out / name).read_bytes() for name in ("points.csv", "results.csv", "summary.csv")]

    one = batches_of(monkeypatch, 1)
    single = tables(tmp_path / "single")
    assert set(one) == {1}
    monkeypatch.undo()
    four = batches_of(monkeypatch, 4)
    batched = tables(tmp_path / "batched")
    assert max(four) == 4
    assert batched == single

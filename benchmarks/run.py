"""Performance benchmark: prints one line per figure, each against its reference
measured in the same run (the machine is shared and noisy: ratios, not seconds,
are what compare).

    python benchmarks/run.py            # full benchmark (a few minutes)
    python benchmarks/run.py --tiny     # smoke run at tiny sizes (seconds)

Figures and targets (issue "Performance"):
1. model events/s on the default scenario ÷ bare SimPy events/s (a timeout loop
   with as many processes as the model has enterprises)      target ≥ 0.5
2. events per enterprise per simulated day                   target ≤ 0.5
3. seconds and peak RSS for one replication at 1,000, 10,000 and 100,000
   enterprises (population scaled from the default), bytes per enterprise;
   100,000 × 120 days                                         target ≤ 10 s, ≤ 1 GiB
   1,000,000 × 120 days: run with --million when it fits, else refused up front
   with the memory it would need                              target ≤ 120 s, ≤ 6 GiB
   a Liaoning-sized population (about 7,400 above-scale firms, SMEs and 2.7 M
   individual businesses, these in cohorts of 10), run        target ≤ 5 min
   with --cohorts: cohorts against firm by firm on the default population × 10
4. the approval office's service point as M/M/5 (λ = 4.5, μ = 1), customers/s
   ÷ Ciw's on the same queue                                   target ≥ 2
   and ÷ bare SimPy's (simpy.Resource)
5. sweep throughput (runs/minute) of runs of the default scenario with 1 and 2
   workers and with dask on a 2-worker LocalCluster, as speed-ups over 1 worker
   (each sweep is the whole command, start-up included; the best of two
   rounds, the three run in turn)                             target ≥ 1.8 and ≥ 1.6
   and runs/s of a sweep of short runs (a test function of a few hundredths of
   a millisecond, so that what each run costs besides its work shows: tasks,
   results, the store)
   and the time to write and read one replication's full result in a run's
   result store (what --resume reuses), against pickling it
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.experiment.memory import available_bytes, replication_bytes  # noqa: E402
from sim.model.servers import ServicePoint  # noqa: E402
from sim.model.world import run_replication  # noqa: E402
from sim.scenario.loader import load_scenario  # noqa: E402
from sim.scenario.schema import Scenario  # noqa: E402

DEFAULT = ROOT / "scenarios" / "tieling-2020.yaml"


def line(name: str, value: str, target: str = "", met: bool | None = None) -> None:
    verdict = "" if met is None else ("  MET" if met else "  NOT MET")
    print(f"{name:<58} {value:<28} {target}{verdict}", flush=True)


# -- 1, 2: model against bare SimPy -------------------------------------------------------------


def bare_simpy_events_per_second(processes: int, horizon: float, mean_gap: float, seed: int = 1) -> float:
    """Processes that each wake at exponential gaps: SimPy's own cost per event."""
    import simpy

    env = simpy.Environment()
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(mean_gap, size=(processes, 64))

    def proc(row: np.ndarray):  # type: ignore[no-untyped-def]
        k = 0
        while True:
            yield env.timeout(float(row[k % 64]))
            k += 1

    for i in range(processes):
        env.process(proc(gaps[i]))
    t0 = time.perf_counter()
    env.run(until=horizon)
    wall = time.perf_counter() - t0
    events = int(next(env._eid))  # type: ignore[attr-defined]
    return events / wall


def scaled_raw(factor: float, base: Scenario | None = None) -> dict[str, Any]:
    """The default scenario (or ``base``) as a mapping, its population and capacities scaled by ``factor``."""
    sc = base or load_scenario(DEFAULT).base
    raw = sc.model_dump(by_alias=True)
    raw["population"] = {"strata": [dict(s, count=max(1, round(s["count"] * factor))) for s in raw["population"]["strata"]]}
    for c in raw["counties"]:
        c["approval_reviewers"] = max(1, round(c["approval_reviewers"] * factor))
        c["inspectors"] = max(1, round(c["inspectors"] * factor))
        if c.get("liaisons") is not None:
            c["liaisons"] = round(c["liaisons"] * factor)
    raw["cadres"]["liaisons"]["count"] = round(raw["cadres"]["liaisons"]["count"] * factor)
    raw["cadres"]["supervisors"]["count"] = round(raw["cadres"]["supervisors"]["count"] * factor)
    for d in raw["problems"]["departments"].values():
        d["staff"] = max(1, round(d["staff"] * factor))
    raw["registration"]["desks"] = max(1, round(raw["registration"]["desks"] * factor))
    raw["registration"]["background_per_day"] *= factor
    return raw


def scaled_scenario(factor: float, base: Scenario | None = None) -> Scenario:
    return Scenario.model_validate(scaled_raw(factor, base))


def model_vs_simpy(factor: float = 1.0) -> Any:
    """Figures 1 and 2; returns the replication it timed (figure 5's result store keeps it)."""
    sc = load_scenario(DEFAULT).base if factor == 1.0 else scaled_scenario(factor)
    run_replication(sc, "base", 1)  # warm: the first run of a process imports scipy.special (~0.5 s)
    t0 = time.perf_counter()
    result = run_replication(sc, "base", 0)
    wall = time.perf_counter() - t0
    n = int(result.summary["enterprises"])
    model_rate = result.events / wall
    per_ent_day = result.events / (n * sc.horizon_days)
    # the same number of processes and about the same number of events as the model
    gap = sc.horizon_days * n / max(result.events, 1)
    bare_rate = bare_simpy_events_per_second(n, sc.horizon_days, gap)
    ratio = model_rate / bare_rate
    line("1. model events/s ÷ bare SimPy events/s", f"{model_rate:,.0f} / {bare_rate:,.0f} = {ratio:.2f}",
         "target ≥ 0.5", ratio >= 0.5)
    print(f"   (reference loop: {n:,} SimPy processes, each yielding env.timeout of exponential gaps of mean "
          f"{gap:.1f} d for {sc.horizon_days:g} days: the model's processes and event count, no model work)")
    line("2. events per enterprise per simulated day", f"{per_ent_day:.3f} ({result.events:,} events)",
         "target ≤ 0.5", per_ent_day <= 0.5)
    return result


# -- 3: scale ---------------------------------------------------------------------------------


LIAONING_INDIVIDUAL = 2_700_000  # individual businesses (个体工商户), about Liaoning's count in 2020
LIAONING_FIRMS = 107_400  # above-scale firms (about 7,400) and SMEs, as the default population's mix
LIAONING_COHORT = 10  # individual businesses per cohort in the Liaoning-sized run


def liaoning_scenario(cohort_size: int, firms_n: int = LIAONING_FIRMS, individual_n: int = LIAONING_INDIVIDUAL) -> Scenario:
    """A Liaoning-sized population: the default mix scaled to 107,400 firms run firm by firm, plus
    2.7 M individual businesses (micro, a few workers each) run in cohorts of ``cohort_size``.
    Approval offices, inspectors and departments are scaled with all the firms; cadres and the
    registration desks with the 107,400 firms."""
    base = load_scenario(DEFAULT).base
    n0 = sum(s.count for s in base.population.strata)
    raw = scaled_raw((firms_n + individual_n) / n0, base)  # offices, inspectors, departments
    firms = scaled_raw(firms_n / n0, base)  # the firms, and the cadres who serve them (1+1+1)
    micro = next(s for s in firms["population"]["strata"] if s["size_class"] == "micro")
    individual = dict(micro, name="individual_business", count=individual_n, cohort_size=cohort_size,
                      workers={"dist": "lognormal", "mean": 3, "cv": 0.7})
    raw["population"] = {"strata": firms["population"]["strata"] + [individual]}
    raw["cadres"] = firms["cadres"]
    # the registration desks' other customers: Tieling's 4,273 registrations in 90 days scaled by the firms
    # run one by one (≈ 1,280 a day); scaled by all 2.8 M firms they would be 33,000 a day, half of the
    # whole country's rate (25.0 M new market entities in 2020, ≈ 68,500 a day) and over half the run's events
    raw["registration"] = firms["registration"]
    for c, own in zip(raw["counties"], firms["counties"], strict=True):
        c["liaisons"], c["supervisors"] = own["liaisons"], own["supervisors"]
    return Scenario.model_validate(raw)


def one_liaoning(cohort_size: int, firms_n: int, individual_n: int) -> dict[str, Any]:
    sc = liaoning_scenario(cohort_size, firms_n, individual_n)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    result = run_replication(sc, "base", 0)
    wall = time.perf_counter() - t0
    return {"firms": int(result.summary["enterprises"]), "simulated": sum(-(-s.count // s.cohort_size)
                                                                          for s in sc.population.strata),
            "seconds": wall, "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "rss_before": rss0 * 1024, "events": result.events,
            "resumed_day_50": result.summary["day_resumed_50"]}


def liaoning(cohort_size: int, firms_n: int = LIAONING_FIRMS, individual_n: int = LIAONING_INDIVIDUAL) -> None:
    """One replication of a Liaoning-shaped population (in a fresh process, for its own peak RSS)."""
    full = (firms_n, individual_n) == (LIAONING_FIRMS, LIAONING_INDIVIDUAL)
    head = "3. Liaoning-sized population, one replication" if full else "3. Liaoning-shaped population (small)"
    out = subprocess.run([sys.executable, __file__, "--one-liaoning", str(cohort_size), str(firms_n), str(individual_n)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        line(head, f"failed: {out.stderr.strip().splitlines()[-1:]}", "target ≤ 5 min" if full else "",
             False if full else None)
        return
    r = json.loads(out.stdout.strip().splitlines()[-1])
    line(head, f"{r['seconds']:.0f} s, {r['peak_rss'] / 2**30:.1f} GiB", "target ≤ 5 min" if full else "",
         r["seconds"] <= 300 if full else None)
    print(f"   ({r['firms']:,} firms: {firms_n:,} firm by firm and {individual_n:,} individual businesses "
          f"in cohorts of {cohort_size}: {r['simulated']:,} simulated enterprises, {r['events']:,} events)")


def cohort_accuracy(factor: float = 10.0, cohort_size: int = 10, replications: int = 3) -> None:
    """Cohorts against firm by firm: the default population and capacities × ``factor``, micro firms in
    cohorts, the largest difference of the mean resumption series (city, size classes, counties)."""
    raw = scaled_raw(factor)
    firm_by_firm = Scenario.model_validate(raw)
    for s in raw["population"]["strata"]:
        if s["size_class"] == "micro":
            s["cohort_size"] = cohort_size
    cohorts = Scenario.model_validate(raw)
    runs = {}
    for label, sc in (("firms", firm_by_firm), ("cohorts", cohorts)):
        t0 = time.perf_counter()
        runs[label] = [run_replication(sc, "base", r) for r in range(replications)]
        runs[label + "_s"] = (time.perf_counter() - t0) / replications
    worst: dict[str, tuple[float, str]] = {}
    for name in runs["firms"][0].series:
        if not name.startswith(("resumed_share", "restarted_share")):
            continue
        diff = np.abs(np.mean([r.series[name] for r in runs["firms"]], axis=0)
                      - np.mean([r.series[name] for r in runs["cohorts"]], axis=0))
        kind = ("city" if name in ("resumed_share", "restarted_share") else
                "size classes" if name.split("resumed_share_")[-1] in ("above_scale", "sme", "micro") else "counties")
        worst[kind] = max(worst.get(kind, (0.0, "")), (float(diff.max()), name))
    n = int(runs["firms"][0].summary["enterprises"])
    line(f"3. cohorts of {cohort_size} vs firm by firm, {n:,} firms ({replications}+{replications} runs)",
         ", ".join(f"{k} {v[0] * 100:.1f} pp" for k, v in worst.items()), "(largest |Δ| of mean resumption series)")
    print(f"   (micro firms in cohorts; {runs['firms_s']:.1f} s a run firm by firm, {runs['cohorts_s']:.1f} s in cohorts)")


def one_size(enterprises: int) -> dict[str, Any]:
    """Run one replication at a size (in a fresh process, for its own peak RSS)."""
    base = load_scenario(DEFAULT).base
    n0 = sum(s.count for s in base.population.strata)
    sc = scaled_scenario(enterprises / n0, base)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    result = run_replication(sc, "base", 0)
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    cash = result.outcomes["cash_start"]
    firsts = {ident: float(c) for ident, c in zip(result.enterprise_ids, cash, strict=True)
              if int(ident.rsplit("-", 1)[1]) < 3}
    return {"enterprises": int(result.summary["enterprises"]), "seconds": wall, "peak_rss": rss,
            "rss_before": rss0 * 1024, "events": result.events, "first_cash": firsts}


def scale(sizes: list[int]) -> list[dict[str, Any]]:
    runs = []
    for size in sizes:
        out = subprocess.run([sys.executable, __file__, "--one-size", str(size)], capture_output=True,
                             text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    for r in runs:
        per = (r["peak_rss"] - r["rss_before"]) / r["enterprises"]
        big = r["enterprises"] >= 99_000  # the strata's rounding gives 99,999 for a requested 100,000
        target = "target ≤ 10 s, ≤ 1 GiB" if big else ""
        met = (r["seconds"] <= 10 and r["peak_rss"] <= 2**30) if big else None
        line(f"3. one replication, {r['enterprises']:,} enterprises",
             f"{r['seconds']:.1f} s, {r['peak_rss'] / 2**20:.0f} MiB, {per / 1024:.1f} KB/ent", target, met)
    # the draws of an enterprise do not depend on the population size (streams keyed by stratum and
    # index): the first firms of every stratum have the same starting cash at every size
    ref = runs[0]["first_cash"]
    same = all(r["first_cash"][k] == v for r in runs for k, v in ref.items() if k in r["first_cash"])
    line("3. draws of the same firm identical across sizes", "yes" if same else "no", "", same)
    return runs


def projections(runs: list[dict[str, Any]], run_million: bool) -> None:
    """1,000,000 firms, from the largest measured run.

    Memory: the run's own pre-flight estimate (:mod:`sim.experiment.memory`);
    time: the seconds per enterprise of the largest run (a run's events grow in
    proportion to its enterprises, line 2). A population that would not fit in
    the memory available is refused before it starts, with what it would need.
    """
    big = max(runs, key=lambda r: r["enterprises"])
    per_second = big["seconds"] / big["enterprises"]
    available = available_bytes()
    gib = 2**30

    n = 1_000_000
    need = replication_bytes(n)
    eta = per_second * n
    fits = available is None or need <= available
    head = f"3. {n:,} enterprises, one replication"
    if not fits:
        line(head, f"refused: needs ≈ {need / gib:.1f} GiB, {(available or 0) / gib:.1f} GiB available",
             "target ≤ 120 s, ≤ 6 GiB", False)
    elif run_million:
        out = subprocess.run([sys.executable, __file__, "--one-size", str(n)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        line(head, f"{r['seconds']:.1f} s, {r['peak_rss'] / gib:.2f} GiB", "target ≤ 120 s, ≤ 6 GiB",
             r["seconds"] <= 120 and r["peak_rss"] <= 6 * gib)
    else:
        line(head, f"not run (--million): ≈ {eta:,.0f} s, ≈ {need / gib:.1f} GiB projected",
             "target ≤ 120 s, ≤ 6 GiB", eta <= 120 and need <= 6 * gib)



# -- 4: M/M/5 ---------------------------------------------------------------------------------


def mm5_service_point(customers: int, lam: float = 4.5, mu: float = 1.0, seed: int = 5) -> float:
    """Customers/s through the model's ServicePoint, fed the way enterprises use it."""
    import simpy

    env = simpy.Environment()
    office = ServicePoint(env, "approval", 5)
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / lam, customers)
    services = rng.exponential(1 / mu, customers)

    def source():  # type: ignore[no-untyped-def]
        for k in range(customers):
            yield env.timeout(float(gaps[k]))
            office.request(float(services[k]), 0)

    env.process(source())
    t0 = time.perf_counter()
    env.run()
    return office.completions / (time.perf_counter() - t0)


def mm5_simpy(customers: int, lam: float = 4.5, mu: float = 1.0, seed: int = 5) -> float:
    import simpy

    env = simpy.Environment()
    res = simpy.Resource(env, capacity=5)
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / lam, customers)
    services = rng.exponential(1 / mu, customers)
    done = [0]

    def customer(s: float):  # type: ignore[no-untyped-def]
        with res.request() as req:
            yield req
            yield env.timeout(s)
        done[0] += 1

    def source():  # type: ignore[no-untyped-def]
        for k in range(customers):
            yield env.timeout(float(gaps[k]))
            env.process(customer(float(services[k])))

    env.process(source())
    t0 = time.perf_counter()
    env.run()
    return done[0] / (time.perf_counter() - t0)


def mm5_ciw(customers: int, lam: float = 4.5, mu: float = 1.0, seed: int = 5) -> float | None:
    try:
        import ciw
    except ImportError:
        return None
    network = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(lam)],
                                 service_distributions=[ciw.dists.Exponential(mu)], number_of_servers=[5])
    ciw.seed(seed)  # Ciw's own global generator: benchmark only, never in the model
    q = ciw.Simulation(network)
    horizon = customers / lam
    t0 = time.perf_counter()
    q.simulate_until_max_time(horizon)
    wall = time.perf_counter() - t0
    return len(q.get_all_records()) / wall


def mm5(customers: int) -> None:
    ours = mm5_service_point(customers)
    bare = mm5_simpy(customers)
    ciw_rate = mm5_ciw(customers)
    if ciw_rate is None:
        line("4. approval office M/M/5 customers/s ÷ Ciw", "Ciw not installed (pip install ciw)", "target ≥ 2", None)
    else:
        line("4. approval office M/M/5 customers/s ÷ Ciw", f"{ours:,.0f} / {ciw_rate:,.0f} = {ours / ciw_rate:.2f}",
             "target ≥ 2", ours / ciw_rate >= 2)
    line("4. approval office M/M/5 customers/s ÷ bare SimPy", f"{ours:,.0f} / {bare:,.0f} = {ours / bare:.2f}")


# -- 5: sweeps ----------------------------------------------------------------------------------

SWEEP = """
scenario: {scenario}
levers:
  cadres.liaisons.count: {{low: 10, high: 200, integer: true}}
uncertainties:
  policies.loans.window_opens_day: {{low: 0, high: 30}}
design: {{name: latin_hypercube, samples: {points}, seed: 3}}
replications: 2
outcomes: [mean_restart_day, failed_share]
"""


def _busy_cpu_seconds() -> float | None:
    """CPU seconds the whole machine has been busy (Linux /proc/stat; None elsewhere)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sweep_throughput(points: int, factor: float, rounds: int = 2) -> None:
    """Sweeps of ``points`` × 2 runs (factor 1.0: the default scenario itself), each a whole command, on
    1 worker, 2 workers and Dask in turn, ``rounds`` times; each one's best round counts (a run slowed
    by another process on this shared machine is not the executor's doing)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        if factor == 1.0:
            scen = DEFAULT
        else:
            import yaml

            scen = tmpdir / "scenario.yaml"
            scen.write_text(yaml.safe_dump(scaled_scenario(factor).model_dump(mode="json", by_alias=True),
                                           allow_unicode=True))
        sweep = tmpdir / "sweep.yaml"
        sweep.write_text(SWEEP.format(scenario=scen, points=points))
        runs = points * 2
        rates: dict[str, float] = {}
        failed: set[str] = set()
        busy0, mine0, t_all = _busy_cpu_seconds(), _children_cpu_seconds(), time.perf_counter()
        for k in range(rounds):
            for label, extra in (("1 worker", ["--workers", "1"]), ("2 workers", ["--workers", "2"]),
                                 ("dask LocalCluster, 2 workers", ["--workers", "2", "--executor", "dask"])):
                if label in failed:
                    continue
                out = tmpdir / f"{label.replace(' ', '_').replace(',', '')}_{k}"
                t0 = time.perf_counter()
                res = subprocess.run([sys.executable, "-m", "sim", "sweep", str(sweep), "--out", str(out), "--quiet",
                                      "--no-report", *extra], capture_output=True, text=True, cwd=ROOT)
                wall = time.perf_counter() - t0
                if res.returncode != 0:
                    line(f"5. sweep, {label}", f"failed: {res.stderr.strip().splitlines()[-1:]}")
                    failed.add(label)
                    rates.pop(label, None)
                    continue
                rates[label] = max(rates.get(label, 0.0), runs / wall * 60)
        busy1, mine1, t_all = _busy_cpu_seconds(), _children_cpu_seconds(), time.perf_counter() - t_all
        one = rates.get("1 worker")
        for label, rate in rates.items():
            if one is None or label == "1 worker":
                line(f"5. sweep runs/minute, {label}", f"{rate:,.1f}")
                continue
            speedup = rate / one
            target = 1.8 if label == "2 workers" else 1.6
            line(f"5. sweep speed-up, {label}", f"{rate:,.1f} runs/min = {speedup:.2f}×",
                 f"target ≥ {target}", speedup >= target)
        size = "the default scenario" if factor == 1.0 else f"the default scenario scaled to {factor:g}"
        best = f"best of {rounds} rounds" if rounds > 1 else "one round"
        note = f"   ({points} points × 2 replications of {size}, {best}"
        if one is not None:
            note += f", {60 / one:.2f} s a run on 1 worker, start-up included"
        if busy0 is not None and busy1 is not None:
            others = max(0.0, (busy1 - busy0) - (mine1 - mine0)) / t_all
            note += f"; other processes kept {others:.2f} of {os.cpu_count()} cores busy meanwhile"
        print(note + ")", flush=True)


def short_run(values: Any, replication: int) -> dict[str, float]:
    """A sweep evaluation of a few hundredths of a millisecond: a point's value and its replication, summed."""
    x = float(values["x"])
    total = 0.0
    for i in range(500):
        total += (x + replication) * i
    return {"y": total}


def short_runs(points: int) -> None:
    """``points`` × 4 runs of :func:`short_run` through the sweep machinery on each executor."""
    from sim.experiment.dask_executor import DaskExecutor
    from sim.experiment.designs import GridDesign
    from sim.experiment.executors import Executor, LocalExecutor
    from sim.scenario.ranges import Parameter
    from sim.sweep.run import FunctionModel, run_sweep
    from sim.sweep.spec import SweepSpec

    spec = SweepSpec("short runs", Path("-"), [Parameter(paths=["x"], levels=list(range(points)))],
                     GridDesign(name="grid"), 4, ["y"])
    t0 = time.perf_counter()
    for _ in range(1000):
        short_run({"x": 1}, 0)
    per_run = (time.perf_counter() - t0) / 1000
    rates: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        warm = SweepSpec("warm-up", Path("-"), [Parameter(paths=["x"], levels=[0, 1])], GridDesign(name="grid"),
                         1, ["y"])
        with LocalExecutor(1) as executor:  # the first sweep of a process imports what writing its tables needs
            run_sweep(warm, FunctionModel(short_run, ["y"]), Path(tmp) / "warm-up", executor, progress=False,
                      say=lambda _: None)
        for label, make in (("1 worker", lambda: LocalExecutor(1)), ("2 workers", lambda: LocalExecutor(2)),
                            ("dask LocalCluster, 2 workers", lambda: DaskExecutor(2))):
            executor: Executor
            with make() as executor:
                t0 = time.perf_counter()
                report = run_sweep(spec, FunctionModel(short_run, ["y"]), Path(tmp) / label.replace(" ", "_"),
                                   executor, progress=False, say=lambda _: None)
                rates[label] = report.ran / (time.perf_counter() - t0)
    one = rates["1 worker"]
    for label, rate in rates.items():
        ratio = "" if label == "1 worker" else f" = {rate / one:.2f}×"
        line(f"5. short runs/s, {label}", f"{rate:,.0f}{ratio}")
    print(f"   ({points * 4:,} runs of {per_run * 1000:.2f} ms each, stored as the sweep command stores them; "
          "a Dask cluster's start-up not counted)", flush=True)


def result_store(result: Any, repeats: int = 20) -> None:
    """Writing and reading one replication's full result in a run's result store (what --resume reuses),
    against pickling it (the format the store used before; loading a pickle can run code)."""
    import pickle
    import statistics

    from sim.experiment.result_codec import decode_result, encode_result
    from sim.experiment.store import ResultStore, RunRecord

    def median_ms(f: Any) -> float:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            f()
            times.append(time.perf_counter() - t0)
        return statistics.median(times) * 1000

    blob = encode_result(result)
    pickled = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    encode, decode = median_ms(lambda: encode_result(result)), median_ms(lambda: decode_result(blob))
    p_encode, p_decode = (median_ms(lambda: pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)),
                          median_ms(lambda: pickle.loads(pickled)))
    line("5. result store: encode / decode one replication", f"{encode:.1f} / {decode:.1f} ms",
         f"pickle {p_encode:.1f} / {p_decode:.1f} ms")
    with tempfile.TemporaryDirectory() as tmp, ResultStore(Path(tmp)) as store:
        count = iter(range(10**6))

        def put() -> None:
            store.put(RunRecord(f"k{next(count)}", 0, 0, 1, {}, dict(result.summary), 0.0,
                                result=encode_result(result)))

        write = median_ms(put)
        read = median_ms(lambda: decode_result(store.results(["k0"])["k0"]))
    line("5. result store: write / read one replication", f"{write:.1f} / {read:.1f} ms",
         f"{len(blob) / 1e6:.2f} MB ({len(pickled) / 1e6:.2f} MB pickled)")
    print(f"   ({int(result.summary['enterprises']):,} enterprises; a write is one transaction with an fsync)",
          flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="smoke run at tiny sizes")
    parser.add_argument("--skip-sweep", action="store_true", help="leave out the sweep throughput figures")
    parser.add_argument("--million", action="store_true", help="run the 1,000,000-enterprise replication when it fits")
    parser.add_argument("--cohorts", action="store_true",
                        help="also compare cohorts with firm by firm on the default population × 10 (about 2 min)")
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--one-liaoning", type=int, nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_size:
        print(json.dumps(one_size(args.one_size)))
        return 0
    if args.one_liaoning:
        print(json.dumps(one_liaoning(*args.one_liaoning)))
        return 0
    print(f"Benchmark on {os.cpu_count()} cores, Python {sys.version.split()[0]}; ratios are measured in one run.")
    t0 = time.perf_counter()
    if args.tiny:
        timed = model_vs_simpy(0.05)
        projections(scale([200, 400]), run_million=False)
        liaoning(LIAONING_COHORT, firms_n=400, individual_n=20_000)
        cohort_accuracy(factor=0.1, cohort_size=3, replications=2)
        mm5(2_000)
        if not args.skip_sweep:
            sweep_throughput(points=2, factor=0.02, rounds=1)
            short_runs(points=100)
    else:
        timed = model_vs_simpy()
        projections(scale([1_000, 10_000, 100_000]), run_million=args.million)
        liaoning(LIAONING_COHORT)
        if args.cohorts:
            cohort_accuracy()
        mm5(100_000)
        if not args.skip_sweep:
            sweep_throughput(points=24, factor=1.0)
            short_runs(points=2_500)
    result_store(timed)
    print(f"(benchmark took {time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The fit targets and the held-out figures beside a run of the default scenario, as a Markdown table.

    python data/validation/compare_run.py RESULTS_DIR [--variant base]

RESULTS_DIR is a results folder of ``python -m sim run scenarios/tieling-2020.yaml`` (or of a file that
extends it; its base is the default scenario). Each row gives the published figure, what the model
shows for it (mean over replications, with the 95 % CI half-width), the difference, and whether the
figure was used in the fit. The model's day of a dated figure is its date less the scenario's start;
a figure for a period is compared with the mean over the days of the period inside the horizon.

Rules of the comparison (what is matched to what):
- resumption of above-scale firms (data/targets): the fit targets of ``preparation.supplies`` (Liaoning
  and Shenyang) and the national points, against ``resumed_share_above_scale``;
- workers back (data/targets/workers_back…): against ``workers_back_share_above_scale``;
- SME resumption by date, national (MIIT) and Liaoning (ESIEC), held out: ``resumed_share_sme``;
- SMEs and self-employed closed for good, February-May (ESIEC), held out: the share of SME and micro firms
  failed by the end of May (day of 31 May), from ``enterprises.csv``; and where in time the failures fall;
- workers back against firms open, above-scale (Jiangsu 28 Feb, Jilin 15 Mar), held out: the ratio
  ``workers_back_share_above_scale ÷ resumed_share_above_scale``;
- capacity use of industry, Q1 and Q2 2020 (NBS), held out: ``capacity_use_above_scale`` averaged over the
  days of the quarter (the NBS figure is output over the capacity of the firms surveyed, which kept
  operating; the model's capacity use is of the firms open). NBS capacity use is output over *physical*
  capacity, 75.9 % in Q1 2019 and 76.4 % in Q2 2019; the model's is output over *normal* output (1 =
  normal). So the published figure is compared as a ratio to the same quarter of 2019 (Q1 2020: 67.3 ÷
  75.9 = 0.887), and the absolute figure is shown beside it. The model starts on 3 February: its Q1 is
  February and March only, while the NBS quarter includes January.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
TARGETS = HERE.parent / "targets"
START = dt.date(2020, 2, 3)  # the default scenario's day 0


def day_of(date: str) -> int:
    return (dt.date.fromisoformat(date) - START).days


def period_days(period: str) -> tuple[int, int]:
    """'2020-01/2020-03' → the scenario days of those months (first, last), clipped at day 0."""
    first, last = period.split("/")
    y0, m0 = (int(x) for x in first.split("-"))
    y1, m1 = (int(x) for x in last.split("-"))
    begin = dt.date(y0, m0, 1)
    end = (dt.date(y1 + (m1 == 12), m1 % 12 + 1, 1) - dt.timedelta(days=1))
    return max(0, (begin - START).days), (end - START).days


def mean_ci(values: np.ndarray) -> tuple[float, float]:
    values = values[~np.isnan(values)]
    if not len(values):
        return math.nan, math.nan
    if len(values) == 1:
        return float(values[0]), math.nan
    from scipy import stats

    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return float(values.mean()), float(half)


class Run:
    """The base variant's daily series and firm outcomes, one row per replication."""

    def __init__(self, folder: Path, variant: str) -> None:
        series = pd.read_csv(folder / "timeseries.csv")
        self.series = series[series["variant"] == variant]
        firms = pd.read_csv(folder / "enterprises.csv", usecols=lambda c: c in {
            "variant", "replication", "size_class", "failure_day", "members"})
        self.firms = firms[firms["variant"] == variant]
        self.horizon = int(self.series["day"].max())
        if self.series.empty:
            sys.exit(f"{folder}: no variant {variant!r} in timeseries.csv")

    def at(self, column: str, day: int) -> np.ndarray:
        rows = self.series[self.series["day"] == min(day, self.horizon)]
        return rows.sort_values("replication")[column].to_numpy(float)

    def over(self, column: str, first: int, last: int) -> np.ndarray:
        rows = self.series[(self.series["day"] >= first) & (self.series["day"] <= min(last, self.horizon))]
        return rows.groupby("replication")[column].mean().to_numpy(float)

    def failed_by(self, size_class: str, day: int) -> np.ndarray:
        firms = self.firms[self.firms["size_class"] == size_class]
        weight = firms["members"] if "members" in firms else pd.Series(1, index=firms.index)
        failed = (firms["failure_day"] <= day).astype(float) * weight
        return (failed.groupby(firms["replication"]).sum() / weight.groupby(firms["replication"]).sum()).to_numpy()

    def failure_shares_by_month(self) -> dict[str, float]:
        """Share of all failures in February, March, April, May and later."""
        days = self.firms["failure_day"].dropna().to_numpy()
        edges = [0, day_of("2020-03-01"), day_of("2020-04-01"), day_of("2020-05-01"), day_of("2020-06-01"), 10_000]
        counts = np.histogram(days, bins=edges)[0]
        total = max(counts.sum(), 1)
        return {name: float(c / total) for name, c in zip(("Feb", "Mar", "Apr", "May", "later"), counts, strict=True)}

    def failures_by_month(self) -> str:
        return ", ".join(f"{name} {share:.0%}" for name, share in self.failure_shares_by_month().items())


def rows(run: Run) -> list[tuple[str, str, float, tuple[float, float], str]]:
    """(figure, date, published, model (mean, ±), used in the fit or held out)."""
    out = []
    fitted = {("liaoning", "2020-02-12"), ("shenyang", "2020-02-14"), ("liaoning", "2020-03-18")}
    with open(TARGETS / "resumption_above_scale_2020.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            use = "fit" if (r["region"], r["date"]) in fitted else "held out"
            out.append((f"above-scale firms resumed, {r['region']}", r["date"], float(r["share_of_firms_resumed"]),
                        mean_ci(run.at("resumed_share_above_scale", day_of(r["date"]))), use))
    with open(TARGETS / "workers_back_above_scale_2020.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out.append((f"above-scale workers back, {r['region']}", r["date"], float(r["share_of_workers_back"]),
                        mean_ci(run.at("workers_back_share_above_scale", day_of(r["date"]))), "held out"))
    with open(HERE / "heldout_2020.csv", encoding="utf-8") as f:
        held = list(csv.DictReader(f))
    # NBS capacity use of all industry in 2019, by period (normal use: the model's 1)
    last_year = {r["date"]: float(r["value"]) for r in held
                 if r["indicator"] == "capacity_utilisation" and r["scope"] == "all industry"
                 and r["date"].startswith("2019")}
    if "2019-01/2019-03" in last_year and "2019-04/2019-06" in last_year:
        last_year["2019-01/2019-06"] = (last_year["2019-01/2019-03"] + last_year["2019-04/2019-06"]) / 2.0
    for r in held:
        what, size, date, value = r["indicator"], r["size_class"], r["date"], float(r["value"])
        if what == "firms_resumed" and size == "sme" and not r["sector_key"]:
            out.append((f"SMEs resumed, {r['region']}", date, value, mean_ci(run.at("resumed_share_sme", day_of(date))),
                        "held out"))
        elif what == "permanent_closure_share" and size in ("sme", "micro"):
            label = "SMEs" if size == "sme" else "self-employed (model: micro firms)"
            out.append((f"{label} closed for good, Feb-May", "2020-05-31", value,
                        mean_ci(run.failed_by(size, day_of("2020-05-31"))), "held out"))
        elif what == "capacity_utilisation" and r["scope"] == "all industry" and date.startswith("2020"):
            first, last = period_days(date)
            normal = last_year.get(date.replace("2020", "2019"))
            if first <= run.horizon and normal:
                out.append((f"capacity use of industry (open firms) ÷ same period of 2019 (2020: {value:.1f} %, "
                            f"2019: {normal:.1f} %)", date, value / normal,
                            mean_ci(run.over("capacity_use_above_scale", first, last)), "held out"))
    ratios = {}
    for r in held:
        if r["what_it_checks"].startswith("workers back against firms open") and r["region"] in ("jiangsu", "jilin"):
            ratios.setdefault((r["region"], r["date"]), {})[r["indicator"]] = float(r["value"])
    for (region, date), pair in ratios.items():
        if {"workers_back", "firms_resumed"} <= set(pair):
            d = day_of(date)
            ratio = run.at("workers_back_share_above_scale", d) / run.at("resumed_share_above_scale", d)
            out.append((f"above-scale workers back ÷ firms open, {region}", date,
                        pair["workers_back"] / pair["firms_resumed"], mean_ci(ratio), "held out"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="results folder of a run of the default scenario")
    parser.add_argument("--variant", default="base", help="the variant to compare (default: base)")
    args = parser.parse_args(argv)
    run = Run(args.folder, args.variant)
    reps = run.series["replication"].nunique()
    print(f"Run: {args.folder} ({args.variant}, {reps} replications); ± is the 95 % CI half-width.\n")
    print("| figure | date | published | model | model − published | use |")
    print("|---|---|---:|---:|---:|---|")
    for name, date, value, (mean, half), use in rows(run):
        ci = f" ± {half:.3f}" if not math.isnan(half) else ""
        print(f"| {name} | {date} | {value:.3f} | {mean:.3f}{ci} | {mean - value:+.3f} | {use} |")
    print(f"\nWhen the model's firms fail (share of all failures by month): {run.failures_by_month()}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The studies behind the findings pages: which commands each runs, and what its page reads of them.

A study is a function of the :class:`~docgen.workspace.Workspace` that runs the
commands its page shows and returns the page's data (JSON). Replications are
kept modest so that every study together takes minutes on two cores; the pages
say how many, and a reader who wants narrower intervals reruns the command
shown with more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from docgen import ROOT
from docgen.results import Json, _r, discovery, robustness, run_figures, series_at, sweep
from docgen.workspace import Workspace
from sim.model import catalogue

# what every run page may show: the headline metrics and what variants cost
COMMON = list(dict.fromkeys([*catalogue.headline("headline"), *catalogue.headline("scorecard"),
                             *catalogue.costs(), "failures", "mean_full_production_day"]))
CADRES = ["cadre_days", "liaison_busy_share", "supervisor_busy_share", "mean_cadre_wait", "checkins_missed",
          "prevention_checks_missed", "supervisor_coverage", "mean_problem_days", "mean_approval_wait"]
MONEY = ["failed_before_restart", "failed_after_restart", "failed_share_above_scale", "failed_share_sme",
         "failed_share_micro", "loan_intentions", "green_loan_intentions", "green_loans", "green_loan_amount",
         "loan_refusals", "taxes_repaid", "targeted_loan_amount"]
WORKERS = ["hires", "postings", "posting_firms", "point_to_point_workers", "point_to_point_cost", "problems",
           "enterprises", "workers_back_share_end"]


@dataclass(frozen=True)
class Study:
    """The runs behind findings pages: ``collect`` runs them in a workspace and returns the pages' data."""

    name: str  # its record, docs/_records/<name>.json
    collect: Callable[[Workspace], Json]


class Recorder:
    """Runs a study's commands and keeps each, with how long it took, for the page."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.commands: list[Json] = []

    def __call__(self, command: str) -> Path | None:
        captured = self.ws.run(command)
        self.commands.append({"command": command, "seconds": round(captured.seconds, 1)})
        words = command.split()
        return self.ws.root / words[words.index("--out") + 1] if "--out" in words else None

    def run(self, file: str, replications: int, out: str, *extra: str) -> Path:
        """``python -m sim run`` a scenario file into results/docs/<out>."""
        folder = self(f"python -m sim run scenarios/{file} -r {self.ws.replications(replications)} "
                      f"--out results/docs/{out} {' '.join(extra)} --force --no-report -q".replace("  ", " "))
        assert folder is not None
        return folder

    def robust(self, file: str, points: int, out: str) -> Json:
        """``run --robustness``: the variants over the default's declared uncertainty."""
        n = min(points, 2) if self.ws.quick else points
        folder = self(f"python -m sim run scenarios/{file} --robustness {n} -r 1 --out results/docs/{out} "
                      "--force --no-report -q")
        assert folder is not None
        return robustness(folder)


def scenario_facts(ws: Workspace, file: str) -> Json:
    """What a page says about the scenario it ran: its file, name, seed and the figures it sets."""
    from sim.scenario.loader import load_scenario

    base = load_scenario(ws.root / "scenarios" / file).base
    return {"file": f"scenarios/{file}", "name": base.name, "seed": base.seed,
            "description": " ".join(base.description.split()),
            "liaisons": base.cadres.liaisons.count, "supervisors": base.cadres.supervisors.count,
            "county_liaisons": sum(c.liaisons or 0 for c in base.counties),
            "firms": sum(s.count for s in base.population.strata),
            "uncertainty": [{"name": u.name, "low": u.low, "high": u.high, "how": u.how,
                             "provenance": u.provenance} for u in base.uncertainty]}


def new_projects(folder: Path) -> Json:
    """New projects (the Maiqi case): median days from applying to approval and to restart, per variant."""
    firms = pd.read_csv(folder / "enterprises.csv")
    if "new_project" not in firms.columns:
        return {}
    firms = firms[firms["new_project"] == 1]
    out: Json = {}
    for variant, rows in firms.groupby("variant", sort=False):
        approval = (rows["approval_day"] - rows["application_day"]).dropna()
        restart = (rows["restart_day"] - rows["application_day"]).dropna()
        out[str(variant)] = {"approval_median": _r(approval.median()), "restart_median": _r(restart.median()),
                             "restart_p90": _r(restart.quantile(0.9)), "firms": int(len(rows))}
    return out


# -- the studies ----------------------------------------------------------------------------------------------

VALIDATION_DAYS = [7, 9, 11, 14, 20, 21, 22, 27, 28, 33, 35, 39, 42, 44, 54, 56, 70, 78, 84, 105]


def default_run(ws: Workspace) -> Json:
    """The default scenario, for the validation and calibration pages."""
    rec = Recorder(ws)
    folder = rec.run("tieling-2020.yaml", 8, "default")
    columns = ["resumed_share", "resumed_share_above_scale", "workers_back_share_above_scale",
               "production_index_above_scale", "workers_back_share", "production_index"]
    return {"scenario": scenario_facts(ws, "tieling-2020.yaml"), "commands": rec.commands,
            "run": run_figures(folder, COMMON + CADRES + MONEY + WORKERS),
            "series": series_at(folder, columns, VALIDATION_DAYS, reference=None),
            "new_projects": new_projects(folder), "targets": targets()}


def targets() -> Json:
    """The published shares the validation and calibration pages set the model against (data/targets)."""
    out: Json = {}
    for name in ("resumption_above_scale_2020", "workers_back_above_scale_2020"):
        table = pd.read_csv(ROOT / "data" / "targets" / f"{name}.csv")
        out[name] = [{k: (_r(v) if isinstance(v, float) else v) for k, v in row.items()}
                     for row in table.to_dict("records")]
    return out


def fast_track(ws: Workspace) -> Json:
    rec = Recorder(ws)
    folder = rec.run("fast-track.yaml", 6, "fast-track")
    return {"scenario": scenario_facts(ws, "fast-track.yaml"), "run": run_figures(folder, COMMON + CADRES),
            "new_projects": new_projects(folder), "robustness": rec.robust("fast-track.yaml", 8, "fast-track-robust"),
            "commands": rec.commands}


def coverage(ws: Workspace) -> Json:
    rec = Recorder(ws)
    folder = rec.run("coverage-111.yaml", 6, "coverage-111")
    return {"scenario": scenario_facts(ws, "coverage-111.yaml"), "run": run_figures(folder, COMMON + CADRES),
            "robustness": rec.robust("coverage-111.yaml", 8, "coverage-111-robust"), "commands": rec.commands}


def loan_timing(ws: Workspace) -> Json:
    rec = Recorder(ws)
    folder = rec.run("loan-timing.yaml", 6, "loan-timing", "--all-pairs")
    references = ("base", "window-day-40", "green-for-all", "green-for-all-day-40", "long-ban", "long-ban-day-40")
    return {"scenario": scenario_facts(ws, "loan-timing.yaml"),
            "run": run_figures(folder, COMMON + MONEY, references),
            "robustness": rec.robust("loan-timing.yaml", 6, "loan-timing-robust"), "commands": rec.commands}


HEADCOUNT_OUTCOMES = ["mean_restart_day", "day_resumed_50", "failed_share", "incidents", "liaison_busy_share",
                      "supervisor_busy_share", "cadre_days_deployed", "checkins_missed"]


def cadres(ws: Workspace) -> Json:
    rec = Recorder(ws)
    split = rec.run("cadres-split-600.yaml", 4, "cadres-split-600")
    organisation = rec.run("cadres-organisation.yaml", 4, "cadres-organisation")
    headcount = rec("python -m sim sweep scenarios/sweep-headcount.yaml --out results/docs/sweep-headcount -q")
    assert headcount is not None
    return {"split": run_figures(split, COMMON + CADRES), "split_scenario": scenario_facts(ws, "cadres-split-600.yaml"),
            "organisation": run_figures(organisation, COMMON + CADRES),
            "organisation_scenario": scenario_facts(ws, "cadres-organisation.yaml"),
            "headcount": sweep(headcount, HEADCOUNT_OUTCOMES), "commands": rec.commands}


def preparation(ws: Workspace) -> Json:
    rec = Recorder(ws)
    folder = rec.run("preparation-levers.yaml", 4, "preparation-levers")
    return {"scenario": scenario_facts(ws, "preparation-levers.yaml"), "run": run_figures(folder, COMMON + CADRES),
            "series": series_at(folder, ["resumed_share_above_scale"], [9]), "commands": rec.commands}


DISCOVERY_THRESHOLD = 20


def discovery_study(ws: Workspace) -> Json:
    rec = Recorder(ws)
    folder = rec("python -m sim sweep scenarios/sweep-uncertainties.yaml --out results/docs/sweep-uncertainties -q")
    assert folder is not None
    rec(f"python -m sim discover results/docs/sweep-uncertainties --outcome mean_restart_day "
        f"--condition 'mean_restart_day > {DISCOVERY_THRESHOLD}'")
    from sim.scenario.loader import load_scenario

    base = load_scenario(ws.root / "scenarios" / "tieling-2020.yaml").base
    here = {"preparation.supplies.market_days.mean": base.preparation.supplies.market_days.mean,
            "approval.preparation_days.mean": base.approval.preparation_days.mean,
            "approval.rework_probability": base.approval.rework_probability,
            "workforce.attrition_share": base.workforce.attrition_share,
            "calendar.restart_ban_until_day": base.calendar.restart_ban_until_day}
    spec = yaml.safe_load((ws.root / "scenarios" / "sweep-uncertainties.yaml").read_text(encoding="utf-8"))
    ranges = {k: [v.get("low"), v.get("high")] for k, v in (spec.get("uncertainties") or {}).items()}
    return {"sweep": sweep(folder, ["mean_restart_day", "failed_share"]), "discovery": discovery(folder),
            "base_values": {k: _r(v) for k, v in here.items()}, "ranges": ranges, "threshold": DISCOVERY_THRESHOLD,
            "commands": rec.commands}


ABLATION = ["mean_restart_day", "resumed_share_end", "failed_share", "failed_after_restart", "production_index_end",
            "output_lost_share", "loans_disbursed", "green_loans"]


def orders_and_suppliers(ws: Workspace) -> Json:
    """The orders-and-suppliers mechanisms: fit and held-out figures beside the default, and each channel off."""
    rec = Recorder(ws)
    folder = rec.run("ablation-network.yaml", 6, "ablation-network")
    return {"scenario": scenario_facts(ws, "ablation-network.yaml"), "run": run_figures(folder, ABLATION),
            "validation": held_out(folder), "commands": rec.commands}


def held_out(folder: Path) -> Json:
    """The base variant against the fit targets and the held-out figures (data/validation/compare_run.py, whose
    rules say what is matched to what), and the share of its failures in each month."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("compare_run", ROOT / "data" / "validation" / "compare_run.py")
    assert spec is not None and spec.loader is not None
    compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare)
    run = compare.Run(folder, "base")
    rows = [{"figure": name, "date": date, "published": _r(value), "mean": _r(mean), "half": _r(half), "use": use}
            for name, date, value, (mean, half), use in compare.rows(run)]
    return {"rows": rows, "failures_by_month": {m: _r(x) for m, x in run.failure_shares_by_month().items()}}


def calibration_profile(ws: Workspace) -> Json:
    from docgen.calibration import profile

    return profile(ws)


STUDIES: tuple[Study, ...] = (
    Study("default", default_run),
    Study("calibration", calibration_profile),
    Study("fast-track", fast_track),
    Study("coverage-111", coverage),
    Study("loan-timing", loan_timing),
    Study("cadres", cadres),
    Study("preparation-levers", preparation),
    Study("discovery", discovery_study),
    Study("orders-and-suppliers", orders_and_suppliers),
)


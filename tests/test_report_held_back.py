"""What holds firms back: the held_* series of any run, drawn and read against the leading variant's reference.

The results tables are synthetic, made so that the answer is known: under "base" the share of firms waiting
for approval decays as exp(-d/10), under "fast" as exp(-d/4); the share held by orders is the same in both;
nothing is held by cash; the rest are at full production. The two differ most (total variation distance:
the gap in the approval share) where d/dd [exp(-d/10) - exp(-d/4)] = 0, i.e. d = ln(2.5) / 0.15 = 6.1, day 6.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.plotting import ResultsFolder
from sim.plotting.held_back import held_columns, held_label
from sim.report import write_report
from sim.report.held_back import chosen_days, held_back_section, leader_and_other
from sim.report.scorecard import build_scorecard

DAYS = 40
REPLICATIONS = 6
DECAY = {"base": 10.0, "fast": 4.0, "slow": 12.0}
RESTART = {"base": 20.0, "fast": 10.0, "slow": 25.0}  # mean restart day: fast clearly first, base second
APPROVAL = held_label("held_approval", "en")  # as the model's catalogue labels it, or its name


def held_tables(decay: dict[str, float], restart: dict[str, float], held: bool = True,
                costs: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """timeseries.csv and summary.csv of a run with held_* series that add up to 1 each day (``costs``: and
    what each variant costs, some clearly more than the base, some not clearly different)."""
    rng = np.random.default_rng(11)
    spend = np.random.default_rng(12)
    series, summary = [], []
    for variant, tau in decay.items():
        for r in range(REPLICATIONS):
            day = np.arange(DAYS + 1, dtype=float)
            approval = np.clip(np.exp(-day / tau) + rng.normal(0, 0.01, day.size) * (day > 0), 0, 0.9)
            orders = np.full(day.size, 0.1)
            row = {"variant": variant, "replication": r, "day": day, "resumed_share": 1 - approval - orders}
            if held:
                row.update({"held_approval": approval, "held_orders": orders, "held_cash": np.zeros(day.size),
                            "held_full": 1 - approval - orders,
                            "held_approval_small": approval * 1.1})  # a group's series: not drawn, not counted
            series.append(pd.DataFrame(row))
            summary.append({"variant": variant, "replication": r,
                            "mean_restart_day": restart[variant] + rng.normal(0, 0.3)})
            if costs:
                k = list(decay).index(variant)
                summary[-1].update({"jobs_lost": 100 * restart[variant] + spend.normal(0, 30),
                                    "cadre_days_deployed": 10_000.0 + 500 * (k % 3),
                                    "relief_yuan": 1e8 + spend.normal(0, 2e6)})
    return pd.concat(series, ignore_index=True), pd.DataFrame(summary)


def held_folder(root: Path, decay: dict[str, float] = DECAY, restart: dict[str, float] = RESTART,
                held: bool = True, costs: bool = False) -> Path:
    timeseries, summary = held_tables(decay, restart, held, costs)
    root.mkdir(parents=True, exist_ok=True)
    timeseries.to_csv(root / "timeseries.csv", index=False)
    summary.to_csv(root / "summary.csv", index=False)
    return root


def test_the_held_series_are_those_over_all_firms_whatever_their_names() -> None:
    timeseries, _ = held_tables(DECAY, RESTART)
    assert held_columns(timeseries) == ["held_approval", "held_orders", "held_cash", "held_full"]
    assert held_label("held_cash", "en") == "cash"  # not declared by any module: the column's name in words
    columns = held_columns(timeseries)
    assert np.allclose(timeseries[columns].sum(axis=1), 1.0)  # the fixture is what the section assumes


def test_the_days_shown_surround_the_day_the_leader_and_its_reference_differ_most() -> None:
    timeseries, summary = held_tables(DECAY, RESTART)
    card = build_scorecard(summary, list(DECAY))
    assert card is not None and leader_and_other(card) == ("fast", "base", [])
    section = held_back_section(timeseries, card, list(DECAY), "en")
    assert section is not None and section.pair == ("fast", "base")
    widest = math.log(10.0 / 4.0) / (1 / 4.0 - 1 / 10.0)  # 6.1: the noise (sd 0.01) cannot move it by a day
    assert section.days == [round(widest / 2), round(widest), round(widest) * 2] == [3, 6, 12]
    assert chosen_days(None, 40) == [10, 20, 40] and chosen_days(30, 40) == [15, 30, 40]


def test_why_the_leader_wins_names_the_constraint_that_differs_and_its_size() -> None:
    timeseries, summary = held_tables(DECAY, RESTART)
    card = build_scorecard(summary, list(DECAY))
    section = held_back_section(timeseries, card, list(DECAY), "en")
    assert section is not None and section.contrast is not None
    line = section.lines[0]
    assert line.startswith("Why fast leads on ") and "compared with base, on day 6" in line
    gap = (math.exp(-6 / 10) - math.exp(-6 / 4)) * 100  # 32.6 pp fewer firms waiting for approval under fast
    found = re.search(rf"([\d.]+) pp fewer firms are held back by “{re.escape(APPROVAL)}” \(95 % CI ([\d.]+) to ([\d.]+)\)", line)
    assert found is not None, line
    # 6 replications with noise sd 0.01 on each side: the mean difference is within 3 SE = 3 * 0.014 / sqrt(6)
    assert float(found.group(1)) == pytest.approx(gap, abs=3 * 1.4 / math.sqrt(6))
    assert float(found.group(2)) < float(found.group(1)) < float(found.group(3))
    assert "orders" not in line  # the same share in both: not a reason
    rows = {row[0]: row for row in section.contrast.rows}
    # top of the stack first; cash holds no firm: left out
    assert list(rows) == [held_label(f"held_{c}", "en") for c in ("full", "orders", "approval")]
    cell = re.match(r"([+-][\d.]+) pp \[", rows[APPROVAL][2])
    assert cell is not None and float(cell.group(1)) == pytest.approx(-gap, abs=3 * 1.4 / math.sqrt(6))
    assert section.contrast.strong[2]  # its CI excludes zero
    assert rows[held_label("held_orders", "en")][2] == "0.0 pp [0.0, 0.0]" and not section.contrast.strong[1]  # never '+0.0'
    assert section.contrast.header[1:] == ["day 3", "day 6", "day 12"]


def test_when_the_reference_leads_it_is_compared_with_the_next_best() -> None:
    timeseries, summary = held_tables(DECAY, {"base": 8.0, "fast": 10.0, "slow": 25.0})
    card = build_scorecard(summary, list(DECAY))
    assert card is not None and leader_and_other(card) == ("base", "fast", [])
    section = held_back_section(timeseries, card, list(DECAY), "en")
    assert section is not None and f"more firms are held back by “{APPROVAL}”" in section.lines[0]


def test_a_tie_is_not_explained_as_a_win() -> None:
    """Two variants the scorecard cannot tell apart: the section shows what differs, never 'why X leads'."""
    timeseries, summary = held_tables({"base": 10.0, "fast": 4.0}, {"base": 20.0, "fast": 20.0})
    card = build_scorecard(summary, ["base", "fast"])
    assert card is not None and card.winner is None
    section = held_back_section(timeseries, card, ["base", "fast"], "en")
    assert section is not None and len(section.lines) == 1
    line = section.lines[0]
    assert not line.startswith("Why") and "but this run cannot tell it apart from" in line
    assert f"pp more firms are held back by “{APPROVAL}”" in line or f"pp fewer firms are held back by “{APPROVAL}”" in line


def test_a_run_with_one_variant_gets_the_shares_but_no_contrast() -> None:
    timeseries, _ = held_tables({"base": 10.0}, {"base": 20.0})
    section = held_back_section(timeseries, None, ["base"], "en")
    assert section is not None and section.contrast is None and section.lines == [] and section.pair is None
    assert [row[1] for row in section.shares[0].rows[:3]] == [held_label(f"held_{c}", "en")
                                                             for c in ("full", "orders", "approval")]


def test_the_report_draws_the_section_from_the_folder(tmp_path: Path) -> None:
    folder = held_folder(tmp_path / "run")
    html = write_report(folder, "en").read_text(encoding="utf-8")
    section = html[html.index('<section id="held-back">'):]
    section = section[:section.index("</section>")]
    assert 'id="fig-held_back"' in section and "data:image/png;base64," in section
    assert 'id="held-contrast-table"' in section and 'id="held-shares-table"' in section
    assert "Why fast leads" in section
    assert (folder / "plots" / "held_back.png").is_file()
    assert 'href="#held-back"' in html  # in the contents bar
    assert 'id="fig-held_back"' not in html[html.index('<section id="plots">'):]  # not a second time


def test_a_run_without_held_series_has_no_such_section(tmp_path: Path) -> None:
    folder = held_folder(tmp_path / "run", held=False)
    html = write_report(folder, "en").read_text(encoding="utf-8")
    assert 'id="held-back"' not in html and not (folder / "plots" / "held_back.png").exists()
    assert ResultsFolder.open(folder).is_run


def test_the_section_in_chinese(tmp_path: Path) -> None:
    timeseries, summary = held_tables(DECAY, RESTART)
    card = build_scorecard(summary, list(DECAY))
    section = held_back_section(timeseries, card, list(DECAY), "zh")
    assert section is not None and section.lines[0].startswith("fast为何在")
    assert f"受“{held_label('held_approval', 'zh')}”制约的企业少" in section.lines[0] and section.contrast is not None
    assert section.contrast.header[1:] == ["第3天", "第6天", "第12天"]

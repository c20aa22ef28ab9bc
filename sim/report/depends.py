""""What this answer depends on": the run's answer against the uncertainty nobody published.

The scenario's ``uncertainty:`` section lists figures nobody published
(head-counts of county inspectors and approval reviewers, rates, runways) with
ranges. ``python -m sim run FILE --robustness N`` runs every variant at N points
of those ranges (its own results folder). This section merges that folder into
the run's report: at which points the variants the run ranks first stop being
best, where those points lie (a threshold per parameter, and PRIM's box:
:mod:`sim.analysis.flips`), and which figures the answer therefore depends
on, said plainly. Without a robustness folder it says that the answer has not
been checked, and on which unpublished figures it may depend.

The robustness folder is the one given (``report --robustness DIR``) or the
latest finished one beside the run's folder made from the same scenario (the
same fingerprint in its folder record).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import FolderRefused, InputError
from sim.plotting.folder import manifest_of
from sim.plotting.labels import Lang, metric_label
from sim.report.scorecard_view import mid_text
from sim.report.tables import Table
from sim.report.text import word
from sim.results.folder_record import FINISHED, read_record
from sim.scenario.labels import Labels
from sim.scenario.uncertainty import UncertainParameter

if TYPE_CHECKING:
    from sim.analysis.flips import Flips, Threshold
    from sim.report.scorecard import Scorecard

MAX_THRESHOLDS = 3  # single-parameter cuts named in the text (the table lists every parameter)


@dataclass
class Dependence:
    """The section as the template shows it."""

    status: str  # "checked", "not_checked" or "no_uncertainty"
    lines: list[str]
    table: Table | None = None
    link: str | None = None  # the robustness page, relative to the run's report
    notes: list[str] = field(default_factory=list)


def _scenario_of(folder: Path) -> str | None:
    """The fingerprint of the scenario a folder's record names (None without a readable record)."""
    try:
        record = read_record(folder)
    except FolderRefused:  # a damaged record
        return None
    value = record.identity.get("scenario") if record is not None else None
    return str(value) if value else None


def _same_scenario(run: Path, other: Path) -> bool | None:
    """Whether two folders were made from the same scenario (None when either does not say)."""
    a, b = _scenario_of(run), _scenario_of(other)
    return None if a is None or b is None else a == b


def find_robustness(run: Path, given: Path | None = None) -> tuple[Path | None, list[str]]:
    """The robustness folder for the run in ``run`` (``given``, or the latest finished one beside it made from
    the same scenario), with notes on what was found and not used."""
    notes: list[str] = []
    if given is not None:
        if not (given / "robustness_points.csv").is_file():
            raise InputError.single(given, "is not the results folder of a robustness run (no "
                                    "robustness_points.csv); give the folder `python -m sim run FILE "
                                    "--robustness N` wrote.")
        if _same_scenario(run, given) is False:
            notes.append(f"The robustness run in {given} was made from another version of the scenario (or another "
                         "seed) than this run: its points may not describe this answer.")
        return given, notes
    found: list[tuple[str, Path]] = []
    name = manifest_of(run).get("scenario")
    for sibling in sorted(p for p in run.parent.iterdir() if p.is_dir() and p != run):
        try:
            record = read_record(sibling)
        except FolderRefused:
            continue
        if record is None or record.kind != "robustness" or record.status != FINISHED:
            continue
        if _same_scenario(run, sibling):
            found.append((record.finished_at or "", sibling))
        elif name and manifest_of(sibling).get("scenario") == name:
            notes.append(f"A robustness run of '{name}' beside this folder ({sibling.name}) was made from another "
                         "version of the scenario or another seed, and is not used; name it with "
                         f"`python -m sim report {run} --robustness {sibling}` to use it anyway.")
    if not found:
        return None, notes
    return max(found)[1], notes


def _names(params: list[UncertainParameter]) -> str:
    """The figures' names for a sentence: without a closing aside ('(× each county's)'), which the table gives,
    so that the sentence's own parentheses do not nest."""
    return "; ".join(re.sub(r"\s*[(（][^()（）]*[)）]$", "", p.label) or p.label for p in params)


def _value(v: float) -> str:
    return f"{v:.3g}"


def _range(p: UncertainParameter) -> str:
    span = f"{_value(p.low)} – {_value(p.high)}"
    return f"× {span}" if p.how == "scale" else span


def depends_section(run: Path, card: Scorecard | None, uncertainty: list[UncertainParameter], lang: Lang,
                    labels: Labels, scenario_file: str, robustness: Path | None,
                    notes: list[str] | None = None) -> Dependence | None:
    """The section, or None when there is nothing ranked (a single variant)."""
    if card is None:
        return None
    notes = list(notes or [])
    if robustness is None:
        if not uncertainty:
            return Dependence("no_uncertainty", [word("depends_no_uncertainty", lang)], notes=notes)
        line = word("depends_not_checked", lang).format(k=len(uncertainty), names=_names(uncertainty),
                                                         file=scenario_file, folder=str(run))
        return Dependence("not_checked", [line], _parameter_table(uncertainty, None, {}, lang), notes=notes)
    return _checked(run, card, lang, labels, robustness, notes)


def _checked(run: Path, card: Scorecard, lang: Lang, labels: Labels, folder: Path,
             notes: list[str]) -> Dependence:
    import pandas as pd

    from sim.analysis.flips import answer_flips

    manifest = manifest_of(folder)
    params = [UncertainParameter.model_validate(p) for p in manifest.get("uncertainty") or []]
    link = os.path.relpath(folder / "report.html", run) if (folder / "report.html").is_file() else None
    metric = str(manifest.get("primary_metric", ""))
    if metric != card.primary:
        notes.append(word("depends_other_metric", lang).format(theirs=metric, ours=card.primary))
        return Dependence("checked", [], _parameter_table(params, None, {}, lang), link, notes)
    points = pd.read_csv(folder / "robustness_points.csv")
    leaders = [card.winner] if card.winner else list(card.tiers[0].variants)
    flips = answer_flips(points, [p.label for p in params], leaders)
    name = labels.variant
    sep = "、" if lang == "zh" else ", "
    who = sep.join(name(v, lang) for v in flips.leaders)
    if len(flips.leaders) > 1:
        who = word("one_of", lang).format(variants=who)
    mid = mid_text(card.primary, card.cells[(card.variants[0], card.primary)].mid, lang).removeprefix("± ")
    label = metric_label(card.primary, lang)
    influence = {str(k): float(v) for k, v in (manifest.get("influence") or {}).items()}
    if not flips.flipped:
        lines = [word("depends_holds", lang).format(leaders=who, n=flips.points, k=len(params),
                                                    names=_names(params), metric=label, mid=mid)]
    else:
        instead = sep.join(f"{name(v, lang)} ({c})" for v, c in flips.instead.items())
        lines = [word("depends_flips", lang).format(leaders=who, f=len(flips.flipped), n=flips.points, metric=label,
                                                    mid=mid, instead=instead)]
        by_label = {p.label: p for p in params}
        for t in flips.thresholds[:MAX_THRESHOLDS]:
            p = by_label[t.parameter]
            lines.append(word("depends_threshold", lang).format(
                name=p.label, side=_side(t, lang), hits=t.flipped_inside, f=t.flipped, there=t.flipped_inside,
                inside=t.inside, provenance=p.provenance))
        lines += _prim_lines(flips, lang)
    reversals = manifest.get("reversals") or []
    if reversals:
        lines.append(word("depends_reversals", lang).format(r=len(reversals), mid=mid))
    return Dependence("checked", lines, _parameter_table(params, flips, influence, lang), link, notes)


def _side(t: Threshold, lang: Lang) -> str:
    return ("≤ " if t.side == "below" else "≥ ") + _value(t.value)


def _prim_lines(flips: Flips, lang: Lang) -> list[str]:
    if flips.prim == "found" and flips.box:
        limits = "; ".join(f"{_value(lo)} ≤ {k} ≤ {_value(hi)}" for k, (lo, hi) in flips.box.items())
        return [word("depends_prim", lang).format(limits=limits, coverage=_percent(flips.box_coverage),
                                                  density=_percent(flips.box_density))]
    if flips.prim == "not installed":
        return [word("depends_no_prim", lang)]
    if not flips.thresholds:
        return [word("depends_no_single", lang)]
    return []


def _percent(share: float) -> str:
    return "–" if not math.isfinite(share) else f"{share * 100:.0f} %"


def _parameter_table(params: list[UncertainParameter], flips: Flips | None, influence: dict[str, float],
                     lang: Lang) -> Table | None:
    if not params:
        return None
    cuts = {t.parameter: t for t in (flips.thresholds if flips is not None else [])}
    rows = []
    for p in params:
        row = [p.label, _range(p), p.provenance]
        if flips is not None:
            t = cuts.get(p.label)
            row.append(word("flips_where", lang).format(side=_side(t, lang), there=t.flipped_inside, f=t.flipped)
                       if t is not None else ("–" if flips.flipped else word("never_flips", lang)))
            rho = influence.get(p.label)
            row.append("–" if rho is None else f"{rho:.2f}")
        rows.append(row)
    header = [word(k, lang) for k in ("uncertain_figure", "range", "provenance")]
    if flips is not None:
        header += [word("where_it_flips", lang), word("influence", lang)]
    return Table(header, rows, [p.label in cuts for p in params], text_columns=4 if flips is not None else 3)

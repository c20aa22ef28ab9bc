"""The enterprises of a run: drawn from strata or read from a CSV of real firms.

The population itself is :class:`sim.model.population.Population`, a struct
of arrays; here it is drawn from the scenario's strata (streams keyed by
stratum, so changing one stratum's size does not move the draws of another)
or read from a CSV of real firms. A stratum with ``cohort_size`` k > 1 is
simulated in cohorts of k identical firms (see docs/scenarios.md, "Very large strata").
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from sim.errors import InputError, InputProblem
from sim.model.firm_classes import PRIORITIES, SIZE_CLASSES, size_code
from sim.model.population import Population
from sim.model.sectors import sector_keys
from sim.random_streams import Streams, generator, purpose_key
from sim.scenario.population_schema import MAX_ENTERPRISES, Stratum
from sim.scenario.schema import Scenario

__all__ = ["CSV_COLUMNS", "Population", "build_population", "read_population_csv"]

def build_population(scenario: Scenario, streams_seed: int, replication: int) -> Population:
    """The population of one replication (the same in every variant that keeps the population)."""
    if scenario.population.csv is not None:
        return read_population_csv(Path(scenario.population.csv), scenario)
    return _from_strata(scenario, Streams(streams_seed, replication, []))


def _from_strata(scenario: Scenario, streams: Streams) -> Population:
    strata = scenario.population.strata
    counties = [c.name for c in scenario.counties]
    weights = np.array([c.weight for c in scenario.counties], dtype=float)
    top = weights.max(initial=0.0)
    if top > 0:  # relative to the largest first: two weights of 1e308 would sum to inf
        weights = weights / top
    weights = weights / weights.sum()
    parts: dict[str, list[np.ndarray]] = {k: [] for k in (
        "group", "local", "county", "size", "ess", "ht", "gz", "np", "run", "workers", "nls", "ready",
        "cash", "fixed", "rev", "margin", "members")}
    ident: list[str] = []
    sector: list[str] = []
    for g, s in enumerate(strata):
        k = s.cohort_size
        n = -(-s.count // k)  # simulated enterprises: cohorts of k firms, the last one smaller
        members = np.full(n, k, dtype=np.int32)
        if n:
            members[-1] = s.count - k * (n - 1)
        parts["members"].append(members)
        rng = streams.for_purpose("population", g)
        u = rng.random((n, 8))
        np.maximum(u, 1e-12, out=u)
        parts["group"].append(np.full(n, g, dtype=np.int32))
        parts["local"].append(np.arange(n, dtype=np.int32))
        if s.county is not None:
            parts["county"].append(np.full(n, counties.index(s.county), dtype=np.int16))
        else:
            parts["county"].append(np.searchsorted(np.cumsum(weights), u[:, 0] * (1 - 1e-12), side="right").astype(np.int16))
        parts["size"].append(np.full(n, size_code(s.size_class), dtype=np.int8))
        essential = s.priority == "essential"
        parts["ess"].append(np.full(n, essential, dtype=bool))
        parts["ht"].append(u[:, 1] < s.high_tech_share)
        parts["gz"].append(u[:, 2] < s.gazelle_share)
        parts["np"].append(u[:, 3] < s.new_project_share)
        parts["run"].append((u[:, 4] < s.already_running_share) & essential & ~(u[:, 3] < s.new_project_share))
        workers = np.maximum(1, np.rint(s.workers.quantiles(u[:, 5]))).astype(np.int32)
        parts["workers"].append(workers)
        parts["nls"].append(np.full(n, s.nonlocal_share))
        parts["ready"].append(np.full(n, s.readiness))
        fixed = workers * s.fixed_cost_per_worker_day
        parts["fixed"].append(fixed)
        # Cash at day 0 covers the firm's runway of full fixed cost (what a surveyed owner counts on).
        runway = s.cash_runway_days or scenario.finance.cash_runway_days[s.size_class]
        parts["cash"].append(runway.quantiles(u[:, 6]) * fixed)
        parts["rev"].append(workers * s.revenue_per_worker_day)
        parts["margin"].append(np.full(n, s.margin))
        if k == 1:
            ident.extend(f"{s.name}-{i}" for i in range(n))
        else:  # a cohort is named by its first member's id; expand() names every member
            ident.extend(f"{s.name}#{i * k}" for i in range(n))
        sector.extend(_sectors(s, scenario, streams.for_purpose("population_sector", g), n))

    def cat(key: str, dtype: type | str) -> np.ndarray:
        return np.concatenate(parts[key]).astype(dtype) if parts[key] else np.zeros(0, dtype=dtype)

    return Population(
        ident=ident, group=cat("group", np.int32), local=cat("local", np.int32),
        group_sizes=[-(-s.count // s.cohort_size) for s in strata], group_names=[s.name for s in strata],
        county=cat("county", np.int16), county_names=counties, sector=sector,
        size_class=cat("size", np.int8), essential=cat("ess", bool), high_tech=cat("ht", bool),
        gazelle=cat("gz", bool), new_project=cat("np", bool), already_running=cat("run", bool),
        workers=cat("workers", np.int32), nonlocal_share=cat("nls", float), readiness=cat("ready", float),
        cash0=cat("cash", float), fixed_cost_per_day=cat("fixed", float), revenue_per_day=cat("rev", float),
        margin=cat("margin", float), members=cat("members", np.int32),
    )


def _fill_sectors(rows: list[dict[str, object]], scenario: Scenario) -> None:
    """A firm of the file without a sector gets one drawn from its size class's default mix (the same every run)."""
    rng = generator(scenario.seed, purpose_key("population_sector"))
    u = rng.random(len(rows))
    for r, x in zip(rows, u.tolist(), strict=True):
        if not r["sector"]:
            mix = scenario.network.default_mix[SIZE_CLASSES[int(r["size_class"])]]  # type: ignore[call-overload]
            keys = list(mix)
            cum = np.cumsum([mix[k] for k in keys])
            r["sector"] = keys[min(int(np.searchsorted(cum / cum[-1], x, side="right")), len(keys) - 1)]


def _sectors(stratum: Stratum, scenario: Scenario, rng: np.random.Generator, n: int) -> list[str]:
    """Each firm's sector: the stratum's, or drawn from its mix (or the size class's default mix)."""
    if stratum.sector is not None:
        return [stratum.sector] * n
    mix = stratum.sector_mix or scenario.network.default_mix[stratum.size_class]
    keys = list(mix)
    cum = np.cumsum([mix[k] for k in keys])
    picks = np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"), len(keys) - 1)
    return [keys[k] for k in picks.tolist()]


# Columns of a population CSV: name -> (required, meaning). Documented in docs/scenarios.md.
CSV_COLUMNS: dict[str, tuple[bool, str]] = {
    "id": (True, "unique name of the enterprise"),
    "county": (True, "one of the scenario's county names"),
    "size_class": (True, "above_scale, sme or micro"),
    "priority": (True, "essential or normal"),
    "workers": (True, "workforce, a whole number >= 1"),
    "cash_yuan": (True, "cash at day 0, yuan, >= 0"),
    "fixed_cost_per_day": (True, "fixed cost while open (wages, rent, interest, taxes, other), yuan/day, >= 0"),
    "revenue_per_day": (True, "revenue at full capacity, yuan/day, >= 0"),
    "margin": (True, "contribution margin, 0 to 1"),
    "sector": (False, "sector, a key of data/network/sectors.csv (default: drawn from network.default_mix of the size class)"),
    "high_tech": (False, "0/1 (default 0)"),
    "gazelle": (False, "0/1 (default 0)"),
    "new_project": (False, "0/1 (default 0)"),
    "already_running": (False, "0/1, essential firms running at day 0 (default 0)"),
    "nonlocal_share": (False, "share of non-local workers, 0 to 1 (default 0.2)"),
    "readiness": (False, "chance to pass the inspection, 0 to 1 (default 0.7)"),
}


def read_population_csv(path: Path, scenario: Scenario) -> Population:
    """Read real enterprises; every bad row is an error naming the row and column."""
    file = str(path)
    if not path.is_file():
        raise InputError.single(file, "the population CSV does not exist (population.csv).", key="population.csv")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError.single(file, "the population CSV is not UTF-8 text.", key="population.csv") from None
    lines = _lines(text)
    header = _split_line(lines[0]) if lines else []
    if isinstance(header, tuple):
        raise InputError.single(file, f"the header cannot be read: column {header[0]}: {header[1]}.", line=1,
                                column=header[0])
    doubled = sorted({c for c in header if header.count(c) > 1})
    if doubled:
        places = "; ".join(f"'{c}' is column " + " and ".join(str(i + 1) for i, h in enumerate(header) if h == c)
                           for c in doubled)
        raise InputError.single(file, f"the header names a column twice ({places}); each column may appear once. "
                                f"Columns allowed: {', '.join(CSV_COLUMNS)}.", line=1)
    missing = [c for c, (req, _) in CSV_COLUMNS.items() if req and c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing columns {missing}")
        if unknown:
            parts.append(f"unknown columns {unknown}")
        raise InputError.single(file, "; ".join(parts) + f". Columns allowed: {', '.join(CSV_COLUMNS)} "
                                "(the first nine are required).", line=1)
    counties = [c.name for c in scenario.counties]
    problems: list[InputProblem] = []
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    for lineno, line in enumerate(lines[1:], start=2):
        if not line:
            continue  # a blank line is no enterprise
        if len(rows) >= MAX_ENTERPRISES:
            raise InputError.single(file, f"more than {MAX_ENTERPRISES:,} enterprises; refused.", line=lineno)
        fields = _split_line(line)
        if isinstance(fields, tuple):
            col, what = fields
            name = header[col - 1] if col <= len(header) else None
            problems.append(InputProblem(file, f"{what}.", key=name, line=lineno, column=col))
        elif len(fields) > len(header):
            problems.append(InputProblem(file, f"the row has {len(fields)} fields but the header has "
                                         f"{len(header)} columns (column {len(header) + 1} onwards has no name: "
                                         f"{fields[len(header)]!r}…); remove the extra field(s) or a stray comma, or "
                                         "quote a value that contains a comma.", line=lineno,
                                         column=len(header) + 1))
        if isinstance(fields, tuple) or len(fields) > len(header):
            if len(problems) >= 20:
                break
            continue
        row: dict[str, str | None] = {h: (fields[k] if k < len(fields) else None) for k, h in enumerate(header)}
        rec, errs = _parse_row(row, counties, seen)
        problems.extend(InputProblem(file, msg, key=col, line=lineno) for col, msg in errs)
        if not errs:
            rows.append(rec)
        if len(problems) >= 20:
            break
    if problems:
        raise InputError(problems)
    if not rows:
        raise InputError.single(file, "the population CSV has a header but no enterprises.", line=2)
    n = len(rows)
    _fill_sectors(rows, scenario)

    def arr(key: str, dtype: type | str) -> np.ndarray:
        return np.array([r[key] for r in rows], dtype=dtype)

    return Population(
        ident=[str(r["id"]) for r in rows], group=np.zeros(n, np.int32), local=np.arange(n, dtype=np.int32),
        group_sizes=[n], group_names=["csv"], county=arr("county", np.int16), county_names=counties,
        sector=[str(r["sector"]) for r in rows], size_class=arr("size_class", np.int8),
        essential=arr("essential", bool), high_tech=arr("high_tech", bool), gazelle=arr("gazelle", bool),
        new_project=arr("new_project", bool), already_running=arr("already_running", bool),
        workers=arr("workers", np.int32), nonlocal_share=arr("nonlocal_share", float),
        readiness=arr("readiness", float), cash0=arr("cash_yuan", float),
        fixed_cost_per_day=arr("fixed_cost_per_day", float), revenue_per_day=arr("revenue_per_day", float),
        margin=arr("margin", float), members=np.ones(n, dtype=np.int32),
    )


def _lines(text: str) -> list[str]:
    """The file's lines (``\\n``, ``\\r\\n`` or ``\\r`` ends them): one row of the table each."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _split_line(line: str) -> list[str] | tuple[int, str]:
    """The fields of one CSV line, or (1-based column, what is wrong there).

    A population CSV has one enterprise per line and no value spans lines, so each line is read
    on its own: a quote left open cannot swallow the rest of the file (Python's csv module then
    stops at its field limit, 128 KiB, with no row), and every malformed line is named.
    """
    if "\0" in line:  # the csv module reads it as text; here it means a binary file or UTF-16 text
        return _malformed(line)
    try:
        return next(csv.reader([line], strict=True))
    except csv.Error:
        return _malformed(line)


def _malformed(line: str) -> tuple[int, str]:
    """Where and why a line is not CSV: the first field with an open quote, text after a closing quote, a NUL
    character or a value longer than the csv module's limit."""
    limit = csv.field_size_limit()
    col, i, n = 1, 0, len(line)
    while True:
        start = i
        if i < n and line[i] == '"':
            i += 1
            while True:
                j = line.find('"', i)
                if j < 0:
                    return col, ("the quote opened here is not closed on its line (a value cannot run over a line "
                                 'break); close it, or write a quote inside a quoted value as two ("")')
                if line[j + 1:j + 2] == '"':
                    i = j + 2
                    continue
                i = j + 1
                break
            if i < n and line[i] != ",":
                return col, (f"text after the closing quote ({line[i:i + 12]!r}); quote the whole value, or write "
                             'a quote inside it as two ("")')
        else:
            j = line.find(",", i)
            i = n if j < 0 else j
        if "\0" in line[start:i]:
            return col, "a NUL character (is this a binary file, or text saved as UTF-16?)"
        if i - start > limit:
            return col, f"the value is longer than {limit:,} characters"
        if i >= n:
            return col, "the line cannot be read as CSV"
        i += 1
        col += 1


def _parse_row(row: dict[str, str | None], counties: list[str], seen: set[str]) -> tuple[dict[str, object], list[tuple[str, str]]]:
    errs: list[tuple[str, str]] = []
    rec: dict[str, object] = {}

    def text(col: str, default: str | None = None) -> str:
        v = (row.get(col) or "").strip()
        if not v and default is None:
            errs.append((col, "is empty; a value is required."))
        return v or (default or "")

    def number(col: str, low: float, high: float, default: float | None = None, whole: bool = False) -> float:
        raw = (row.get(col) or "").strip()
        if not raw:
            if default is None:
                errs.append((col, "is empty; a number is required."))
                return low
            return default
        try:
            v = float(raw)
        except ValueError:
            errs.append((col, f"'{raw}' is not a number."))
            return low
        if not math.isfinite(v) or not (low <= v <= high) or (whole and v != int(v)):
            kind = "a whole number" if whole else "a number"
            errs.append((col, f"{raw} is out of range; allowed: {kind} from {low:g} to {high:g}."))
            return low
        return v

    def flag(col: str) -> bool:
        raw = (row.get(col) or "0").strip().lower()
        if raw not in ("0", "1", "true", "false", "yes", "no", ""):
            errs.append((col, f"'{raw}' is not a flag; allowed: 0 or 1."))
        return raw in ("1", "true", "yes")

    ident = text("id")
    if ident in seen:
        errs.append(("id", f"'{ident}' appears twice; ids must be unique."))
    seen.add(ident)
    rec["id"] = ident
    county = text("county")
    if county and county not in counties:
        errs.append(("county", f"'{county}' is not a county of the scenario; allowed: {', '.join(counties)}."))
    rec["county"] = counties.index(county) if county in counties else 0
    size = text("size_class")
    if size and size not in SIZE_CLASSES:
        errs.append(("size_class", f"'{size}' is not allowed; allowed: {', '.join(SIZE_CLASSES)}."))
    rec["size_class"] = size_code(size) if size in SIZE_CLASSES else 0
    prio = text("priority")
    if prio and prio not in PRIORITIES:
        errs.append(("priority", f"'{prio}' is not allowed; allowed: essential, normal."))
    rec["essential"] = prio == "essential"
    sector = (row.get("sector") or "").strip()
    if sector and sector not in sector_keys():
        errs.append(("sector", f"'{sector}' is not a sector of the model; allowed: {', '.join(sector_keys())}."))
    rec["sector"] = sector
    rec["workers"] = int(number("workers", 1, 10_000_000, whole=True))
    rec["cash_yuan"] = number("cash_yuan", 0, 1e15)
    rec["fixed_cost_per_day"] = number("fixed_cost_per_day", 0, 1e13)
    rec["revenue_per_day"] = number("revenue_per_day", 0, 1e13)
    rec["margin"] = number("margin", 0, 1)
    rec["nonlocal_share"] = number("nonlocal_share", 0, 1, default=0.2)
    rec["readiness"] = number("readiness", 0, 1, default=0.7)
    for col in ("high_tech", "gazelle", "new_project", "already_running"):
        rec[col] = flag(col)
    rec["already_running"] = bool(rec["already_running"]) and bool(rec["essential"]) and not rec["new_project"]
    return rec, errs

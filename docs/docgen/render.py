"""Pages from templates: the findings pages from their records, the reference and the model from the code.

Templates are Jinja2 Markdown in ``docs/_templates/``. A findings page gets its
records (:class:`Run` wraps a run's figures) and the formatting filters of
:mod:`docgen.formats`; every page made from runs starts with the baseline
stamp (:mod:`docgen.baseline`) and ends with how it was made: the scenario
files, replications, seeds and the commands, as run.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from docgen import DOCS, RECORDS, ROOT, TEMPLATES, formats, modelpages, reference
from docgen.baseline import stamp
from docgen.results import Json


@dataclass(frozen=True)
class Page:
    """A findings page: its path under docs/, its template and the records it reads."""

    path: str
    template: str
    records: tuple[str, ...]


PAGES: tuple[Page, ...] = (
    Page("tutorial.md", "tutorial.md.j2", ("tutorial",)),
    Page("questions/fast-track.md", "fast-track.md.j2", ("fast-track",)),
    Page("questions/coverage-111.md", "coverage-111.md.j2", ("coverage-111",)),
    Page("questions/loan-timing.md", "loan-timing.md.j2", ("loan-timing",)),
    Page("questions/cadres.md", "cadres.md.j2", ("cadres", "coverage-111")),
    Page("questions/preparation-levers.md", "preparation-levers.md.j2", ("preparation-levers",)),
    Page("analysis/discovery.md", "discovery.md.j2", ("discovery",)),
    Page("validation.md", "validation.md.j2", ("default", "fast-track")),
    Page("calibration.md", "calibration.md.j2", ("default", "calibration")),
    Page("performance.md", "performance.md.j2", ("performance",)),
    Page("orders-and-suppliers.md", "orders-and-suppliers.md.j2", ("orders-and-suppliers",)),
)


class Run:
    """A run's figures as a template reads them; a metric or variant the run lacks gives None."""

    def __init__(self, data: Json) -> None:
        self.data = data
        self.variants: list[str] = data.get("variants", [])
        self.replications = data.get("replications")
        self.seed = data.get("seed")

    def stat(self, metric: str, variant: str = "base") -> Json | None:
        return (self.data["metrics"].get(metric) or {}).get(variant)

    def mean(self, metric: str, variant: str = "base") -> float | None:
        s = self.stat(metric, variant)
        return s.get("mean") if s else None

    def diff(self, metric: str, variant: str, reference: str = "base") -> Json | None:
        """Variant − reference, from the pair as the run wrote it either way round."""
        pairs = self.data["diffs"].get(metric) or {}
        if f"{variant}|{reference}" in pairs:
            return pairs[f"{variant}|{reference}"]
        other = pairs.get(f"{reference}|{variant}")
        if other is None:
            return None
        flip = {k: (None if other.get(k) is None else -other[k]) for k in ("diff", "high", "low")}
        return {"diff": flip["diff"], "low": flip["high"], "high": flip["low"], "n": other.get("n")}

    def km(self, variant: str = "base") -> Json | None:
        return self.data.get("km", {}).get(variant)

    def best(self, metric: str, variants: list[str] | None = None) -> str | None:
        """The variant with the lowest mean (the metric's better direction when declared higher)."""
        from sim.model import catalogue

        sign = -1 if catalogue.direction(metric) > 0 else 1
        found = [(sign * m, v) for v in (variants or self.variants) if (m := self.mean(metric, v)) is not None]
        return min(found)[1] if found else None

    def excludes_zero(self, metric: str, variant: str, reference: str = "base") -> bool:
        d = self.diff(metric, variant, reference)
        return bool(d and d.get("low") is not None and (d["low"] > 0 or d["high"] < 0))


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             autoescape=False)
    env.filters.update(value=formats.value, diff=formats.diff, pm=formats.with_half, num=formats.number,
                       signed=formats.signed, share=formats.share, cell=_cell)
    env.globals.update(Run=Run, abs=abs, min=min, max=max, sorted=sorted, round=round, mids=_mids(),
                       label=_label, verdict=verdict, sweep_grid=sweep_grid, day_of=day_of, day_date=day_date,
                       at_day=at_day, MISSING=formats.MISSING)
    return env


def _cell(text: object) -> str:
    """Text for a Markdown table cell: one line, no bare column separators."""
    return " ".join(str(text).split()).replace("|", "\\|")


def verdict(d: Json | None, metric: str, mid: float | None = None) -> str:
    """The report's verdict on a paired difference: better, worse, negligible, uncertain (higher/lower)."""
    from sim.model import catalogue
    from sim.report.scorecard import verdict as judged

    if not d or d.get("diff") is None:
        return "not reached"
    nan = float("nan")
    low, high = (nan if d.get(k) is None else d[k] for k in ("low", "high"))
    return judged(d["diff"], low, high, _mids().get(metric, 0.0) if mid is None else mid,
                  catalogue.direction(metric))


def sweep_grid(sweep: Json, first: str, second: str) -> tuple[list[Any], list[Any], dict[str, Json]]:
    """A grid sweep's values of two parameters, and its points by ``"first|second"``."""
    rows = sweep["rows"]
    a = sorted({row[first] for row in rows})
    b = sorted({row[second] for row in rows})
    return a, b, {f"{row[first]}|{row[second]}": row for row in rows}


def day_of(date: str, start: str = "2020-02-03") -> int:
    """Days from the scenario's start to an ISO date."""
    import datetime as dt

    return (dt.date.fromisoformat(date) - dt.date.fromisoformat(start)).days


def day_date(day: int, start: str = "2020-02-03") -> str:
    """The calendar date of a day of the scenario, as "10 Feb"."""
    import datetime as dt

    date = dt.date.fromisoformat(start) + dt.timedelta(days=int(day))
    return f"{date.day} {date:%b}"


def at_day(series: Json, column: str, day: int, what: str = "mean", variant: str = "base") -> Any:
    """A daily series' statistic on a day (None when the run did not record it)."""
    entry = series.get(column, {}).get(variant, {}).get(str(day))
    return entry.get(what) if entry else None


def _mids() -> dict[str, float]:
    from sim.model import catalogue

    return catalogue.default_mids()


def _label(metric: str) -> str:
    from sim.model import catalogue

    return catalogue.label(metric) or metric


def load_record(name: str, folder: Path = RECORDS) -> Json | None:
    path = folder / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def render_page(page: Page, records: dict[str, Json], env: jinja2.Environment) -> str:
    """A findings page: the stamp, the template's text, then how it was made."""
    text = env.get_template(page.template).render(records=records, **{
        name.replace("-", "_"): record["data"] for name, record in records.items()})
    made = env.get_template("_made.md.j2").render(records=records)
    digests = {r["baseline_sha256"] for r in records.values() if r.get("baseline_sha256")}
    head = stamp(sorted(digests)[0]) + "\n" if len(digests) == 1 else ""
    if len(digests) > 1:  # records made on different models: no stamp, so the test says the page is stale
        head = "<!-- made from runs on different models: generate every record again -->\n"
    return head + text.rstrip() + "\n\n" + made.rstrip() + "\n"


def render_all(records_dir: Path = RECORDS, out: Path = DOCS, only: set[str] | None = None) -> list[Path]:
    """Write every page whose records exist (``only``: the pages of those records) and the code's pages."""
    env = environment()
    written: list[Path] = []
    for page in PAGES:
        if only is not None and not set(page.records) & only:
            continue
        records = {name: rec for name in page.records if (rec := load_record(name, records_dir)) is not None}
        if len(records) < len(page.records):
            continue
        written.append(_write(out / page.path, render_page(page, records, env)))
    written.append(_write(out / "reference" / "scenario.md",
                          env.get_template("reference.md.j2").render(sections=reference.sections())))
    pages = modelpages.pages()
    written.append(_write(out / "model" / "index.md", env.get_template("model-index.md.j2").render(modules=pages)))
    for module in pages:
        written.append(_write(out / "model" / f"{module.name}.md",
                              env.get_template("module.md.j2").render(module=module)))
    if out == DOCS:
        update_nav(ROOT / "mkdocs.yml", [f"model/{m.name}.md" for m in pages])
        block = readme_findings(records_dir, env)
        if block is not None:
            update_readme(ROOT / "README.md", block)
    return written


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


NAV_START = "      # model pages: written by docs/generate.py, one per module of sim/model/registry.py\n"
NAV_END = "      # end of the model pages\n"


def nav_block(paths: list[str]) -> str:
    return NAV_START + "".join(f"      - {p}\n" for p in paths) + NAV_END


def update_nav(config: Path, paths: list[str]) -> None:
    """Put the model's pages, one per module, into mkdocs.yml's navigation (between its markers)."""
    text = config.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(NAV_START) + r".*?" + re.escape(NAV_END), re.S)
    if not pattern.search(text):
        raise ValueError(f"{config} has no model-pages block ({NAV_START.strip()} … {NAV_END.strip()})")
    config.write_text(pattern.sub(lambda _: nav_block(paths), text), encoding="utf-8")


def nav_paths(config: Path = ROOT / "mkdocs.yml") -> list[str]:
    """The model pages mkdocs.yml's navigation lists."""
    text = config.read_text(encoding="utf-8")
    found = re.search(re.escape(NAV_START) + r"(.*?)" + re.escape(NAV_END), text, re.S)
    return re.findall(r"- (\S+)", found.group(1)) if found else []


def records_of(page: Page, folder: Path = RECORDS) -> dict[str, Any]:
    return {name: load_record(name, folder) for name in page.records}


# -- the README's findings: the answers and the misses, written between two markers ---------------------------

README_START = "<!-- written by docs/generate.py from docs/_records/ down to the end marker: do not edit by hand -->\n"
README_END = "<!-- end of the part written by docs/generate.py -->\n"
README_RECORDS = ("fast-track", "coverage-111", "loan-timing", "orders-and-suppliers")
_README_BLOCK = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.S)


def readme_findings(records_dir: Path = RECORDS, env: jinja2.Environment | None = None) -> str | None:
    """The README's findings block from the policy studies' records (None while one is missing)."""
    records = {name: load_record(name, records_dir) for name in README_RECORDS}
    if any(r is None for r in records.values()):
        return None
    text = (env or environment()).get_template("readme-findings.md.j2").render(
        **{name.replace("-", "_"): record["data"] for name, record in records.items() if record is not None})
    return README_START + text.strip() + "\n" + README_END


def readme_block(readme: Path = ROOT / "README.md") -> str | None:
    """The README's block between the markers, markers included (None when it has none)."""
    found = _README_BLOCK.search(readme.read_text(encoding="utf-8"))
    return found.group(0) if found else None


def update_readme(readme: Path, block: str) -> None:
    """Replace the README's findings block (between its markers) with ``block``."""
    text = readme.read_text(encoding="utf-8")
    if not _README_BLOCK.search(text):
        raise ValueError(f"{readme} has no findings block ({README_START.strip()} … {README_END.strip()})")
    readme.write_text(_README_BLOCK.sub(lambda _: block, text), encoding="utf-8")

"""The documentation: numbers that cannot go stale, pages that match their records, a README a newcomer can use.

Every page made from runs carries the sha256 of the regression baseline it was
made with (docs/docgen/baseline.py); when a change to the model changes the
baseline, these tests fail until ``python docs/generate.py`` has made the pages
again. A page must also be exactly what its records render (no figure edited
by hand), and the scenario reference and the model's pages what the code
declares.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))

from docgen import RECORDS  # noqa: E402
from docgen.baseline import BASELINE, baseline_hash, stale_pages, stamp_of, stamped_pages  # noqa: E402
from docgen.render import PAGES, nav_paths, readme_block, readme_findings, render_all, update_readme  # noqa: E402

REGENERATE = "run `python docs/generate.py` (40 minutes to two hours on two cores) and commit the pages and docs/_records/"


def test_every_findings_page_is_made_from_runs() -> None:
    stamped = {p.relative_to(DOCS).as_posix() for p in stamped_pages(DOCS)}
    expected = {page.path for page in PAGES}
    assert expected <= stamped, f"pages without the baseline stamp: {sorted(expected - stamped)}; {REGENERATE}"


def test_the_pages_were_made_on_the_current_model() -> None:
    stale = stale_pages(DOCS, BASELINE)
    assert not stale, (f"{len(stale)} page(s) were made on a model whose regression baseline is not "
                       f"tests/baseline/summary.csv any more ({', '.join(p.name for p in stale)}): {REGENERATE}")


def test_a_changed_baseline_makes_every_findings_page_stale(tmp_path: Path) -> None:
    """The check above can fail: the findings pages, stamped with a baseline's hash, all go stale when one
    figure of that baseline changes (copies of the pages and the baseline, so that this holds whatever the
    state of the pages in the repository)."""
    same = tmp_path / "same.csv"
    same.write_bytes(BASELINE.read_bytes())
    docs = tmp_path / "docs"
    for page in PAGES:
        text = (DOCS / page.path).read_text(encoding="utf-8")
        digest = stamp_of(text)
        assert digest is not None, f"{page.path} carries no baseline stamp: {REGENERATE}"
        (docs / page.path).parent.mkdir(parents=True, exist_ok=True)
        (docs / page.path).write_text(text.replace(digest, baseline_hash(same)), encoding="utf-8")
    assert stale_pages(docs, same) == []
    moved = tmp_path / "moved.csv"
    text = BASELINE.read_text(encoding="utf-8")
    digit = re.search(r"\d", text.splitlines()[1])
    assert digit is not None
    at = len(text.splitlines()[0]) + 1 + digit.start()
    moved.write_text(text[:at] + str((int(text[at]) + 1) % 10) + text[at + 1:], encoding="utf-8")
    assert baseline_hash(moved) != baseline_hash(same)
    assert len(stale_pages(docs, moved)) == len(PAGES)


def test_the_records_are_full_runs_on_the_current_baseline() -> None:
    for page in PAGES:
        for name in page.records:
            record = json.loads((RECORDS / f"{name}.json").read_text(encoding="utf-8"))
            assert not record["quick"], f"docs/_records/{name}.json is from the quick mode: {REGENERATE}"
            if name != "performance":  # the benchmark measures speed, not results
                assert record["baseline_sha256"] == baseline_hash(), f"docs/_records/{name}.json: {REGENERATE}"


def test_the_pages_are_what_the_records_and_the_code_render(tmp_path: Path) -> None:
    """No figure edited by hand; the scenario reference and the model's pages follow the code."""
    written = render_all(RECORDS, tmp_path)
    assert len(written) > len(PAGES)
    differ = [p.relative_to(tmp_path).as_posix() for p in written
              if (DOCS / p.relative_to(tmp_path)).read_text(encoding="utf-8") != p.read_text(encoding="utf-8")]
    assert not differ, f"pages that differ from what docs/generate.py renders: {differ}; run " \
                       "`python docs/generate.py --render` (or the whole generation if the model changed)"


def test_the_readme_findings_are_what_the_records_render() -> None:
    """The README's answers and misses are written from the records, like the pages: none typed by hand."""
    block = readme_block(ROOT / "README.md")
    assert block is not None, "README.md lost its findings markers (docs/docgen/render.py README_START/END)"
    assert block == readme_findings(RECORDS), "README.md's findings differ from what the records render: run " \
        "`python docs/generate.py --render` (or the whole generation if the model changed)"


def test_a_figure_edited_in_the_readme_block_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a copy of the README with one digit of its findings moved differs from the
    render, and update_readme puts the rendered block back without touching the rest."""
    copy = tmp_path / "README.md"
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme_block(ROOT / "README.md")
    assert block is not None
    digit = re.search(r"\d", block.split("\n", 2)[2])
    assert digit is not None
    at = text.index(block) + len(block.split("\n", 2)[0]) + len(block.split("\n", 2)[1]) + 2 + digit.start()
    copy.write_text(text[:at] + str((int(text[at]) + 1) % 10) + text[at + 1:], encoding="utf-8")
    assert readme_block(copy) != readme_findings(RECORDS)
    update_readme(copy, readme_findings(RECORDS) or "")
    assert copy.read_text(encoding="utf-8") == text


def test_the_navigation_lists_one_page_per_module() -> None:
    from sim.model.registry import all_modules

    assert nav_paths() == [f"model/{m.name}.md" for m in all_modules()]


def test_a_findings_page_shows_its_runs() -> None:
    for page in PAGES:
        text = (DOCS / page.path).read_text(encoding="utf-8")
        assert "How this page was made" in text and "python" in text, page.path
        for name in page.records:
            record = json.loads((RECORDS / f"{name}.json").read_text(encoding="utf-8"))
            for command in record["data"]["commands"]:
                assert command["command"] in text, f"{page.path} does not show `{command['command']}`"
            scenario = record["data"].get("scenario")
            if scenario:
                assert f"seed {scenario['seed']}" in text, page.path


def test_every_difference_the_tutorial_quotes_was_recorded() -> None:
    """The tutorial quotes each variant against the base, and approval on commitment against fast-track after
    `compare --reference fast-track`: a record without the pair makes the page print '—' for it."""
    data = json.loads((RECORDS / "tutorial.json").read_text(encoding="utf-8"))["data"]
    days = "mean_restart_day"
    assert "fast-track-commitment|fast-track" in data["against_fast_track"]["diffs"].get(days, {})
    assert "ordinary-approval|base" in data["my_city"]["diffs"].get(days, {})
    base_pairs = set(data["fast_track"]["diffs"][days])
    assert base_pairs == {f"{v}|base" for v in data["fast_track"]["variants"] if v != "base"}


# -- the README and the hand-written pages ------------------------------------------------------------------

def test_the_readme_is_short_and_keeps_its_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".venv/bin/python -m pytest\n" in ci
    assert "\n.venv/bin/python -m pytest\n" in readme  # the command CI runs verbatim
    assert ('python3 -m venv .venv && .venv/bin/pip install -e ".[dev]" && .venv/bin/python -m sim run '
            "scenarios/tieling-2020.yaml") in readme


def test_the_layouts_name_every_module_of_the_model() -> None:
    """The README's layout section and docs/layout.md name every module a city is made of, and the layout page
    every file of the model, so that a module added to the registry cannot be left out of either."""
    from sim.model.registry import all_modules

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Code layout"):readme.index("## Numbers in the documentation")]
    layout = (DOCS / "layout.md").read_text(encoding="utf-8")
    missing = [m.name for m in all_modules() if m.name not in section]
    assert not missing, f"README.md's code layout does not name the model's modules {missing}"
    files = sorted(p.relative_to(ROOT / "sim" / "model") for p in (ROOT / "sim" / "model").rglob("*.py")
                   if p.name != "__init__.py")
    unnamed = [str(f) for f in files if f.name not in layout]
    assert not unnamed, f"docs/layout.md does not name the model's files {unnamed}"


def test_the_question_table_names_files_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Which file answers which question"):]
    files = set(re.findall(r"`(scenarios/[\w.-]+\.yaml)`", table))
    assert {"scenarios/fast-track.yaml", "scenarios/coverage-111.yaml", "scenarios/loan-timing.yaml"} <= files
    assert all((ROOT / f).is_file() for f in files), sorted(f for f in files if not (ROOT / f).is_file())


def test_links_from_the_readme_lead_to_pages() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((docs/[^)#]+)", readme)
    assert len(links) > 15
    missing = [link for link in links if not (ROOT / link).is_file()]
    assert not missing, missing


def _pages() -> list[Path]:
    return [ROOT / "README.md", *sorted(p for p in DOCS.rglob("*.md") if "_records" not in p.parts)]


def test_no_pointer_outside_the_repository_and_no_diary() -> None:
    found = []
    for page in _pages():
        text = page.read_text(encoding="utf-8")
        for pattern in (r"\.\./shared", r"/work/", r"LITERATURE\.md", r"DESIGN\.md", r"\bissue \d+", r"this round"):
            if re.search(pattern, text, re.I):
                found.append(f"{page.relative_to(ROOT)}: {pattern}")
    assert not found, found


@pytest.mark.slow
def test_quick_generation_runs_a_study_and_renders_its_page(tmp_path: Path) -> None:
    """One command regenerates the pages; the quick mode does it on shrunk scenarios, outside docs/."""
    out = tmp_path / "site"
    done = subprocess.run([sys.executable, str(DOCS / "generate.py"), "--quick", str(out), "--only", "fast-track"],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert done.returncode == 0, done.stderr
    record = json.loads((out / "_records" / "fast-track.json").read_text(encoding="utf-8"))
    assert record["quick"] and record["baseline_sha256"] == baseline_hash()
    page = (out / "questions" / "fast-track.md").read_text(encoding="utf-8")
    assert stamp_of(page) == baseline_hash()
    assert "python -m sim run scenarios/fast-track.yaml -r 2" in page and "seed 20200203" in page
    assert (out / "reference" / "scenario.md").is_file() and (out / "model" / "approval.md").is_file()

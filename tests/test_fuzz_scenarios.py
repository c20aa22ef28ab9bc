"""Fuzzing the loader: a mutated scenario file is either refused with InputError or runs.

Hypothesis takes a valid scenario and drops lines (keys), duplicates lines
(duplicate keys), replaces values by values of other types, inserts junk keys
and values, and truncates the text. The loader must then either accept the file,
and a replication of every variant (horizon cut to 10 days) must finish, or
refuse it with :class:`InputError` and a message (what ``validate`` prints
before exiting with code 2). Any other exception is a bug.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import InputError
from sim.model.world import run_replication
from sim.scenario.loader import load_scenario_text

VALID = """\
name: fuzz
start_date: 2020-02-03
horizon_days: 20
seed: 11
replications: 1
calendar:
  restart_ban_until_day: 2
counties:
  - name: north
    weight: 1.0
    approval_reviewers: 2
    inspectors: 1
  - {name: south, weight: 0.5, liaisons: 2}
population:
  strata:
    - name: firms
      count: 8
      county: north
      size_class: sme
      priority: normal
      workers: {dist: lognormal, mean: 20, cv: 0.5}
      readiness: 0.8
      cash_runway_days: {dist: triangular, low: 10, mode: 40, high: 90}
    - {name: big, count: 3, size_class: above_scale, priority: essential, already_running_share: 0.5}
approval:
  preparation_days: {dist: exponential, mean: 2}
  review_days: 0.3
  rework_probability: 0.2
cadres:
  dispatch_day: 1
  liaisons: {count: 4, enterprises_per_cadre: 2}
  supervisors:
    count: 3
    readiness_gain: 0.4
policies:
  approval: {name: standard}
  coverage: {name: one_plus_one_plus_one}
  loans:
    window_opens_day: 5
    approval_probability: {above_scale: 0.8, sme: 0.5, micro: 0.3}
outbreak:
  prevalence: [[0, 2.0], [10, 0.5]]
variants:
  fast:
    policies:
      approval: {name: fast_track, max_rounds: 1}
  more-cadres:
    cadres: {liaisons: {count: 8}}
provenance:
  cadres.liaisons.count: "assumption: fuzz"
"""
LINES = VALID.splitlines()

junk_values = st.one_of(
    st.integers(-5, 60).map(str),
    st.floats(-1e3, 1e3, allow_nan=False).map(lambda x: f"{x:g}"),
    st.sampled_from([".nan", ".inf", "-.inf", "yes", "no", "null", "~", "''", "[]", "{}", "[1, 2]",
                     "{a: 1}", "2020-13-45", "03/02/2020", "!!python/name:os.system", "&x 1", "*x",
                     "{dist: gamma, mean: 1}", "{dist: fixed, value: -1}", "fast_track", "'[unclosed'",
                     "[unclosed", "{name: none}", "1e400", "0x10", "\"\\t\"", "kaiyuan"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12).map(repr),
)
junk_keys = st.one_of(st.sampled_from(["count", "name", "dist", "cuont", "variants", "<<", "seed", "csv",
                                       "strata", "1", "true", "? x"]),
                      st.from_regex(r"[a-z_]{1,12}", fullmatch=True))


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" -"))].replace("-", " ")


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["drop", "duplicate", "retype", "insert", "truncate"]))
        if kind == "drop":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i + 1, lines[i])
        elif kind == "retype" and ":" in lines[i]:
            head = lines[i].split(":", 1)[0]
            lines[i] = f"{head}: {draw(junk_values)}"
        elif kind == "insert":
            lines.insert(i + 1, f"{_indent(lines[i])}{draw(junk_keys)}: {draw(junk_values)}")
        else:
            text = "\n".join(lines)
            lines = text[: draw(st.integers(0, len(text)))].split("\n")
        if not lines:
            lines = [""]
    return "\n".join(lines) + "\n"


def test_the_unmutated_scenario_is_valid() -> None:
    loaded = load_scenario_text(VALID, "fuzz.yaml")
    assert set(loaded.variants) == {"fast", "more-cadres"}


@settings(max_examples=60)  # an example that loads runs the simulator
@given(text=mutated())
def test_a_mutated_scenario_is_refused_cleanly_or_runs(text: str) -> None:
    try:
        loaded = load_scenario_text(text, "fuzz.yaml")
    except InputError as exc:
        assert exc.problems, "an InputError must name at least one problem"
        for p in exc.problems:
            assert p.file == "fuzz.yaml" and p.message.strip()
            assert p.line is None or p.line >= 1
        assert "fuzz.yaml" in exc.render()
        return
    for name, scenario in loaded.all_variants():
        short: Any = scenario.model_copy(update={"horizon_days": min(10.0, scenario.horizon_days)})
        result = run_replication(short, name, 0)
        assert result.summary["enterprises"] == sum(s.count for s in scenario.population.strata)

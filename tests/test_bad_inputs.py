"""Every bad input in tests/bad_inputs/ gets a clear message and exit code 2, never a traceback.

The corpus holds one file per mistake a planner can make in a hand-edited
scenario (and the CSVs beside it); ``expected.yaml`` lists, per file, the
substrings its message must contain: ``file:line:column``, the dotted key,
what is wrong and what is allowed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.scenario.yaml_source import MAX_FILE_BYTES, MAX_NODES

HERE = Path(__file__).parent / "bad_inputs"
ROOT = Path(__file__).parent.parent
EXPECTED: dict[str, list[str]] = yaml.safe_load((HERE / "expected.yaml").read_text(encoding="utf-8"))
SCENARIOS = sorted(p.name for p in HERE.glob("*.yaml") if p.name != "expected.yaml")
TARGETS = sorted(p.name for p in HERE.glob("targets_*.csv"))


def _validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["validate", str(path)])
    out, err = capsys.readouterr()
    return code, out + err


def test_corpus_is_complete() -> None:
    assert len(SCENARIOS) >= 40
    assert set(SCENARIOS + TARGETS) == set(EXPECTED), "every corpus file needs its expected message, and back"


@pytest.mark.parametrize("name", SCENARIOS)
def test_bad_scenario_is_refused_with_a_clear_message(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _validate(HERE / name, capsys)
    assert code == 2, text
    assert "Traceback" not in text and "internal error" not in text
    missing = [s for s in EXPECTED[name] if s not in text]
    assert not missing, f"message lacks {missing}:\n{text}"


@pytest.mark.parametrize("name", TARGETS)
def test_bad_target_csv_is_refused_before_any_run(name: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["calibrate", str(ROOT / "scenarios" / "tieling-2020.yaml"), "--targets", str(HERE / name),
                 "--fit", "approval.rework_probability=0.1:0.5", "--out", str(tmp_path / "out"), "-q"])
    out, err = capsys.readouterr()
    text = out + err
    assert code == 2, text
    assert "Traceback" not in text
    missing = [s for s in EXPECTED[name] if s not in text]
    assert not missing, f"message lacks {missing}:\n{text}"
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_enormous_file_is_refused_by_its_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "huge.yaml"
    row = "  - {name: s%d, count: 1}\n"
    with big.open("w") as fh:
        fh.write("name: huge\npopulation:\n strata:\n")
        i = 0
        while fh.tell() <= MAX_FILE_BYTES:
            fh.write(row % i)
            i += 1
    code, text = _validate(big, capsys)
    assert code == 2 and "huge.yaml" in text and f"the limit is {MAX_FILE_BYTES:,} bytes" in text


def test_many_values_under_the_size_limit_are_refused_before_parsing(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    many = tmp_path / "many.yaml"
    many.write_text("name: many\ndescription: [" + "1," * (MAX_NODES + 10) + "1]\n")
    assert many.stat().st_size <= MAX_FILE_BYTES
    code, text = _validate(many, capsys)
    assert code == 2 and f"the limit is {MAX_NODES:,}" in text


def test_merge_keys_may_be_overridden_without_duplicate_errors(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    ok = tmp_path / "merge.yaml"
    ok.write_text("name: merge\ncounties:\n  - &c {name: a, inspectors: 2}\n  - {<<: *c, name: b}\n")
    code, text = _validate(ok, capsys)
    assert code == 0, text


@pytest.mark.parametrize("name", ["python_object_apply.yaml", "billion_laughs.yaml", "pop_bad_number.yaml"])
def test_the_real_command_line_gives_the_same_message(name: str) -> None:
    res = subprocess.run([sys.executable, "-m", "sim", "validate", str(HERE / name)], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert all(s in res.stderr for s in EXPECTED[name]), res.stderr


def test_out_of_range_command_line_setting_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scen = tmp_path / "ok.yaml"
    scen.write_text("name: ok\nreplications: 2\n")
    code = main(["run", str(scen), "--replications", "200000", "--out", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "key 'replications': set on the command line: must be at most 100000 (got 200000)" in err
    assert not (tmp_path / "out").exists()

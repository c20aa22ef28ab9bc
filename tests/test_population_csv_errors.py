"""A malformed line of a population CSV is named by its row and column (issue break 9).

An unclosed quote used to swallow every following line into one field, until Python's csv module gave up
with "field larger than field limit (131072)" (exit 1, no row). Each line is now one row, parsed on its
own: a quote left open, text after a closing quote, a NUL byte or an oversized field is an error at that
row and column, and the other rows are still checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main

HEADER = "id,county,size_class,priority,workers,cash_yuan,fixed_cost_per_day,revenue_per_day,margin\n"
GOOD = "f{i},north,sme,normal,20,100000,2000,30000,0.15\n"
SCENARIO = """\
name: csv
counties: [{name: north}, {name: south}]
population:
  csv: firms.csv
"""


def _write(tmp_path: Path, rows: list[str]) -> Path:
    (tmp_path / "firms.csv").write_text(HEADER + "".join(rows), encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    return path


def _validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err
    return code, err


def test_an_unclosed_quote_in_a_large_file_names_its_row_and_column(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    rows = [GOOD.format(i=i) for i in range(3000)]  # about 140 KB after the bad row: past the csv field limit
    rows[1] = 'f1,"north,sme,normal,20,100000,2000,30000,0.15\n'
    code, err = _validate(_write(tmp_path, rows), capsys)
    assert code == 2
    assert "field larger than field limit" not in err
    assert "firms.csv:3:2: column 'county': the quote opened here is not closed on its line" in err, err
    assert err.count("firms.csv:") == 1  # the rows after it are read on their own, and they are fine


def test_every_malformed_line_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [GOOD.format(i=0), 'f1,"north"x,sme,normal,20,100000,2000,30000,0.15\n', GOOD.format(i=2),
            "f3,north,sme,normal,2\x000,100000,2000,30000,0.15\n", 'f4,north,sme,normal,20,100000,2000,30000,"0.15\n']
    code, err = _validate(_write(tmp_path, rows), capsys)
    assert code == 2
    assert "firms.csv:3:2: column 'county': text after the closing quote" in err, err
    assert "firms.csv:5:5: column 'workers': a NUL character" in err, err
    assert "firms.csv:6:9: column 'margin': the quote opened here is not closed on its line" in err, err


def test_a_field_past_the_limit_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [GOOD.format(i=0), "f1,north,sme,normal,20,100000,2000,30000," + "9" * 200_000 + "\n"]
    code, err = _validate(_write(tmp_path, rows), capsys)
    assert code == 2
    assert "firms.csv:3:9: column 'margin': the value is longer than 131,072 characters" in err, err


def test_quoted_values_with_commas_and_doubled_quotes_still_read(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    rows = ['"f,0",north,sme,normal,20,100000,2000,30000,0.15\n', '"f""1",south,micro,normal,5,1000,10,100,0.2\n']
    code, err = _validate(_write(tmp_path, rows), capsys)
    assert code == 0, err

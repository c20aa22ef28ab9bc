"""A failing test is reported, and the tests after it run, when pytest's traceback format fails (tests/tracebacks.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parent.parent

# pytest's traceback format fails as on CPython 3.11.7 (issue 106905) in the test file's own process
FAILING = '''
import _pytest._code.code

def crash(*args, **kwargs):
    raise SystemError("AST constructor recursion depth mismatch (before=63, after=62)")

_pytest._code.code.getstatementrange_ast = crash

def test_first():
    assert 1 + 1 == 3, "the failure to report"

def test_after():
    pass
'''


@pytest.mark.parametrize("hook", [True, False], ids=["with the hook", "without it"])
def test_a_failure_is_reported_in_pythons_format_when_pytests_own_fails(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, hook: bool) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makepyfile(test_inner=FAILING)
    plugins = ["-p", "tests.tracebacks"] if hook else []
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", *plugins)
    out = result.stdout.str()
    if hook:
        result.assert_outcomes(failed=1, passed=1)
        assert "the failure to report" in out and "INTERNALERROR" not in out, out
        assert "pytest's traceback format failed" in out, out
        failure = out.split("FAILURES")[1]  # Python's format from the test's own frame, without pytest's
        assert 'in test_first\n    assert 1 + 1 == 3' in failure and "pluggy" not in failure, out
    else:  # the crash the hook is for: no failure reported, the test after it not run
        assert "INTERNALERROR" in out and "AST constructor recursion depth mismatch" in out, out
        assert "1 passed" not in out, out

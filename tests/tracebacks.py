"""A failure is reported even when pytest cannot draw its traceback.

pytest draws a failure's traceback from the source of each frame, which it parses with ``ast``. On
CPython 3.11.7 (and 3.12.1) ``ast.parse`` can raise "SystemError: AST constructor recursion depth mismatch"
when a traceback passes through deep frames (CPython issue 106905): pytest then stops with an INTERNALERROR,
prints no failure, and skips every test after it. Seen on this project's machines under load, where a Dask
test's failure was hidden that way. The hook below makes that report again in Python's own format
(``--tb=native``, which reads no source with ``ast``); every other report keeps pytest's format.
"""

from __future__ import annotations

import traceback
from collections.abc import Generator
from pathlib import Path
from types import TracebackType
from typing import Any

import _pytest
import pluggy
import pytest

_AST_BUG = "AST constructor recursion depth mismatch"
# frames of pytest's and pluggy's own, left out of the traceback shown, as pytest's format leaves them out
_RUNNER = tuple(str(Path(package.__file__).parent) for package in (_pytest, pluggy))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    error = outcome.excinfo[1] if outcome.excinfo else None
    if not (isinstance(error, SystemError) and _AST_BUG in str(error)):
        return
    option = item.config.option
    style = getattr(option, "tbstyle", "auto")
    option.tbstyle = "native"
    try:
        report = pytest.TestReport.from_item_and_call(item, call)
    finally:
        option.tbstyle = style
    if call.excinfo is not None:
        report.longrepr = "".join(traceback.format_exception(call.excinfo.type, call.excinfo.value,
                                                                _from_the_test(call.excinfo.tb)))
    report.sections.append(("traceback", f"pytest's traceback format failed ({error}); Python's is shown instead"))
    outcome.force_result(report)


def _from_the_test(tb: TracebackType | None) -> TracebackType | None:
    """The traceback from its first frame outside pytest and pluggy."""
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_RUNNER):
        tb = tb.tb_next
    return tb

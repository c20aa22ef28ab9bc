"""Which model a page's figures come from: the hash of the regression baseline, stamped on the page.

The regression baseline (``tests/baseline/summary.csv``, refreshed on purpose by
``tests/baseline/refresh.py``) changes whenever a change to the model changes its
results. A page made from runs carries the baseline's sha256 in a stamp; a page
whose stamp differs from the baseline in the repository was made with another
model and must be generated again (``tests/test_docs.py`` fails until it is).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from docgen import DOCS, ROOT

BASELINE = ROOT / "tests" / "baseline" / "summary.csv"
_STAMP = re.compile(r"<!-- made from runs on the model whose regression baseline has sha256 ([0-9a-f]{64}) -->")


def baseline_hash(path: Path = BASELINE) -> str:
    """sha256 of the baseline file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stamp(digest: str) -> str:
    """The line a generated page carries (an HTML comment: invisible on the site, found by the test)."""
    return f"<!-- made from runs on the model whose regression baseline has sha256 {digest} -->"


def stamp_of(text: str) -> str | None:
    """The baseline hash a page was made with, or None for a page not made from runs."""
    found = _STAMP.search(text)
    return found.group(1) if found else None


def stamped_pages(docs: Path = DOCS) -> dict[Path, str]:
    """Every page made from runs, with the baseline hash it carries."""
    out: dict[Path, str] = {}
    for page in sorted(docs.rglob("*.md")):
        digest = stamp_of(page.read_text(encoding="utf-8"))
        if digest is not None:
            out[page] = digest
    return out


def stale_pages(docs: Path = DOCS, baseline: Path = BASELINE) -> list[Path]:
    """Pages made with another model than the one whose baseline is ``baseline``."""
    current = baseline_hash(baseline)
    return [page for page, digest in stamped_pages(docs).items() if digest != current]

"""The documentation's generator: every figure on a findings page comes from a run it records.

``python docs/generate.py`` runs the commands of each study (a scenario file,
its replications and seed, the command line shown on the page), keeps what the
pages need in ``docs/_records/*.json`` and renders the pages from those records
and the templates in ``docs/_templates/``. The scenario reference and the model's
pages are rendered from the code's own declarations (the schema, the modules of
``sim/model/registry.py``). Each page made from runs carries the sha256 of the
regression baseline (``tests/baseline/summary.csv``) it was made with, so that a
test fails when the model's results have changed since (:mod:`docgen.baseline`).
"""

from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent
ROOT = DOCS.parent
TEMPLATES = DOCS / "_templates"
RECORDS = DOCS / "_records"

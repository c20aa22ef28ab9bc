"""What a replication's result depends on, hashed: the key of a finished replication in the store.

A replication is determined by its fully resolved scenario (seed included;
not the number of replications, which does not change replication r),
its replication index, the model's source code and, for a scenario that reads
its firms from a CSV, the content of that file. The store keys every result by
a hash of all of them, so a changed model or population never reuses an old
result: it is rerun, and the run says so.

A population CSV is read once per run (:class:`Populations`): every
replication gets the same parsed firms, and the hash is of what was parsed,
so editing the file during a run changes nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from sim import __version__
from sim.population import Population, read_population_csv
from sim.scenario.loader import LoadedScenario
from sim.scenario.schema import Scenario

# the source that decides a replication's result (relative to the package folder)
MODEL_SOURCES = ("model", "scenario", "population.py", "random_streams.py",
                 "results/run_result.py", "experiment/runner.py")


@functools.lru_cache(maxsize=1)
def model_fingerprint() -> str:
    """sha256 of the source files that decide a run's result."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for name in MODEL_SOURCES:
        target = root / name
        files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
        for f in files:
            digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


def population_digest(pop: Population) -> str:
    """sha256 of every attribute of a parsed population (its content, not its file name)."""
    digest = hashlib.sha256()
    for name, value in sorted(vars(pop).items()):
        digest.update(name.encode() + b"\0")
        if isinstance(value, np.ndarray):
            digest.update(str(value.dtype).encode() + b"\0" + np.ascontiguousarray(value).tobytes())
        else:
            digest.update(repr(value).encode())
        digest.update(b"\0")
    return digest.hexdigest()


class Populations:
    """Populations read from CSV files, each file read once per run and hashed."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[Population, str]] = {}

    def get(self, scenario: Scenario) -> tuple[Population | None, str | None]:
        """The scenario's CSV population and its digest; (None, None) for a population drawn from strata."""
        csv = scenario.population.csv
        if csv is None:
            return None, None
        # the parsed firms depend on the file and on the county names they are matched to
        key = (str(csv), tuple(c.name for c in scenario.counties))
        if key not in self._cache:
            pop = read_population_csv(Path(csv), scenario)
            self._cache[key] = (pop, population_digest(pop))
        return self._cache[key]


def experiment_fingerprint(loaded: LoadedScenario) -> str:
    """Hash of an experiment's scenario (every variant, the seed), except how many replications it has:
    the identity of a run in its results folder, which ``--resume`` (with more replications, or fewer)
    continues."""
    variants = [(name, sc.model_dump(mode="json", by_alias=True, exclude={"replications"}))
                for name, sc in loaded.all_variants()]
    text = json.dumps({"variants": variants}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scenario_identity(scenario: Scenario, population: str | None) -> dict[str, Any]:
    """Everything a replication of ``scenario`` depends on, besides its index: hashed into the run key.

    How many replications the scenario asks for is left out: replication r is the same whatever
    the count, so ``--resume`` with more (or fewer) replications reuses the ones that finished.
    """
    return {"model": "sim", "version": __version__, "code": model_fingerprint(), "population_csv": population,
            "scenario": scenario.model_dump(mode="json", by_alias=True, exclude={"replications"})}

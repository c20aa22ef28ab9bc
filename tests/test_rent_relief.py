"""Rent relief for small tenants of state-owned premises (sim/model/money/rent_relief.py).

Tiny deterministic scenarios: a firm of 10 workers has a fixed cost of 1,200 yuan a day, of which rent is
10 % (120 yuan a day); with the default periods (rent free from day 0 to 26, half from 26 to 87) the rent
waived up to day d is known exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model.world import run_replication
from sim.scenario.schema import Scenario
from tests.conftest import tiny

RENT = 1200.0 * 0.10  # yuan a day


def _firm(size: str = "sme", runway: float = 1000.0) -> dict[str, object]:
    return {"name": "s", "count": 1, "workers": 10, "readiness": 1.0, "nonlocal_share": 0.0,
            "cash_runway_days": runway, "size_class": size}


def _run(relief: dict[str, object], size: str = "sme", runway: float = 1000.0, horizon: float = 30.0,
         **overrides: object) -> dict:  # type: ignore[type-arg]
    sc = tiny(population={"strata": [_firm(size, runway)]}, horizon_days=horizon,
              policies={"relief": {"rent_relief": relief}}, **overrides)
    return run_replication(sc, "base", 0).outcomes


def test_a_tenant_pays_no_rent_then_half_rent() -> None:
    on = _run({"enabled": True, "tenant_share": 1.0})
    off = _run({"enabled": False})
    waived = RENT * 26 + RENT * 0.5 * (30 - 26)
    assert math.isclose(on["rent_waived"][0], waived, rel_tol=1e-12)
    assert math.isclose(off["costs"][0] - on["costs"][0], waived, rel_tol=1e-9)
    assert np.isnan(off["rent_waived"][0])
    # the cash books still balance: what is waived is never paid, not paid back
    assert math.isclose(on["cash_end"][0] - off["cash_end"][0], waived, rel_tol=1e-9)


def test_only_tenants_of_the_named_size_classes_are_relieved() -> None:
    assert np.isnan(_run({"enabled": True, "tenant_share": 1.0}, size="above_scale")["rent_waived"][0])
    assert np.isnan(_run({"enabled": True, "tenant_share": 0.0})["rent_waived"][0])


def test_rent_relief_delays_a_failure_by_the_rent_it_saves() -> None:
    # closed all along (a review of 100 days): cash of 12 days of fixed cost, burnt in the first pay period at
    # the fixed cost less the deferred taxes (1,080 a day): 12 × 1200 / 1080 days; less the rent too (960 a day)
    off = _run({"enabled": False}, runway=12.0, approval={"review_days": 100.0})
    on = _run({"enabled": True, "tenant_share": 1.0}, runway=12.0, approval={"review_days": 100.0})
    assert math.isclose(off["failure_day"][0], 12.0 * 1200.0 / 1080.0, rel_tol=1e-9)
    assert math.isclose(on["failure_day"][0], 12.0 * 1200.0 / 960.0, rel_tol=1e-9)


def test_the_draw_of_tenants_follows_the_share() -> None:
    # 2,000 SMEs, a fifth of them tenants: within 3 binomial standard errors
    n, share = 2000, 0.2
    sc = tiny(population={"strata": [{**_firm(), "count": n}]}, horizon_days=5.0,
              policies={"relief": {"rent_relief": {"enabled": True, "tenant_share": share}}})
    r = run_replication(sc, "base", 0)
    tenants = int(np.isfinite(r.outcomes["rent_waived"]).sum())
    assert abs(tenants / n - share) <= 3 * math.sqrt(share * (1 - share) / n)
    assert r.summary["rent_relief_firms"] == tenants
    assert math.isclose(r.summary["rent_relief_yuan"], tenants * RENT * 5.0, rel_tol=1e-9)


def test_bad_periods_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        Scenario.model_validate({"policies": {"relief": {"rent_relief": {"periods": [
            {"start_day": 0, "end_day": 30, "waived": 1.0}, {"start_day": 20, "end_day": 60, "waived": 0.5}]}}}})
    with pytest.raises(ValueError, match="must come after start_day"):
        Scenario.model_validate({"policies": {"relief": {"rent_relief": {"periods": [
            {"start_day": 10, "end_day": 5}]}}}})

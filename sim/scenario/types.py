"""Field types shared by the scenario's sections: durations drawn from a distribution, probabilities,
factors and days, each with its bounds declared once."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from sim.scenario.distributions import Distribution, coerce_distribution

Dist = Annotated[Distribution, BeforeValidator(coerce_distribution)]
Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Factor = Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)]
Day = Annotated[float, Field(ge=0.0, le=3650.0, allow_inf_nan=False)]
BySize = dict[str, Probability]

"""Schema of ``policies:``, the levers a planner compares, each chosen by name from a registry.

``approval`` and ``coverage`` are one of the settings classes the registry
lists (:data:`sim.model.registry.PROCEDURES`, ``COVERAGE``), chosen by their
``name``; ``relief`` holds every relief measure of
:data:`sim.model.registry.RELIEF` by its name, each with ``enabled`` and its
own settings; ``loans`` (bank lending: the green channel beside the ordinary
channel) and ``workforce`` (worker return) hold their levers. A new policy adds its settings class to the registry:
nothing here changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field, create_model

from sim.model.money.loans import LoanPolicy
from sim.model.registry import COVERAGE, PROCEDURES, RELIEF
from sim.model.workforce import WorkforcePolicy
from sim.scenario.params import Strict


def _named_union(choices: tuple[type[Any], ...]) -> Any:
    """The settings classes of a registry, told apart by their ``name``."""
    return Annotated[Union[choices], Field(discriminator="name")]  # noqa: UP007 (a union built from a tuple)


_Relief = create_model(  # every registered measure, by its name
    "Relief", __base__=Strict,
    **{m.name: (m.Config, Field(default_factory=m.Config, description=(m.Config.__doc__ or "").strip()))
       for m in RELIEF},  # type: ignore[call-overload]
)
_Relief.__doc__ = "Relief measures of the city's 15 articles (15条), each by its name; a measure acts while enabled."

if TYPE_CHECKING:
    Relief = Any  # built from the registry: its fields are the measures' names
    from sim.model.approval import FastTrackApproval, StandardApproval
    from sim.model.cadres.coverage import NoCoverage, OnePlusOnePlusOne

    ApprovalPolicy = StandardApproval | FastTrackApproval
    CoveragePolicy = NoCoverage | OnePlusOnePlusOne
else:
    ApprovalPolicy = _named_union(PROCEDURES)
    CoveragePolicy = _named_union(COVERAGE)
    Relief = _Relief


class Policies(Strict):
    """The levers a planner compares."""

    approval: ApprovalPolicy = Field(default_factory=PROCEDURES[0], description="the approval procedure, by name: "
                                     + ", ".join(p.model_fields["name"].default for p in PROCEDURES))
    coverage: CoveragePolicy = Field(default_factory=COVERAGE[1], description="who gets cadres, by name: "
                                     + ", ".join(p.model_fields["name"].default for p in COVERAGE))
    loans: LoanPolicy = Field(default_factory=LoanPolicy)
    relief: Relief = Field(default_factory=_Relief, description=_Relief.__doc__)
    workforce: WorkforcePolicy = Field(default_factory=WorkforcePolicy)


__all__ = ["ApprovalPolicy", "CoveragePolicy", "Policies", "Relief"]

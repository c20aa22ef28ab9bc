"""The mechanisms a city is made of, and the policies a scenario chooses from by name.

:data:`MODULES` is the list a :class:`~sim.model.world.City` builds, in this
order; the order is the order in which the modules hear each hook (a firm
restarting: production records it, then workforce calls its workers back,
then problems plan their arrivals). :data:`RELIEF` are the relief measures
of ``policies.relief`` (each built, acting when enabled). The policy
registries (:data:`PROCEDURES`, :data:`COVERAGE`) are the settings classes
``policies.approval`` and ``policies.coverage`` choose from by ``name``; each
builds its behaviour.

A new mechanism is a new module file and a line here; a new policy is a new
settings class (with its ``build``) and a line here.
"""

from __future__ import annotations

from sim.model.approval import ApprovalModule, FastTrackApproval, StandardApproval
from sim.model.cadres import CadresModule
from sim.model.cadres.coverage import NoCoverage, OnePlusOnePlusOne
from sim.model.constraints import ConstraintsModule
from sim.model.demand import DemandModule
from sim.model.inspection import InspectionModule
from sim.model.module import Module
from sim.model.money.loans import LoansModule
from sim.model.money.module import MoneyModule
from sim.model.money.relief import (
    PowerCostCut,
    ReliefMeasure,
    TargetedSupport,
    TaxDeferral,
    TrainingSubsidy,
    UnemploymentInsuranceRefund,
)
from sim.model.money.rent_relief import RentRelief
from sim.model.network import NetworkModule
from sim.model.offices import OfficesModule
from sim.model.outbreak import OutbreakModule
from sim.model.preparation import PreparationModule
from sim.model.problems import ProblemsModule
from sim.model.production import ProductionModule
from sim.model.projects import ProjectsModule
from sim.model.reopening import ReopeningModule
from sim.model.workforce import WorkforceModule

MODULES: tuple[type[Module], ...] = (
    ProductionModule,
    OfficesModule,
    ApprovalModule,
    ProjectsModule,
    InspectionModule,
    PreparationModule,
    CadresModule,
    WorkforceModule,
    ProblemsModule,
    NetworkModule,
    DemandModule,
    ReopeningModule,
    MoneyModule,
    LoansModule,
    OutbreakModule,
    ConstraintsModule,
)

RELIEF: tuple[type[ReliefMeasure], ...] = (
    UnemploymentInsuranceRefund,
    TaxDeferral,
    PowerCostCut,
    TrainingSubsidy,
    TargetedSupport,
    RentRelief,
)

PROCEDURES = (StandardApproval, FastTrackApproval)
COVERAGE = (NoCoverage, OnePlusOnePlusOne)


def all_modules() -> tuple[type[Module], ...]:
    """Every module a city builds, in order: the mechanisms, then the relief measures."""
    return MODULES + RELIEF

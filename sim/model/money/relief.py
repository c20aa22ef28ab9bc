"""Relief measures of the city's 15 articles (15条), each acting on the cost or the cash it relieves.

A measure is a module chosen by name under ``policies.relief`` (see
:data:`sim.model.registry.RELIEF`); each has ``enabled`` and its own settings,
and acts on firms' cash through the money module's interface only:

- ``unemployment_insurance_refund``: a share of last year's premiums refunded
  on a day, to firms still in business;
- ``tax_deferral``: taxes deferred until a day, then paid back in one sum;
- ``power_cost_cut``: a cut of the power bill on power actually used;
- ``training_subsidy``: a subsidy per trained worker, paid on a day;
- ``targeted``: discounted loans or subsidies for the firms closest to a cash
  shortfall on their day (西丰: 1.2亿 for 4 firms).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

import numpy as np
from pydantic import Field

from sim.model.firm_classes import size_code
from sim.model.module import City, Metric, Module, ResultView
from sim.model.money.cash import Window
from sim.scenario.params import Strict, param
from sim.scenario.types import Day, Probability

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise
    from sim.scenario.population_schema import County


class Money(Protocol):
    def add_window(self, window: Window, firms: np.ndarray | None = None) -> None: ...
    def add_revenue_relief(self, share: float) -> None: ...
    def receive_relief(self, ent: Enterprise, amount: float) -> None: ...
    def take_loan(self, ent: Enterprise, amount: float, annual_rate: float, term_days: float) -> None: ...
    def time_to_shortfall(self, ent: Enterprise, now: float) -> float: ...
    def headroom(self, ent: Enterprise) -> float: ...
    def cost_per_day(self, ent: Enterprise) -> float: ...
    def waived(self, ent: Enterprise, window: Window) -> float: ...


class MeasureConfig(Strict):
    """Settings every relief measure has."""

    enabled: bool = param(True, unit="yes/no", meaning="the measure is in force", provenance="source: the city's 15 articles (15条)")


def at(city: City, day: float, action: Callable[[], None]) -> None:
    """Run ``action`` on ``day`` (now, if the day has passed)."""
    ev = city.env.timeout(max(0.0, day - city.env.now))
    ev.callbacks.append(lambda _ev: action())


class ReliefMeasure(Module):
    """Base of the relief measures, each built from ``policies.relief.<name>``.

    Every registered measure is built (so that every variant's results have the same columns);
    one that is not ``enabled`` does nothing. A measure acts in :meth:`enact` (before the firms
    join: cost windows, shares of revenue) and :meth:`schedule` (once every firm is built: payments
    on their days).
    """

    Config: ClassVar[type[MeasureConfig]] = MeasureConfig

    def __init__(self, city: City, config: MeasureConfig) -> None:
        super().__init__(city)
        self.config = config

    def connect(self, money: Money) -> None:
        self.money = money
        if self.config.enabled:
            self.enact()

    def start(self) -> None:
        if self.config.enabled:
            self.schedule()

    def enact(self) -> None:
        """Act on the money module before any firm joins (override where the measure does)."""

    def schedule(self) -> None:
        """Schedule the measure's payments once every firm is built (override where the measure does)."""


class PaymentPerWorker(ReliefMeasure):
    """A measure that pays every firm still in business an amount per worker on one day."""

    def payment(self) -> tuple[float, float] | None:
        """(day, yuan per worker) of the payment; None when nothing is paid."""
        raise NotImplementedError

    def schedule(self) -> None:
        due = self.payment()
        if due is not None and due[0] < self.city.horizon:
            day, per_worker = due
            at(self.city, day, lambda: self._pay(per_worker))

    def _pay(self, per_worker: float) -> None:
        for ent in self.city.enterprises:
            self.money.receive_relief(ent, per_worker * ent.workers)


# -- the measures ---------------------------------------------------------------------------------


class RefundConfig(MeasureConfig):
    """Refund of unemployment-insurance premiums to firms that keep their staff (稳岗返还)."""

    share: Probability = param(0.5, unit="share of premiums", meaning="share of last year's unemployment-insurance premiums refunded to firms that keep staff",
                               provenance="source: 15条, refund of 50% of last year's premiums")
    premium_per_worker_year: float = param(420.0, unit="yuan/worker/year", meaning="unemployment-insurance premium paid per worker last year",
                                           provenance="assumption: 0.7% of a 60,000-yuan wage", ge=0, allow_inf_nan=False)
    day: Day = param(30.0, unit="day", meaning="day the refund is paid (to firms still in business)",
                     provenance="assumption")


class UnemploymentInsuranceRefund(PaymentPerWorker):
    name = "unemployment_insurance_refund"
    SECTIONS = {"config": "policies.relief.unemployment_insurance_refund"}
    Config = RefundConfig
    config: RefundConfig

    def payment(self) -> tuple[float, float] | None:
        c = self.config
        return (c.day, c.share * c.premium_per_worker_year) if c.share > 0 else None


class DeferralConfig(MeasureConfig):
    """Taxes deferred (延期缴纳税款): due later, not forgiven."""

    until_day: Day = param(60.0, unit="day", meaning="taxes fall due from this day; before it they are deferred",
                           provenance="source: 15条 延期缴纳税款 (length assumed)")
    repaid: bool = param(True, unit="yes/no", meaning="deferred taxes are paid back in one sum when the deferral ends",
                         provenance="policy: a deferral (延期缴纳) moves the due date, it does not forgive the tax")


class TaxDeferral(ReliefMeasure):
    name = "tax_deferral"
    SECTIONS = {"config": "policies.relief.tax_deferral"}
    Config = DeferralConfig
    config: DeferralConfig

    def enact(self) -> None:
        c = self.config
        self.money.add_window(Window("taxes", 0.0, 0.0, c.until_day, deferred=True, repaid=c.repaid))


class PowerConfig(MeasureConfig):
    """A cheaper power bill (降低企业用电成本), on power actually used."""

    power_share_of_revenue: Probability = param(0.03, unit="share of revenue", meaning="power bill per yuan of revenue while producing",
                                                provenance="assumption: a light-manufacturing power bill")
    cut: Probability = param(0.1, unit="share", meaning="cut in the power bill, on power actually used (only while open)",
                             provenance="source: 15条 降低企业用电成本 (size assumed)")


class PowerCostCut(ReliefMeasure):
    name = "power_cost_cut"
    SECTIONS = {"config": "policies.relief.power_cost_cut"}
    Config = PowerConfig
    config: PowerConfig

    def enact(self) -> None:
        self.money.add_revenue_relief(self.config.power_share_of_revenue * self.config.cut)


class TrainingConfig(MeasureConfig):
    """The online vocational-training subsidy."""

    per_worker: float = param(300.0, unit="yuan/worker", meaning="online training subsidy per trained worker",
                              provenance="source: 300 yuan a person for online vocational training", ge=0, allow_inf_nan=False)
    trained_share: Probability = param(0.1, unit="share of workers", meaning="share of workers who take the online training",
                                       provenance="assumption")
    paid_day: Day = param(45.0, unit="day", meaning="day the training subsidy is paid (to firms still in business)",
                          provenance="assumption: paid after the February-March courses")


class TrainingSubsidy(PaymentPerWorker):
    name = "training_subsidy"
    SECTIONS = {"config": "policies.relief.training_subsidy"}
    Config = TrainingConfig
    config: TrainingConfig

    def payment(self) -> tuple[float, float] | None:
        c = self.config
        per_worker = c.per_worker * c.trained_share
        return (c.paid_day, per_worker) if per_worker > 0 else None


class TargetedLoan(Strict):
    """A discounted loan or a subsidy for the firms in the worst cash position (西丰: 1.2亿 for 4 firms)."""

    county: str | None = Field(None, description="county of the firms; empty: any county")
    kind: Literal["loan", "subsidy"] = param("loan", unit="kind", meaning="a loan (paid back at the end of its term) or a subsidy (kept)",
                                             provenance="source: 西丰 贴息贷款 (loans) and the 突破西北 subsidy")
    firms: int = param(4, unit="firms", meaning="number of firms that receive it: those with the shortest projected time to a cash shortfall on its day",
                       provenance="source: 西丰 4 firms", ge=0, le=1_000_000)
    size_classes: list[Literal["above_scale", "sme", "micro"]] = param(
        lambda: ["above_scale", "sme"], unit="size classes", meaning="size classes considered",
        provenance="assumption: the four named firms (众源医疗器械, 中敖清真, 昊军食品, 圆上圆) are manufacturers, not micro firms")
    amount_yuan: float = param(3.0e7, unit="yuan per firm", meaning="amount each firm receives",
                               provenance="source: 西丰 1.2亿 for 4 firms", ge=0, allow_inf_nan=False)
    interest_rate: float = param(0.0128, unit="per year", meaning="interest rate of a loan after the interest subsidy",
                                 provenance="literature: PBoC re-lending 2.56 %, about 1.28 % after the 50 % fiscal subsidy", ge=0, le=1)
    term_days: Day = param(365.0, unit="days", meaning="a loan is paid back this many days after it is disbursed",
                           provenance="assumption: one-year working-capital loans")
    day: Day = param(20.0, unit="day", meaning="day it is disbursed", provenance="assumption")


class TargetedConfig(MeasureConfig):
    """Targeted discounted loans and subsidies (西丰: 1.2亿 for 4 firms; a 200万 subsidy)."""

    grants: list[TargetedLoan] = Field(default_factory=list, description="each a loan or a subsidy for a number of firms on a day")


class TargetedSupport(ReliefMeasure):
    name = "targeted"
    SECTIONS = {"config": "policies.relief.targeted", "counties": "counties"}
    Config = TargetedConfig
    config: TargetedConfig
    METRICS = (
        Metric("targeted_loan_amount", "targeted discounted loans (西丰), yuan", ("targeted loans, yuan", "定向贴息贷款（元）"),
               "yuan", "yuan"),
    )

    def __init__(self, city: City, config: TargetedConfig, counties: list[County]) -> None:
        super().__init__(city, config)
        self.county_names = [c.name for c in counties]
        self.loans = 0.0

    def schedule(self) -> None:
        for k, grant in enumerate(self.config.grants):
            if grant.day < self.city.horizon:
                at(self.city, grant.day, lambda k=k: self._grant(k))  # type: ignore[misc]

    def _grant(self, k: int) -> None:
        """A targeted loan or subsidy goes to the firms closest to a cash shortfall on its day."""
        t = self.config.grants[k]
        now = self.city.env.now
        money = self.money
        county = None if t.county is None else self.county_names.index(t.county)
        sizes = {size_code(s) for s in t.size_classes}
        ranked: list[tuple[float, float, int]] = []
        for ent in self.city.enterprises:
            if ent.failed or ent.size_class not in sizes or (county is not None and ent.county != county):
                continue
            days_left = money.time_to_shortfall(ent, now)
            # shortest time to a shortfall first; among firms never short, the thinnest cash cover
            ranked.append((days_left, money.headroom(ent) / max(money.cost_per_day(ent), 1e-9), ent.i))
        ranked.sort()
        firms = 0  # a cohort counts its members, and is taken only whole
        for _, _, i in ranked:
            ent = self.city.enterprises[i]
            if firms + ent.members > t.firms:
                if firms >= t.firms:
                    break
                continue
            firms += ent.members
            if t.kind == "subsidy":
                money.receive_relief(ent, t.amount_yuan)
            else:
                money.take_loan(ent, t.amount_yuan, t.interest_rate, t.term_days)
                self.loans += t.amount_yuan * ent.members

    def summary(self, view: ResultView) -> dict[str, float]:
        return {"targeted_loan_amount": float(self.loans)}

"""Money: every firm's cash, what it costs to stay alive, and failure (DESIGN section 4, step 8).

Each firm has a :class:`~sim.model.money.cash.CashAccount`: cash at day 0
(the runway survey of February 2020), fixed costs by component (wages under
the stoppage rule, rent, interest, other costs, taxes), income from
production, relief. Cash is piecewise linear between known breakpoints, so
the moment it would fall to the failure level (minus the firm's credit
line) is solved for and one timer is set for it; a watcher (the bank) may
ask to be woken earlier, when the shortfall comes within the time a loan
takes. A firm whose cash and credit cannot cover what it owes fails.

Relief measures (:mod:`sim.model.money.relief`) act through this module's
interface: lump sums paid to a firm, a cut of a cost component for a while
(:class:`~sim.model.money.cash.Window`), a share of revenue relieved.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Protocol

import numpy as np
from pydantic import Field, model_validator

from sim.model.enterprise import FAILED, OPEN
from sim.model.firm_classes import SIZE_CLASSES, by_size, check_size_keys
from sim.model.module import City, Metric, Module, ResultView, Series
from sim.model.money.cash import CashAccount, CostRates, Window
from sim.model.records import Outcome, level_at_days
from sim.model.sectors import accounts as sector_accounts
from sim.model.sectors import check_sector
from sim.scenario.distributions import Distribution, empirical
from sim.scenario.params import Strict, param
from sim.scenario.types import Day, Dist, Probability

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise


class CostShares(Strict):
    """What a firm's fixed cost is made of (shares of ``fixed_cost_per_worker_day``; other = the rest)."""

    wages: Probability = param(0.65, unit="share of fixed cost", meaning="wages (full while open and in the first pay period of a stoppage)",
                               provenance="assumption: about 2,300 yuan a month per worker of the 120 yuan/day default")
    rent: Probability = param(0.10, unit="share of fixed cost", meaning="rent of plant and offices",
                              provenance="assumption")
    interest: Probability = param(0.05, unit="share of fixed cost", meaning="interest on existing debt",
                                  provenance="assumption")
    taxes: Probability = param(0.10, unit="share of fixed cost", meaning="taxes and fees that may be deferred",
                               provenance="assumption")

    @model_validator(mode="after")
    def _at_most_one(self) -> CostShares:
        total = self.wages + self.rent + self.interest + self.taxes
        if total > 1.0 + 1e-9:
            raise ValueError(f"wages + rent + interest + taxes = {total:.3f}; the shares must not add up to more than 1")
        return self

    @property
    def other(self) -> float:
        return max(0.0, 1.0 - self.wages - self.rent - self.interest - self.taxes)


class ClosedCosts(Strict):
    """What a closed firm still pays of the cost components that follow activity (shares of the open firm's)."""

    taxes: Probability = param(
        0.3, unit="share of the open firm's taxes", meaning="taxes and fees a closed firm still pays (property, "
        "land-use and stamp taxes, fees; taxes on sales and profit stop with the sales)",
        provenance="literature: taxes on sales and profit (domestic VAT 6.23 and corporate income tax 3.73 of 15.80 "
                   "trillion yuan of tax revenue in 2019, 63 %: Ministry of Finance, 2019 public finance release) "
                   "stop when a firm sells nothing; the rest assumed to stay (range 0.1-0.5)")
    other: Probability = param(
        0.5, unit="share of the open firm's other costs", meaning="other fixed costs a closed firm still pays "
        "(upkeep, insurance, office) — power, water, transport and consumables of a running plant stop",
        provenance="assumption: half of the other costs follow activity (range 0.3-0.8)")


# Zhu Wuxiang's survey (Tsinghua/PKU, 995 SMEs, early Feb 2020): 34 % of firms had cash for at most
# one month, 33.1 % for about two, 17.9 % for about three, 9.96 % for six months or more. As cumulative
# shares of days of full fixed cost: the lower end (7 days) and the upper end (a year) are assumptions.
SME_RUNWAY = [(0.0, 7.0), (0.34, 30.0), (0.671, 60.0), (0.85, 90.0), (0.90, 180.0), (1.0, 365.0)]


def _default_runways() -> dict[str, Distribution]:
    return {
        "above_scale": empirical([(p, 2.0 * v) for p, v in SME_RUNWAY]),
        "sme": empirical(SME_RUNWAY),
        "micro": empirical(SME_RUNWAY),
    }


class Finance(Strict):
    """Cash at day 0, what costs are made of, what the law says about wages in a stoppage, credit lines."""

    cash_runway_days: dict[str, Dist] = param(
        _default_runways, unit="days of fixed cost by size class",
        meaning="cash at day 0, as days of full fixed cost it covers (a stratum may set its own)",
        provenance="literature: Zhu Wuxiang survey of 995 SMEs, Feb 2020 (34% <=1 month, 33.1% ~2, 17.9% ~3, 10% >=6); "
                   "above-scale: assumption, twice the SME runways (a Zhejiang survey of 5,211 industrial firms, 17-23 Feb 2020, "
                   "found 75% with a funding gap and 22.9% with ample cash flow)")
    costs: CostShares = Field(default_factory=CostShares)
    closed_cost_share: ClosedCosts = Field(default_factory=ClosedCosts)
    pay_period_days: Day = param(30.0, unit="days", meaning="a stoppage pays full wages for this long, then the living allowance",
                                 provenance="policy: 工资支付暂行规定 art. 12 and 人社厅发明电〔2020〕5号: full wage within the first pay period (one month) of a stoppage")
    living_allowance_share: Probability = param(0.45, unit="share of the wage", meaning="living allowance (生活费) paid per worker after the first pay period, as a share of the wage",
                                                provenance="assumption: 70% of a 1,480 yuan/month minimum wage (the rate of 人社厅明电〔2020〕5号-based provincial rules such as Fujian's; Liaoning's own rate not found) over a 2,300 yuan wage")
    credit_line_days: dict[str, Annotated[float, Field(ge=0, le=3650, allow_inf_nan=False)]] = param(
        lambda: {"above_scale": 15.0, "sme": 0.0, "micro": 0.0}, unit="days of fixed cost by size class",
        meaning="overdraft a firm may run before it fails (failure: cash plus credit line cannot cover what is owed)",
        provenance="assumption: above-scale firms hold bank credit lines, small firms rarely")
    wage_arrears_days: dict[str, Annotated[float, Field(ge=0, le=365, allow_inf_nan=False)]] = param(
        lambda: {"above_scale": 0.0, "sme": 30.0, "micro": 30.0}, unit="days of wages by size class",
        meaning="wages a firm closed by the stoppage may owe its workers before it fails (deferred by agreement); "
                "once it has restarted, it must be back within its credit line wage_arrears_repay_days later",
        provenance="policy: a firm short of cash may defer wages with its union's consent for at most a limit each "
                   "province sets (劳部发〔1995〕226号 art. 4; 15 to 30 days where published, Liaoning's not found), "
                   "and 人社部发〔2020〕8号 urged firms and workers to negotiate pay in the epidemic; assumption: one "
                   "pay period for small firms (range 15-30), none for above-scale firms, which hold credit lines")
    wage_arrears_repay_days: Day = param(
        30.0, unit="days", meaning="days after its first restart by which a firm must have paid its wage arrears "
        "(it fails then if its cash and credit line cannot cover them)",
        provenance="policy: a deferred wage is paid within the deferral limit (劳部发〔1995〕226号 art. 4: 15-30 "
                   "days); counted from the restart, as the stoppage's wages could not be paid from sales before it "
                   "(assumption, range 15-60)")
    receivable_delay_days: dict[str, Annotated[float, Field(ge=0, le=365, allow_inf_nan=False)]] = param(
        lambda: {"above_scale": 10.4, "sme": 10.4, "micro": 10.4}, unit="days by size class",
        meaning="extra days customers took to pay in the 2020 shock, on sales to firms until "
                "receivable_delay_until_day (ordinary terms are taken as cash-neutral across the stoppage: collections "
                "of the sales made before it pay for the inputs of the restart)",
        provenance="literature: NBS, above-scale collection period 58.8 days at end-May 2020, 10.4 more than a year "
                   "earlier; smaller firms: the same assumed (large buyers lengthen their small suppliers' terms, Bank "
                   "of China Research Institute 2022; range 0-20)")
    payable_delay_days: dict[str, Annotated[float, Field(ge=0, le=365, allow_inf_nan=False)]] = param(
        lambda: {"above_scale": 10.4, "sme": 10.4, "micro": 10.4}, unit="days by size class",
        meaning="extra days a firm took to pay for its inputs in the 2020 shock, until receivable_delay_until_day "
                "(a restarting firm's cash gap is its customers' delay on its sales to firms less its own delay on "
                "its inputs: a firm that buys more from firms than it sells to them gains)",
        provenance="assumption: one firm's late receivable is another's late payable, so by default firms paid as "
                   "late as they were paid; large buyers lengthening small suppliers' terms (Bank of China Research "
                   "Institute 2022, qualitative) is a lower value for small firms (range 0-10.4)")
    receivable_delay_until_day: Day = param(118.0, unit="day", meaning="sales after this day are paid on ordinary terms",
                                            provenance="literature: NBS, the collection period was back to +5.8 days by "
                                                       "end-2020 (end of May: day 118 assumed as the end of the shock)")
    sales_to_firms: dict[str, Probability] = param(
        lambda: {s: round(min(1.0, a.get("intermediate_use_share", 0.0) + a.get("export_share", 0.0)), 3)
                 for s, a in sector_accounts().items()},
        unit="share of sales", meaning="sector -> share of its sales to other firms (on terms; the rest is paid at once)",
        provenance="literature: NBS China input-output table 2018, intermediate use plus exports of each sector's "
                   "output (data/network/sector_accounts.csv)")
    wage_flex: Probability = param(
        0.5, unit="share of the wage bill", meaning="share of its wage bill an open firm cuts in proportion to the "
        "capacity it leaves idle (rotation, shorter hours, negotiated pay)", provenance="policy: 人社部发〔2020〕8号 "
        "let firms in difficulty negotiate pay, rotate staff and shorten hours (调整薪酬、轮岗轮休、缩短工时); share assumed, 0.2-0.8")
    input_price_premium: Probability = param(
        0.05, unit="share of the normal price", meaning="extra cost of inputs bought before input_price_premium_until_day "
        "(原材料涨价)", provenance="assumption: +5 % (0-15 %); national purchase prices fell (PPI) but the source names "
        "rising input prices, and goods bought in small lots at short notice cost more")
    input_price_premium_until_day: Day = param(57.0, unit="day", meaning="inputs bought from this day cost their normal "
                                               "price", provenance="assumption: February and March (day 57 = 31 March)")

    @model_validator(mode="after")
    def _size_classes(self) -> Finance:
        check_size_keys(self.cash_runway_days, "finance.cash_runway_days", complete=True)
        check_size_keys(self.credit_line_days, "finance.credit_line_days")
        check_size_keys(self.wage_arrears_days, "finance.wage_arrears_days")
        check_size_keys(self.receivable_delay_days, "finance.receivable_delay_days")
        check_size_keys(self.payable_delay_days, "finance.payable_delay_days")
        for key in self.sales_to_firms:
            check_sector(key, "finance.sales_to_firms")
        return self


class Watcher(Protocol):
    """Who wants to act before a firm's cash runs short (the bank: a loan application)."""

    def seek_time(self, ent: Enterprise, now: float, t_short: float) -> float: ...
    def on_seek(self, ent: Enterprise) -> None: ...


class MoneyModule(Module):
    """Cash accounts, cash timers and failures of every firm."""

    name = "money"
    SECTIONS = {"config": "finance"}
    OUTCOMES = (
        Outcome("failure_day", "f8", "cash plus credit line could not cover what was owed; closed for good"),
        Outcome("cash_start", "f8", "cash at day 0, yuan"),
        Outcome("cash_end", "f8", "cash at the horizon (at failure for failed firms), yuan"),
        Outcome("income", "f8", "sales paid for by customers, yuan"),
        Outcome("relief", "f8", "relief received: refunds, subsidies, power-bill cut, yuan"),
        Outcome("costs", "f8", "costs paid: inputs bought, wages or living allowance, rent, interest incl. loans', other, taxes due, yuan"),
        Outcome("loans_received", "f8", "loans received (bank and targeted), yuan"),
        Outcome("repayments", "f8", "loan principal paid back within the horizon, yuan"),
        Outcome("taxes_repaid", "f8", "deferred costs (taxes) paid back when their deferral ended, yuan"),
        Outcome("taxes_deferred_end", "f8", "deferred costs (taxes) still unpaid at the end (at failure for failed firms), yuan"),
        Outcome("loan_principal_after", "f8", "loan principal due after the horizon, yuan"),
        Outcome("loan_interest_after", "f8", "loan interest due after the horizon until the end of the term, yuan"),
    )
    METRICS = (
        Metric("failed_share", "share of enterprises that failed", ("failed", "倒闭企业占比"), "share", "share",
               "lower", 0.01, by=("size_class",), rank=7),
        Metric("failures", "enterprises that failed", ("failures", "倒闭企业数"), "firms", "count", "lower", 10.0),
        Metric("jobs_lost", "jobs of failed enterprises", ("jobs lost", "失去岗位数"), "jobs", "count", "lower", 100.0,
               rank=8, views=("headline", "scorecard", "comparison")),
        Metric("failed_before_restart", "enterprises that failed before they ever restarted",
               ("failed before restarting", "复工前倒闭"), "firms", "count", "lower", 10.0),
        Metric("failed_after_restart", "enterprises that failed after restarting",
               ("failed after restarting", "复工后倒闭"), "firms", "count", "lower", 10.0),
        Metric("relief_yuan", "relief paid in all (refunds, subsidies, power-bill cut), yuan",
               ("relief paid, yuan", "纾困补贴（元）"), "yuan", "yuan", cost=3),
        Metric("taxes_repaid", "deferred taxes paid back, yuan", ("deferred taxes paid back, yuan", "缓缴税款补缴（元）"),
               "yuan", "yuan"),
    )
    SERIES = (
        Series("failed_count", "firms failed by that day", ("Failures: firms closed for good", "倒闭企业数"), "firms"),
    )

    def __init__(self, city: City, config: Finance) -> None:
        super().__init__(city)
        self.config = config
        pop = city.pop
        n = pop.n
        self.fixed_cost: list[float] = pop.fixed_cost_per_day.tolist()
        self.revenue: list[float] = pop.revenue_per_day.tolist()
        self.margin: list[float] = pop.margin.tolist()
        self.credit_days = by_size(config.credit_line_days)
        self.accounts: list[CashAccount] = []
        self.fail_level = [0.0] * n
        self.arrears_days = by_size(config.wage_arrears_days)
        self.credit_level = [0.0] * n  # the failure level once wage arrears are due (minus the credit line)
        self.has_restarted = [False] * n
        self.version = [0] * n  # voids cash timers made stale by a later change
        self.due = [math.inf] * n  # when the pending cash timer fires (inf: none pending)
        self.kind = [""] * n
        self.revenue_relief = 0.0  # share of revenue relieved while producing (the power-bill cut)
        self.cap = [0.0] * n  # capacity in use at the last change (what income follows)
        self.to_firms = [config.sales_to_firms.get(s, 0.5) for s in pop.sector]
        # the restart's cash gap in days of revenue: sales to firms paid late, less inputs paid late
        late_in = [config.receivable_delay_days.get(size, 0.0) for size in SIZE_CLASSES]
        late_out = [config.payable_delay_days.get(size, 0.0) for size in SIZE_CLASSES]
        self.delay = [max(0.0, late_in[k] * f - late_out[k] * (1.0 - m))
                      for k, f, m in zip(pop.size_class.tolist(), self.to_firms, self.margin, strict=True)]
        self.windows: list[tuple[Window, np.ndarray | None]] = []  # cost windows and the firms they cover
        self.watcher: Watcher | None = None

    # -- what relief measures and lenders may do (called before firms are added) ------------------

    def add_window(self, window: Window, firms: np.ndarray | None = None) -> None:
        """Cut a cost component for a while, for the firms where ``firms`` is True (None: every firm)."""
        self.windows.append((window, firms))

    def add_revenue_relief(self, share: float) -> None:
        """Relieve ``share`` of the revenue a firm earns while producing (a cut of a bill that scales with output)."""
        self.revenue_relief += share

    def watch(self, watcher: Watcher) -> None:
        self.watcher = watcher

    def cost_rates(self, fixed_cost: float) -> CostRates:
        """A firm's fixed cost per day split into its components, with the wage rule."""
        config = self.config
        shares = config.costs
        wages = fixed_cost * shares.wages
        return CostRates(
            wages=wages, allowance=wages * config.living_allowance_share, rent=fixed_cost * shares.rent,
            interest=fixed_cost * shares.interest, other=fixed_cost * shares.other, taxes=fixed_cost * shares.taxes,
            pay_period=config.pay_period_days, wage_flex=config.wage_flex,
            # inputs bought dear in the first weeks (原材料涨价)
            input_premium=config.input_price_premium, premium_until=config.input_price_premium_until_day,
            closed_taxes=config.closed_cost_share.taxes, closed_other=config.closed_cost_share.other,
        )

    def add_firm(self, ent: Enterprise) -> None:
        i = ent.i
        windows = tuple(w for w, firms in self.windows if firms is None or firms[i])
        acct = CashAccount(float(self.city.pop.cash0[i]), self.cost_rates(self.fixed_cost[i]), windows)
        self.accounts.append(acct)
        self.credit_level[i] = -self.credit_days[ent.size_class] * self.fixed_cost[i]
        # closed by the stoppage, a firm may also owe its workers wages (repaid after its restart)
        self.fail_level[i] = self.credit_level[i] - self.arrears_days[ent.size_class] * acct.rates.wages
        self.city.outcomes["cash_start"][i] = acct.balance

    # -- the declared interface --------------------------------------------------------------------

    def balance(self, ent: Enterprise) -> float:
        """Cash now."""
        acct = self.accounts[ent.i]
        acct.advance(self.city.env.now)
        return acct.balance

    def receive_after(self, i: int, now: float) -> float:
        """Days by which 2020's late payers delayed the pay of a sale firm ``i`` makes on day ``now``, net of its own
        delay on its inputs (on average over its customers: households pay at once)."""
        if now < self.config.receivable_delay_until_day:
            return self.delay[i]
        return 0.0

    def working_capital_need(self, ent: Enterprise, capacity: float) -> float:
        """Cash a firm needs to run at ``capacity``: the sales its customers now pay late, less the inputs it pays late."""
        i = ent.i
        return capacity * self.revenue[i] * self.receive_after(i, self.city.env.now)

    def cost_of_opening(self, ent: Enterprise, now: float) -> float:
        """What being open costs a day more than staying closed: full wages instead of the living allowance
        (nothing in the first pay period of the stoppage, when wages are owed anyway), and the taxes and other
        costs a closed firm does not pay."""
        rates = self.accounts[ent.i].rates
        running = rates.taxes * (1.0 - rates.closed_taxes) + rates.other * (1.0 - rates.closed_other)
        wages = rates.wages * (1.0 - rates.wage_flex) - rates.allowance if now >= rates.pay_period else 0.0
        return wages + running

    def contribution(self, ent: Enterprise, capacity: float) -> float:
        """What production at ``capacity`` earns a day over its inputs (at today's input prices)."""
        i = ent.i
        c = self.config
        premium = 1.0 + (c.input_price_premium if self.city.env.now < c.input_price_premium_until_day else 0.0)
        return capacity * self.revenue[i] * (1.0 - (1.0 - self.margin[i]) * premium)

    def cost_per_day(self, ent: Enterprise) -> float:
        """The firm's full fixed cost per day."""
        return self.fixed_cost[ent.i]

    def headroom(self, ent: Enterprise) -> float:
        """Cash plus credit line now."""
        return self.balance(ent) - self.fail_level[ent.i]

    def advance(self, ent: Enterprise, now: float) -> None:
        """Book the firm's cash up to ``now``."""
        self.accounts[ent.i].advance(now)

    def time_to_shortfall(self, ent: Enterprise, now: float) -> float:
        """Days from ``now`` until cash and credit run out on the present path (inf: never)."""
        acct = self.accounts[ent.i]
        acct.advance(now)
        return acct.time_to_reach(self.fail_level[ent.i]) - now

    def waived(self, ent: Enterprise, window: Window) -> float:
        """Yuan of costs ``window`` has relieved the firm of so far (0 if it does not cover the firm)."""
        acct = self.accounts[ent.i]
        for k, w in enumerate(acct.windows):
            if w is window:
                return acct.waived[k]
        return 0.0

    def receive_relief(self, ent: Enterprise, amount: float) -> None:
        """A refund or subsidy paid today."""
        if not ent.failed and amount > 0:
            self.accounts[ent.i].receive_relief(self.city.env.now, amount)
            self.reschedule(ent)

    def take_loan(self, ent: Enterprise, amount: float, annual_rate: float, term_days: float) -> None:
        if not ent.failed and amount > 0:
            self.accounts[ent.i].take_loan(self.city.env.now, amount, annual_rate, term_days)
            self.reschedule(ent)

    # -- following a firm -------------------------------------------------------------------------------

    def start(self) -> None:
        """Every firm's first cash timer (later ones follow its changes)."""
        now = self.city.env.now
        for ent in self.city.enterprises:
            self.schedule(ent, now)

    def capacity_changed(self, ent: Enterprise, now: float, cap: float, at_post: int) -> None:
        """Book cash up to now, set the new income, and reschedule the moment cash runs short."""
        i = ent.i
        acct = self.accounts[i]
        if ent.state == FAILED:
            acct.advance(now)
            self.version[i] += 1
            return
        if cap == self.cap[i] and acct.is_open == (ent.state == OPEN):
            return  # the cash path is as it was: the pending timer stands (its booking can wait)
        acct.advance(now)
        if ent.state == OPEN and not self.has_restarted[i]:
            self.has_restarted[i] = True
            if acct.balance < self.credit_level[i]:  # it restarts owing wages: they fall due later
                self.city.timers.at(now + self.config.wage_arrears_repay_days, lambda: self._arrears_due(ent))
            else:  # it owes none: an open firm may not run up wage arrears
                self.fail_level[i] = self.credit_level[i]
        change = cap - self.cap[i]
        if change:
            # sales are paid after the customers' terms, inputs after the firm's own terms
            self.cap[i] = cap
            revenue = self.revenue[i]
            acct.change_income(now + self.receive_after(i, now), change * revenue)
            acct.input_rate = cap * revenue * (1.0 - self.margin[i])
        acct.relief_rate = cap * self.revenue[i] * self.revenue_relief  # the cut on power actually used
        acct.set_open(now, ent.state == OPEN)
        acct.activity = cap
        self.schedule(ent, now)

    def _arrears_due(self, ent: Enterprise) -> None:
        """The wages deferred in the stoppage fall due: from now on the firm fails below its credit line."""
        i = ent.i
        if ent.failed:
            return
        self.accounts[i].advance(self.city.env.now)  # the timer looks ahead from the balance as of now
        self.fail_level[i] = self.credit_level[i]
        self.reschedule(ent)

    def reschedule(self, ent: Enterprise) -> None:
        """The firm's cash or its watcher's state changed (relief paid, a loan, an application): its timer anew."""
        if not ent.failed:
            self.schedule(ent, self.city.env.now)

    def schedule(self, ent: Enterprise, now: float) -> None:
        """(Re)set the firm's cash timer: failure when cash runs out, or earlier, when its watcher asks."""
        i = ent.i
        t_next = self.accounts[i].time_to_reach(self.fail_level[i], self.city.horizon)
        kind = "fail"
        if self.watcher is not None and t_next < math.inf:
            t_seek = self.watcher.seek_time(ent, now, t_next)
            if t_seek < t_next:
                t_next, kind = t_seek, "seek"
        if t_next >= self.city.horizon:
            t_next, kind = math.inf, ""
        if kind == self.kind[i] and (t_next == self.due[i] or abs(t_next - self.due[i]) <= 1e-9):
            return  # the pending timer (or its absence) is still right
        self.version[i] += 1
        version = self.version[i]
        self.due[i], self.kind[i] = t_next, kind
        if kind:
            self.city.timers.at(now + max(0.0, t_next - now), lambda: self._on_timer(ent, version, kind),
                                lambda: version == self.version[i])

    def _on_timer(self, ent: Enterprise, version: int, kind: str) -> None:
        i = ent.i
        if ent.failed or version != self.version[i]:
            return  # a later change has rescheduled this timer
        self.due[i], self.kind[i] = math.inf, ""  # this timer is spent
        if kind == "fail":
            ent.fail()
        elif self.watcher is not None:
            self.watcher.on_seek(ent)

    def failed(self, ent: Enterprise) -> None:
        ent.record("failure_day", self.city.env.now)

    def finish(self) -> None:
        horizon = self.city.horizon
        out = self.city.outcomes
        for ent in self.city.enterprises:
            i = ent.i
            cash = self.accounts[i]
            if ent.state != FAILED:
                cash.advance(horizon)
            out["cash_end"][i] = cash.balance
            out["income"][i] = cash.income
            out["relief"][i] = cash.relief
            out["costs"][i] = cash.costs
            out["loans_received"][i] = cash.loans_in
            out["repayments"][i] = cash.repayments
            out["taxes_repaid"][i] = cash.deferred_repaid
            out["taxes_deferred_end"][i] = cash.deferred
            principal, interest = cash.owed_after(horizon)
            out["loan_principal_after"][i] = principal
            out["loan_interest_after"][i] = interest

    # -- results ---------------------------------------------------------------------------------

    def daily(self, view: ResultView) -> dict[str, np.ndarray]:
        failed = view.outcomes["failure_day"]
        f = failed[~np.isnan(failed)]
        return {"failed_count": level_at_days(f, np.ones_like(f), view.days)}

    def summary(self, view: ResultView) -> dict[str, float]:
        o = view.outcomes
        pop = view.pop
        n = max(pop.n, 1)
        restart = o["restart_day"]
        failed = ~np.isnan(o["failure_day"])
        out = {
            "failed_share": float(failed.sum() / n),
            "failures": float(failed.sum()),
            "jobs_lost": float(pop.workers[failed].sum()),
            "failed_before_restart": float((failed & np.isnan(restart)).sum()),
            "failed_after_restart": float((failed & ~np.isnan(restart)).sum()),
        }
        for k, size in enumerate(SIZE_CLASSES):
            in_class = pop.size_class == k
            out[f"failed_share_{size}"] = float(failed[in_class].mean()) if in_class.any() else math.nan
        out["relief_yuan"] = float(o["relief"].sum())
        out["taxes_repaid"] = float(o["taxes_repaid"].sum())
        return out

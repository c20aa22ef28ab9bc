"""Bank loans: the green channel for key firms (金融16条) and the ordinary channel.

A firm looks ahead along its present cash path and, when the shortfall comes
within the time a loan takes plus a margin, may apply (more often with a
liaison, who also helps put the application together). Firms on the
key-firm list use the green channel once it opens (a decision in 1-2 days, a
lower bar); other firms, or key firms for which waiting for the green channel
would take longer, use the ordinary channel (weeks, a higher bar). An
incomplete application is completed first; approval depends on size and
collateral; an approved loan covers the firm's fixed cost for a stated number
of months less the cash it holds, plus restart working capital, and is paid
back (with interest) at the end of its term. A refused firm may try again
after a wait.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Protocol

import numpy as np
from pydantic import model_validator

from sim.model.firm_classes import by_size, check_keys, check_size_keys
from sim.model.module import City, Metric, Module, ResultView, Series
from sim.model.records import Outcome
from sim.scenario.distributions import Distribution, lognormal, uniform
from sim.scenario.params import Strict, param
from sim.scenario.types import BySize, Day, Dist, Probability

if TYPE_CHECKING:
    import simpy

    from sim.model.enterprise import Enterprise

WATCHING, APPLYING, DONE = 0, 1, 2
GREEN, STANDARD = "green", "standard"


class LoanPolicy(Strict):
    """Bank lending (金融16条): the green channel for key firms beside the ordinary channel, and who applies when.

    A firm looks ahead along its expected cash path and applies when the shortfall comes
    within the time a loan takes (the channel's decision and disbursement) plus a margin.
    """

    enabled: bool = param(True, unit="yes/no", meaning="banks take loan applications", provenance="source: 金融16条, green channels")
    window_opens_day: Day = param(10.0, unit="day", meaning="day the bank green channel opens",
                                  provenance="assumption: the joint notice with the banking regulator in mid-February")
    green_channel_for: list[str] = param(lambda: ["above_scale"], unit="keys",
                                         meaning="firms on the key-firm list the green channel serves (any key matches)",
                                         provenance="literature: PBoC special re-lending for lists of key firms (Feb 2020); the source's 26 loans average 1,800万 yuan, loans to large firms")
    standard_channel: bool = param(True, unit="yes/no", meaning="firms off the list may borrow through the ordinary channel (slower, a higher bar)",
                                   provenance="assumption: ordinary small-business lending went on")
    seek_margin_days: float = param(7.0, unit="days", meaning="a firm applies when its projected shortfall is within the loan's expected time plus this margin",
                                    provenance="assumption", ge=0, le=365, allow_inf_nan=False)
    apply_probability: Probability = param(0.3, unit="probability", meaning="chance a firm that foresees a shortfall applies, without a liaison",
                                           provenance="literature: 21.2% of surveyed SMEs planned to borrow (Zhu Wuxiang, Feb 2020); assumption: a firm facing a shortfall more often")
    apply_probability_liaison: Probability = param(0.8, unit="probability", meaning="the same with a liaison who explains the financial measures",
                                                   provenance="assumption: liaisons shared the banks' products (企业家微信群, 银政企沟通机制)")
    complete_probability: Probability = param(0.6, unit="probability", meaning="chance an application is complete at once, without a liaison",
                                              provenance="assumption")
    complete_probability_liaison: Probability = param(0.9, unit="probability", meaning="the same with a liaison's help",
                                                      provenance="assumption")
    completion_days: Dist = param(lambda: lognormal(5.0, 0.5), unit="days", meaning="time to complete an incomplete application",
                                  provenance="assumption")
    decision_days: Dist = param(lambda: uniform(1.0, 2.0), unit="days", meaning="application to decision in the green channel",
                                provenance="literature: PBoC re-lending, banks to lend within 1 day (2 at most) of receiving the key-firm list")
    standard_decision_days: Dist = param(lambda: lognormal(21.0, 0.5), unit="days", meaning="application to decision in the ordinary channel",
                                         provenance="assumption: weeks, as for an ordinary small-business loan")
    disbursement_days: Dist = param(lambda: lognormal(1.0, 0.5), unit="days", meaning="decision to money on the account",
                                    provenance="assumption")
    approval_probability: BySize = param(
        lambda: {"above_scale": 0.65, "sme": 0.6, "micro": 0.4}, unit="probability by size class",
        meaning="chance the green channel approves a firm with collateral",
        provenance="source: 26 loans of 44 intentions (0.59 overall); split by size assumed")
    standard_approval_probability: BySize = param(
        lambda: {"above_scale": 0.6, "sme": 0.4, "micro": 0.25}, unit="probability by size class",
        meaning="chance the ordinary channel approves a firm with collateral",
        provenance="literature: access, not only delay, limited SME finance (Chen, Cheng, Gong & Li 2020); values assumed")
    collateral_share: BySize = param(
        lambda: {"above_scale": 0.9, "sme": 0.6, "micro": 0.3}, unit="share by size class",
        meaning="share of firms with collateral a bank accepts", provenance="assumption")
    no_collateral_factor: Probability = param(0.5, unit="factor", meaning="approval chance without collateral ÷ with",
                                              provenance="assumption")
    loan_months: float = param(3.0, unit="months", meaning="a loan covers the firm's fixed cost for this many months, less the cash it holds",
                               provenance="assumption: re-lending loans bridged the first quarter", ge=0, le=120, allow_inf_nan=False)
    interest_rate: float = param(0.0128, unit="per year", meaning="interest rate of a green-channel loan",
                                 provenance="literature: PBoC re-lending, weighted 2.56%, about 1.28% after the 50% fiscal subsidy", ge=0, le=1)
    standard_interest_rate: float = param(0.05, unit="per year", meaning="interest rate of an ordinary loan",
                                          provenance="assumption: the 1-year LPR (4.05% in Feb 2020) plus a small-firm spread", ge=0, le=1)
    term_days: Day = param(365.0, unit="days", meaning="a loan is paid back (principal) this many days after disbursement",
                           provenance="assumption: one-year working-capital loans")
    retry_wait_days: Day = param(14.0, unit="days", meaning="a refused firm (or one that chose not to apply) may try again after this wait",
                                 provenance="assumption")
    max_applications: int = param(3, unit="applications", meaning="applications a firm makes at most",
                                  provenance="assumption", ge=1, le=100)

    @model_validator(mode="after")
    def _keys(self) -> LoanPolicy:
        check_keys(self.green_channel_for)
        for name in ("approval_probability", "standard_approval_probability", "collateral_share"):
            check_size_keys(getattr(self, name), name)
        return self


class Money(Protocol):
    def balance(self, ent: Enterprise) -> float: ...
    def headroom(self, ent: Enterprise) -> float: ...
    def advance(self, ent: Enterprise, now: float) -> None: ...
    def cost_per_day(self, ent: Enterprise) -> float: ...
    def take_loan(self, ent: Enterprise, amount: float, annual_rate: float, term_days: float) -> None: ...
    def reschedule(self, ent: Enterprise) -> None: ...
    def watch(self, watcher: LoansModule) -> None: ...
    def working_capital_need(self, ent: Enterprise, capacity: float) -> float: ...


class Plans(Protocol):
    def expected(self, ent: Enterprise) -> float: ...


class Liaisons(Protocol):
    def has_liaison(self, ent: Enterprise) -> bool: ...
    def ask_liaison(self, ent: Enterprise, hours: float) -> simpy.Event | None: ...


class LoansModule(Module):
    """All lenders of the city, with counts kept per channel."""

    name = "loans"
    SECTIONS = {"policy": "policies.loans", "help_hours": "cadres.liaisons.loan_help_hours"}
    STREAMS = ("loan_apply", "loan_help", "loan_complete", "loan_completion", "loan_decision", "loan_approval",
               "loan_disbursement", "collateral")
    OUTCOMES = (
        Outcome("loan_intention_day", "f8", "first loan application"),
        Outcome("loan_disbursed_day", "f8", "loan money on the account"),
        Outcome("loan_amount", "f8", "loan disbursed, yuan"),
    )
    METRICS = (
        Metric("loan_intentions", "loan applications (intentions), both channels", ("loan intentions", "贷款意向"),
               "firms", "count", None, 5.0),
        Metric("loans_disbursed", "bank loans disbursed, both channels", ("loans disbursed", "已发放贷款"),
               "loans", "count", None, 5.0, rank=11),
        Metric("loan_amount", "bank loan money disbursed, both channels, yuan", ("loan money, yuan", "贷款金额（元）"),
               "yuan", "yuan", None, 1e7, cost=4),
        Metric("green_loan_intentions", "loan applications in the green channel",
               ("green-channel intentions", "绿色通道贷款意向"), "firms", "count"),
        Metric("green_loans", "loans disbursed through the green channel", ("green-channel loans", "绿色通道贷款"),
               "loans", "count"),
        Metric("green_loan_amount", "loan money disbursed through the green channel, yuan",
               ("green-channel loan money, yuan", "绿色通道贷款金额（元）"), "yuan", "yuan", cost=7),
        Metric("loan_refusals", "loan applications refused", ("loans refused", "贷款被拒"), "applications", "count"),
        Metric("mean_loan_delay", "mean days from intention to disbursement", ("days intention → loan", "意向至放款天数"),
               "days", "days", "lower", 1.0),
    )
    SERIES = (
        Series("loans_disbursed", "loans disbursed that day (both channels)", ("Loans disbursed a day", "每日发放贷款"),
               "loans", kind="flow"),
    )

    def __init__(self, city: City, policy: LoanPolicy, help_hours: Distribution) -> None:
        super().__init__(city)
        self.help_hours = help_hours
        self.policy: LoanPolicy | None = policy if policy.enabled else None
        self.applicants: dict[str, set[int]] = {GREEN: set(), STANDARD: set()}  # firms that applied
        self.disbursed = {GREEN: 0, STANDARD: 0}
        self.disbursed_amount = {GREEN: 0.0, STANDARD: 0.0}
        self.refusals = 0
        self.disbursement_days: list[float] = []
        self.disbursement_firms: list[int] = []  # firms of each disbursement (a cohort's members)
        n = city.pop.n
        self.state = [WATCHING] * n
        self.can_seek = [False] * n
        self.applications = [0] * n
        self.seek_after = [0.0] * n
        self.collateral: list[bool | None] = [None] * n
        pop = city.pop
        self.revenue: list[float] = pop.revenue_per_day.tolist()
        self.margin: list[float] = pop.margin.tolist()
        p = self.policy
        if p is not None:
            self.green_lead = p.decision_days.mean + p.disbursement_days.mean
            self.standard_lead = p.standard_decision_days.mean + p.disbursement_days.mean
            self.collateral_share = by_size(p.collateral_share)

    def connect(self, money: Money, cadres: Liaisons, reopening: Plans) -> None:
        self.money = money
        self.cadres = cadres
        self.plans = reopening
        if self.policy is not None:
            money.watch(self)

    def add_firm(self, ent: Enterprise) -> None:
        self.can_seek[ent.i] = self._can_seek(ent)

    @property
    def intentions(self) -> dict[str, int]:
        """Firms that applied (a loan intention, 贷款意向), by channel (a cohort counts its members)."""
        members = self.city.pop.members
        return {k: int(members[list(v)].sum()) for k, v in self.applicants.items()}

    # -- who may borrow, and how long a loan takes -------------------------------

    def green_listed(self, ent: Enterprise) -> bool:
        assert self.policy is not None
        return any(ent.has_key(k) for k in self.policy.green_channel_for)

    def _can_seek(self, ent: Enterprise) -> bool:
        p = self.policy
        return p is not None and (p.standard_channel or self.green_listed(ent))

    def lead(self, ent: Enterprise) -> float:
        """Expected days from applying to money on the account, plus the firm's safety margin."""
        assert self.policy is not None
        return self.policy.seek_margin_days + (self.green_lead if self.green_listed(ent) else self.standard_lead)

    def has_collateral(self, ent: Enterprise) -> bool:
        c = self.collateral[ent.i]
        if c is None:
            c = self.collateral[ent.i] = ent.u("collateral") < self.collateral_share[ent.size_class]
        return c

    # -- the money module's watcher: when does a firm look for a loan ----------------------------

    def seek_time(self, ent: Enterprise, now: float, t_short: float) -> float:
        """Apply when the projected shortfall is within the time a loan takes plus a margin."""
        i = ent.i
        if self.state[i] != WATCHING or not self.can_seek[i]:
            return math.inf
        return max(now, self.seek_after[i], t_short - self.lead(ent))

    def restarted(self, ent: Enterprise) -> None:
        """A restarting firm must pre-finance its inputs until its customers pay: it seeks a loan if its cash
        cannot (the money module says how much that is, at the capacity the firm expects)."""
        i = ent.i
        if self.state[i] == WATCHING and self.can_seek[i] and self.city.env.now >= self.seek_after[i]:
            if self.money.headroom(ent) < self.money.working_capital_need(ent, self.plans.expected(ent)):
                self.on_seek(ent)

    # -- the application ---------------------------------------------------------

    def on_seek(self, ent: Enterprise) -> None:
        """The firm's projected shortfall came within reach: choose a channel, maybe apply."""
        env = self.city.env
        p = self.policy
        assert p is not None
        self.state[ent.i] = APPLYING
        helped = self.cadres.has_liaison(ent)
        if ent.u("loan_apply") >= (p.apply_probability_liaison if helped else p.apply_probability):
            self._later(ent)  # not this time; it looks again after the wait
            return
        channel, wait = STANDARD, 0.0
        if self.green_listed(ent):
            wait = max(0.0, p.window_opens_day - env.now)
            if wait > 0.0 and p.standard_channel and wait + self.green_lead > self.standard_lead:
                channel, wait = STANDARD, 0.0
            else:
                channel = GREEN
        if wait > 0.0:
            ev = env.timeout(wait)
            ev.callbacks.append(lambda _ev: self._apply(ent, channel))
        else:
            self._apply(ent, channel)
        self.money.reschedule(ent)  # the seek timer is spent: schedule the failure timer alone

    def _apply(self, ent: Enterprise, channel: str) -> None:
        """The firm puts its application together: with its liaison's help if it has one.

        The help takes the liaison's working hours, so a liaison with many firms helps later; the
        application is filed when the help is done.
        """
        if ent.failed:
            return
        env = self.city.env
        self.applicants[channel].add(ent.i)
        self.applications[ent.i] += 1
        ent.record_first("loan_intention_day", env.now)
        help_done = None
        if self.cadres.has_liaison(ent):
            hours = self.help_hours.quantile(ent.u("loan_help"))
            help_done = self.cadres.ask_liaison(ent, hours)
        if help_done is None:
            self._file(ent, channel, helped=False)
        else:
            help_done.callbacks.append(lambda _ev: self._file(ent, channel, helped=True))

    def _file(self, ent: Enterprise, channel: str, helped: bool) -> None:
        if ent.failed:
            return
        p = self.policy
        assert p is not None
        delay = 0.0
        complete = p.complete_probability_liaison if helped else p.complete_probability
        if ent.u("loan_complete") >= complete:
            delay = p.completion_days.quantile(ent.u("loan_completion"))
        decision = p.decision_days if channel == GREEN else p.standard_decision_days
        delay += decision.quantile(ent.u("loan_decision"))
        ev = self.city.env.timeout(delay)
        ev.callbacks.append(lambda _ev: self._decide(ent, channel))

    def _decide(self, ent: Enterprise, channel: str) -> None:
        if ent.failed:
            return
        p = self.policy
        assert p is not None
        table = by_size(p.approval_probability if channel == GREEN else p.standard_approval_probability)
        chance = table[ent.size_class]
        if not self.has_collateral(ent):
            chance *= p.no_collateral_factor
        if ent.u("loan_approval") >= chance:
            self.refusals += ent.members
            self._later(ent)
            return
        delay = p.disbursement_days.quantile(ent.u("loan_disbursement"))
        ev = self.city.env.timeout(delay)
        ev.callbacks.append(lambda _ev: self._disburse(ent, channel))

    def _later(self, ent: Enterprise) -> None:
        """Look again after the wait, unless the firm has used up its applications."""
        assert self.policy is not None
        if self.applications[ent.i] >= self.policy.max_applications:
            self.state[ent.i] = DONE
            return
        self.state[ent.i] = WATCHING
        self.seek_after[ent.i] = self.city.env.now + self.policy.retry_wait_days
        self.money.reschedule(ent)

    def amount(self, ent: Enterprise) -> float:
        """Fixed cost for the stated months less the cash held, plus the working capital its expected production
        needs (its inputs for the days between paying suppliers and being paid)."""
        p = self.policy
        assert p is not None
        need = p.loan_months * (365.0 / 12.0) * self.money.cost_per_day(ent) - max(0.0, self.money.balance(ent))
        working = self.money.working_capital_need(ent, self.plans.expected(ent))
        return max(0.0, need) + working

    def _disburse(self, ent: Enterprise, channel: str) -> None:
        if ent.failed:
            return
        p = self.policy
        assert p is not None
        now = self.city.env.now
        self.money.advance(ent, now)
        amount = self.amount(ent)
        if not amount > 0.0 or not math.isfinite(amount):
            self.state[ent.i] = DONE
            return
        self.disbursed[channel] += ent.members
        self.disbursed_amount[channel] += amount * ent.members
        self.disbursement_days.append(now)
        self.disbursement_firms.append(ent.members)
        ent.record("loan_disbursed_day", now)
        ent.record("loan_amount", amount)
        self.state[ent.i] = DONE
        rate = p.interest_rate if channel == GREEN else p.standard_interest_rate
        self.money.take_loan(ent, amount, rate, p.term_days)

    # -- results ---------------------------------------------------------------------------------

    def daily(self, view: ResultView) -> dict[str, np.ndarray]:
        return {"loans_disbursed": view.per_day(np.asarray(self.disbursement_days),
                                                np.asarray(self.disbursement_firms))}

    def summary(self, view: ResultView) -> dict[str, float]:
        o = view.outcomes
        delays = (o["loan_disbursed_day"] - o["loan_intention_day"])[~np.isnan(o["loan_disbursed_day"])]
        intentions = self.intentions
        return {
            "loan_intentions": float(sum(intentions.values())),
            "loans_disbursed": float(sum(self.disbursed.values())),
            "loan_amount": float(sum(self.disbursed_amount.values())),
            "green_loan_intentions": float(intentions[GREEN]),
            "green_loans": float(self.disbursed[GREEN]),
            "green_loan_amount": float(self.disbursed_amount[GREEN]),
            "loan_refusals": float(self.refusals),
            "mean_loan_delay": float(delays.mean()) if len(delays) else math.nan,
        }

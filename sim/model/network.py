"""The production network: what each firm buys, from whom, and the stock that bridges a gap.

Every firm has a sector (:mod:`sim.model.sectors`); a sector needs inputs from
others in the proportions of China's input-output table (yuan of input per yuan
of output), each rated critical, important or non-critical for it (Pichler,
Pangallo, del Rio-Chanona, Lafond & Farmer 2022, "Production networks and
epidemic spreading: how to restart the UK economy?": a survey of industry
analysts). Non-critical inputs, and inputs below ``min_coefficient``, never
hold production back.

A firm buys ``local_share`` of an input from firms of the city — a few
suppliers drawn from that sector's firms with chances in proportion to their
size — and the rest from outside, where deliveries follow the published
restart of producers and transport by date (``external``). What arrives each
day, as a share of what the firm needs at full capacity, is
``local_share × (what its suppliers can deliver) + (1 − local_share) ×
(availability outside)``; a supplier can deliver what its workers and inputs
allow while it is open — not less because its own orders are low: its
customers' orders are among them. A stock of ``inventory_days`` (fewer for small
firms) bridges a shortfall: production draws it down at the firm's capacity in
use and refills it from what arrives, up to the target. While a critical
input's stock lasts, that input does not limit production; once it is empty,
production is at most what arrives. An important input that is short cuts
production by ``important_weight`` of the shortfall (Pichler et al. treat
important inputs as half binding). The tightest input is the firm's input
limit; production (:mod:`sim.model.production`) is at most that limit.

A supplier that has delivered nothing for ``replace_after_days`` (it is still
shut, or it failed) is replaced: from then on that link delivers what the open
firms of the supplier's sector in the city can deliver on average, until the
supplier produces again. A city customer that has bought nothing for as long is
replaced by an average surviving firm of its sector (:mod:`sim.model.demand`).

A covered firm whose critical input runs short asks its liaison for help
(产业链对接: passes for trucks, another supplier): when the liaison's hours are
worked, ``liaison_help_gain`` of the gap on that input is closed for the rest
of the run.

The network is updated once a day for all firms at once (numpy arrays over the
firms' input slots); a limit moves in steps (``STEP``, once the value is
three quarters of a step away), and only the open firms it binds are told, so
a run's events grow with the changes, not with firms × days.
"""

from __future__ import annotations

from collections.abc import Generator
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import simpy
from pydantic import model_validator

from sim.model import sectors
from sim.model.firm_classes import SIZE_CLASSES, check_size_keys
from sim.model.module import City, Metric, Module, ResultView
from sim.scenario.distributions import lognormal
from sim.scenario.params import Strict, param
from sim.scenario.types import Day, Dist, Factor, Probability

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise

Rating = Literal["critical", "important", "non_critical"]
STEP = 0.1  # limits are told to the firms in steps of this share of capacity

_IO = ("literature: NBS China input-output table 2018, 42 sectors (中国投入产出表2018), aggregated to the model's "
       "17 sectors with output weights (data/network/README.md)")
_LOCAL = "assumption: no city input-output table; a northeastern city buys most goods from outside (range ±0.2)"


def _local_share() -> dict[str, float]:
    return {
        "agriculture": 0.6, "coal_mining": 0.5, "other_mining": 0.1, "food": 0.4, "light_manufacturing": 0.2,
        "fuels_chemicals": 0.2, "building_materials": 0.5, "metals": 0.1, "machinery": 0.3,
        "vehicles_electrical": 0.1, "utilities": 1.0, "construction": 0.9, "trade": 0.7, "transport_logistics": 0.6,
        "accommodation_catering": 0.9, "business_services": 0.5, "public_personal_services": 0.8,
    }


def _default_mix() -> dict[str, dict[str, float]]:
    return {
        "above_scale": {"machinery": 0.25, "vehicles_electrical": 0.10, "metals": 0.10, "coal_mining": 0.10,
                        "building_materials": 0.10, "food": 0.10, "fuels_chemicals": 0.10, "light_manufacturing": 0.10,
                        "utilities": 0.05},
        "sme": {"machinery": 0.15, "light_manufacturing": 0.10, "building_materials": 0.08, "metals": 0.07,
                "food": 0.08, "construction": 0.12, "trade": 0.15, "transport_logistics": 0.08,
                "business_services": 0.10, "accommodation_catering": 0.07},
        "micro": {"trade": 0.35, "accommodation_catering": 0.20, "public_personal_services": 0.20,
                  "light_manufacturing": 0.05, "business_services": 0.10, "transport_logistics": 0.05,
                  "construction": 0.05},
    }


class Network(Strict):
    """The production network: inputs and their ratings, suppliers in the city and outside, inventories."""

    enabled: bool = param(True, unit="yes/no", meaning="firms need inputs: suppliers, deliveries from outside and "
                          "stocks can hold production back (false: inputs never bind)",
                          provenance="source: 供应链不畅 (broken supply chains) held Tieling's small firms back")
    coefficients: dict[str, dict[str, float]] = param(
        sectors.coefficients, unit="yuan of input per yuan of output",
        meaning="direct-input coefficients: customer sector -> input sector -> coefficient", provenance=_IO)
    ratings: dict[str, dict[str, Rating]] = param(
        sectors.ratings, unit="rating", meaning="customer sector -> input sector -> critical, important or non_critical",
        provenance="literature: Pichler, Pangallo, del Rio-Chanona, Lafond & Farmer (2022), IHS Markit analysts' "
                   "ratings of WIOD inputs, mapped to the model's sectors with the 2018 flows (data/network/README.md)")
    min_coefficient: float = param(0.01, unit="yuan per yuan", meaning="inputs below this coefficient are not "
                                   "modelled (they never hold production back)",
                                   provenance="assumption: a small input is bought from many places", ge=0, le=1,
                                   allow_inf_nan=False)
    local_share: dict[str, Probability] = param(
        _local_share, unit="share of purchases", meaning="input sector -> share of a firm's purchases of it made "
        "from firms of the city (the rest from outside)", provenance=_LOCAL)
    suppliers_per_input: int = param(2, unit="firms", meaning="suppliers in the city a firm buys one input from",
                                     provenance="assumption: firms keep a couple of suppliers per input (Inoue & "
                                                "Todo 2020: Japanese firms' median number of suppliers is small)",
                                     ge=1, le=20)
    inventory_days: dict[str, Day] = param(
        sectors.inventory_days, unit="days of input at full capacity", meaning="input sector -> stock a buyer holds",
        provenance="assumption: no published input stocks by sector (data/network/inventories.csv: ranges; NBS "
                   "finished-goods days 16.7 at end-2019 give the order of magnitude)")
    inventory_by_size: dict[str, Factor] = param(
        sectors.inventory_by_size, unit="factor", meaning="size class -> multiplier of inventory_days",
        provenance="assumption: smaller firms hold thinner stocks (cash-constrained), 0.5-1")
    important_weight: Probability = param(0.5, unit="share", meaning="share of an important input's shortfall that "
                                          "cuts production (a critical input's cuts it whole)",
                                          provenance="literature: Pichler et al. (2022) count important inputs at half")
    external: dict[str, list[tuple[float, float]]] = param(
        sectors.external_availability, unit="[day, share of normal deliveries]",
        meaning="input sector -> deliveries from outside the city by day (linear between points)",
        provenance="literature: producers' restart (Liaoning 54.4 % on 12 Feb, national 83.1-99.1 % 23 Feb-21 Apr) "
                   "× freight volume against 2019 (70.1 % Feb, 87.0 % Mar, 97.9 % Apr; rail goods not interrupted); "
                   "3 Feb levels assumed (data/supply/derive_availability.py)")
    replace_after_days: Day = param(14.0, unit="days", meaning="a supplier or city customer that has made nothing "
                                    "for this long (shut, or failed) is replaced: the firm buys from, or sells to, the "
                                    "rest of that sector in the city instead (its capacity in use on average)",
                                    provenance="assumption: two weeks to find another supplier or buyer (range 7-60); "
                                               "firms hit by the 2011 Japan earthquake mostly replaced lost partners "
                                               "within months (Carvalho, Nirei, Saito & Tahbaz-Salehi 2021)")
    liaison_help_hours: Dist = param(lambda: lognormal(4.0, 0.5), unit="cadre-hours",
                                     meaning="a liaison's help finding another supplier or a transport pass for an "
                                             "input that ran short (产业链对接)",
                                     provenance="assumption: half a working day, as a first visit")
    liaison_help_gain: Probability = param(0.5, unit="share of the gap", meaning="share of an input's shortfall the "
                                           "liaison's help closes (another supplier, a pass for trucks)",
                                           provenance="source: liaisons helped with 运输 and 物流 (size assumed, 0.3-0.8)")
    default_mix: dict[str, dict[str, float]] = param(
        _default_mix, unit="share of firms", meaning="size class -> sector -> share, for strata and population "
        "files that name no sector", provenance="assumption: above-scale firms mostly manufacturing and mining "
        "(调兵山 coal, 开原 machinery), small firms more trade and services; shares assumed")

    @model_validator(mode="after")
    def _checks(self) -> Network:
        known = sectors.sector_table()  # the tables are sector × sector: look each up before building a message
        for table in ("coefficients", "ratings"):
            for customer, row in getattr(self, table).items():
                sectors.check_sector(customer, f"network.{table}: customer sector")
                for supplier in row:
                    if supplier not in known:
                        sectors.check_sector(supplier, f"network.{table}.{customer}: input sector")
        for customer, row in self.coefficients.items():
            if any(a < 0 for a in row.values()):
                raise ValueError(f"network.coefficients.{customer}: coefficients must be at least 0")
            total = sum(row.values())
            if total >= 1.0:
                raise ValueError(f"network.coefficients.{customer}: its inputs add up to {total:.3f} yuan per yuan of "
                                 "output; a sector cannot need more than it makes (the sum must be below 1)")
        for name in ("local_share", "inventory_days", "external"):
            for key in getattr(self, name):
                sectors.check_sector(key, f"network.{name}")
        for key, points in self.external.items():
            if any(v < 0 or v > 1 or d < 0 for d, v in points):
                raise ValueError(f"network.external.{key}: days must be at least 0 and shares 0 to 1")
        check_size_keys(self.inventory_by_size, "network.inventory_by_size")
        check_size_keys(self.default_mix, "network.default_mix", complete=True)
        for size, mix in self.default_mix.items():
            sectors.check_mix(mix, f"network.default_mix.{size}")
        return self


def quantise(values: np.ndarray, old: np.ndarray) -> np.ndarray:
    """To the nearest step (a stock run out is 0, a supply nearly whole is 1), with hysteresis: a limit moves
    only once the value is three quarters of a step away from it, so that a value hovering at the middle
    between two steps does not move the limit to and fro every day (a quarter of the told changes did)."""
    new = np.round(values / STEP) * STEP
    return np.where(np.abs(values - old) < 0.75 * STEP, old, new)


def tell_moved(limit: list[float], new: np.ndarray, moved: np.ndarray, ents: list[Enterprise],
               capacity: list[float]) -> None:
    """Set the limits that moved; an open firm is told when the limit binds it, before or after (a limit above
    its capacity in use both times changes nothing)."""
    for i in moved.tolist():
        old, value = limit[i], float(new[i])
        limit[i] = value
        ent = ents[i]
        if ent.is_open and min(old, value) <= capacity[i] + 1e-9:
            ent.update()


class Production(Protocol):
    logged_cap: list[float]
    cap_now: np.ndarray
    open_now: np.ndarray
    labour: np.ndarray


class Liaisons(Protocol):
    def has_liaison(self, ent: Enterprise) -> bool: ...
    def ask_liaison(self, ent: Enterprise, hours: float) -> simpy.Event | None: ...


class NetworkModule(Module):
    """Inputs of every firm: suppliers in the city and outside, stocks, the daily input limit."""

    name = "network"
    SECTIONS = {"config": "network"}
    STREAMS = ("suppliers", "supply_help")
    LIMITS_CAPACITY = "inputs"
    METRICS = (
        Metric("input_short_firm_days", "firm-days on which an input held an open firm below full capacity",
               ("firm-days short of inputs", "缺原材料企业日"), "firm-days", "count", "lower", 100.0),
        Metric("supply_help_requests", "liaisons' help with an input that ran short (产业链对接), requests",
               ("supply help from liaisons", "联络员帮助对接供应"), "requests", "count"),
    )

    def __init__(self, city: City, config: Network) -> None:
        super().__init__(city)
        self.config = config
        pop = city.pop
        n = pop.n
        keys = sectors.sector_keys()
        self.keys = keys
        index = {k: j for j, k in enumerate(keys)}
        self.sector = np.array([index[s] for s in pop.sector], dtype=np.int64) if n else np.zeros(0, np.int64)
        self.limit = [1.0] * n  # the input limit told to production (a share of capacity, in steps)
        self.limit_now = np.ones(n)  # the same as an array
        self.raw = np.ones(n)  # the input limit before quantisation
        self.short_days = 0.0
        self.help_requests = 0
        self.down_days = np.zeros(n)  # days each firm has made nothing, in a row
        self.alive = np.ones(n, dtype=bool)  # not failed
        self.dry_days = np.zeros(n)  # days each firm has delivered nothing, in a row
        self._supply = np.zeros(n)  # what each firm can deliver (as of the last daily update)
        self._partners: np.ndarray | None = None  # as of the last daily update
        self.updates = 0  # daily updates so far
        self._outlook: tuple[tuple[int, float], np.ndarray] | None = None  # (as of, every firm's outlook)
        if not config.enabled or n == 0:
            self.slots = 0
            return
        self._build_slots(index)
        self._build_links(index)

    # -- building -------------------------------------------------------------------------------

    def _build_slots(self, index: dict[str, int]) -> None:
        """One slot per firm and modelled input: its sector, rating, local share and stock target."""
        c = self.config
        pop = self.city.pop
        firm, inp, crit, local, target = [], [], [], [], []
        size_factor = np.array([c.inventory_by_size.get(s, 1.0) for s in SIZE_CLASSES])[pop.size_class]
        for s_idx, s in enumerate(self.keys):
            firms = np.nonzero(self.sector == s_idx)[0]
            if not len(firms):
                continue
            row = c.coefficients.get(s, {})
            rating = c.ratings.get(s, {})
            for j, a in sorted(row.items()):
                r = rating.get(j, "non_critical")
                if a < c.min_coefficient or r == "non_critical":
                    continue
                firm.append(firms)
                inp.append(np.full(len(firms), index[j]))
                crit.append(np.full(len(firms), r == "critical"))
                local.append(np.full(len(firms), c.local_share.get(j, 0.0)))
                target.append(c.inventory_days.get(j, 0.0) * size_factor[firms])
        if not firm:
            self.slots = 0
            return
        order = np.argsort(np.concatenate(firm), kind="stable")  # slots grouped by firm
        self.slot_firm = np.concatenate(firm)[order]
        self.slot_input = np.concatenate(inp)[order]
        self.slot_critical = np.concatenate(crit)[order]
        self.slot_local = np.concatenate(local)[order].astype(float)
        self.slot_target = np.concatenate(target)[order].astype(float)
        self.stock = self.slot_target.copy()  # stocks as the lockdown found them
        self.helped = np.zeros(len(self.slot_firm), dtype=bool)
        self.asked = np.zeros(len(self.slot_firm), dtype=bool)
        self.slots = len(self.slot_firm)
        self.firms_with_slots = np.unique(self.slot_firm)
        self.firm_start = np.searchsorted(self.slot_firm, self.firms_with_slots)

    def _build_links(self, index: dict[str, int]) -> None:
        """Each slot's suppliers in the city: drawn among the input sector's firms, by size."""
        c = self.config
        pop = self.city.pop
        k = c.suppliers_per_input
        size = pop.workers.astype(float) * pop.members
        links_slot, links_supplier = [], []
        u_all = self._link_draws(k)
        for j_idx in np.unique(self.slot_input):
            sellers = np.nonzero(self.sector == j_idx)[0]
            slots = np.nonzero((self.slot_input == j_idx) & (self.slot_local > 0))[0]
            if not len(slots):
                continue
            if not len(sellers):
                self.slot_local[slots] = 0.0  # no firm of the city sells it: bought outside
                continue
            cum = np.cumsum(size[sellers])
            u = u_all[slots]  # (slots, k)
            chosen = sellers[np.minimum(np.searchsorted(cum, u * cum[-1], side="right"), len(sellers) - 1)]
            buyer = self.slot_firm[slots][:, None]
            if len(sellers) > 1:  # a firm does not buy from itself: take the next seller instead
                own = chosen == buyer
                nxt = sellers[(np.searchsorted(sellers, chosen) + 1) % len(sellers)]
                chosen = np.where(own, nxt, chosen)
            elif sellers[0] in set(self.slot_firm[slots].tolist()):
                keep = self.slot_firm[slots] != sellers[0]
                self.slot_local[slots[~keep]] = 0.0
                slots, chosen = slots[keep], chosen[keep]
            links_slot.append(np.repeat(slots, k))
            links_supplier.append(chosen.ravel())
        if links_slot:
            self.link_slot = np.concatenate(links_slot)
            self.link_supplier = np.concatenate(links_supplier)
        else:
            self.link_slot = np.zeros(0, np.int64)
            self.link_supplier = np.zeros(0, np.int64)
        order = np.argsort(self.link_slot, kind="stable")
        self.link_slot, self.link_supplier = self.link_slot[order], self.link_supplier[order]
        self.links_per_slot = np.bincount(self.link_slot, minlength=self.slots).astype(float)

    def _link_draws(self, k: int) -> np.ndarray:
        """(slots, k) uniforms, from each stratum's own generator (common random numbers across variants)."""
        pop = self.city.pop
        out = np.empty((self.slots, k))
        group = pop.group[self.slot_firm]
        for g in np.unique(group):
            mine = np.nonzero(group == g)[0]
            out[mine] = self.city.streams.for_purpose("suppliers", int(g)).random((len(mine), k))
        return out

    # -- connecting and running ---------------------------------------------------------------------

    def connect(self, production: Production, cadres: Liaisons) -> None:
        self.production = production
        self.cadres = cadres

    def start(self) -> None:
        if self.slots:
            self.avail = self.availability(0.0)
            self.city.env.process(self._days())

    def _days(self) -> Generator[simpy.Event, Any, None]:
        env = self.city.env
        while True:
            yield env.timeout(1.0)
            self.daily_update(env.now)

    def failed(self, ent: Enterprise) -> None:
        self.alive[ent.i] = False

    def customers_of(self) -> tuple[np.ndarray, np.ndarray]:
        """(buyer firm, supplier firm) of every link in the city."""
        if not self.slots:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return self.slot_firm[self.link_slot], self.link_supplier

    @property
    def partners(self) -> np.ndarray:
        """Each firm's capacity in use as its city customers buy (as of the last daily update)."""
        if self._partners is None:
            return self.production.cap_now.copy()
        return self._partners

    def partner_capacity(self, cap: np.ndarray) -> np.ndarray:
        """Each firm's capacity in use as its city customers buy: its own, or, once it has made nothing for
        ``replace_after_days``, the average of its sector's surviving firms (the customer was replaced)."""
        self.down_days = np.where(cap > 0, 0.0, self.down_days + 1.0)
        replaced = self.down_days >= self.config.replace_after_days
        if not replaced.any():
            return cap
        return np.where(replaced, self._sector_mean(cap, self.alive)[self.sector], cap)

    def supply_capacity(self, day: float) -> np.ndarray:
        """What each firm can deliver to its customers today, as a share of its normal deliveries.

        An open firm can deliver what its workers and its inputs allow (its own orders do not limit it: its
        customers' orders are among them), a shut one nothing; a firm that has delivered nothing for
        ``replace_after_days`` is replaced by what its sector's open firms can deliver on average (the customer
        found another supplier). What a firm's inputs allow depends on what its own suppliers deliver, so the
        deliveries are those that are consistent all round: starting from what every open firm's workers allow,
        each firm is held to what its inputs then allow until nothing moves — the largest consistent
        deliveries, those firms that restart together reach (the smallest, nothing at all, is consistent too
        where firms supply each other: a chain that would never restart once shut).
        """
        production = self.production
        open_ = production.open_now
        ceiling = np.where(open_, production.labour, 0.0)
        replaced = self.dry_days >= self.config.replace_after_days
        empty = np.nonzero(self.stock <= 0.0)[0]  # only slots without a stock can hold a firm back today
        can = ceiling
        supply = self._replace(can, open_, replaced)
        if len(empty):
            external = self._external(day)[empty]
            links = (self.stock <= 0.0)[self.link_slot]
            link_slot, link_supplier = self.link_slot[links], self.link_supplier[links]
            firms = self.slot_firm[empty]
            critical = self.slot_critical[empty]
            for _ in range(50):  # each pass moves the limits one link further down a chain; chains are short
                local = np.bincount(link_slot, weights=supply[link_supplier], minlength=self.slots)[empty]
                local = np.divide(local, self.links_per_slot[empty], out=np.zeros(len(empty)),
                                  where=self.links_per_slot[empty] > 0)
                avail = self.slot_local[empty] * local + (1.0 - self.slot_local[empty]) * external
                avail = np.where(self.helped[empty], avail + self.config.liaison_help_gain * (1.0 - avail), avail)
                value = np.minimum(avail, 1.0)
                limit = np.ones(len(ceiling))  # the firm limit of _firm_limit, over the slots without a stock
                np.minimum.at(limit, firms, self._allows(value, critical))
                lower = np.minimum(ceiling, limit)
                # a tenth of a step is close enough: the limits told to the firms move in steps
                if np.max(can - lower, initial=0.0) < 0.1 * STEP:
                    break
                can = lower
                supply = self._replace(can, open_, replaced)
        self.dry_days = np.where(can > 0, 0.0, self.dry_days + 1.0)
        return supply

    def _replace(self, can: np.ndarray, open_: np.ndarray, replaced: np.ndarray) -> np.ndarray:
        """What each firm's customers get from it: its own deliveries, or its sector's open average if replaced."""
        if not replaced.any():
            return can
        return np.where(replaced, self._sector_mean(can, open_)[self.sector], can)

    def _sector_mean(self, values: np.ndarray, among: np.ndarray) -> np.ndarray:
        """Each sector's mean of ``values`` over the firms ``among``, weighted by their normal sales."""
        weight = self.city.pop.revenue_per_day * self.city.pop.members * among
        total = np.bincount(self.sector, weights=weight, minlength=len(self.keys))
        used = np.bincount(self.sector, weights=weight * values, minlength=len(self.keys))
        return np.divide(used, total, out=np.zeros(len(self.keys)), where=total > 0)

    def _external(self, day: float) -> np.ndarray:
        """Each slot's availability outside the city on ``day``."""
        by_sector = np.array([sectors.at(self.config.external.get(k, []), day) for k in self.keys])
        return by_sector[self.slot_input]

    def _arriving(self, supply: np.ndarray, external: np.ndarray) -> np.ndarray:
        """Share of each slot's full-capacity need that arrives, given what every firm can deliver."""
        local: np.ndarray = np.zeros(self.slots)
        if len(self.link_slot):
            local = np.bincount(self.link_slot, weights=supply[self.link_supplier], minlength=self.slots)
            local = np.divide(local, self.links_per_slot, out=np.zeros(self.slots), where=self.links_per_slot > 0)
        avail = self.slot_local * local + (1.0 - self.slot_local) * external
        gain = self.config.liaison_help_gain
        return np.where(self.helped, avail + gain * (1.0 - avail), avail)

    def availability(self, day: float) -> np.ndarray:
        """Share of each slot's full-capacity need that arrives on ``day`` (as of the last daily update)."""
        return self._arriving(self._supply, self._external(day))

    def _allows(self, value: np.ndarray, critical: np.ndarray) -> np.ndarray:
        """The share of capacity each slot allows when ``value`` of its need is at hand: a critical input at most
        that, an important one ``important_weight`` of the shortfall less."""
        return np.where(critical, value, 1.0 - self.config.important_weight * (1.0 - value))

    def _firm_limit(self, value: np.ndarray) -> np.ndarray:
        """Each firm's input limit: the least any of its slots allows (1 for a firm without inputs)."""
        out = np.ones(len(self.sector))
        out[self.firms_with_slots] = np.minimum.reduceat(self._allows(value, self.slot_critical), self.firm_start)
        return out

    def daily_update(self, day: float) -> None:
        """Stocks move by what arrived minus what was used; the firms whose input limit moved are told."""
        cap = self.production.cap_now.copy()
        self._partners = self.partner_capacity(cap)
        self._supply = self.supply_capacity(day)
        avail = self.availability(day)
        need = cap[self.slot_firm]
        self.stock = np.clip(self.stock + avail - need, 0.0, self.slot_target)
        self.avail = avail
        self.updates += 1
        value = np.where(self.stock > 0.0, 1.0, np.minimum(avail, 1.0))
        raw = self._firm_limit(value)
        self.raw = raw
        self.short_days += float(self.city.pop.members[(raw < 1.0 - 1e-9) & (cap > 0)].sum())
        self._ask_for_help(value)
        self._tell(quantise(raw, self.limit_now))

    def outlook(self, firms: np.ndarray, days: float) -> np.ndarray:
        """The input limit each of ``firms`` can count on over the next ``days`` at full capacity: its stock spread
        over them plus what arrives (the lesser over its inputs, as :meth:`daily_update` combines them)."""
        if not self.slots or not len(firms):
            return self.raw[firms] if len(firms) else np.zeros(0)
        key = (self.updates, days)
        if self._outlook is None or self._outlook[0] != key:
            self._outlook = (key, self._ahead(days))
        return self._outlook[1][firms]

    def _ahead(self, days: float) -> np.ndarray:
        return self._firm_limit(np.minimum(1.0, self.avail + self.stock / max(days, 1e-9)))

    def _tell(self, new: np.ndarray) -> None:
        moved = np.nonzero(np.abs(new - self.limit_now) > 1e-9)[0]
        if not len(moved):
            return
        self.limit_now = new
        tell_moved(self.limit, new, moved, self.city.enterprises, self.production.logged_cap)

    def _ask_for_help(self, value: np.ndarray) -> None:
        """Covered firms with a critical input short (stock empty, less than 80 % arriving) ask their liaison once."""
        short = self.slot_critical & (value < 0.8) & ~self.asked
        if not short.any():
            return
        ents = self.city.enterprises
        self.asked |= short  # a firm looks for help once per input (those without a liaison find none)
        for s in np.nonzero(short)[0].tolist():
            ent = ents[int(self.slot_firm[s])]
            if ent.failed or not self.cadres.has_liaison(ent):
                continue
            hours = self.config.liaison_help_hours.quantile(ent.u("supply_help"))
            done = self.cadres.ask_liaison(ent, hours)
            if done is not None:
                self.help_requests += ent.members
                done.callbacks.append(partial(self._helped, s))

    def _helped(self, slot: int, _done: object = None) -> None:
        self.helped[slot] = True

    # -- results ---------------------------------------------------------------------------------

    def summary(self, view: ResultView) -> dict[str, float]:
        return {"input_short_firm_days": float(self.short_days), "supply_help_requests": float(self.help_requests)}

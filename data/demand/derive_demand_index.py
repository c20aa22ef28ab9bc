"""Derive each sector's demand from outside the city, Feb-Jun 2020, relative to normal.

Reads ``monthly_2020.csv`` (published monthly figures) and ``../network/sector_accounts.csv``
(where each sector's output goes, from China's 2018 input-output table) and writes
``sector_demand_2020.csv``: for each sector and each mid-month day, the demand index (1 = the
pre-crisis trend).

Rules (each a line below, with its figures):

- An index is the year-on-year change over the 2019 growth trend: (1 + y/y) / (1 + trend). Trends
  (NBS statistical communiqué on 2019, 28 Feb 2020): industrial value added +5.7 %, retail sales
  +8.0 % (catering revenue +9.4 %), fixed-asset investment +5.4 %.
- Intermediate demand and exports follow industrial value added: February from the seasonally
  adjusted month-on-month change (-26.63 %: January counted as normal), March-June from the monthly
  y/y figures.
- Consumption of goods follows goods retail (商品零售), of accommodation and catering the catering
  revenue (餐饮收入), of services the total retail sales. Only January-February was published; February
  alone is twice the two months' level less January's, January taken at its trend (the lockdown came
  in its last week) except catering, whose January is taken at -20 % y/y (assumption: the Spring
  Festival's banquets were cancelled from 21 January).
- Fixed capital formation follows fixed-asset investment. February alone is derived from
  January-February as for retail (January at trend); from March the cumulative y/y to a month is taken
  as that month's level (a smoothed, lagging path: monthly figures were not published).
- A sector's index is the mean of these, weighted by the shares of its output going to intermediate
  use, final consumption, fixed capital formation and exports (inventory change left out).

Run from the repository root: ``python data/demand/derive_demand_index.py``.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

HERE = Path(__file__).resolve().parent
START = dt.date(2020, 2, 3)  # day 0 of the default scenario
MONTHS = ("2020-02", "2020-03", "2020-04", "2020-05", "2020-06")
TREND = {"iva": 0.057, "retail": 0.080, "catering": 0.094, "fai": 0.054}
CATERING_JANUARY = 0.20  # assumption: catering's January fell 20 % y/y (banquets cancelled from 21 January)
SERVICES = {"public_personal_services", "business_services", "transport_logistics", "trade"}


def _figures() -> dict[tuple[str, str, str, str], float]:
    """(indicator, category prefix, period, basis) -> value, national rows only."""
    out = {}
    with open(HERE / "monthly_2020.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["region"] == "national":
                out[(row["indicator"], row["category"], row["period"], row["basis"])] = float(row["value"])
    return out


def _find(fig: dict[tuple[str, str, str, str], float], indicator: str, category: str, period: str, basis: str) -> float:
    for (ind, cat, per, bas), value in fig.items():
        if ind == indicator and cat.startswith(category) and per == period and bas == basis:
            return value
    raise KeyError(f"{indicator} / {category} / {period} / {basis} not in monthly_2020.csv")


def series() -> dict[str, list[float]]:
    """Each component's index for February to June."""
    fig = _figures()
    iva = [1.0 + _find(fig, "industrial_value_added", "all above-scale", "2020-02", "m/m seasonally adjusted") / 100]
    iva += [(1 + _find(fig, "industrial_value_added", "all above-scale", m, "y/y real") / 100) / (1 + TREND["iva"])
            for m in MONTHS[1:]]
    first = {"2020-02": "2020-01/2020-02"}

    def february(jan_feb: float, january: float) -> float:
        """February's y/y level from the January-February figure and January's level (both 1 + y/y)."""
        return 2.0 * jan_feb - january

    def retail(category: str, trend: str, january: float | None = None) -> list[float]:
        out = []
        for m in MONTHS:
            level = 1 + _find(fig, "retail_sales", category, first.get(m, m), "y/y nominal") / 100
            if m == "2020-02":
                level = february(level, 1 + TREND[trend] if january is None else january)
            out.append(level / (1 + TREND[trend]))
        return out

    fai_periods = {"2020-02": "2020-01/2020-02", "2020-03": "2020-01/2020-03", "2020-04": "2020-01/2020-04",
                   "2020-05": "2020-01/2020-05", "2020-06": "2020-01/2020-06"}
    fai = [(1 + _find(fig, "fixed_asset_investment", "total", fai_periods[m], "cumulative y/y nominal") / 100)
           for m in MONTHS]
    fai[0] = february(fai[0], 1 + TREND["fai"])
    fai = [level / (1 + TREND["fai"]) for level in fai]
    return {"intermediate": iva, "goods": retail("商品零售", "retail"),
            "catering": retail("餐饮收入", "catering", january=1 - CATERING_JANUARY),
            "services": retail("total retail", "retail"), "investment": fai}


def _accounts() -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with open(HERE.parent / "network" / "sector_accounts.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["sector"], {})[row["item"]] = float(row["value"])
    return out


def main() -> None:
    comp = series()
    rows = []
    for sector, acc in sorted(_accounts().items()):
        w = {"intermediate": acc["intermediate_use_share"] + acc["export_share"],
             "consumption": acc["final_consumption_share"], "investment": acc["gross_fixed_capital_formation_share"]}
        total = sum(w.values())
        consumption = (comp["catering"] if sector == "accommodation_catering"
                       else comp["services"] if sector in SERVICES else comp["goods"])
        for k, month in enumerate(MONTHS):
            value = (w["intermediate"] * comp["intermediate"][k] + w["consumption"] * consumption[k]
                     + w["investment"] * comp["investment"][k]) / total
            day = (dt.date.fromisoformat(month + "-15") - START).days
            rows.append({"sector_key": sector, "day": day, "date": f"{month}-15", "index": round(value, 4),
                         "intermediate_weight": round(w["intermediate"] / total, 3),
                         "consumption_weight": round(w["consumption"] / total, 3),
                         "investment_weight": round(w["investment"] / total, 3)})
    with open(HERE / "sector_demand_2020.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {HERE / 'sector_demand_2020.csv'}")


if __name__ == "__main__":
    main()

"""Derive how much of each sector's goods could be bought from outside the city, Feb-May 2020.

Writes ``external_availability_2020.csv``: for each input sector and day (day 0 = 3 Feb 2020), the
share of normal deliveries from outside the city that arrived, the product of

- **producers at work**: the share of (above-scale) producers outside the city that had restarted:
  3 Feb about 0.25 (assumption, 0.10-0.40: Jiangsu had 26 % of its above-scale firms back on 10 Feb,
  ``external_resumption_2020.csv``), Liaoning 0.544 on 12 Feb and national 0.831, 0.950, 0.986, 0.991
  on 23 Feb, 1 Mar, 28 Mar and 21 Apr (``../targets/resumption_above_scale_2020.csv``);
- **transport**: for goods that travel by road, commercial freight volume against 2019 at mid-month
  (0.701 in February, 0.870 in March, 0.979 in April, 1.023 on 20 May; ``external_resumption_2020.csv``)
  and about 0.35 on 3 Feb (assumption, 0.25-0.50: expressway truck flow rose 136 % in the week of
  16-22 Feb over the week before); goods carried by rail (coal, ores) were hardly interrupted (rail
  freight +4.5 % in February): 1.0.

Electricity, heat, gas and water come from the city's own utilities (never interrupted): 1.0.
Services bought from outside follow the producers at work.

Run from the repository root: ``python data/supply/derive_availability.py``.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (day, share) with day 0 = 3 Feb 2020
PRODUCERS = [(0, 0.25), (9, 0.544), (20, 0.831), (27, 0.950), (54, 0.986), (78, 0.991)]
ROAD = [(0, 0.35), (12, 0.701), (41, 0.870), (72, 0.979), (107, 1.0)]
RAIL_GOODS = {"coal_mining", "other_mining"}
LOCAL = {"utilities"}
SERVICES = {"business_services", "public_personal_services", "trade", "accommodation_catering", "construction"}
SECTORS = ("agriculture", "coal_mining", "other_mining", "food", "light_manufacturing", "fuels_chemicals",
           "building_materials", "metals", "machinery", "vehicles_electrical", "utilities", "construction", "trade",
           "transport_logistics", "accommodation_catering", "business_services", "public_personal_services")


def at(points: list[tuple[int, float]], day: int) -> float:
    """Linear between points, flat outside them."""
    if day <= points[0][0]:
        return points[0][1]
    for (d0, v0), (d1, v1) in zip(points, points[1:], strict=False):
        if day <= d1:
            return v0 + (v1 - v0) * (day - d0) / (d1 - d0)
    return points[-1][1]


def availability(sector: str, day: int) -> float:
    if sector in LOCAL:
        return 1.0
    if sector == "transport_logistics":
        return min(1.0, at(ROAD, day))
    producers = at(PRODUCERS, day)
    if sector in SERVICES:
        return producers
    transport = 1.0 if sector in RAIL_GOODS else min(1.0, at(ROAD, day))
    return producers * transport


def main() -> None:
    days = sorted({d for d, _ in PRODUCERS} | {d for d, _ in ROAD})
    rows = [{"sector_key": s, "day": d, "availability": round(availability(s, d), 4)} for s in SECTORS for d in days]
    with open(HERE / "external_availability_2020.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["sector_key", "day", "availability"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {HERE / 'external_availability_2020.csv'}")


if __name__ == "__main__":
    main()

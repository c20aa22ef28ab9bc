"""Office hours: the map between an office's working time and calendar time.

An office open ``hours_per_day`` hours a day (from ``opens_at_hour``) on the
first ``days_per_week`` days of each week accrues one *working day* per open
day. Service times of offices are in working days, so a 0.2 reviewer-day
review takes 0.2 × 8 = 1.6 hours of an 8-hour day; a service of ``w`` working
days that starts at calendar time ``t`` ends at ``W⁻¹(W(t) + w)``, where
``W(t)`` is the working time accrued by ``t``. Nothing is scheduled at
opening or closing: the end of a service is computed when it starts, so a
service point keeps one event per service.

24 hours × 7 days is the identity (an office that never closes), handled
exactly so that such an office behaves as before office hours existed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WEEK = 7


@dataclass(frozen=True)
class OfficeHours:
    """Working days of an office; day 0 of the simulation is weekday ``first_weekday`` (0 = Monday)."""

    hours_per_day: float = 24.0
    days_per_week: int = 7
    opens_at_hour: float = 0.0
    first_weekday: int = 0

    # Derived constants, computed once: these are read at every service start and
    # at every change of a queue (see servers.py), which made them a hot spot.
    always_open: bool = field(init=False, repr=False, compare=False)
    _open: float = field(init=False, repr=False, compare=False)
    _span: float = field(init=False, repr=False, compare=False)
    _base: float = field(init=False, repr=False, compare=False)  # worked from Monday to day 0

    def __post_init__(self) -> None:
        if not 0 < self.hours_per_day <= 24:
            raise ValueError(f"hours_per_day must be in (0, 24], got {self.hours_per_day}")
        if not 1 <= self.days_per_week <= WEEK:
            raise ValueError(f"days_per_week must be 1 to 7, got {self.days_per_week}")
        if self.opens_at_hour < 0 or self.opens_at_hour + self.hours_per_day > 24:
            raise ValueError("the office must close by midnight: opens_at_hour + hours_per_day <= 24")
        if not 0 <= self.first_weekday < WEEK:
            raise ValueError(f"first_weekday must be 0 (Monday) to 6, got {self.first_weekday}")
        setattr_ = object.__setattr__  # frozen dataclass
        setattr_(self, "always_open", self.hours_per_day >= 24 and self.days_per_week >= WEEK)
        setattr_(self, "_open", self.opens_at_hour / 24.0)
        setattr_(self, "_span", self.hours_per_day / 24.0)
        setattr_(self, "_base", self._worked_since_monday(self.first_weekday))

    def _worked_since_monday(self, s: float) -> float:
        """Working days accrued from the Monday before the first day to week time ``s``."""
        weeks = math.floor(s / WEEK)
        r = s - WEEK * weeks
        day = math.floor(r)
        d = self.days_per_week
        if day < d:
            out = float(weeks * d + day)
            # the share of today's opening hours gone by, clamped to [0, 1]
            x = (r - day - self._open) / self._span
            return out + (x if 0.0 < x < 1.0 else (1.0 if x >= 1.0 else 0.0))
        return float(weeks * d + d)

    def worked(self, t: float) -> float:
        """Working days accrued between calendar time 0 and ``t``."""
        if self.always_open:
            return t
        return self._worked_since_monday(t + self.first_weekday) - self._base

    def calendar_time(self, w: float) -> float:
        """The earliest calendar time by which ``w`` working days have accrued (``w`` ≥ 0)."""
        if self.always_open:
            return w
        total = w + self._base
        if total <= 0.0:
            return 0.0
        d = self.days_per_week
        weeks = math.floor(total / d)
        rem = total - weeks * d
        if rem <= 0.0:  # exactly at a week's last closing: the end of its last working day
            weeks -= 1
            rem = float(d)
        day = math.ceil(rem) - 1  # rem in (day, day + 1]: the work ends on that working day
        s = WEEK * weeks + day + self._open + (rem - day) * self._span
        return max(0.0, s - self.first_weekday)

    def end_of_service(self, start: float, work: float) -> float:
        """Calendar time at which ``work`` working days started at ``start`` are done."""
        if self.always_open:
            return start + work
        return max(start, self.calendar_time(self.worked(start) + work))


ALWAYS_OPEN = OfficeHours()

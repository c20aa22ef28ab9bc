"""What one replication of one variant produced: the record every later layer reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class RunResult:
    """Everything one replication of one variant produced (picklable)."""

    variant: str
    replication: int
    outcomes: dict[str, np.ndarray]
    series: dict[str, np.ndarray]
    summary: dict[str, float]
    events: int
    wall_seconds: float
    enterprise_ids: list[str] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)

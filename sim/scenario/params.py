"""Declaring a parameter once: default, unit, meaning and provenance.

Every field of the scenario schema is declared with :func:`param`, so that the
JSON Schema, the resolved scenario and the report can show where a value comes
from. Provenance strings start with one of ``source:`` (the Tieling newspaper
report), ``literature:`` (a published figure with its citation, listed in ``docs/sources.md``), ``policy:``
(a rule or order) or ``assumption:``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

PROVENANCE_KINDS = ("source", "literature", "policy", "assumption", "calibrated")


def param(
    default: Any,
    *,
    unit: str,
    meaning: str,
    provenance: str,
    plausible_range: tuple[float, float] | None = None,
    **constraints: Any,
) -> Any:
    """A schema field with its unit, one-line meaning and provenance.

    ``plausible_range`` (low, high) marks a value nobody published (an office's
    head-count, say): the range a robustness study should draw from.
    """
    kind = provenance.split(":", 1)[0]
    if kind not in PROVENANCE_KINDS:  # a programming error, caught by the schema tests
        raise ValueError(f"provenance must start with one of {PROVENANCE_KINDS}: {provenance!r}")
    extra: dict[str, Any] = {"unit": unit, "provenance": provenance}
    if plausible_range is not None:
        low, high = plausible_range
        if not low <= high:
            raise ValueError(f"plausible_range must be (low, high) with low <= high: {plausible_range!r}")
        extra["plausible_range"] = [low, high]
    if callable(default):  # a factory: list, dict or a lambda building a fresh default
        return Field(
            default_factory=default, description=meaning, json_schema_extra=extra, **constraints
        )
    return Field(default, description=meaning, json_schema_extra=extra, **constraints)


def section(factory: Any, meaning: str) -> Any:
    """A nested group of parameters (its fields carry their own provenance)."""
    return Field(default_factory=factory, description=meaning)


class Strict(BaseModel):
    """Base of every schema model: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


def field_meta(info: FieldInfo) -> dict[str, str]:
    """Unit, provenance and plausible range ("low–high") of a declared field (empty for sections)."""
    extra = info.json_schema_extra
    if not isinstance(extra, dict):
        return {}
    out = {k: str(v) for k, v in extra.items() if k in ("unit", "provenance")}
    rng = extra.get("plausible_range")
    if isinstance(rng, list) and len(rng) == 2:
        out["plausible_range"] = f"{rng[0]:g}–{rng[1]:g}"
    return out


def plausible_range(info: FieldInfo) -> tuple[float, float] | None:
    """The declared plausible (low, high) of a field, or None."""
    extra = info.json_schema_extra
    rng = extra.get("plausible_range") if isinstance(extra, dict) else None
    if isinstance(rng, list) and len(rng) == 2 and all(isinstance(v, (int, float)) for v in rng):
        return float(rng[0]), float(rng[1])  # type: ignore[arg-type]
    return None

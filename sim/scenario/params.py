"""Declaring a parameter once: default, unit, meaning and provenance.

Every field of the scenario schema is declared with :func:`param`, so that the
JSON Schema, the resolved scenario and the report can show where a value comes
from. Provenance strings start with one of ``source:`` (the Tieling newspaper
report), ``literature:`` (a citation from ``data/LITERATURE.md``), ``policy:``
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
    **constraints: Any,
) -> Any:
    """A schema field with its unit, one-line meaning and provenance."""
    kind = provenance.split(":", 1)[0]
    if kind not in PROVENANCE_KINDS:  # a programming error, caught by the schema tests
        raise ValueError(f"provenance must start with one of {PROVENANCE_KINDS}: {provenance!r}")
    extra: dict[str, Any] = {"unit": unit, "provenance": provenance}
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
    """Unit and provenance of a declared field (empty for sections)."""
    extra = info.json_schema_extra
    if isinstance(extra, dict):
        return {k: str(v) for k, v in extra.items() if k in ("unit", "provenance")}
    return {}

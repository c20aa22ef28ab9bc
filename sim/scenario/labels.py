"""Display labels (English and Chinese) for the scenario's variants and counties.

A variant or county is named in the file by a short key (``green-for-all``,
``kaiyuan``) that commands, CSV files and paths use. The report and its plots
may show a readable label instead, in the report's language::

    labels:
      variants:
        base: {en: "as in 2020", zh: "2020年做法"}
        green-for-all: {en: "green channel for all", zh: "全部企业走绿色通道"}
      counties:
        kaiyuan: {en: Kaiyuan, zh: 开原市}

A name without a label in the report's language is shown as it is (an English
report never shows a Chinese-only label, which a figure without a CJK font could
not draw). The base's labels are the ones used (a variant that
sets labels changes nothing shown).
"""

from __future__ import annotations

import difflib
from typing import Literal

from pydantic import Field, model_validator

from sim.scenario.params import Strict

Lang = Literal["en", "zh"]


class Label(Strict):
    """A name as a planner reads it, in English and/or Chinese."""

    en: str | None = Field(None, min_length=1, max_length=80, description="English label")
    zh: str | None = Field(None, min_length=1, max_length=40, description="Chinese label")

    @model_validator(mode="after")
    def _one_at_least(self) -> Label:
        if self.en is None and self.zh is None:
            raise ValueError("give the label in English (en:), in Chinese (zh:) or both")
        return self

    def text(self, lang: Lang) -> str | None:
        """The label in ``lang``, or None when it is given only in the other language."""
        return self.en if lang == "en" else self.zh


class Labels(Strict):
    """Display labels by variant name and by county name."""

    variants: dict[str, Label] = Field(default_factory=dict, description="variant name (or base) → label")
    counties: dict[str, Label] = Field(default_factory=dict, description="county name → label")

    def variant(self, name: str, lang: Lang) -> str:
        """The variant's label in ``lang`` (its name when it has none)."""
        label = self.variants.get(name)
        return (label.text(lang) if label is not None else None) or name

    def county(self, name: str, lang: Lang) -> str:
        """The county's label in ``lang`` (its name when it has none)."""
        label = self.counties.get(name)
        return (label.text(lang) if label is not None else None) or name

    def unknown_variants(self, names: list[str], base: str) -> list[tuple[tuple[str, ...], str]]:
        """(path under labels:, problem) for each label of a variant the scenario does not have."""
        known = [base, *names]
        out: list[tuple[tuple[str, ...], str]] = []
        for name in self.variants:
            if name not in known:
                hint = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
                guess = f" Did you mean '{hint[0]}'?" if hint else ""
                out.append((("variants", name), f"'{name}' is not a variant of this scenario.{guess} Variants: "
                                                f"{', '.join(known)}."))
        return out

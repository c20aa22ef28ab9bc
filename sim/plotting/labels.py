"""Words on plots and in the report, in English and Chinese.

The Chinese terms are the source's own: 复工率 (resumption rate), 复岗率
(workers back), 达产率 (production index), 帮扶联络员 (liaison),
卫生防疫监督指导员 (supervisor), "1+1+1". The labels of metrics and series are
declared with them by the modules that compute them (:mod:`sim.model.catalogue`);
here are the other words of the plots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from sim.model import catalogue
from sim.scenario.labels import Labels

Lang = Literal["en", "zh"]
LANGUAGES: tuple[Lang, ...] = ("en", "zh")

_TEXT: dict[str, tuple[str, str]] = {
    # plot titles and axes
    "day": ("day since start", "自起始日的天数"),
    "date": ("date (day 0 = {start})", "日期（第0天 = {start}）"),
    "share": ("share", "比例"),
    "by_size_class": ("Workers back (复岗率) and production index (达产率) by size class",
                      "分规模复岗率与达产率"),
    "restart_km": ("Enterprises still closed (Kaplan–Meier, closed firms censored at the horizon)",
                   "尚未复工企业占比（Kaplan–Meier，期末未复工者作删失处理）"),
    "still_closed": ("share still closed", "尚未复工比例"),
    "queues": ("Queues: mean number waiting each day", "排队：每日平均等待数"),
    "waiting": ("enterprises waiting", "等待企业数"),
    "utilisation": ("Utilisation of the \"1+1+1\" cadres: share of their time on visits",
                    "“1+1+1”干部利用率：用于走访的时间占比"),
    "busy_share": ("share of time busy", "忙碌时间占比"),
    "forest": ("Paired differences from the reference (95 % CI over replications)",
               "与参照方案的配对差异（重复运行的95%置信区间）"),
    "difference": ("variant − reference", "方案 − 参照"),
    "band_note": ("lines: mean over replications; bands: 95 % CI of the mean",
                  "线：各次重复运行的均值；阴影：均值的95%置信区间"),
    "sensitivity": ("Sensitivity of each outcome to the swept parameters", "各结果对扫描参数的敏感度"),
    "surface": ("Outcome over two levers (mean over replications and other parameters)",
                "两个政策杠杆下的结果（对重复运行及其他参数取均值）"),
    "lever": ("lever", "政策杠杆"),
    "uncertainty": ("uncertainty", "不确定因素"),
    "n_runs": ("n", "次数"),
    "pairs_of": ("{n}/{total} pairs", "{n}/{total}对"),
    "county_resumed": ("Resumption rate (复工率) by county", "各县（市、区）复工率"),
    "county_coverage": ("\"1+1+1\" coverage by county: share of firms with a cadre", "各县（市、区）“1+1+1”覆盖率"),
    "constraints_title": ("What holds firms back: share of firms by the constraint that binds each day (mean over "
                  "replications)", "是什么拖住了企业：每日按制约因素划分的企业占比（重复运行均值）"),
    "constraints_share": ("share of firms", "企业占比"),
}


def text(key: str, lang: Lang) -> str:
    """The label ``key`` in ``lang``: a word of the plots, or a declared series or metric (else the key)."""
    pair = _TEXT.get(key)
    if pair is not None:
        return pair[0] if lang == "en" else pair[1]
    return catalogue.label(key, lang) or key


def metric_label(metric: str, lang: Lang) -> str:
    """Short name of a summary metric, as its module declares it (the column name when none does)."""
    return catalogue.label(metric, lang) or metric


_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_CJK_GROUP = re.compile(rf"\s*[(（][^)）]*[{_CJK}][^)）]*[)）]")
_CJK_CHARS = re.compile(rf"[{_CJK}]+")


def without_cjk(label: str) -> str:
    """An English label without its Chinese glosses, for figures drawn without a CJK font."""
    return _CJK_CHARS.sub("", _CJK_GROUP.sub("", label)).strip()


@dataclass(frozen=True)
class Words:
    """Labels in one language; ``cjk`` says whether Chinese characters can be drawn; ``names`` are the
    scenario's display labels of its variants and counties."""

    lang: Lang = "en"
    cjk: bool = True
    names: Labels = field(default_factory=Labels)

    def fit(self, label: str) -> str:
        """``label`` as it can be drawn (without its Chinese glosses when no CJK font is installed)."""
        return label if self.cjk else without_cjk(label)

    def t(self, key: str) -> str:
        return self.fit(text(key, self.lang))

    def metric(self, metric: str) -> str:
        return self.fit(metric_label(metric, self.lang))

    def variant(self, name: str) -> str:
        """A variant's display label (its name when it has none, or none that can be drawn)."""
        return self.fit(self.names.variant(name, self.lang)) or name

    def county(self, name: str) -> str:
        """A county's display label (its name when it has none, or none that can be drawn)."""
        return self.fit(self.names.county(name, self.lang)) or name

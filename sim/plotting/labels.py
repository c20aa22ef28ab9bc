"""Words on plots and in the report, in English and Chinese.

The Chinese terms are the source's own: 复工率 (resumption rate), 复岗率
(workers back), 达产率 (production index), 帮扶联络员 (liaison),
卫生防疫监督指导员 (supervisor), "1+1+1".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Lang = Literal["en", "zh"]
LANGUAGES: tuple[Lang, ...] = ("en", "zh")

_TEXT: dict[str, tuple[str, str]] = {
    # plot titles and axes
    "day": ("day since start", "自起始日的天数"),
    "date": ("date (day 0 = {start})", "日期（第0天 = {start}）"),
    "share": ("share", "比例"),
    "resumed_share": ("Resumption rate (复工率): share of enterprises open", "复工率：已复工企业占比"),
    "workers_back_share": ("Workers back (复岗率): share of workers at their posts", "复岗率：已返岗职工占比"),
    "production_index": ("Production index (达产率): capacity in use", "达产率：产能恢复程度"),
    "by_size_class": ("Workers back (复岗率) and production index (达产率) by size class",
                      "分规模复岗率与达产率"),
    "workers_back_share_above_scale": ("复岗率, above-scale (规上)", "规上企业复岗率"),
    "workers_back_share_sme": ("复岗率, SMEs", "中小企业复岗率"),
    "workers_back_share_micro": ("复岗率, micro firms", "微型企业复岗率"),
    "production_index_above_scale": ("达产率, above-scale (规上)", "规上企业达产率"),
    "production_index_sme": ("达产率, SMEs", "中小企业达产率"),
    "production_index_micro": ("达产率, micro firms", "微型企业达产率"),
    "restart_km": ("Enterprises still closed (Kaplan–Meier, closed firms censored at the horizon)",
                   "尚未复工企业占比（Kaplan–Meier，期末未复工者作删失处理）"),
    "still_closed": ("share still closed", "尚未复工比例"),
    "queues": ("Queues: mean number waiting each day", "排队：每日平均等待数"),
    "waiting": ("enterprises waiting", "等待企业数"),
    "approval_queue": ("restart approval (复工审批)", "复工审批"),
    "inspection_queue": ("epidemic-prevention inspection", "防疫检查"),
    "department_queue": ("departments (problems)", "部门（问题解决）"),
    "registration_queue": ("market registration (市场主体登记)", "市场主体登记"),
    "utilisation": ("Utilisation of the \"1+1+1\" cadres: share of their time on visits",
                    "“1+1+1”干部利用率：用于走访的时间占比"),
    "busy_share": ("share of time busy", "忙碌时间占比"),
    "liaison_utilisation": ("liaisons (帮扶联络员)", "帮扶联络员"),
    "supervisor_utilisation": ("supervisors (卫生防疫监督指导员)", "卫生防疫监督指导员"),
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
    "liaison_coverage": ("with a liaison (帮扶联络员)", "有帮扶联络员的企业占比"),
    "supervisor_coverage": ("with a supervisor (卫生防疫监督指导员)", "有卫生防疫监督指导员的企业占比"),
}

# Summary metrics (summary.csv columns) with short names in both languages.
METRICS: dict[str, tuple[str, str]] = {
    "restarted_share": ("restarted by the horizon", "期末已复工"),
    "mean_restart_day": ("mean restart day", "平均复工日"),
    "median_restart_day": ("median restart day", "复工日中位数"),
    "p90_restart_day": ("90th pct restart day", "复工日90分位"),
    "mean_full_production_day": ("mean full-production day (达产)", "平均达产日"),
    "full_production_share": ("reached full production", "已达产"),
    "day_resumed_50": ("day resumption (复工率) ≥ 50 %", "复工率达50%之日"),
    "day_resumed_90": ("day resumption (复工率) ≥ 90 %", "复工率达90%之日"),
    "resumed_share_end": ("resumption rate (复工率) at the horizon", "期末复工率"),
    "workers_back_share_end": ("workers back (复岗率) at the horizon", "期末复岗率"),
    "production_index_end": ("production index (达产率) at the horizon", "期末达产率"),
    "failed_share": ("failed", "倒闭企业占比"),
    "failures": ("failures", "倒闭企业数"),
    "jobs_lost": ("jobs lost", "失去岗位数"),
    "output_lost": ("output lost, yuan", "产值损失（元）"),
    "output_lost_share": ("output lost, share", "产值损失占比"),
    "loan_intentions": ("loan intentions", "贷款意向"),
    "loans_disbursed": ("loans disbursed", "已发放贷款"),
    "loan_amount": ("loan money, yuan", "贷款金额（元）"),
    "mean_loan_delay": ("days intention → loan", "意向至放款天数"),
    "incidents": ("outbreak incidents", "疫情事件"),
    "cadre_days": ("busy cadre-days", "干部工作人日"),
    "cadre_days_deployed": ("cadre-days deployed", "干部派驻人日"),
    "liaison_busy_share": ("liaisons' busy share", "联络员工作时间占比"),
    "supervisor_busy_share": ("supervisors' busy share", "监督指导员工作时间占比"),
    "checkins_missed": ("check-ins missed (日检查)", "未完成日检查"),
    "prevention_checks_missed": ("prevention checks missed", "未完成防疫检查"),
    "mean_cadre_wait": ("days waiting for a cadre", "等待干部天数"),
    "liaison_coverage": ("with a liaison (帮扶联络员)", "有帮扶联络员"),
    "supervisor_coverage": ("with a supervisor (监督指导员)", "有卫生防疫监督指导员"),
    "mean_rework_rounds": ("returned applications", "退回补正次数"),
    "mean_approval_wait": ("approval queue wait, days", "审批排队天数"),
    "problems": ("problems", "问题数"),
    "mean_problem_days": ("days to solve a problem", "问题解决天数"),
    "hires": ("hires", "招聘人数"),
    "postings": ("job postings", "招聘岗位发布"),
    "posting_firms": ("firms posting jobs online", "网上发布招聘的企业"),
    "point_to_point_workers": ("workers carried point to point (点对点)", "点对点返岗人数"),
    "point_to_point_cost": ("point-to-point transport cost, yuan", "点对点运输费用（元）"),
    "km_median_restart_day": ("median restart day (Kaplan–Meier)", "复工日中位数（Kaplan–Meier）"),
}

# Metrics that are shares in [0, 1] and read best as percentages.
PERCENT_METRICS = frozenset({
    "restarted_share", "full_production_share", "resumed_share_end", "workers_back_share_end",
    "production_index_end", "failed_share", "output_lost_share", "liaison_coverage", "supervisor_coverage",
    "liaison_busy_share", "supervisor_busy_share",
})


def text(key: str, lang: Lang) -> str:
    """The label ``key`` in ``lang`` (the key itself when it has no translation)."""
    pair = _TEXT.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "en" else pair[1]


def metric_label(metric: str, lang: Lang) -> str:
    """Short name of a summary metric (the column name when it has none)."""
    pair = METRICS.get(metric)
    if pair is None:
        return metric
    return pair[0] if lang == "en" else pair[1]


_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_CJK_GROUP = re.compile(rf"\s*[(（][^)）]*[{_CJK}][^)）]*[)）]")
_CJK_CHARS = re.compile(rf"[{_CJK}]+")


def without_cjk(label: str) -> str:
    """An English label without its Chinese glosses, for figures drawn without a CJK font."""
    return _CJK_CHARS.sub("", _CJK_GROUP.sub("", label)).strip()


@dataclass(frozen=True)
class Words:
    """Labels in one language; ``cjk`` says whether Chinese characters can be drawn."""

    lang: Lang = "en"
    cjk: bool = True

    def _fit(self, label: str) -> str:
        return label if self.cjk else without_cjk(label)

    def t(self, key: str) -> str:
        return self._fit(text(key, self.lang))

    def metric(self, metric: str) -> str:
        return self._fit(metric_label(metric, self.lang))

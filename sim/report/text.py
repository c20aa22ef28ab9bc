"""The report's own words, in English and Chinese (plot labels are in sim.plotting.labels)."""

from __future__ import annotations

from sim.plotting.labels import Lang

_WORDS: dict[str, tuple[str, str]] = {
    "title": ("Reopening-policy simulation report", "复工复产政策仿真报告"),
    "question": ("The question", "研究问题"),
    "scorecard": ("Decision scorecard", "决策记分卡"),
    "scorecard_note": ("Each variant minus its reference (the base unless the scenario's decision: section names "
                       "another), replication by replication on common random numbers "
                       "({n} pairs): mean difference [95 % CI]. Verdict: better or worse when the CI excludes "
                       "zero and the difference is at least the minimal important difference (MID); negligible "
                       "when the whole CI lies within ± MID; otherwise uncertain (more replications may tell). "
                       "★ primary metric. The primary metric and the MIDs are set in the scenario's decision: "
                       "section.",
                       "各方案减去其参照方案（除非情景文件 decision: 部分另行指定，即基准），按共同随机数逐次配对（{n}对）：均值差［95%置信区间］。结论：置信区间不含零且差值"
                       "不小于最小重要差异（MID）时为“更好”或“更差”；置信区间完全落在 ± MID 之内为“可忽略”；其余为"
                       "“不确定”（增加重复次数或可判断）。★ 为主要指标。主要指标与MID在情景文件的 decision: 部分设定。"),
    "mid": ("MID", "最小重要差异"),
    "verdict_better": ("better", "更好"),
    "verdict_worse": ("worse", "更差"),
    "verdict_higher": ("higher", "更高"),
    "verdict_lower": ("lower", "更低"),
    "verdict_negligible": ("negligible", "可忽略"),
    "verdict_uncertain": ("uncertain", "不确定"),
    "verdict_no_data": ("no data", "无数据"),
    "verdict_not_reached": ("not reached by either", "两者均未达到"),
    "not_reached_either": ("neither reached it in any of the {n} replications: no difference to measure",
                           "{n}次重复中两者均未达到：无差异可言"),
    "verdict_not_reached_any": ("not reached by any", "均未达到"),
    "not_reached_any": ("none of these variants nor their references reached it in any of the {n} replications: "
                        "no difference to measure", "这些方案及其参照方案在{n}次重复中均未达到：无差异可言"),
    "no_pairs": ("no replication where both reached it", "两者均达到的重复运行为零"),
    "answer_winner": ("On {metric}, {variant} is best: {diff} against {base}, and better than every other variant "
                      "by at least the minimal important difference ({mid}).",
                      "按{metric}，{variant}最好：与{base}相比 {diff}，且比其他每个方案都好，差值不小于最小重要差异"
                      "（{mid}）。"),
    "answer_base_best": ("On {metric}, no variant does better than {base}: {base} is better than every variant by at "
                         "least the minimal important difference ({mid}).",
                         "按{metric}，没有方案优于{base}：{base}比每个方案都好，差值不小于最小重要差异（{mid}）。"),
    "answer_no_winner": ("On {metric}, no single variant is best: {variants} cannot be told apart (their "
                         "differences are within {mid} or uncertain).",
                         "按{metric}，没有唯一最优方案：{variants}之间无法区分（差值在{mid}以内或不确定）。"),
    "answer_all_tied": ("On {metric}, the variants cannot be told apart: no difference is clearly at least {mid}.",
                        "按{metric}，各方案之间无法区分：没有差值明确达到{mid}。"),
    "answer_ranking": ("Ranking on {metric} (braces: cannot be told apart): {ranking}.",
                       "按{metric}排序（花括号内的方案无法区分）：{ranking}。"),
    "answer_tie": ("Cannot be told apart on {metric}: {variants} (within {mid} or uncertain).",
                   "按{metric}无法区分：{variants}（差值在{mid}以内或不确定）。"),
    "tradeoffs": ("Trade-offs: where each variant is better and worse than its reference",
                  "权衡：各方案相对其参照方案在哪些指标更好、哪些更差"),
    "tradeoff_better": ("better", "更好"),
    "tradeoff_worse": ("worse", "更差"),
    "tradeoff_changed": ("changed", "有变化"),
    "tradeoff_uncertain": ("uncertain", "不确定"),
    "tradeoff_none": ("no clear difference from {base} on any metric", "与{base}相比在任何指标上都没有明确差异"),
    "costs": ("What each variant costs", "各方案的成本"),
    "cost": ("cost", "成本"),
    "compared_with": ("compared with", "参照方案"),
    "public_cost": ("public cost, million yuan (at the unit costs below)", "公共成本（万元，按下列单位成本计）"),
    "extra_cadre_days": ("extra cadre-days deployed (vs its reference) [95 % CI]", "比参照方案多派干部人日［95%置信区间］"),
    "extra_yuan": ("extra public cost, million yuan (vs its reference) [95 % CI]",
                   "比参照方案多花公共成本（万元）［95%置信区间］"),
    "jobs_saved": ("jobs saved", "多保住的岗位"),
    "firms_saved": ("firms saved", "多保住的企业"),
    "gain_of": ("{metric}, gain", "{metric}改善"),
    "per_cadre_days": ("per 1,000 extra cadre-days [95 % CI]", "（每多投入1000干部人日）［95%置信区间］"),
    "per_yuan": ("per million extra yuan [95 % CI]", "（每多花100万元）［95%置信区间］"),
    "ce_dominated": ("costs more, does no better", "成本更高，效果不更好"),
    "ce_dominates": ("costs less, does no worse", "成本更低，效果不更差"),
    "ce_no_extra_cost": ("no extra cost", "无额外成本"),
    "ce_unclear_cost": ("extra cost not clearly different from zero", "额外成本与零无明显差别"),
    "ce_less_for_less": ("costs less and does worse: the figure is what is given up per unit saved",
                         "成本更低但效果更差：该数字为每节省一个单位所放弃的效果"),
    "unit_costs_note": ("Public cost: what each variant uses, valued at the scenario's unit costs (decision.unit_costs; "
                        "their sources are under Every parameter): a cadre-day {cadre} yuan, a reviewer-day {reviewer} "
                        "yuan, point-to-point transport × {transport}, relief paid × {relief}, and the interest "
                        "subsidy on green-channel loan money, {rate} a year for {years} year(s) (loan money itself is "
                        "lent, not spent). Extra: the variant minus its reference, mean [95 % CI]; the extra public cost "
                        "also counts × {forgone} the deferred taxes the reference collects back and the variant does "
                        "not (forgiven, or owed by firms that failed), or collects more of. Per extra cadre-day or yuan: the mean gain over the mean extra "
                        "cost, with Fieller's 95 % interval; shown only where it reads as a price.",
                        "公共成本：各方案所用资源按情景文件的单位成本（decision.unit_costs，来源见“全部参数”）计价：干部每人日{cadre}元，"
                        "审批人员每工作日{reviewer}元，点对点运输 × {transport}，纾困补贴 × {relief}，绿色通道贷款贴息每年{rate}、"
                        "共{years}年（贷款本身是借出而非花费）。额外成本：方案减参照方案，均值［95%置信区间］；额外公共成本还按 × {forgone} 计入参照方案收回而该方案未收回（豁免或倒闭企业所欠）的缓缴税款（收回更多则为负）。"
                        "每多投入的干部人日或元：平均效果除以平均额外成本，附Fieller 95%区间；仅在可理解为“价格”时显示。"),
    "costs_missing": ("Not recorded by the model version that wrote this run's summary.csv: {columns}.",
                      "生成本次 summary.csv 的模型版本未记录：{columns}。"),
    "no_effectiveness": ("Without cadre-days deployed, no cost-effectiveness per extra cadre-day is shown.",
                         "缺少派出干部人日，无法给出每多投入干部人日的成本效益。"),
    "no_costs": ("No cost column in this run's summary.csv.", "本次 summary.csv 中没有成本列。"),
    "pp_short": ("pp", "个百分点"),
    "depends": ("What this answer depends on", "本结论取决于什么"),
    "depends_no_uncertainty": ("The scenario declares no uncertain figures (its uncertainty: section is empty), so "
                               "nothing says whether this answer holds if head-counts or rates nobody published "
                               "differ. List them with ranges and provenance, then run --robustness.",
                               "情景文件未声明不确定参数（uncertainty: 部分为空），因此无法判断当无人公布的人员数或比率不同时本结论"
                               "是否成立。请列出这些参数及其范围和来源，再运行 --robustness。"),
    "depends_not_checked": ("Not checked yet: this answer may depend on {k} figures nobody published ({names}). "
                            "Whether it holds across their ranges is not known until `python -m sim run {file} "
                            "--robustness 40` has run; `python -m sim report {folder}` then merges its results here "
                            "(a robustness folder beside this one is found; or name it with --robustness DIR).",
                            "尚未检验：本结论可能取决于{k}个无人公布的数字（{names}）。在运行 `python -m sim run {file} "
                            "--robustness 40` 之前，无法知道结论在其范围内是否成立；之后运行 `python -m sim report {folder}` "
                            "即可把结果并入本报告（会自动找到本目录旁的稳健性结果目录，或用 --robustness DIR 指定）。"),
    "depends_holds": ("Checked across what nobody published: at all {n} points drawn from the ranges of {k} "
                      "uncertain figures ({names}), {leaders} stays best on {metric} (or within {mid} of the best). "
                      "Within these ranges the answer does not depend on them.",
                      "已在无人公布的数字上检验：在{k}个不确定数字（{names}）范围内抽取的全部{n}个点上，按{metric}"
                      "{leaders}始终最好（或与最好者相差不超过{mid}）。在这些范围内，结论不取决于它们。"),
    "depends_flips": ("This answer depends on figures nobody published: at {f} of the {n} points drawn across their "
                      "ranges, {leaders} is not best on {metric} (by more than {mid}); best there instead (points): "
                      "{instead}.",
                      "本结论取决于无人公布的数字：在其范围内抽取的{n}个点中有{f}个点，按{metric}{leaders}不是最好"
                      "（差距超过{mid}）；这些点上最好的方案（点数）：{instead}。"),
    "depends_threshold": ("It flips where {name} is {side}: {hits} of the {f} points where it flips lie there, and "
                          "{there} of the {inside} points there flip. Nobody published this figure ({provenance}).",
                          "当{name} {side} 时结论改变：结论改变的{f}个点中有{hits}个落在此处，此处{inside}个点中有{there}个"
                          "改变。此数字无人公布（{provenance}）。"),
    "depends_prim": ("PRIM finds the region {limits}: it holds {coverage} of the points where the answer flips, "
                     "and {density} of its points flip.",
                     "PRIM 找到的区域为 {limits}：包含结论改变之点的{coverage}，区域内{density}的点结论改变。"),
    "depends_no_prim": ("PRIM is not installed (pip install -e \".[discovery]\"): only single-parameter thresholds "
                        "are given.", "未安装 PRIM（pip install -e \".[discovery]\"）：仅给出单个参数的阈值。"),
    "depends_no_single": ("No single figure separates the points where it flips: it depends on several together.",
                          "没有单个数字能区分结论改变的点：结论取决于几个数字的组合。"),
    "depends_reversals": ("Across the ranges, {r} pair(s) of variants swap order by more than {mid} (see the "
                          "robustness page).", "在这些范围内，有{r}对方案的排序互换且差距超过{mid}（见稳健性页面）。"),
    "depends_other_metric": ("The robustness run ranks the variants on {theirs}, this report on {ours}: its points "
                             "do not say on what this answer depends. Rerun it with the same decision: section.",
                             "稳健性运行按{theirs}排序，本报告按{ours}：其结果不能说明本结论取决于什么。请用相同的 decision: "
                             "部分重新运行。"),
    "depends_link": ("Robustness page", "稳健性页面"),
    "one_of": ("one of {variants} (this run cannot tell them apart)", "{variants}之一（本次运行无法区分它们）"),
    "uncertain_figure": ("uncertain figure (nobody published it)", "不确定数字（无人公布）"),
    "where_it_flips": ("where the answer flips", "结论改变之处"),
    "flips_where": ("{side} ({there} of {f} points)", "{side}（{f}个点中{there}个）"),
    "never_flips": ("never within the range", "范围内从不改变"),
    "influence": ("influence on regret, |ρ|", "对遗憾值的影响 |ρ|"),
    "held_back": ("What holds firms back", "是什么拖住了企业"),
    "held_back_note": ("Each day the model counts every firm under the one constraint that binds it (timeseries.csv, "
                       "the held_* columns): the shares add up to 100 % every day, firms at full production being "
                       "held back by nothing. Figure and tables: means over replications.",
                       "模型每日将每家企业归入当日制约它的唯一因素（timeseries.csv 中的 held_* 列）：各占比每日合计100%，"
                       "已达产企业不受任何制约。图表均为各次重复运行的均值。"),
    "held_why": ("Why {leader} leads on {metric}: compared with {other}, on {day}, when their firms differ most in "
                 "what holds them back, under {leader},",
                 "{leader}为何在{metric}上领先：与{other}相比，在两者企业所受制约差别最大的{day}，{leader}"),
    "held_differs": ("{leader} ranks first on {metric}, but this run cannot tell it apart from {other}. What holds "
                     "their firms back still differs: on {day}, when it differs most, under {leader},",
                     "{leader}在{metric}上排名第一，但本次运行无法将其与{other}区分。两者企业所受制约仍有差别：在差别最大的{day}，"
                     "{leader}"),
    "held_lower": ("{pp} pp fewer firms are held back by “{label}” (95 % CI {low} to {high})",
                   "受“{label}”制约的企业少{pp}个百分点（95%置信区间{low}至{high}）"),
    "held_higher": ("{pp} pp more firms are held back by “{label}” (95 % CI {low} to {high})",
                    "受“{label}”制约的企业多{pp}个百分点（95%置信区间{low}至{high}）"),
    "held_no_clear": ("no constraint's share differs clearly (every 95 % CI includes zero): more replications "
                      "would tell.", "各制约因素的企业占比均无明显差异（95%置信区间均包含零），需要更多重复运行。"),
    "held_tied": ("It ranks first, but this run cannot tell it apart from {variants} either.",
                  "它排名第一，但本次运行也无法将其与{variants}区分。"),
    "held_same": ("{leader} and {other} hold back the same shares of firms on every day: these series do not say "
                  "why one leads.", "{leader}与{other}每日受各因素制约的企业占比相同：这些序列无法说明为何其一领先。"),
    "held_contrast_note": ("Share of firms held back by each constraint under {leader} minus under {other}, in "
                           "percentage points with the 95 % CI of the paired difference over replications (under "
                           "it: the two shares). Days: half-way to the day they differ most, that day, and twice as "
                           "far (or the last day). Rows in bold: a CI that excludes zero.",
                           "各制约因素下的企业占比：{leader}减{other}，单位为百分点，括号内为重复运行配对差异的95%置信区间"
                           "（其下为两者的占比）。日期：两者差别最大之日的一半、当日及其两倍（或最后一天）。粗体行：置信区间不含零。"),
    "held_shares": ("Shares of firms by what holds them back, every variant, on these days",
                    "各方案在这些日期受各因素制约的企业占比"),
    "shares_pair": ("{mine} % vs {theirs} %", "{mine}% 对 {theirs}%"),
    "constraint": ("constraint", "制约因素"),
    "day_word": ("day", "日期"),
    "counties": ("By county", "分县（市、区）情况"),
    "counties_note": ("Per county and variant: the mean date its resumption rate (复工率) first reaches 90 % (over the "
                      "replications that reach it; the others are counted as not reached by the horizon), the rate at "
                      "the horizon, and the share of its firms with a liaison and a supervisor where the run recorded "
                      "it.",
                      "各县（市、区）各方案：复工率首次达到90%的平均日期（只计达到的重复运行，其余计为期末未达到）、期末复工率，"
                      "以及（若本次运行有记录）有帮扶联络员和卫生防疫监督指导员的企业占比。"),
    "county": ("county", "县（市、区）"),
    "at_horizon": ("at the horizon", "期末"),
    "liaison_short": ("liaison", "联络员"),
    "supervisor_short": ("supervisor", "监督指导员"),
    "no_counties": ("A single county: see the city-wide results.", "只有一个县（市、区），见全市结果。"),
    "yuan": ("yuan", "元"),
    "no_description": ("(the scenario has no description)", "（情景未填写说明）"),
    "variants_compared": ("Variants compared", "比较的方案"),
    "no_scorecard": ("Only one variant: nothing to compare.", "只有一个方案，无可比较。"),
    "not_reached": ("not reached in {k} of {n} replications", "{n}次重复中{k}次未达到"),
    "mean_of_reached": ("mean of the {k} that reached it", "达到的{k}次的均值"),
    "km_median": ("median {value} (Kaplan–Meier: the others count as later than the horizon)",
                  "中位数 {value}（Kaplan–Meier：未达到者视为晚于期末）"),
    "headline": ("Headline results", "主要结果"),
    "headline_note": ("Mean over replications ± half-width of its 95 % confidence interval (t). "
                      "Days count from the start date. A threshold not reached by the horizon in some "
                      "replications is censored there: the cell says in how many, and its mean is over the others. "
                      "Overlapping intervals here do not mean two variants are alike: they share each replication's "
                      "random numbers, so compare them in the scorecard (paired differences, far narrower).",
                      "各次重复运行的均值 ± 95%置信区间半宽（t分布）。天数自起始日计。若某阈值在部分重复运行中到期末仍"
                      "未达到，按期末删失处理：单元格注明次数，均值只计达到的各次。此处区间重叠并不说明两方案无差别：各方案在每次重复中"
                      "使用相同的随机数，请在决策评分卡中比较（配对差异，区间窄得多）。"),
    "variant": ("variant", "方案"),
    "reference": ("reference", "参照"),
    "metric": ("metric", "指标"),
    "mean_reference": ("reference mean", "参照均值"),
    "mean_variant": ("variant mean", "方案均值"),
    "difference": ("difference [95 % CI]", "差值［95%置信区间］"),
    "n_pairs": ("pairs", "配对数"),
    "p_value": ("p", "p值"),
    "p_holm": ("p (Holm)", "p值（Holm校正）"),
    "comparison": ("Paired comparison of variants", "方案配对比较"),
    "comparison_note": ("Each variant minus its reference, replication by replication (common random numbers). "
                        "p-values are Holm-corrected over every metric and pair; bold: p (Holm) < 0.05 and the difference "
                        "is at least the minimal important difference (see the scorecard). Replications in which a "
                        "threshold day was never reached are left out of that row's pairs (n); the scorecard counts "
                        "them.",
                        "各方案与参照方案逐次配对相减（共同随机数）。p值对所有指标和方案对做Holm校正；"
                        "粗体：校正后 p < 0.05 且差值不小于最小重要差异（见决策记分卡）。某阈值日未达到的重复运行不计入该行的配对数"
                        "（n），记分卡会列出其次数。"),
    "all_metrics": ("All metrics", "全部指标"),
    "no_comparison": ("No comparison.csv in this folder.", "本结果目录中没有 comparison.csv。"),
    "plots": ("Plots", "图表"),
    "plot_files": ("PNG and SVG files are in the folder's plots/.", "PNG 与 SVG 文件保存在结果目录的 plots/ 中。"),
    "variants": ("What differs between the variants", "各方案的参数差异"),
    "base_value": ("base", "基准"),
    "variant_value": ("variant", "方案"),
    "parameter": ("parameter", "参数"),
    "no_variants": ("The scenario has no variants: only the base was run.", "情景没有方案变体，仅运行了基准。"),
    "same_as_base": ("identical to the base (a control run)", "与基准相同（对照运行）"),
    "parameters": ("Every parameter", "全部参数"),
    "parameters_note": ("The base's resolved values. Provenance: source = the Tieling report, literature = a "
                        "cited figure, policy = an order, assumption = the modellers' choice; "
                        "'scenario file' marks a note the planner wrote for a value set in the file.",
                        "基准方案的完整参数值。来源：source = 铁岭报道，literature = 文献数据，policy = 政策文件，"
                        "assumption = 建模假设；“情景文件”表示规划人员在情景文件中为所设数值写的说明。"),
    "value": ("value", "取值"),
    "unit": ("unit", "单位"),
    "provenance": ("provenance", "来源"),
    "from_file": ("scenario file", "情景文件"),
    "no_parameters": ("No scenario.resolved.yaml in this folder.", "本结果目录中没有 scenario.resolved.yaml。"),
    "parameters_of_base": ("Besides the parameters of the design above, every value is the base scenario's, {file} "
                           "(its units and sources: python -m sim run {file}, then that run's report).",
                           "除上面设计中的参数外，其余取值均为基础情景 {file} 的取值（单位与来源：运行 python -m sim run {file}"
                           " 后查看其报告）。"),
    "reproduce": ("How to reproduce", "如何复现"),
    "command": ("command", "命令"),
    "rerun": ("rerun from this folder", "从本目录重新运行"),
    "seed": ("seed", "随机种子"),
    "replications": ("replications per variant", "每个方案的重复次数"),
    "version": ("package version", "程序版本"),
    "commit": ("git commit", "git 提交"),
    "wall": ("wall time, s", "运行时间（秒）"),
    "finished": ("finished at", "完成时间"),
    "folder": ("results folder", "结果目录"),
    "events": ("events simulated", "模拟事件数"),
    "never": ("never", "未达到"),
    "notes": ("Not drawn", "未绘制"),
    "sweep_design": ("Sweep design", "参数扫描设计"),
    "sweep_summary": ("Outcomes at each design point", "各设计点的结果"),
    "sensitivity": ("Sensitivity indices", "敏感度指数"),
    "group": ("group", "类别"),
    "step": ("step", "步长"),
    "minimize": ("lower is better", "越低越好"),
    "maximize": ("higher is better", "越高越好"),
    "decision": ("decision", "决策变量"),
    "recommended": ("recommended", "推荐值"),
    "objective": ("objective", "目标"),
    "direction": ("direction", "方向"),
    "recommended_mean": ("recommended: mean [95 % CI]", "推荐方案：均值［95%置信区间］"),
    "base_mean": ("base scenario: mean", "基础情景：均值"),
    "recommended_minus_base": ("recommended − base (paired) [95 % CI]", "推荐 − 基础（配对）［95%置信区间］"),
    "budget_used": ("budget used / limit", "预算使用 / 上限"),
    "whole_numbers": ("whole numbers", "整数"),
    "mean_ci": ("mean [95 % CI]", "均值［95%置信区间］"),
    "budget": ("budget", "预算"),
    "col_point": ("point", "设计点"),
    "col_candidate": ("candidate", "候选方案"),
    "col_replications": ("replications", "重复次数"),
    "col_selected": ("selected", "选中"),
    "col_eliminated_at": ("eliminated after replication", "淘汰于第几次重复"),
    "base_scenario": ("base scenario", "基础情景"),
    "range": ("range or levels", "范围或水平"),
    "point": ("point", "设计点"),
    "outcome": ("outcome", "结果"),
    "generated": ("Generated by", "生成工具"),
    "sooner": ("sooner", "提前"),
    "later": ("later", "推迟"),
    "significant": ("significant after Holm correction", "Holm校正后显著"),
    "not_significant": ("not significant after Holm correction", "Holm校正后不显著"),
    "days": ("days", "天"),
    "pp": ("percentage points", "个百分点"),
    "than": ("than", "相比"),
    "contents": ("Contents", "目录"),
}


def word(key: str, lang: Lang) -> str:
    pair = _WORDS[key]
    return pair[0] if lang == "en" else pair[1]


def vocabulary(lang: Lang) -> dict[str, str]:
    """Every word of the report in ``lang``, for the template."""
    return {k: word(k, lang) for k in _WORDS}

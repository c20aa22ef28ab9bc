"""Aggregate China's 42-sector input-output table to the city's sectors.

Reads the NBS 2018 non-competitive 42-sector table (domestic and imported
intermediate flows) and the IHS Markit critical-input ratings of Pichler et
al. (2020/2022), and writes, next to this script:

- ``io_coefficients.csv``: direct-input coefficients a_IJ between the sectors
  of ``sectors.csv`` (yuan of input I per yuan of output of J), total and
  split into domestic and imported inputs;
- ``sector_accounts.csv``: output, cost and final-use shares per sector;
- ``critical_inputs.csv``: critical / important / non-critical per pair.

All rows are derived (aggregated) from the sources, hence confidence medium.

Method (see README.md in this folder): flows are summed over the 42-sector
codes of each sector and divided by the summed gross output of the customer
sector, so a_IJ is the output-weighted mean of the 42-sector column
coefficients. A rating is the flow-weighted mean of the IHS scores (1
critical, 0.5 important, 0 non-critical) of the WIOD industries each
42-sector code maps to (``nbs42_to_wiod55.csv``); a code's purchases from
itself use the diagonal WIOD cells only.

The raw files are not part of the repository; obtain them from
- the table: GitHub Carol-seven/ionet, ``data/china_2018_42.rda`` (commit
  51145dc, R package ionet 0.2.2, which redistributes the NBS table), or a CSV
  with the same columns (Code, Origin, 01..42, TC, FU201, FU202, EX, GO);
- the ratings: ``IHS_Markit_results_compact.csv`` from the replication files
  of Pichler et al. (figshare/zenodo 12345527; a copy is in GitHub
  UGentBiomath/COVID19-Model, ``data/raw/economical/``).

Usage::

    pip install pandas rdata   # rdata only to read the .rda file
    python data/network/aggregate_io.py --table china_2018_42.rda \
        --ihs IHS_Markit_results_compact.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CODES = [f"{i:02d}" for i in range(1, 43)]
TABLE_SOURCE = (
    "NBS China input-output table 2018, 42 sectors, non-competitive (中国投入产出表2018), "
    "as distributed in GitHub Carol-seven/ionet data/china_2018_42.rda (commit 51145dc); "
    "aggregated by data/network/aggregate_io.py"
)
IHS_SOURCE = (
    "IHS Markit critical-input survey of Pichler, Pangallo, del Rio-Chanona, Lafond & Farmer "
    "(2020, 'Production networks and epidemic spreading: how to restart the UK economy?'), "
    "file IHS_Markit_results_compact.csv (copy in GitHub UGentBiomath/COVID19-Model "
    "data/raw/economical/, commit a7073dc), WIOD 55 industries mapped by nbs42_to_wiod55.csv "
    "and aggregated by data/network/aggregate_io.py"
)
# Thresholds on the flow-weighted mean score (1 critical, 0.5 important, 0 not).
CRITICAL_AT = 2 / 3
IMPORTANT_AT = 1 / 3


def read_table(path: Path) -> pd.DataFrame:
    """The 91-row table: Domestic and Imports rows per code, then TOT rows."""
    if path.suffix == ".rda":
        import rdata  # only needed for the R file

        objects = rdata.read_rda(str(path))
        if len(objects) != 1:
            sys.exit(f"{path}: expected one R object, found {sorted(objects)}")
        table = next(iter(objects.values()))
    else:
        table = pd.read_csv(path, dtype={"Code": str})
    table = table.copy()
    table.columns = [str(c) for c in table.columns]
    table["Code"] = table["Code"].astype(str)
    missing = [c for c in ["Code", "Origin", *CODES, "TC", "FU201", "FU202", "EX", "GO"] if c not in table.columns]
    if missing:
        sys.exit(f"{path}: missing columns {missing}")
    return table


def sector_map(sectors: pd.DataFrame) -> dict[str, str]:
    """42-sector code -> sector key; every code exactly once."""
    mapping: dict[str, str] = {}
    for key, codes in zip(sectors["key"], sectors["io_codes"], strict=True):
        for code in str(codes).split(";"):
            code = code.strip().zfill(2)
            if code in mapping:
                sys.exit(f"sectors.csv: code {code} appears in {mapping[code]} and {key}")
            mapping[code] = key
    if sorted(mapping) != CODES:
        sys.exit(f"sectors.csv: io_codes must cover 01..42 once; missing {sorted(set(CODES) - set(mapping))}")
    return mapping


def aggregation_matrix(mapping: dict[str, str], keys: list[str]) -> np.ndarray:
    """S with S[k, c] = 1 when 42-sector code c belongs to sector k."""
    s = np.zeros((len(keys), len(CODES)))
    for c, code in enumerate(CODES):
        s[keys.index(mapping[code]), c] = 1.0
    return s


def coefficients(table: pd.DataFrame, s: np.ndarray, keys: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Long table of a_IJ (total, domestic, imported) and the 42x42 total flows."""
    dom = table[table["Origin"] == "Domestic"].set_index("Code").loc[CODES, CODES].astype(float).to_numpy()
    imp = table[table["Origin"] == "Imports"].set_index("Code").loc[CODES, CODES].astype(float).to_numpy()
    output = table[table["Origin"] == "TOT"].set_index("Code").loc["TI", CODES].astype(float).to_numpy()
    out_k = s @ output
    rows = []
    z_dom, z_imp = s @ dom @ s.T, s @ imp @ s.T
    for i, src in enumerate(keys):
        for j, dst in enumerate(keys):
            rows.append(
                {
                    "input_sector": src,
                    "customer_sector": dst,
                    "a_total": round((z_dom[i, j] + z_imp[i, j]) / out_k[j], 6),
                    "a_domestic": round(z_dom[i, j] / out_k[j], 6),
                    "a_imported": round(z_imp[i, j] / out_k[j], 6),
                    "flow_total_yi_yuan": round((z_dom[i, j] + z_imp[i, j]) / 1e4, 1),
                    "source": TABLE_SOURCE,
                    "confidence": "medium",
                }
            )
    return pd.DataFrame(rows), dom + imp


def accounts(table: pd.DataFrame, s: np.ndarray, keys: list[str]) -> pd.DataFrame:
    """Per-sector output, cost structure and destination of domestic output."""
    tot = table[table["Origin"] == "TOT"].set_index("Code")
    dom = table[table["Origin"] == "Domestic"].set_index("Code").loc[CODES]
    imp = table[table["Origin"] == "Imports"].set_index("Code").loc[CODES, CODES].astype(float).to_numpy()

    def agg_cols(row: str) -> np.ndarray:
        return s @ tot.loc[row, CODES].astype(float).to_numpy()

    def agg_rows(col: str) -> np.ndarray:
        return s @ dom[col].astype(float).to_numpy()

    output = agg_cols("TI")
    items = {
        "intermediate_input_share": (agg_cols("TII") / output, "share of gross output"),
        "imported_share_of_intermediate_inputs": ((s @ imp.sum(axis=0)) / agg_cols("TII"), "share of intermediate inputs"),
        "compensation_share": (agg_cols("VA001") / output, "share of gross output"),
        "net_production_tax_share": (agg_cols("VA002") / output, "share of gross output"),
        "depreciation_share": (agg_cols("VA003") / output, "share of gross output"),
        "operating_surplus_share": (agg_cols("VA004") / output, "share of gross output"),
        "intermediate_use_share": (agg_rows("TIU") / agg_rows("GO"), "share of domestic output sold to producers"),
        "final_consumption_share": (agg_rows("TC") / agg_rows("GO"), "share of domestic output"),
        "gross_fixed_capital_formation_share": (agg_rows("FU201") / agg_rows("GO"), "share of domestic output"),
        "inventory_change_share": (agg_rows("FU202") / agg_rows("GO"), "share of domestic output"),
        "export_share": (agg_rows("EX") / agg_rows("GO"), "share of domestic output"),
    }
    rows = []
    for k, key in enumerate(keys):
        rows.append({"sector": key, "item": "gross_output", "value": round(output[k] / 1e4, 1),
                     "unit": "100 million yuan (亿元), 2018", "source": TABLE_SOURCE, "confidence": "medium"})
        codes = [CODES[c] for c in np.flatnonzero(s[k])]
        weights = tot.loc["TI", codes].astype(float)
        rows.append({"sector": key, "item": "largest_code_output_share", "value": round(weights.max() / weights.sum(), 4),
                     "unit": f"share of the sector's output in code {weights.idxmax()}", "source": TABLE_SOURCE,
                     "confidence": "medium"})
        for item, (values, unit) in items.items():
            rows.append({"sector": key, "item": item, "value": round(float(values[k]), 4), "unit": unit,
                         "source": TABLE_SOURCE, "confidence": "medium"})
    return pd.DataFrame(rows)


def nbs_scores(ihs: pd.DataFrame, wiod_of: dict[str, list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per 42x42 pair: mean IHS score, share of rated cells critical (1) and important (0.5); NaN if unrated."""
    n = len(CODES)
    mean, crit, imp = np.full((n, n), np.nan), np.full((n, n), np.nan), np.full((n, n), np.nan)
    for i, src in enumerate(CODES):
        for j, dst in enumerate(CODES):
            block = ihs.loc[wiod_of[src], wiod_of[dst]].to_numpy(dtype=float)
            # A code's purchases from itself are mostly within the same WIOD industry
            # (crops from crops, not from fishing): use the diagonal cells only.
            cells = np.diag(block) if src == dst else block.ravel()
            cells = cells[~np.isnan(cells)]
            if cells.size:
                mean[i, j] = cells.mean()
                crit[i, j] = np.mean(cells == 1.0)
                imp[i, j] = np.mean(cells == 0.5)
    return mean, crit, imp


def critical_inputs(ihs_path: Path, flows: np.ndarray, s: np.ndarray, keys: list[str]) -> pd.DataFrame:
    """Flow-weighted aggregation of the IHS ratings to sector pairs."""
    ihs = pd.read_csv(ihs_path, index_col=0)
    ihs.index = ihs.index.astype(str)
    ihs.columns = ihs.columns.astype(str)
    crosswalk = pd.read_csv(HERE / "nbs42_to_wiod55.csv", dtype={"nbs_code": str})
    wiod_of = {row.nbs_code.zfill(2): row.wiod_codes.split(";") for row in crosswalk.itertuples()}
    unknown = {w for ws in wiod_of.values() for w in ws} - (set(ihs.index) & set(ihs.columns))
    if unknown - {"T"}:
        sys.exit(f"nbs42_to_wiod55.csv: WIOD codes not rated on both axes: {sorted(unknown)}")
    # T (households as employers) is rated as a supplier only; drop it from the customer side.
    ihs["T"] = np.nan
    mean, crit, imp = nbs_scores(ihs, wiod_of)
    rated = ~np.isnan(mean)
    rows = []
    for i, src in enumerate(keys):
        for j, dst in enumerate(keys):
            block = np.outer(s[i], s[j]).astype(bool) & rated
            weights = flows[block]
            if weights.sum() > 0:
                score = float(np.average(mean[block], weights=weights))
                share_c = float(np.average(crit[block], weights=weights))
                share_i = float(np.average(imp[block], weights=weights))
                weighting = "flow-weighted"
            else:
                score = float(mean[block].mean())
                share_c, share_i = float(crit[block].mean()), float(imp[block].mean())
                weighting = "unweighted (no flow in the 2018 table)"
            rating = "critical" if score >= CRITICAL_AT else "important" if score >= IMPORTANT_AT else "non-critical"
            rows.append(
                {
                    "input_sector": src,
                    "customer_sector": dst,
                    "rating": rating,
                    "score": round(score, 3),
                    "share_of_flow_rated_critical": round(share_c, 3),
                    "share_of_flow_rated_important": round(share_i, 3),
                    "pairs_rated": int(block.sum()),
                    "weighting": weighting,
                    "source": IHS_SOURCE,
                    "confidence": "medium",
                }
            )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", type=Path, required=True, help="china_2018_42.rda or an equivalent CSV")
    parser.add_argument("--ihs", type=Path, required=True, help="IHS_Markit_results_compact.csv")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: this folder)")
    args = parser.parse_args(argv)

    sectors = pd.read_csv(HERE / "sectors.csv", dtype={"io_codes": str})
    keys = list(sectors["key"])
    s = aggregation_matrix(sector_map(sectors), keys)
    table = read_table(args.table)
    coef, flows = coefficients(table, s, keys)
    coef.to_csv(args.out / "io_coefficients.csv", index=False)
    accounts(table, s, keys).to_csv(args.out / "sector_accounts.csv", index=False)
    critical_inputs(args.ihs, flows, s, keys).to_csv(args.out / "critical_inputs.csv", index=False)


if __name__ == "__main__":
    main()

"""verify's check of weekly.csv against allocation.csv: the weeks of each period add up to the period.

weekly.csv is a post-solve split (`allocator.plan.calendar`); what a reader relies on is that its rows
of a period (a month, or a week of a plan on weeks) sum to that period's figures in allocation.csv and
that every amount of a row is the period's amount times the row's `share_of_period`. Both are checked
here with plain sums, without the calendar: a hand-edited row, or one left from another plan, shows up.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from allocator.plan.verify import Report, read_plan_table

AMOUNTS = ["spend", "leads", "customers", "new_customers", "revenue", "baseline_revenue", "revenue_total"]


def check_weekly(periods: list[str], path: Path, a: pd.DataFrame, report: Report) -> None:
    """Per period of `periods` (the scenario's): weekly.csv's rows sum to allocation.csv's amounts."""
    table = read_plan_table(path, ["week", "month", "share_of_period"] + AMOUNTS, ["share_of_period"] + AMOUNTS,
                            ["week", "month"])
    key = "week" if "W" in periods[0] else "month"  # the column that names a row's period
    sums = a.groupby("period")[AMOUNTS].sum()
    for period in periods:
        rows = table[table[key] == period]
        where = f"{path.name} [{key} {period}]"
        if rows.empty:
            report.problems.append(f"{where}: no row for this period of the scenario")
            continue
        want = sums.loc[period] if period in sums.index else pd.Series(0.0, index=AMOUNTS)
        report.add(f"{where} share_of_period sums to 1", math.fsum(rows["share_of_period"]), "=", 1.0)
        for column in AMOUNTS:
            report.add(f"{where} {column} summed", math.fsum(rows[column]), "=", float(want[column]),
                       magnitude=math.fsum(rows[column].abs()))
            for line, share, amount in zip(rows.index, rows["share_of_period"], rows[column]):
                report.add(f"{path.name} line {line + 2} {column}", float(amount), "=", float(want[column]) * share,
                           magnitude=abs(float(want[column])))
    stray = sorted(set(table[key]) - set(periods))
    if stray:
        report.problems.append(f"{path.name}: rows for {', '.join(map(str, stray))}, not a period of the scenario")

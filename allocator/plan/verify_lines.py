"""verify's checks of budget lines (`budget.lines`) and targets on selections (`targets.by`).

Recomputed from allocation.csv with its own selection code (never the model
builder's), under the constraint names of constraints.csv: a line's promises
count what its own spend buys (no baseline); a target on a selection counts
the selection's cells, revenue with their baseline, floors with the buffer.
"""

from __future__ import annotations

import pandas as pd

from allocator.scenario.schema import NEW_CUSTOMER_KINDS, Scenario


def selected(a: pd.DataFrame, selection) -> pd.Series:
    """The allocation rows a selection picks: every key matches (AND), any value of a key (OR)."""
    mask = pd.Series(True, index=a.index)
    for key, values in selection.items():
        mask &= a[key].astype(str).isin(set(values))
    return mask


def sums(a: pd.DataFrame, mask: pd.Series, value: pd.Series) -> dict[str, float]:
    """The outcomes of the picked rows: spend, leads, customers, new customers, revenue, value, total revenue."""
    new = a["kind"].isin(NEW_CUSTOMER_KINDS)
    return {"spend": float(a.loc[mask, "spend"].sum()), "leads": float(a.loc[mask, "leads"].sum()),
            "customers": float(a.loc[mask, "customers"].sum()),
            "new_customers": float(a.loc[mask & new, "customers"].sum()),
            "revenue": float(a.loc[mask, "revenue"].sum()), "value": float(value[mask].sum()),
            "revenue_total": float(a.loc[mask, "revenue_total"].sum())}


def check_lines(s: Scenario, a: pd.DataFrame, spend: float, value: pd.Series, report) -> None:
    """Each line's spend bounds and promises; `value` per row is what an ROI floor counts."""
    for line in s.budget.lines:
        got = sums(a, selected(a, line.select), value)
        name = line.name
        if line.min is not None:
            report.add(f"line_min[{name}]", got["spend"], ">=", line.min)
        if line.max is not None:
            report.add(f"line_max[{name}]", got["spend"], "<=", line.max)
        for bound, share, sense in (("min_share", line.min_share, ">="), ("max_share", line.max_share, "<=")):
            if share is not None:
                report.add(f"line_{bound}[{name}]", got["spend"], sense, share * spend,
                           abs(got["spend"]) + abs(share * spend))
        for promise in ("new_customers", "revenue", "leads"):
            amount = getattr(line, promise)
            if amount is not None:
                report.add(f"line_{promise}[{name}]", got[promise], ">=", amount)
        if line.min_roi is not None:
            floor = line.min_roi * got["spend"]
            report.add(f"line_min_roi[{name}]", got["value"], ">=", floor, abs(got["value"]) + abs(floor))


def check_by(s: Scenario, a: pd.DataFrame, value: pd.Series, report) -> None:
    """Each target on a selection: floors (revenue with baseline) with the buffer, the spend ceiling as given."""
    t = s.targets
    soft = t.is_soft("by")  # a shortfall of a soft target is reported, not a violation
    for target in t.by:
        got = sums(a, selected(a, target.select), value)
        label = target.select.label()
        for goal, column in (("revenue", "revenue_total"), ("new_customers", "new_customers"), ("leads", "leads"),
                             ("customers", "customers")):
            committed = getattr(target, goal)
            if committed is not None:
                report.add(f"target_by_{goal}[{label}]", got[column], ">=", committed * (1 + t.buffer), soft=soft)
        if target.max_spend is not None:
            report.add(f"target_by_max_spend[{label}]", got["spend"], "<=", target.max_spend, soft=soft)

"""A plan's quarter totals, straight from the solution vector (no tables needed).

One computation for the plan's run record, each sweep variant's frontier row
and the risk table's "as planned" column, so the three agree on one plan.
"""

from __future__ import annotations

import numpy as np

from allocator.model.build import PlanModel
from allocator.plan.tolerance import SPEND_NOISE

AMOUNTS = ("spend", "leads", "customers", "new_customers", "revenue", "baseline_revenue", "revenue_total")


def plan_totals(model: PlanModel, x: np.ndarray) -> dict[str, float]:
    """Spend (money), leads, customers, new customers (counts), revenue from spend, baseline revenue and
    their sum (money), and ROI (revenue from spend per unit of spend; NaN without spend), for plan x.

    Sums over the spend columns, not the defined-total columns: the totals of the cells as allocation.csv
    lists them. Solver noise below zero is not spend.
    """
    spend = model.spend
    xs = plan_spend(x, spend.size)
    out = {"spend": float(xs.sum()), "leads": float(spend.leads @ xs), "customers": float(spend.customers @ xs),
           "new_customers": float(spend.new_customers @ xs), "revenue": float(spend.revenue @ xs),
           "baseline_revenue": float(model.baseline.total)}
    out["revenue_total"] = out["revenue"] + out["baseline_revenue"]
    out["roi"] = out["revenue"] / out["spend"] if out["spend"] else float("nan")
    return out


def plan_spend(x: np.ndarray, n_spend: int) -> np.ndarray:
    """The spend columns of solution x as the plan states them: solver noise below zero, and crumbs below
    SPEND_NOISE of the total, read as 0 (a copy; x is left as it is)."""
    spend = np.clip(x[:n_spend], 0.0, None)
    spend[spend < SPEND_NOISE * spend.sum()] = 0.0
    return spend

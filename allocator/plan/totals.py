"""A plan's quarter totals, straight from the solution vector (no tables needed).

One computation for the plan's run record, each sweep variant's frontier row
and the risk table's "as planned" column, so the three agree on one plan.
"""

from __future__ import annotations

import numpy as np

from allocator.model.build import PlanModel
from allocator.plan.tolerance import SPEND_NOISE, row_magnitudes, tolerance

AMOUNTS = ("spend", "leads", "customers", "new_customers", "revenue", "baseline_revenue", "revenue_total")


def plan_totals(model: PlanModel, x: np.ndarray) -> dict[str, float]:
    """Spend (money), leads, customers, new customers (counts), revenue from spend, baseline revenue and
    their sum (money), and ROI (revenue from spend per unit of spend; NaN without spend), for plan x.

    Sums over the spend columns, not the defined-total columns: the totals of the cells as allocation.csv
    lists them. Solver noise below zero is not spend.
    """
    spend = model.spend
    xs = settled(model, x)[: spend.size]
    out = {"spend": float(xs.sum()), "leads": float(spend.leads @ xs), "customers": float(spend.customers @ xs),
           "new_customers": float(spend.new_customers @ xs), "revenue": float(spend.revenue @ xs),
           "baseline_revenue": float(model.baseline.total)}
    out["revenue_total"] = out["revenue"] + out["baseline_revenue"]
    out["roi"] = out["revenue"] / out["spend"] if out["spend"] else float("nan")
    return out


def settled(model: PlanModel, x: np.ndarray) -> np.ndarray:
    """Solution x as the plan states it (a copy): below zero is not spend, and a crumb of spend under
    SPEND_NOISE of the total is read as 0 where that breaks no row that held. A solver leaves such crumbs
    within its tolerance (one on a channel with an ROI floor broke that row against its own tiny scale); a
    legitimate small amount that a row needs (part of a minimum split across cells) is kept."""
    out = np.clip(x, 0.0, None)
    n = model.spend.size
    crumbs = np.flatnonzero((out[:n] > 0) & (out[:n] < SPEND_NOISE * out[:n].sum()))
    if crumbs.size == 0:
        return out
    lp = model.lp
    snapped = out.copy()
    snapped[crumbs] = 0.0
    broken = _rows_holding(lp, out) & ~_rows_holding(lp, snapped)
    if broken.any():
        entry_rows = np.repeat(np.arange(lp.n_rows), np.diff(lp.indptr))
        needed = np.zeros(lp.n_cols, dtype=bool)
        needed[lp.indices[broken[entry_rows]]] = True
        keep = crumbs[needed[crumbs]]
        snapped[keep] = out[keep]
    return snapped


def _rows_holding(lp, x: np.ndarray) -> np.ndarray:
    activity = lp.row_activity(x)
    magnitude = row_magnitudes(lp, x)
    low = np.where(np.isfinite(lp.row_lower), lp.row_lower, 0.0)
    high = np.where(np.isfinite(lp.row_upper), lp.row_upper, 0.0)
    above = activity >= lp.row_lower - tolerance(magnitude, low)
    return above & (activity <= lp.row_upper + tolerance(magnitude, high))

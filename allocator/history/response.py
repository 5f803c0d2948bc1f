"""A concave response curve per channel: leads against the month's spend, fitted as a scenario's `response`
slices.

Per channel and month: spend S (all its tiers and products) and leads L, divided by the month's demand index
(when there is one) so that season is not read as saturation. With breakpoints b1, b2 at the tertiles of
the channel's monthly spend, leads are fitted as a concave piecewise-linear function through the origin,

    L = s1 min(S, b1) + s2 clip(S - b1, 0, b2 - b1) + s3 max(S - b2, 0),   s1 >= s2 >= s3 >= 0,

by non-negative least squares on the increments (L = c1 min(S, b1) + c2 min(S, b2) + c3 S, c >= 0, so that
s3 = c3, s2 = c2 + c3, s1 = c1 + c2 + c3). The full-efficiency cost per lead is 1 / s1 and the slices'
efficiencies s_k / s1. A channel is given a curve only when it has at least MIN_MONTHS months with spend,
its spend varies (largest month at least MIN_SPREAD x the smallest), the fit is concave (the last slice
below 0.95) and it fits better than a straight line through the origin (F-test, p < SIGNIFICANCE):
otherwise leads are in proportion to spend as far as history shows, and it is said so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_MONTHS = 9
MIN_SPREAD = 1.5
LINEAR_ABOVE = 0.95
MIN_EFFICIENCY = 0.01  # a scenario's efficiency must be > 0
SIGNIFICANCE = 0.01  # the curve must fit better than a straight line through the origin at this level


def response_curves(frame: pd.DataFrame, demand_by_month: dict[int, float] | None) -> tuple[dict, list[dict]]:
    """({channel: {"cost_per_lead": ..., "response": [slices]}} for the concave channels, calibration rows)."""
    from scipy.optimize import nnls

    curves, rows = {}, []
    month = frame["date"].dt.to_period("M").rename("month")
    monthly = frame.groupby([frame["channel"], month], as_index=False)[["spend", "leads"]].sum()
    monthly = monthly[monthly["spend"] > 0]
    for channel, months in monthly.groupby("channel", sort=True):
        spend = months["spend"].to_numpy(float)
        season = np.array([(demand_by_month or {}).get(m.month, 1.0) for m in months["month"]])
        leads = months["leads"].to_numpy(float) / season
        if len(spend) < MIN_MONTHS or spend.max() < MIN_SPREAD * spend.min():
            rows.append(_row(channel, "linear", np.nan, len(spend),
                             f"not fitted: needs {MIN_MONTHS} months with spend varying at least {MIN_SPREAD}x"))
            continue
        b1, b2 = np.quantile(spend, [1 / 3, 2 / 3])
        if not b1 < b2:
            rows.append(_row(channel, "linear", np.nan, len(spend), "not fitted: too few distinct spend levels"))
            continue
        design = np.column_stack([np.minimum(spend, b1), np.minimum(spend, b2), spend])
        increments, _ = nnls(design, leads)
        slopes = np.cumsum(increments[::-1])[::-1]  # s1, s2, s3
        if slopes[0] <= 0:
            continue
        efficiency = np.maximum(slopes / slopes[0], MIN_EFFICIENCY)
        fitted = design @ increments
        r2 = 1 - np.sum((leads - fitted) ** 2) / np.sum((leads - leads.mean()) ** 2)
        p_value = _better_than_a_line(spend, leads, fitted)
        method = (f"concave piecewise fit of deseasonalised monthly leads on spend (NNLS), breakpoints at spend "
                  f"tertiles {b1:.6g}, {b2:.6g}; R^2 {r2:.3f}; F-test against a line through 0: p {p_value:.3g}")
        counts = [int((spend <= b1).sum()), int(((spend > b1) & (spend <= b2)).sum()), int((spend > b2).sum())]
        rows.append(_row(channel, "cost_per_lead at full efficiency", 1 / slopes[0], len(spend), method))
        for label, value, count in zip((f"up to {b1:.6g}", f"up to {b2:.6g}", f"above {b2:.6g}"), efficiency, counts):
            rows.append(_row(channel, label, value, count, method))
        if efficiency[-1] < LINEAR_ABOVE and p_value < SIGNIFICANCE:
            curves[channel] = {"cost_per_lead": float(1 / slopes[0]), "response": [
                {"up_to": round(float(b1), 2), "efficiency": round(float(efficiency[0]), 4)},
                {"up_to": round(float(b2), 2), "efficiency": round(float(efficiency[1]), 4)},
                {"efficiency": round(float(efficiency[2]), 4)}]}
    return curves, rows


def _better_than_a_line(spend: np.ndarray, leads: np.ndarray, fitted: np.ndarray) -> float:
    """p-value of the F-test of the three-slice fit (two more parameters) against leads = s x spend."""
    from scipy import stats

    slope = float(spend @ leads / (spend @ spend))
    line = float(np.sum((leads - slope * spend) ** 2))
    curve = float(np.sum((leads - fitted) ** 2))
    freedom = len(spend) - 3
    if curve <= 0:
        return 0.0 if line > 0 else 1.0
    statistic = max(line - curve, 0.0) / 2 / (curve / freedom)
    return float(stats.f.sf(statistic, 2, freedom))


def _row(channel: str, period: str, estimate: float, count: int, method: str) -> dict:
    return {"parameter": "response", "channel": channel, "period": period, "estimate": estimate, "count": count,
            "periods": count, "method": method}

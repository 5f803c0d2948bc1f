"""Seasonal indices from multi-year history, separated from trend with STL (statsmodels).

Demand index (what a scenario's ``seasonality.demand_index`` means: a multiplier on leads per unit of
spend): per period, the leads won over the leads the period's spend would have bought at each channel's
window-average cost per lead of its channel x tier, sum(leads) / sum(spend / cost_per_lead[channel, tier]),
so that a shift of spend between cheap and dear cells (a paused campaign, a new channel) is not read as season. Revenue index (for ``target_weights``): the
period's total revenue. Each series is decomposed on the log scale (multiplicative: season x trend x rest)
by STL, robust (outlier periods such as a one-off campaign are down-weighted), with the period of a year
(12 months, 52 ISO weeks); a month's (week's) index is exp of its seasonal component averaged over the
years, normalised to mean 1 over the year. Periods missing from the history are interpolated on the log
scale before decomposing; at least two full years are needed (fewer: no index, and the reason is said).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CYCLE = {"month": 12, "week": 52}
MIN_CYCLES = 2
MAX_MISSING_SHARE = 0.25


def series_by(frame: pd.DataFrame, unit: str, cost_per_lead: dict[tuple[str, str], float]) -> pd.DataFrame:
    """Per month (or ISO week) on a regular grid: leads, spend at window cost (expected leads), revenue.
    `cost_per_lead` maps (channel, tier) to the window's cost per lead; cells without one are left out of
    the demand series (their leads too)."""
    cost = pd.Series([cost_per_lead.get(key, np.nan) for key in zip(frame["channel"], frame["tier"])],
                     index=frame.index)
    usable = (frame["spend"] > 0) & cost.notna()
    data = frame.assign(expected=(frame["spend"] / cost).where(usable), leads=frame["leads"].where(usable))
    data = data[(data["spend"] > 0) | (data["revenue"] > 0)]
    if unit == "month":
        start = data["date"].dt.to_period("M").dt.start_time
        grid = pd.date_range(start.min(), start.max(), freq="MS")
    else:
        start = data["date"] - pd.to_timedelta(data["date"].dt.day_of_week, unit="D")  # the week's Monday
        grid = pd.date_range(start.min(), start.max(), freq="W-MON")
    sums = data.assign(start=start).groupby("start")[["leads", "expected", "revenue"]].sum(min_count=1)
    return sums.reindex(grid)


def seasonal_index(values: pd.Series, unit: str) -> tuple[dict[int, float] | None, str]:
    """Index per month number 1-12 (or ISO week 1-53) of a positive series on a regular grid, and how it was
    made (or why not)."""
    from statsmodels.tsa.seasonal import STL

    cycle = CYCLE[unit]
    logged = np.log(values.where(values > 0))
    if len(logged) < MIN_CYCLES * cycle:
        return None, f"needs {MIN_CYCLES} full years ({MIN_CYCLES * cycle} {unit}s); the window has {len(logged)}"
    missing = float(logged.isna().mean())
    if missing > MAX_MISSING_SHARE:
        return None, f"{missing:.0%} of the {unit}s have no data (at most {MAX_MISSING_SHARE:.0%} are filled in)"
    filled = logged.interpolate(limit_direction="both")
    fit = STL(filled.to_numpy(), period=cycle, robust=True).fit()
    seasonal = pd.Series(fit.seasonal, index=values.index)
    numbers = seasonal.index.month if unit == "month" else seasonal.index.isocalendar().week.to_numpy()
    by_number = np.exp(seasonal.groupby(numbers).mean())
    regular = by_number[by_number.index <= cycle]
    index = by_number / regular.mean()
    method = (f"STL (statsmodels, robust, period {cycle}) on log {unit}ly values, {len(values)} {unit}s, "
              f"{int(round(missing * len(values)))} interpolated; exp(seasonal) averaged per {unit}, mean 1")
    return {int(k): float(v) for k, v in index.items()}, method


def plan_weights(revenue_index: dict[int, float], plan_periods: list[str]) -> dict[str, float]:
    """Target weights of the plan months: their revenue indices, scaled to sum to 1 (rounded to 4 decimals,
    the last one taking the rounding so that they sum to exactly 1)."""
    raw = [revenue_index[pd.Period(p, freq="M").month] for p in plan_periods]
    shares = [round(v / sum(raw), 4) for v in raw]
    shares[-1] = round(1 - sum(shares[:-1]), 4)
    return dict(zip(plan_periods, shares))

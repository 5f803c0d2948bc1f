"""Funnel numbers per cell from history: cost per lead, conversion and order value, each with its interval,
count and periods, then pulled toward its group's mean by an empirical-Bayes credibility weight.

Intervals (at `confidence`, e.g. 0.9):

- conversion = customers / leads: Wilson score interval for a binomial proportion (statsmodels
  `proportion_confint`), the leads being the trials; it keeps its stated coverage at small counts and near 0.
- cost per lead = spend / leads and order value = spend-driven revenue / customers: a ratio of sums over the
  cell's periods, R = sum(y) / sum(x), with the delta-method (linearisation) standard error of a ratio
  estimator, se^2 = n / (n - 1) * sum((y_i - R x_i)^2) / sum(x)^2 over its n periods, and a Student t
  interval with n - 1 degrees of freedom. Periods are the independent units, so a month of unusually cheap
  leads widens the interval as it should. One period gives no interval.

Shrinkage (normal-normal empirical Bayes, a credibility weight): within a group (cost per lead: the cells of
one channel; conversion and order value: the cells of one tier, which is what those numbers describe),
  shrunk = w * raw + (1 - w) * group mean,   w = tau^2 / (tau^2 + se^2),
where the group mean is the pooled ratio sum(y) / sum(x) of the group, se^2 the cell's sampling variance
(for conversion p(1 - p) / leads at the group's p, so that a cell with no customers yet is shrunk, not
trusted) and tau^2 = max(0, var(raw) - mean(se^2)) the spread between the group's cells beyond sampling noise
(method of moments). Groups of fewer than MIN_GROUP cells are not shrunk (w = 1): two cells cannot tell
spread from noise. A cell without a raw estimate takes the group mean (w = 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_GROUP = 3
# parameter -> (numerator column, denominator column, group the cell is shrunk toward)
PARAMETERS = {
    "cost_per_lead": ("spend", "leads", "channel"),
    "conversion": ("customers", "leads", "tier"),
    "order_value": ("driven_revenue", "customers", "tier"),
}
COLUMNS = ["parameter", "channel", "tier", "product", "period", "estimate", "low", "high", "count", "periods",
           "method", "shrunk", "weight", "shrunk_toward", "se"]


def cell_estimates(frame: pd.DataFrame, by: list[str], confidence: float) -> pd.DataFrame:
    """One row per cell (the `by` columns) and parameter, with the raw estimate, its interval, count, periods,
    method, and the shrunk value and weight. `frame` holds the window's rows with a ``driven_revenue`` column
    (revenue less the estimated baseline); rows without leads (quiet periods) carry no funnel information."""
    active = frame[frame["leads"] > 0]
    # The baseline taken off each row is one estimate per finest cell, so its errors add up within that cell
    # (and are independent across cells): its variance in the cell's sum of driven revenue.
    finest = [c for c in ("channel", "tier", "product") if c in frame]
    carried = active.groupby(list(dict.fromkeys([*by, *finest])))["baseline_se"].sum()
    baseline_var = (carried ** 2).groupby(level=list(range(len(by)))).sum()
    # a period is one date of the cell: its rows (products) summed
    active = active.groupby([*by, "date"], as_index=False)[["spend", "leads", "customers", "driven_revenue"]].sum()
    rows = []
    for key, cell in active.groupby(by, sort=True):
        names = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        extra = float(baseline_var.get(key, 0.0))
        for parameter in PARAMETERS:
            rows.append({**names, "parameter": parameter, **_estimate(cell, parameter, confidence, extra)})
    table = pd.DataFrame(rows, columns=[*by, "parameter", "estimate", "low", "high", "count", "periods", "method",
                                        "se", "numerator", "denominator"])
    shrunk = [shrink(table[table["parameter"] == parameter], parameter) for parameter in PARAMETERS]
    table = pd.concat(shrunk, ignore_index=True) if len(table) else table.assign(shrunk=[], weight=[], shrunk_toward=[])
    for column in ("channel", "tier", "product"):
        if column not in table:
            table[column] = ""
    table["period"] = ""
    return table[COLUMNS + ["numerator", "denominator"]]


def _estimate(cell: pd.DataFrame, parameter: str, confidence: float, baseline_var: float = 0.0) -> dict:
    numerator, denominator, _ = PARAMETERS[parameter]
    y, x = cell[numerator].to_numpy(float), cell[denominator].to_numpy(float)
    if parameter == "conversion":
        return {**wilson(y.sum(), x.sum(), confidence), "periods": int(len(cell)), "numerator": y.sum(),
                "denominator": x.sum()}
    if parameter == "order_value":  # the periods that won customers; the others carry no order value
        keep = x > 0
        y, x = y[keep], x[keep]
    result = ratio_interval(y, x, confidence, baseline_var if parameter == "order_value" else 0.0)
    kind = "spend / leads" if parameter == "cost_per_lead" else "(revenue - baseline) / customers"
    return {**result, "method": f"{kind}; ratio of sums, delta-method t interval over periods",
            "periods": int(len(x)), "numerator": y.sum(), "denominator": x.sum()}


def wilson(successes: float, trials: float, confidence: float) -> dict:
    """Proportion successes / trials with its Wilson score interval (statsmodels), count = trials."""
    from statsmodels.stats.proportion import proportion_confint

    if trials <= 0:
        return {"estimate": np.nan, "low": np.nan, "high": np.nan, "count": 0, "se": np.nan, "method": "wilson"}
    low, high = proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")
    p = successes / trials
    return {"estimate": p, "low": float(low), "high": float(high), "count": int(trials),
            "se": float(np.sqrt(p * (1 - p) / trials)),
            "method": "customers / leads; Wilson score interval (binomial)"}


def ratio_interval(y: np.ndarray, x: np.ndarray, confidence: float, numerator_var: float = 0.0) -> dict:
    """R = sum(y) / sum(x) with the delta-method standard error over the n periods and a t(n - 1) interval;
    `numerator_var` is a further variance of sum(y) (the estimated baseline taken off revenue)."""
    n, total = len(x), float(np.sum(x))
    if n == 0 or total <= 0:
        return {"estimate": np.nan, "low": np.nan, "high": np.nan, "count": 0, "se": np.nan}
    ratio = float(np.sum(y)) / total
    if n < 2:
        return {"estimate": ratio, "low": np.nan, "high": np.nan, "count": _whole(total), "se": np.nan}
    residual = y - ratio * x
    se = float(np.sqrt(n / (n - 1) * np.sum(residual ** 2) + numerator_var) / total)
    half = float(_t_quantile(0.5 + confidence / 2, n - 1)) * se
    return {"estimate": ratio, "low": ratio - half, "high": ratio + half, "count": _whole(total), "se": se}


def shrink(table: pd.DataFrame, parameter: str) -> pd.DataFrame:
    """`table` (one parameter's cells) with ``shrunk``, ``weight`` and ``shrunk_toward`` columns added."""
    group_by = PARAMETERS[parameter][2]
    parts = []
    for group, cells in table.groupby(group_by, sort=False):
        denominator = cells["denominator"].sum()
        mean = cells["numerator"].sum() / denominator if denominator > 0 else np.nan
        weight = credibility(cells, parameter, mean)
        raw = cells["estimate"].to_numpy(float)
        shrunk = np.where(np.isfinite(raw), weight * np.nan_to_num(raw) + (1 - weight) * mean, mean)
        parts.append(cells.assign(shrunk=shrunk, weight=weight, shrunk_toward=f"{group_by} {group}: {_fmt(mean)}"))
    return pd.concat(parts) if parts else table.assign(shrunk=[], weight=[], shrunk_toward=[])


def credibility(cells: pd.DataFrame, parameter: str, mean: float) -> np.ndarray:
    """The weight w = tau^2 / (tau^2 + se^2) of each cell's own estimate (see the module's docstring)."""
    raw = cells["estimate"].to_numpy(float)
    if parameter == "conversion":
        se2 = mean * (1 - mean) / cells["denominator"].to_numpy(float) if np.isfinite(mean) else np.full(len(raw), np.nan)
    else:
        se2 = cells["se"].to_numpy(float) ** 2
    known = np.isfinite(raw)
    if len(cells) < MIN_GROUP:
        return np.where(known, 1.0, 0.0)
    usable = known & np.isfinite(se2)
    if usable.sum() < 2:
        return np.where(known & ~np.isfinite(se2), 0.0, np.where(known, 1.0, 0.0))
    tau2 = max(0.0, float(np.var(raw[usable], ddof=1)) - float(np.mean(se2[usable])))
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(se2 > 0, tau2 / (tau2 + se2), 1.0)
    # no sampling variance known (a single period): nothing says the cell stands apart, so it takes the mean
    return np.where(usable, np.nan_to_num(weight, nan=1.0), 0.0)


def _whole(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _fmt(value: float) -> str:
    return "none" if not np.isfinite(value) else f"{value:.6g}"


def _t_quantile(probability: float, freedom: int) -> float:
    """Student t quantile (scipy arrives with statsmodels, the history extra: imported when first needed)."""
    from scipy import stats

    return float(stats.t.ppf(probability, freedom))

"""Same-quarter growth and baseline revenue from history.

Growth: revenue of each complete calendar quarter over the same quarter a year earlier, minus 1; the yearly
trend is the geometric mean of those ratios (over every quarter, and per quarter of the year). A row counts
in the quarter of its date (a week straddling two quarters counts in the one it starts in); a quarter is
complete when the window covers it from start to end.

Baseline (revenue not driven by the period's spend, e.g. repeat business and key accounts): a cell's
revenue in its quiet periods (no spend and no leads) is all baseline. Each quiet period's revenue is carried
to the as-of date at the yearly trend, (1 + g)^(years between), and averaged: that is the cell's baseline per
period of the history's grain, with a t interval over the quiet periods. A plan month's baseline is that
level times the grain periods in the month, carried on to the month's middle at the same trend. A cell that
never went quiet shows no baseline it could be told from: it is taken as 0, and said so. The baseline of
each spend period (the same level carried back to its date) is taken off its revenue before order value is
estimated, so that repeat business does not inflate the order value of the customers the spend won.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365.25
GRAIN_DAYS = {"monthly": None, "weekly": 7, "daily": 1}
SLACK = pd.Timedelta(days=6)  # a weekly history starts and ends up to 6 days off a quarter's edges


def quarter_growth(frame: pd.DataFrame, grain: str, by: str | None = None) -> pd.DataFrame:
    """One row per complete quarter whose same quarter a year earlier is complete: revenue, the earlier
    revenue and the growth. With `by` (e.g. "tier"), per value of that column."""
    first, last_end = frame["date"].min(), _period_end(frame["date"].max(), grain)
    quarters = frame["date"].dt.to_period("Q")
    keys = [quarters.rename("quarter")] + ([frame[by]] if by else [])
    totals = frame.groupby(keys, sort=True)["revenue"].sum().reset_index()
    periods = frame.groupby(quarters.rename("quarter"))["date"].nunique()
    complete = {q for q in periods.index if q.start_time >= first - SLACK and q.end_time.normalize() <= last_end + SLACK}
    totals = totals[totals["quarter"].isin(complete)]
    earlier = totals.assign(quarter=totals["quarter"] + 4).rename(columns={"revenue": "previous"})
    merged = totals.merge(earlier, on=["quarter"] + ([by] if by else []), how="inner")
    merged = merged[merged["previous"] > 0]
    merged["growth"] = merged["revenue"] / merged["previous"] - 1
    merged["periods"] = [int(periods.get(q, 0) + periods.get(q - 4, 0)) for q in merged["quarter"]]
    return merged.reset_index(drop=True)


def yearly_trend(growth: pd.DataFrame) -> float:
    """Geometric mean of (1 + growth) over the rows, minus 1; 0 when there is none."""
    if growth.empty:
        return 0.0
    return float(np.exp(np.mean(np.log1p(growth["growth"].to_numpy(float)))) - 1)


def growth_rows(frame: pd.DataFrame, grain: str) -> tuple[list[dict], float]:
    """calibration.csv rows for growth (total and per tier) and trend; and the yearly trend used for baseline."""
    rows = []
    total = quarter_growth(frame, grain)
    for _, row in total.iterrows():
        rows.append(_growth_row(row, "", f"revenue {row['quarter']} / revenue {row['quarter'] - 4} - 1"))
    for _, row in quarter_growth(frame, grain, by="tier").iterrows():
        rows.append(_growth_row(row, row["tier"], f"tier revenue {row['quarter']} / {row['quarter'] - 4} - 1"))
    trend = yearly_trend(total)
    method = "geometric mean of 1 + same-quarter growth, minus 1"
    rows.append({"parameter": "growth_trend", "tier": "", "period": "all quarters", "estimate": trend,
                 "count": len(total), "periods": int(total["periods"].sum()) if len(total) else 0, "method": method})
    for number in range(1, 5):
        same = total[total["quarter"].map(lambda q: q.quarter) == number]
        if len(same):
            rows.append({"parameter": "growth_trend", "tier": "", "period": f"Q{number}", "estimate": yearly_trend(same),
                         "count": len(same), "periods": int(same["periods"].sum()), "method": method})
    return rows, trend


def _growth_row(row, tier: str, method: str) -> dict:
    return {"parameter": "growth", "tier": tier, "period": str(row["quarter"]).replace("Q", "-Q"),
            "estimate": row["growth"], "count": 2, "periods": int(row["periods"]), "method": method}


def baseline_levels(frame: pd.DataFrame, by: list[str], as_of: pd.Timestamp, trend: float,
                    confidence: float) -> pd.DataFrame:
    """Per cell: the baseline per grain period at the as-of date (``level``), its interval and quiet periods."""
    carried = frame["revenue"] * _growth_factor(frame["date"], as_of, trend)
    quiet = (frame["spend"] == 0) & (frame["leads"] == 0)
    rows = []
    for key, cell in frame.assign(carried=carried, quiet=quiet).groupby(by, sort=True):
        values = cell.loc[cell["quiet"], "carried"].to_numpy(float)
        names = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        level, low, high, se = (float(values.mean()) if len(values) else 0.0), np.nan, np.nan, 0.0
        if len(values) >= 2:
            se = float(values.std(ddof=1) / np.sqrt(len(values)))
            half = _t_quantile(0.5 + confidence / 2, len(values) - 1) * se
            low, high = level - half, level + half
        rows.append({**names, "level": level, "low": low, "high": high, "se": se, "quiet_periods": len(values)})
    return pd.DataFrame(rows, columns=[*by, "level", "low", "high", "se", "quiet_periods"])


def driven_revenue(frame: pd.DataFrame, levels: pd.DataFrame, by: list[str], as_of: pd.Timestamp,
                   trend: float) -> pd.DataFrame:
    """Each row's revenue less its cell's baseline carried back to the row's date (``driven_revenue``), and
    the standard error of that baseline (``baseline_se``: the same for every row of a cell, up to the trend,
    so order value's interval can add it)."""
    found = frame[by].merge(levels[[*by, "level", "se"]], on=by, how="left")
    factor = _growth_factor(frame["date"], as_of, trend).to_numpy()
    baseline = found["level"].fillna(0.0).to_numpy() / factor
    return pd.DataFrame({"driven_revenue": frame["revenue"].to_numpy() - baseline,
                         "baseline_se": found["se"].fillna(0.0).to_numpy() / factor}, index=frame.index)


def plan_baseline(levels: pd.DataFrame, by: list[str], plan_periods: list[str], grain: str, as_of: pd.Timestamp,
                  trend: float) -> pd.DataFrame:
    """Baseline revenue per cell x plan month: the level times the grain periods in the month, carried from
    the as-of date to the month's middle at the trend (columns: by, period, revenue, low, high)."""
    rows = []
    for period in plan_periods:
        month = pd.Period(period, freq="M")
        middle = month.start_time + (month.end_time - month.start_time) / 2
        scale = _periods_in(month, grain) * (1 + trend) ** ((middle - as_of).days / DAYS_PER_YEAR)
        part = levels[levels["quiet_periods"] > 0].copy()
        part["period"] = period
        for column, source in (("revenue", "level"), ("low", "low"), ("high", "high")):
            part[column] = part[source] * scale
        rows.append(part[[*by, "period", "revenue", "low", "high", "quiet_periods"]])
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _periods_in(month: pd.Period, grain: str) -> float:
    """Grain periods in a calendar month: 1 month, days / 7 weeks, or its days."""
    days = GRAIN_DAYS[grain]
    return 1.0 if days is None else month.days_in_month / days


def _growth_factor(dates: pd.Series, as_of: pd.Timestamp, trend: float) -> pd.Series:
    """(1 + trend)^(years from each date to as_of): what carries a date's amount to the as-of date."""
    years = (as_of - dates).dt.days / DAYS_PER_YEAR
    return (1 + trend) ** years


def _period_end(last: pd.Timestamp, grain: str) -> pd.Timestamp:
    """The last day the history's last period covers."""
    days = GRAIN_DAYS[grain]
    if days is None:
        return (last + pd.offsets.MonthEnd(0)).normalize()
    return last + pd.Timedelta(days=days - 1)


def _t_quantile(probability: float, freedom: int) -> float:
    """Student t quantile (scipy arrives with statsmodels, the history extra: imported when first needed)."""
    from scipy import stats

    return float(stats.t.ppf(probability, freedom))

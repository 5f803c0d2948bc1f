"""tracking.csv: each committed target, and each measure by channel, tier and product, to date and forecast.

Rows of level ``target`` are the plan's targets.csv rows that add up over days (revenue, new customers,
leads, the budget as spend) and the portfolio ROI; they carry the committed number, the gap of each
forecast to it (forecast - committed: negative is short of a minimum, positive is over a maximum) and
`on_course` (both forecasts on the right side of it). Rows of level ``all``, ``channel``, ``tier`` and
``product`` break each measure down, without a commitment. Forecasts: `allocator.tracking.forecast`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.tracking.forecast import NAN, forecast
from allocator.tracking.kpis import ratio
from allocator.tracking.plan_days import MEASURES

TRACKING = ["level", "name", "measure", "unit", "sense", "committed", "plan_to_date", "actual_to_date", "attainment",
            "plan_total", "forecast_run_rate", "run_rate_low", "run_rate_high", "forecast_plan_based",
            "plan_based_low", "plan_based_high", "gap_run_rate", "gap_plan_based", "on_course"]
# targets.csv names whose number adds up over days, and the measure that counts it.
TARGET_MEASURES = {"revenue": "revenue", "new_customers": "new_customers", "leads": "leads", "budget_total": "spend"}
PORTFOLIO_ROI = "min_roi[portfolio]"
LEVELS = ("all", "channel", "tier", "product")


class Series:
    """Daily sums of every measure, actual and plan, per level and name, over the elapsed and all days."""

    def __init__(self, both: pd.DataFrame, elapsed_days: pd.DatetimeIndex, quarter_days: int, has_product: bool):
        self.elapsed_days, self.quarter_days = elapsed_days, quarter_days
        self.both = both.assign(all="all")
        self.levels = LEVELS if has_product else LEVELS[:-1]
        self.past = self.both["date"] < elapsed_days[-1] + pd.Timedelta(days=1)

    def daily(self, level: str, name: str, column: str) -> np.ndarray:
        """`column` summed per elapsed day for the rows of `level` == `name` (0 on a day without one)."""
        rows = self.both[self.past & (self.both[level] == name)]
        return rows.groupby("date")[column].sum().reindex(self.elapsed_days, fill_value=0.0).to_numpy()

    def total(self, level: str, name: str, column: str) -> float:
        return float(self.both.loc[self.both[level] == name, column].sum())

    def row(self, level: str, name: str, measure: str) -> dict:
        actual, plan = self.daily(level, name, measure), self.daily(level, name, f"plan_{measure}")
        plan_total = self.total(level, name, f"plan_{measure}")
        to_date, planned = float(actual.sum()), float(plan.sum())
        found = forecast(actual, plan, plan_total, self.quarter_days)
        return {"level": level, "name": name, "measure": measure, "plan_to_date": planned, "actual_to_date": to_date,
                "attainment": float(ratio(to_date, planned)), "plan_total": plan_total, **found.as_row()}


def breakdown_rows(series: Series) -> list[dict]:
    """Every measure for all channels, and per channel, tier and product (the names the plan or the actuals
    hold), in that order."""
    rows = []
    for level in series.levels:
        names = ["all"] if level == "all" else [n for n in dict.fromkeys(series.both[level]) if n != ""]
        for name in names:
            rows += [series.row(level, name, measure) for measure in MEASURES]
    return rows


def target_rows(targets: pd.DataFrame, series: Series) -> tuple[list[dict], list[str]]:
    """The targets.csv rows tracked (level ``target``) and the names of those that are not."""
    rows, skipped = [], []
    for target in targets.itertuples(index=False):
        name, sense = str(target.target), ("<=" if str(target.kind) == "max" else ">=")
        if name in TARGET_MEASURES:
            row = {**series.row("all", "all", TARGET_MEASURES[name]), "name": name}
        elif name == PORTFOLIO_ROI:
            row = _roi_row(series)
        else:
            skipped.append(name)
            continue
        committed = float(target.committed)
        row.update(level="target", unit=str(target.unit), sense=sense, committed=committed)
        for kind in ("run_rate", "plan_based"):
            row[f"gap_{kind}"] = row[f"forecast_{kind}"] - committed
        forecasts = np.array([row["forecast_run_rate"], row["forecast_plan_based"]])
        row["on_course"] = bool(np.all(forecasts >= committed) if sense == ">=" else np.all(forecasts <= committed))
        rows.append(row)
    return rows, skipped


def _roi_row(series: Series) -> dict:
    """Portfolio ROI: incremental revenue (revenue less the plan's baseline) per unit of spend, to date and
    at quarter end (each forecast of revenue less the whole baseline, over the same forecast of spend)."""
    revenue, spend = series.row("all", "all", "revenue"), series.row("all", "all", "spend")
    baseline_to_date = float(series.daily("all", "all", "plan_baseline_revenue").sum())
    baseline_total = series.total("all", "all", "plan_baseline_revenue")
    plan_to_date = float(ratio(revenue["plan_to_date"] - baseline_to_date, spend["plan_to_date"]))
    actual = float(ratio(revenue["actual_to_date"] - baseline_to_date, spend["actual_to_date"]))
    out = {"level": "target", "name": PORTFOLIO_ROI, "measure": "roi", "plan_to_date": plan_to_date,
           "actual_to_date": actual, "attainment": float(ratio(actual, plan_to_date)),
           "plan_total": float(ratio(revenue["plan_total"] - baseline_total, spend["plan_total"]))}
    for kind in ("run_rate", "plan_based"):
        key = f"forecast_{kind}"
        out[key] = float(ratio(revenue[key] - baseline_total, spend[key]))
        out[f"{kind}_low"] = out[f"{kind}_high"] = NAN  # a ratio of two forecasts: no interval stated
    return out


def tracking_table(targets: pd.DataFrame, series: Series, currency: str) -> tuple[pd.DataFrame, list[str]]:
    """tracking.csv and the names of the targets it does not track."""
    tracked, skipped = target_rows(targets, series)
    frame = pd.DataFrame(tracked + breakdown_rows(series), columns=TRACKING)
    units = {"spend": currency, "revenue": currency, "leads": "count", "customers": "count", "new_customers": "count"}
    frame["unit"] = frame["unit"].fillna(frame["measure"].map(units))
    frame["sense"] = frame["sense"].fillna("")
    return frame, skipped

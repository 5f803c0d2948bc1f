"""The approved plan spread over its days, cell by cell, so that it can be set against daily actuals.

Each period's amounts (allocation.csv: channel x tier x product x period) are shared among the period's
days: by the working-day weights of the scenario's `calendar:` (`allocator.plan.calendar.day_split`, the
split weekly.csv and milestones.csv use) when the scenario has one, else evenly over the period's
calendar days. The plan's ``revenue_total`` (baseline included) is called ``revenue`` here, because an
actuals row's revenue is everything the cell sold.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from allocator.plan.calendar import day_split
from allocator.scenario.calendar import Calendar
from allocator.scenario.periods import first_and_last_day, iso_week
from allocator.scenario.schema import NEW_CUSTOMER_KINDS

CELL = ["channel", "tier", "product"]
MEASURES = ["spend", "leads", "customers", "new_customers", "revenue"]  # compared with actuals
PLAN_AMOUNTS = MEASURES + ["baseline_revenue"]  # baseline: what comes without spend (for ROI)


def day_shares(periods, calendar: dict | None) -> pd.DataFrame:
    """Every day of `periods` in order: ``date``, ``period``, ``share`` (of its period; a period's shares
    sum to 1), ``week`` (ISO) and ``month``. `calendar` is the scenario's ``calendar:`` block or None."""
    if calendar is not None:
        split = day_split(Calendar(**calendar), list(periods))
        days, period, share = list(split.days), [split.periods[i] for i in split.period], split.share
    else:
        days, period, share = [], [], []
        for name in periods:
            first, last = first_and_last_day(name)
            span = (last - first).days + 1
            days += [first + timedelta(days=k) for k in range(span)]
            period += [name] * span
            share += [1.0 / span] * span
    return pd.DataFrame({"date": pd.to_datetime(days), "period": period, "share": np.asarray(share, dtype=float),
                         "week": [iso_week(d) for d in days], "month": [f"{d:%Y-%m}" for d in days]})


def new_customer_tiers(allocation: pd.DataFrame) -> set[str]:
    """The tiers whose customers are new customers (kinds new and prospect, as the plan counts them)."""
    kinds = allocation[["tier", "kind"]].drop_duplicates()
    return set(kinds.loc[kinds["kind"].isin(NEW_CUSTOMER_KINDS), "tier"])


def daily_plan(allocation: pd.DataFrame, days: pd.DataFrame, with_product: bool) -> pd.DataFrame:
    """One row per day x cell with anything planned that day: ``date``, the cell (``product`` ``""`` when
    `with_product` is False: the cells of a channel x tier summed) and PLAN_AMOUNTS for that day."""
    cells = allocation.copy()
    cells["product"] = cells["product"].fillna("").astype(str) if with_product else ""
    cells["revenue"] = cells["revenue_total"]
    cells = cells.groupby(CELL + ["period"], as_index=False, sort=False)[PLAN_AMOUNTS].sum()
    cells = cells[(cells[PLAN_AMOUNTS] != 0).any(axis=1)]
    merged = days[["date", "period", "share"]].merge(cells, on="period", how="inner")
    merged[PLAN_AMOUNTS] = merged[PLAN_AMOUNTS].mul(merged["share"], axis=0)
    merged = merged[merged["share"] > 0]  # a day that weighs nothing (a holiday) plans nothing
    return merged[["date"] + CELL + PLAN_AMOUNTS].sort_values(["date"] + CELL, kind="stable").reset_index(drop=True)


def joined(actual: pd.DataFrame, plan: pd.DataFrame, new_tiers: set[str], days: pd.DataFrame) -> pd.DataFrame:
    """Actuals and plan side by side per day x cell: MEASURES as actual, ``plan_`` + PLAN_AMOUNTS as
    planned (0 where one side has no row), with each day's plan ``period``, ISO ``week`` and ``month``."""
    actual = actual.copy()
    actual["new_customers"] = np.where(actual["tier"].isin(new_tiers), actual["customers"], 0.0)
    actual = actual.groupby(["date"] + CELL, as_index=False)[MEASURES].sum()
    planned = plan.rename(columns={c: f"plan_{c}" for c in PLAN_AMOUNTS})
    both = actual.merge(planned, on=["date"] + CELL, how="outer").fillna(
        {c: 0.0 for c in MEASURES + [f"plan_{c}" for c in PLAN_AMOUNTS]})
    both = both.merge(days[["date", "period", "week", "month"]], on="date", how="left")
    return both.sort_values(["date"] + CELL, kind="stable").reset_index(drop=True)

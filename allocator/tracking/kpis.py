"""The KPIs of the method at their three levels, actual beside plan, per channel and for all channels.

- Daily (kpis_daily.csv, one row per elapsed day x channel, and channel ``all``): leads, conversion
  (customers / leads), order value (incremental revenue per customer won), and the day's revenue
  attainment (actual / plan) and spend pacing (actual / plan).
- Weekly (kpis_weekly.csv, per ISO week x channel): revenue, new customers (customers of the tiers of
  kind new or prospect), repeat rate (customers of the tiers of kind existing or key_account / all
  customers), and the conversion and cost per lead (spend / leads) with their change against the plan
  (actual / plan - 1) that the "cut or fix" flag reads. `complete` says the week's plan days are all past.
- Monthly (kpis_monthly.csv, per month x channel): completion (revenue to date / the whole month's
  planned revenue), ROI (incremental revenue / spend) and a lifetime-value proxy: incremental revenue x
  the tier's `value_multiplier` (the scenario's lifetime value per unit of quarter revenue), summed.

Incremental revenue is actual revenue less the plan's baseline revenue of the same cells and days (the
baseline comes without spend), so ROI and order value read as the plan's do. A ratio whose denominator
is 0 is left blank.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.scenario.schema import TIER_KINDS

REPEAT_KINDS = tuple(k for k in TIER_KINDS if k in ("existing", "key_account"))
ALL = "all"
DAILY = ["date", "week", "month", "channel", "spend", "plan_spend", "spend_pacing", "leads", "plan_leads",
         "customers", "plan_customers", "conversion", "plan_conversion", "order_value", "plan_order_value",
         "revenue", "plan_revenue", "revenue_attainment"]
WEEKLY = ["week", "channel", "days", "complete", "revenue", "plan_revenue", "revenue_attainment", "new_customers",
          "plan_new_customers", "repeat_rate", "plan_repeat_rate", "spend", "plan_spend", "leads", "plan_leads",
          "conversion", "plan_conversion", "conversion_change", "cost_per_lead", "plan_cost_per_lead",
          "cost_per_lead_change"]
MONTHLY = ["month", "channel", "days", "month_days", "revenue", "plan_revenue", "revenue_attainment",
           "plan_month_revenue", "completion", "spend", "plan_spend", "roi", "plan_roi", "lifetime_value",
           "plan_lifetime_value"]


def ratio(numerator, denominator) -> np.ndarray:
    """numerator / denominator, blank (NaN) where the denominator is 0."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def enrich(both: pd.DataFrame, tier_kinds: dict[str, str], multipliers: dict[str, float]) -> pd.DataFrame:
    """`both` (plan_days.joined) with incremental revenue, repeat customers and lifetime value, each as
    actual and ``plan_``."""
    out = both.copy()
    out["incremental"] = out["revenue"] - out["plan_baseline_revenue"]
    out["plan_incremental"] = out["plan_revenue"] - out["plan_baseline_revenue"]
    repeat = out["tier"].map(tier_kinds).isin(REPEAT_KINDS)
    out["repeat_customers"] = np.where(repeat, out["customers"], 0.0)
    out["plan_repeat_customers"] = np.where(repeat, out["plan_customers"], 0.0)
    multiplier = out["tier"].map(multipliers).fillna(1.0)
    out["lifetime_value"] = out["incremental"] * multiplier
    out["plan_lifetime_value"] = out["plan_incremental"] * multiplier
    return out


def _by_channel(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sums per `keys` x channel, then per `keys` for all channels (channel ``all``), in `keys` order."""
    text = ["channel", "tier", "product", "date", "period", "week", "month"]
    numbers = [c for c in frame.columns if c not in keys + text]
    per_channel = frame.groupby(keys + ["channel"], as_index=False, sort=False)[numbers].sum()
    total = frame.groupby(keys, as_index=False, sort=False)[numbers].sum().assign(channel=ALL)
    both = pd.concat([per_channel, total], ignore_index=True)
    both["_all"] = both["channel"] == ALL
    return both.sort_values(keys + ["_all", "channel"], kind="stable").drop(columns="_all").reset_index(drop=True)


def daily_kpis(elapsed: pd.DataFrame) -> pd.DataFrame:
    """kpis_daily.csv from the enriched day x cell rows of the elapsed days."""
    out = _by_channel(elapsed.drop(columns=["week", "month"]), ["date"])
    out["week"] = out["date"].map(dict(zip(elapsed["date"], elapsed["week"])))
    out["month"] = out["date"].dt.strftime("%Y-%m")
    out["spend_pacing"] = ratio(out["spend"], out["plan_spend"])
    out["conversion"] = ratio(out["customers"], out["leads"])
    out["plan_conversion"] = ratio(out["plan_customers"], out["plan_leads"])
    out["order_value"] = ratio(out["incremental"], out["customers"])
    out["plan_order_value"] = ratio(out["plan_incremental"], out["plan_customers"])
    out["revenue_attainment"] = ratio(out["revenue"], out["plan_revenue"])
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    return out[DAILY]


def weekly_kpis(elapsed: pd.DataFrame, days: pd.DataFrame, complete_weeks: set[str]) -> pd.DataFrame:
    """kpis_weekly.csv; `days` are the elapsed days of the plan (plan_days.day_shares' rows before the as-of
    date), `complete_weeks` the ISO weeks whose plan days all lie before it."""
    days = days.groupby("week")["date"].nunique()
    out = _by_channel(elapsed.drop(columns=["date", "month"]), ["week"])
    out["days"] = out["week"].map(days).astype(int)
    out["complete"] = out["week"].isin(complete_weeks)
    out["revenue_attainment"] = ratio(out["revenue"], out["plan_revenue"])
    out["repeat_rate"] = ratio(out["repeat_customers"], out["customers"])
    out["plan_repeat_rate"] = ratio(out["plan_repeat_customers"], out["plan_customers"])
    out["conversion"] = ratio(out["customers"], out["leads"])
    out["plan_conversion"] = ratio(out["plan_customers"], out["plan_leads"])
    out["conversion_change"] = ratio(out["conversion"], out["plan_conversion"]) - 1
    out["cost_per_lead"] = ratio(out["spend"], out["leads"])
    out["plan_cost_per_lead"] = ratio(out["plan_spend"], out["plan_leads"])
    out["cost_per_lead_change"] = ratio(out["cost_per_lead"], out["plan_cost_per_lead"]) - 1
    return out[WEEKLY]


def monthly_kpis(elapsed: pd.DataFrame, days: pd.DataFrame, month_plan: pd.DataFrame) -> pd.DataFrame:
    """kpis_monthly.csv; `days` as for weekly_kpis; `month_plan` holds each month x channel's whole planned
    revenue (plan_month_revenue, with channel ``all`` rows), from the plan over every day of the month."""
    days = days.groupby("month")["date"].nunique()
    out = _by_channel(elapsed.drop(columns=["date", "week"]), ["month"])
    out = out.merge(month_plan, on=["month", "channel"], how="left").fillna({"plan_month_revenue": 0.0})
    out["days"] = out["month"].map(days).astype(int)
    out["month_days"] = pd.PeriodIndex(out["month"], freq="M").days_in_month
    out["revenue_attainment"] = ratio(out["revenue"], out["plan_revenue"])
    out["completion"] = ratio(out["revenue"], out["plan_month_revenue"])
    out["roi"] = ratio(out["incremental"], out["spend"])
    out["plan_roi"] = ratio(out["plan_incremental"], out["plan_spend"])
    return out[MONTHLY]


def month_plan(plan_days: pd.DataFrame, days: pd.DataFrame) -> pd.DataFrame:
    """Each month x channel's planned revenue over all of its days (and channel ``all``)."""
    frame = plan_days.merge(days[["date", "month"]], on="date")[["month", "channel", "revenue"]]
    frame = frame.rename(columns={"revenue": "plan_month_revenue"})
    return _by_channel(frame, ["month"])

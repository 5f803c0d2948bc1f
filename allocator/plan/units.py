"""The unit of every column a plan folder's CSVs hold (units.csv), and of every target row.

The CSVs are for machines: full precision, shares as fractions (0.25), ROI as
revenue per unit of spend. units.csv says so column by column, and each
target row of targets.csv names its own unit, because one column there holds
money, counts, ROI multiples and shares. The display kind of each column (how
a person reads it: `allocator.plan.display`) comes from the same table.
"""

from __future__ import annotations

import pandas as pd

# column -> display kind; the unit text follows from the kind (and the currency for money).
COLUMN_KINDS = {
    **dict.fromkeys(["spend", "revenue", "baseline_revenue", "revenue_total", "cost_per_lead", "order_value",
                     "cost_per_customer", "promised_revenue"], "money"),
    **dict.fromkeys(["leads", "customers", "new_customers", "promised_new_customers", "promised_leads"], "count"),
    **dict.fromkeys(["share_of_revenue", "share_of_spend", "conversion", "attainment", "buffer"], "percent"),
    **dict.fromkeys(["roi", "marginal_roi", "promised_min_roi"], "multiple"),
    **dict.fromkeys(["eligible", "met", "binding"], "flag"),
    **dict.fromkeys(["channel", "group", "tier", "kind", "product", "stage", "period", "line", "selection",
                     "statement", "target", "unit", "name", "sense", "constraint", "limit", "lever", "effect",
                     "gain_unit", "scope", "note", "section", "item", "metric", "goal"], "text"),
    # Numbers whose unit is the row's own: named by another column of the same row.
    **dict.fromkeys(["committed", "planned", "achieved"], "row"),
    **dict.fromkeys(["lhs", "rhs", "slack", "lever_value", "valid_from", "valid_to"], "row"),
    **dict.fromkeys(["shadow_price", "price_per_lever_unit", "best_reduced_cost"], "price"),
    "gain_if_relaxed_10pct": "row",
    **dict.fromkeys(["shortfall", "achieved_without_shortfall"], "row"),
    "shortfall_share": "percent",
    # diagnosis.csv
    **dict.fromkeys(["current", "feasible_at", "change"], "row"),
    **dict.fromkeys(["enough_alone", "complete", "valid_from_open", "valid_to_open"], "flag"),
    "achieved_share": "percent",
    "priority": "number",
    # sweep (frontier.csv) and risk (risk.csv)
    **dict.fromkeys(["status", "message", "channels_used"], "text"),
    **dict.fromkeys(["objective", "as_planned", "mean", "p10", "p50", "p90"], "row"),
    "budget_shadow_price": "price",
    "probability_meets_committed": "percent",
    # targets.csv derivation; checks.csv (allocator.history.checks): value, reference, margin in the row's unit
    **dict.fromkeys(["derivation", "check", "subject"], "text"),
    **dict.fromkeys(["value", "reference", "margin"], "row"),
    # weekly.csv and milestones.csv (allocator.plan.calendar, allocator.plan.milestones); owners
    **dict.fromkeys(["week", "month", "date", "measure", "owner"], "text"),
    **dict.fromkeys(["days", "working_days"], "count"),
    "share_of_period": "percent",
    # tracking (allocator.tracking.track): tracking.csv, kpis_daily/weekly/monthly.csv, flags.csv
    **dict.fromkeys(["plan_spend", "plan_order_value", "plan_revenue", "plan_cost_per_lead", "plan_month_revenue",
                     "lifetime_value", "plan_lifetime_value"], "money"),
    **dict.fromkeys(["plan_leads", "plan_customers", "plan_new_customers", "month_days", "weeks"], "count"),
    **dict.fromkeys(["spend_pacing", "plan_conversion", "revenue_attainment", "repeat_rate", "plan_repeat_rate",
                     "conversion_change", "cost_per_lead_change", "completion", "relative_change", "threshold"],
                    "percent"),
    "plan_roi": "multiple",
    "on_course": "flag",
    **dict.fromkeys(["plan_to_date", "actual_to_date", "plan_total", "forecast_run_rate", "run_rate_low",
                     "run_rate_high", "forecast_plan_based", "plan_based_low", "plan_based_high", "gap_run_rate",
                     "gap_plan_based", "actual_figure", "plan_figure"], "row"),
    # incentives (allocator.tracking.incentives): payouts.csv, totals.csv, expected_cost.csv
    **dict.fromkeys(["person", "team", "award", "flag", "rule_ids", "rules", "level", "part", "basis"], "text"),
    **dict.fromkeys(["monthly_pay", "sales", "bonus", "commission", "award_amount", "incentive_total", "amount"],
                    "money"),
    "missed": "flag",
    **dict.fromkeys(["target_amount", "actual_amount"], "row"),
    **dict.fromkeys(["required", "planned_by_date"], "row"),
    # re-plans (allocator.tracking.replan): replan_delta.csv, allocation.csv's fixed, learned.csv
    **dict.fromkeys(["approved_spend", "new_spend", "spend_change", "fixed_spend"], "money"),
    "fixed": "flag",
    **dict.fromkeys(["sentence", "funnel_number"], "text"),
    **dict.fromkeys(["plan_value", "observed", "learned"], "row"),
    "evidence": "count",
}

_ROW_UNITS = {
    "committed": "the target's own unit (targets.csv `unit`)",
    "planned": "the target's own unit (targets.csv `unit`)",
    "achieved": "the target's own unit (targets.csv `unit`)",
    "lhs": "the constraint row's own unit (money, count, or money for ratio rows written as linear rows)",
    "rhs": "the constraint row's own unit (as lhs)",
    "slack": "the constraint row's own unit (as lhs)",
    "lever_value": "the unit of the scenario field named in `lever`",
    "valid_from": "the unit of the scenario field named in `lever`",
    "valid_to": "the unit of the scenario field named in `lever`",
    "gain_if_relaxed_10pct": "the unit named in `gain_unit` (the objective's)",
    "shortfall": "the goal's own unit: money for revenue, a count for customers and leads",
    "achieved_without_shortfall": "the goal's own unit (as shortfall)",
    **dict.fromkeys(["current", "feasible_at", "change"], "the unit of the scenario field named in `lever`"),
    **dict.fromkeys(["required", "planned_by_date"],
                    "the unit of the row's measure: money for revenue and spend, a count for new_customers and leads"),
    "objective": "the objective's unit (run.json objective_kind)",
    **dict.fromkeys(["plan_to_date", "actual_to_date", "plan_total", "forecast_run_rate", "run_rate_low",
                     "run_rate_high", "forecast_plan_based", "plan_based_low", "plan_based_high", "gap_run_rate",
                     "gap_plan_based"], "the unit named in the row's `unit` column (tracking.csv)"),
    **dict.fromkeys(["actual_figure", "plan_figure"],
                    "the unit of the row's measure (flags.csv `measure`): money for spend and revenue, a count "
                    "for customers, a share for conversion, money per lead for cost_per_lead, x for roi"),
    **dict.fromkeys(["target_amount", "actual_amount"],
                    "the attainment table's own unit: money for a revenue target, a count for a customer target"),
    **dict.fromkeys(["plan_value", "observed", "learned"], "the unit of the funnel number named in `funnel_number`"),
    **dict.fromkeys(["value", "reference", "margin"], "the check's own unit (checks.csv `unit`)"),
    **dict.fromkeys(["as_planned", "mean", "p10", "p50", "p90"], "the unit of the row's metric"),
}


def unit_text(column: str, kind: str, currency: str) -> str:
    """What one unit of `column` is, in words."""
    return {
        "money": currency,
        "count": "count",
        "percent": "fraction of 1 (0.25 = 25%)",
        "multiple": "revenue per unit of spend (4.6 = 4.6x)",
        "flag": "True/False",
        "text": "text",
        "price": "objective units per unit of the row's right-hand side (or of the lever)",
        "number": "number",
    }.get(kind) or _ROW_UNITS[column]


def units_table(tables: dict[str, pd.DataFrame], currency: str) -> pd.DataFrame:
    """units.csv: file, column, kind, unit for every column of `tables`. A column this table does not know
    gets kind `number` and says so, so a new column shows up in the test that every column is named."""
    rows = []
    for stem, frame in tables.items():
        for column in frame.columns:
            kind = COLUMN_KINDS.get(str(column), "number")
            rows.append({"file": f"{stem}.csv", "column": str(column), "kind": kind,
                         "unit": unit_text(str(column), kind, currency)})
    return pd.DataFrame(rows, columns=["file", "column", "kind", "unit"])


def with_units(tables: dict[str, pd.DataFrame], currency: str) -> dict[str, pd.DataFrame]:
    """The tables and their units.csv, as a folder writes them."""
    return {**tables, "units": units_table(tables, currency)}


_TARGET_KINDS = {
    "revenue": "money", "budget_total": "money", "by_revenue": "money", "by_max_spend": "money",
    "new_customers": "count", "by_new_customers": "count", "leads": "count", "by_leads": "count",
    "by_customers": "count", "min_roi": "multiple",
    "mix_min_revenue": "percent", "mix_max_revenue": "percent", "mix_min_spend": "percent",
    "mix_max_spend": "percent",
}
_TARGET_UNITS = {"count": "count", "multiple": "x (revenue / spend)", "percent": "share (0-1)"}


def target_kind(name: str) -> str:
    """The display kind of a targets.csv row, from its name (`by_revenue[tier=key_accounts]` -> money)."""
    return _TARGET_KINDS.get(str(name).split("[", 1)[0], "number")


def target_unit(name: str, currency: str) -> str:
    """targets.csv `unit`: the currency, `count`, `x (revenue / spend)` or `share (0-1)`."""
    kind = target_kind(name)
    return currency if kind == "money" else _TARGET_UNITS.get(kind, "number")

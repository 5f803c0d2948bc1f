"""`track`: actuals to date against the approved plan, the KPIs at their three levels, forecasts and flags.

Public API:

- `PlanSource`: the plan's allocation.csv, targets.csv, scenario.json and run.json (as the CLI reads
  them from a verified plan folder).
- `track(plan, actuals_path, as_of, rules) -> Tracking`: the tables tracking, kpis_daily, kpis_weekly,
  kpis_monthly and flags, and run.json's record. Nothing is written or printed here.

Rows of the actuals dated on or after `as_of` are not counted (and counted as such); the days before it,
from the plan's first day, are the elapsed days. The plan to date: `allocator.tracking.plan_days`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from allocator.errors import Text
from allocator.history.history_table import parse_date
from allocator.io.provenance import file_sha256, versions
from allocator.tracking import forecast as forecast_method
from allocator.tracking import kpis as kpi_rules
from allocator.history.actuals import Actuals, ActualsError, PlanScope, read_actuals
from allocator.tracking.flags import FlagRules, flags_table
from allocator.tracking.kpis import (
    daily_kpis,
    enrich,
    month_plan,
    monthly_kpis,
    weekly_kpis,
)
from allocator.tracking.plan_days import (
    daily_plan,
    day_shares,
    joined,
    new_customer_tiers,
)
from allocator.tracking.to_date import Series, tracking_table


@dataclass(frozen=True)
class PlanSource:
    """The approved plan as its folder holds it."""

    allocation: pd.DataFrame
    targets: pd.DataFrame
    scenario: dict  # scenario.json: periods, tiers (kind, value_multiplier), calendar
    run: dict = field(default_factory=dict)  # run.json
    folder: Path | None = None

    @property
    def periods(self) -> list[str]:
        return list(self.scenario.get("periods") or dict.fromkeys(self.allocation["period"]))

    @property
    def currency(self) -> str:
        return str(self.run.get("currency") or self.scenario.get("currency") or "")


@dataclass(frozen=True)
class Tracking:
    """What `track` found: the tables to write (by file stem) and run.json's record."""

    tables: dict[str, pd.DataFrame]
    record: dict
    actuals: Actuals
    as_of: pd.Timestamp
    not_counted: int  # actuals rows dated on or after as_of
    last_date: pd.Timestamp | None  # the last day with a counted row (None: no row before as_of)
    unreported_days: int  # days after last_date and before as_of that the plan weighs (its working days)
    elapsed_days: int
    quarter_days: int


def track(plan: PlanSource, actuals_path: str | Path, as_of, rules: FlagRules | None = None) -> Tracking:
    """Actuals at `actuals_path` (dated before `as_of`, a ``YYYY-MM-DD`` text or a date) against `plan`.

    Raises `ActualsError` (exit 2) on a bad actuals table, a name the plan does not know, a date outside the
    plan, or an `as_of` not after the plan's first day or later than the day after its last."""
    started = time.perf_counter()
    rules = rules or FlagRules()
    periods = plan.periods
    scope = PlanScope.from_allocation(plan.allocation, periods)
    moment = _as_of(as_of, scope)
    actuals = read_actuals(actuals_path, scope)
    counted = actuals.table[actuals.table["date"] < moment]
    days = day_shares(periods, plan.scenario.get("calendar"))
    with_product = actuals.has_product and bool(scope.products)
    planned = daily_plan(plan.allocation, days, with_product)
    actual = counted if with_product else counted.assign(product="")
    tiers = plan.scenario.get("tiers") or []
    both = enrich(joined(actual, planned, new_customer_tiers(plan.allocation), days),
                  {t["name"]: t.get("kind") for t in tiers}, {t["name"]: t.get("value_multiplier", 1.0) for t in tiers})
    elapsed = both[both["date"] < moment]
    elapsed_days = pd.date_range(days["date"].iloc[0], moment - pd.Timedelta(days=1))
    last_day_of_week = days.groupby("week")["date"].max()
    complete = set(last_day_of_week[last_day_of_week < moment].index)
    past = days[days["date"] < moment]
    weekly = weekly_kpis(elapsed, past, complete)
    attributes = plan.allocation.assign(product=plan.allocation["product"].fillna("").astype(str))
    series = Series(both, attributes, elapsed_days, len(days), with_product)
    tracking, skipped = tracking_table(plan.targets, series, plan.currency)
    tables = {"tracking": tracking, "kpis_daily": daily_kpis(elapsed), "kpis_weekly": weekly,
              "kpis_monthly": monthly_kpis(elapsed, past, month_plan(planned, days)),
              "flags": flags_table(weekly, tracking, rules, plan.currency)}
    not_counted = len(actuals.table) - len(counted)
    record = _record(plan, actuals, moment, rules, skipped, not_counted, len(elapsed_days), len(days), with_product)
    last_date = counted["date"].max() if len(counted) else None
    after = past["date"] > last_date if last_date is not None else True
    unreported = int(((past["share"] > 0) & after).sum())
    record["actuals"].update(last_counted_date=f"{last_date:%Y-%m-%d}" if last_date is not None else None,
                             plan_days_after_it=unreported)
    record["seconds"] = round(time.perf_counter() - started, 3)
    return Tracking(tables, record, actuals, moment, not_counted, last_date, unreported, len(elapsed_days),
                    len(days))


def _as_of(text, scope: PlanScope) -> pd.Timestamp:
    moment = parse_date(text, "--as-of")
    first, last = pd.Timestamp(scope.first_day), pd.Timestamp(scope.last_day)
    if moment <= first or moment > last + pd.Timedelta(days=1):
        raise ActualsError("--as-of", "", Text(f"{moment:%Y-%m-%d}"),
                           f"a day after the plan's first day ({first:%Y-%m-%d}) and at most the day after its "
                           f"last ({last + pd.Timedelta(days=1):%Y-%m-%d}): actuals are counted before it")
    return moment


def _record(plan: PlanSource, actuals: Actuals, moment, rules: FlagRules, skipped: list[str], not_counted: int,
            elapsed: int, quarter: int, with_product: bool) -> dict:
    """run.json: what was read (plan folder and its scenario, actuals path and SHA-256), the rules and methods."""
    scenario = plan.run.get("scenario") if isinstance(plan.run.get("scenario"), dict) else {}
    return {
        "command": "track", "as_of": f"{moment:%Y-%m-%d}", "currency": plan.currency,
        "plan": {"folder": str(plan.folder.absolute()) if plan.folder else None, "status": plan.run.get("status"),
                 "scenario": {"name": scenario.get("name"), "file": scenario.get("file"),
                              "sha256": scenario.get("sha256")}},
        "actuals": {"path": str(Path(actuals.source).absolute()), "sha256": file_sha256(actuals.source),
                    "rows_read": actuals.rows_read, "rows_replaced": actuals.replaced,
                    "corrections": actuals.corrections, "rows_not_counted_on_or_after_as_of": not_counted,
                    "by_product": with_product, "statement": actuals.statement()},
        "days": {"elapsed": elapsed, "quarter": quarter},
        "rules": {"threshold": rules.threshold, "weeks": rules.weeks, "pacing": rules.pacing},
        "targets_not_tracked": skipped,
        "methods": {
            "plan_to_date": "each period's plan shared among its days by the calendar's working-day weights "
                            "(weekly.csv's split) when the scenario has a calendar, else evenly over its days",
            "corrections": "a row repeating an earlier row's date, channel, tier and product replaces it (last wins)",
            "forecast": " ".join(forecast_method.__doc__.split()),
            "kpis": " ".join(kpi_rules.__doc__.split()),
        },
        "versions": versions(), "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }

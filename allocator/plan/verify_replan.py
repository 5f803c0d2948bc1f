"""`allocator verify` on a re-plan (run.json kind "replan"): the quarter's rows over the whole allocation, the
elapsed cells against the actuals file, and the days left like any plan.

The actuals are read again from the file run.json names (its SHA-256 must match): per cell, the sums of
the days before the as-of date. The allocation is split into that elapsed part and the rest, whose
revenue is ``revenue_total - actual revenue + f x baseline - baseline`` (f: the period's elapsed share; the
plan's baseline of the elapsed days is inside the actual revenue). Then:

- every row over sums of cells (budget, targets, ROI floors, mix, phasing, lines, targets on selections)
  is checked on the whole allocation, as for any plan;
- a period that is over: each cell's spend, leads, customers and revenue equal the actuals;
- the rest is checked like a plan: funnel arithmetic and baseline per cell (with learned.csv's numbers when
  the re-plan learned), and per-period caps and minimums at (1 - f) x the scenario's number. A response
  curve's check is left out in a period cut by the as-of date (its slices are not split by days).
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.errors import InputError
from allocator.history.actuals import read_actuals
from allocator.plan.verify import Report, verify
from allocator.scenario.periods import first_and_last_day
from allocator.scenario.schema import FunnelRow, Scenario

AMOUNTS = ["spend", "leads", "customers", "revenue"]
CELL = ["channel", "tier", "product", "period"]
# Checks of one cell (name[channel,tier,product,period]) and of one channel and period.
CELL_CHECKS = ("leads", "customers", "revenue", "revenue_total", "leads_at_most_curve", "baseline")
PERIOD_CHECKS = ("capacity_spend", "min_spend", "capacity_leads", "sales_capacity", "response_curve")


def verify_recorded(s: Scenario, allocation: pd.DataFrame, folder: Path, run: dict | None) -> Report:
    """The allocation checked as its run.json says it was made: a re-plan's elapsed cells against its
    actuals (and the rest as a plan), any other plan against the scenario alone."""
    if isinstance(run, dict) and run.get("kind") == "replan":
        return verify_replan(s, allocation, Path(folder), run)
    return verify(s, allocation)


def verify_replan(s: Scenario, allocation: pd.DataFrame, folder: Path, run: dict) -> Report:
    as_of = date.fromisoformat(run["as_of"])
    share = {p: _elapsed_share(s, p, as_of) for p in s.periods}
    learned = _learned(s, folder / "learned.csv")
    whole = verify(learned, allocation)
    actual, problem = _actuals(s, run, as_of)
    if problem:
        whole.problems.append(problem)
        return whole
    a = allocation.merge(actual, on=CELL, how="left", suffixes=("", "_actual")).fillna(
        {f"{k}_actual": 0.0 for k in AMOUNTS})
    unknown = actual.merge(allocation[CELL], on=CELL, how="left", indicator=True)
    for row in unknown[unknown["_merge"] == "left_only"].itertuples():
        whole.problems.append(f"elapsed_cell[{row.channel},{row.tier},{row.product},{row.period}]: actuals for a cell "
                              "the re-plan does not list")
    rest = _remaining(s, a, share)
    part = verify(_prorated(learned, share), rest)
    touched_periods = {p for p, f in share.items() if f > 0}
    touched_cells = {k for k, f in zip(zip(*(a[c] for c in CELL)), a["period"].map(share)) if f > 0}

    def touched(name: str) -> bool:
        form, _, args = name.partition("[")
        parts = tuple(args.rstrip("]").split(","))
        if form in CELL_CHECKS:
            return parts in touched_cells
        return form in PERIOD_CHECKS and parts[-1] in touched_periods

    report = Report(checks=[c for c in whole.checks if not touched(c.name)], problems=list(whole.problems),
                    goals=list(whole.goals))
    report.checks += [c for c in part.checks if touched(c.name) and not (
        c.name.startswith("response_curve[") and 0 < share[c.name.rstrip("]").split(",")[-1]] < 1)]
    report.problems += [p for p in part.problems if p.startswith("nonnegative[")]
    for row in a[a["period"].map(share) >= 1].itertuples():
        cell = f"{row.channel},{row.tier},{row.product},{row.period}"
        for amount in AMOUNTS[:3]:
            report.add(f"elapsed_{amount}[{cell}]", getattr(row, amount), "=", getattr(row, f"{amount}_actual"))
        report.add(f"elapsed_revenue[{cell}]", row.revenue_total, "=", row.revenue_actual)
    return report


def _elapsed_share(s: Scenario, period: str, as_of: date) -> float:
    """The period's share of days before `as_of`: by the calendar's day weights with a calendar, else days."""
    if s.calendar is not None:
        from allocator.plan.calendar import day_split

        split = day_split(s.calendar, [period])
        return float(min(1.0, sum(w for d, w in zip(split.days, split.share) if d < as_of)))
    first, last = first_and_last_day(period)
    days = (last - first).days + 1
    return min(days, max(0, (as_of - first).days)) / days


def _actuals(s: Scenario, run: dict, as_of: date) -> tuple[pd.DataFrame, str]:
    """Per cell, the actuals before `as_of` from the file run.json names; or a problem (missing, changed)."""
    recorded = run.get("actuals") or {}
    path = Path(str(recorded.get("file") or ""))
    if not recorded.get("file") or not path.is_file():
        return pd.DataFrame(), f"actuals: the re-plan's actuals file {path} cannot be read"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != recorded.get("sha256"):
        return pd.DataFrame(), (f"actuals: {path} changed since the re-plan "
                                f"(SHA-256 {digest[:12]}... not the recorded one)")
    try:  # the reader the re-plan used: names stripped, corrections applied (the last row of a key wins)
        frame = read_actuals(path).table
    except InputError as exc:
        return pd.DataFrame(), f"actuals: {exc}"
    if not frame["product"].astype(bool).any():
        frame["product"] = s.products[0].name
    frame["date"] = frame["date"].dt.date
    frame = frame[frame["date"] < as_of].copy()
    frame["period"] = [f"{d.year:04d}-{d.month:02d}" for d in frame["date"]]
    return frame.groupby(CELL, as_index=False)[AMOUNTS].sum(), ""


def _remaining(s: Scenario, a: pd.DataFrame, share: dict) -> pd.DataFrame:
    """The allocation less its elapsed part: what the re-plan planned for the days left."""
    base = {(b.channel, b.tier, b.product, b.period): b.revenue for b in s.baseline}
    b = np.array([base.get(k, 0.0) for k in zip(*(a[c] for c in CELL))])
    f = a["period"].map(share).to_numpy()
    rest = a.drop(columns=[f"{k}_actual" for k in AMOUNTS]).copy()
    for amount in ("spend", "leads", "customers"):
        rest[amount] = a[amount] - a[f"{amount}_actual"]
    rest["revenue_total"] = a["revenue_total"] - a["revenue_actual"] + f * b
    rest["baseline_revenue"] = b
    rest["revenue"] = rest["revenue_total"] - b
    # A difference of two equal figures is 0, not their round-off (a cell that only has actuals).
    for amount in AMOUNTS:
        scale = np.maximum(a[amount].abs(), a[f"{amount}_actual"].abs()) + (b if amount == "revenue" else 0.0)
        rest[amount] = rest[amount].where(rest[amount].abs() > 1e-9 * scale, 0.0)
    rest["revenue_total"] = rest["revenue"] + b
    return rest


def _learned(s: Scenario, path: Path) -> Scenario:
    """The scenario with learned.csv's numbers as funnel rows (a re-plan with --learn plans with them)."""
    if not path.is_file():
        return s
    table = pd.read_csv(path, keep_default_na=False)
    eligible = {(r.channel, r.tier, r.product): r.eligible for r in s.funnel}
    multiplier = {p.name: p.order_value_multiplier for p in s.products}
    rows = []
    for (channel, tier, product), g in table.groupby(["channel", "tier", "product"], sort=False):
        value = dict(zip(g["funnel_number"], pd.to_numeric(g["learned"])))
        rows.append(FunnelRow(channel=channel, tier=tier, product=product, cost_per_lead=value["cost_per_lead"],
                              conversion=value["conversion"], order_value=value["order_value"] / multiplier[product],
                              eligible=eligible.get((channel, tier, product), True)))
    return s.model_copy(update={"funnel": list(s.funnel) + rows})


def _prorated(s: Scenario, share: dict) -> Scenario:
    """Per-period caps and minimums (and sales capacity) at (1 - f) x the scenario's number."""
    def scaled(per_period):
        if per_period is None:
            return None
        return {p: (per_period.get(p) if isinstance(per_period, dict) else per_period) * (1 - share[p])
                for p in s.periods if (per_period.get(p) if isinstance(per_period, dict) else per_period) is not None}

    channels = [c.model_copy(update={k: scaled(getattr(c, k)) for k in ("max_spend", "min_spend", "max_leads")})
                for c in s.channels]
    return s.model_copy(update={"channels": channels, "sales_capacity": scaled(s.sales_capacity)})

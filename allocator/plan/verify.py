"""Independent check of a written plan against its scenario.

Written without the model builder on purpose: it recomputes every funnel
number and every constraint from the scenario and allocation.csv with plain
pandas arithmetic, so that a mistake in the builder cannot hide itself.
Check names match the constraint names in constraints.csv. Whether a row holds
is decided by `allocator.plan.tolerance`, the same test targets.csv, shortfalls.csv
and the summary use, so the verdicts cannot disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.scenario.csvsafe import restore_frame
from allocator.io.run_record import read_run_record
from allocator.errors import PlanFolderError
from allocator.scenario.inputs import input_differences
from allocator.scenario.loader import LoadedScenario
from allocator.scenario.periods import phasing_groups, value_at
from allocator.scenario.schema import GOALS, Scenario
from allocator.plan.tolerance import RELATIVE, excess, tolerance
from allocator.plan.verify_lines import check_by, check_lines
from allocator.plan.verify_rows import DESCRIPTIVE_COLUMNS, NUMERIC_DESCRIPTIVE, check_descriptive_columns

REQUIRED_COLUMNS = ["channel", "tier", "product", "period", "spend", "leads", "customers", "revenue",
                    "baseline_revenue", "revenue_total"]


@dataclass(frozen=True)
class Check:
    name: str
    lhs: float
    sense: str
    rhs: float
    tolerance: float

    @property
    def excess(self) -> float:
        return float(excess(self.lhs, self.sense, self.rhs))

    @property
    def ok(self) -> bool:
        return self.excess <= self.tolerance

    def describe(self) -> str:
        # In full: a miss that matters may lie in the 7th digit of a large total.
        return f"{self.name}: {self.lhs!r} {self.sense} {self.rhs!r} fails by {self.excess!r}"


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # violations that are not a single inequality
    goals: list[Check] = field(default_factory=list)  # soft targets: a shortfall is reported, not a violation

    @property
    def violations(self) -> list[str]:
        return self.problems + [c.describe() for c in self.checks if not c.ok]

    @property
    def ok(self) -> bool:
        return not self.violations

    def add(self, name: str, lhs: float, sense: str, rhs: float, magnitude: float | None = None,
            soft: bool = False) -> None:
        """Record lhs (sense) rhs. `magnitude`: the sum of the absolute values of the row's terms when it is
        more than |lhs| (terms on both sides, as in a share or ROI row); the shared tolerance is relative to it."""
        scale = abs(lhs) if magnitude is None else magnitude
        tol = float(tolerance(scale, rhs))
        (self.goals if soft else self.checks).append(Check(name, float(lhs), sense, float(rhs), tol))

    @property
    def shortfalls(self) -> list[str]:
        return [c.describe().replace("fails by", "short by") for c in self.goals if not c.ok]


def read_allocation(folder: Path) -> pd.DataFrame:
    """FOLDER/allocation.csv with every column solve writes (`verify` checks each one)."""
    path = Path(folder) / "allocation.csv"
    if not path.is_file():
        raise PlanFolderError(path, "", "no such file", "a plan folder written by `allocator solve` (with allocation.csv)")
    return read_plan_table(path, REQUIRED_COLUMNS + DESCRIPTIVE_COLUMNS, REQUIRED_COLUMNS[4:] + NUMERIC_DESCRIPTIVE)


NAME_COLUMNS = ["channel", "group", "tier", "kind", "product", "stage", "period"]


def read_plan_table(path: Path, required: list[str], numeric: list[str], names: list[str] = NAME_COLUMNS) -> pd.DataFrame:
    """A CSV of a plan folder, checked: it parses, has the `required` columns, and every `numeric` column
    holds finite numbers (a hand-edited cell is reported by line and column). `names` stay text."""
    try:
        frame = pd.read_csv(path, dtype={name: str for name in names}, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise PlanFolderError(path, "", f"an unreadable table ({exc})", "the CSV written by `allocator solve`") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise PlanFolderError(path, "header", ", ".join(map(str, frame.columns)), f"columns including {', '.join(missing)}")
    for column in numeric:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = numbers.isna() | ~np.isfinite(numbers)
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise PlanFolderError(path, f"line {line}, column {column}", frame[column].iloc[line - 2], "a finite number")
        frame[column] = numbers.astype(float)
    return restore_frame(frame, [c for c in names if c in frame.columns])


def check_inputs(loaded: LoadedScenario, folder: Path) -> tuple[list[str], list[str]]:
    """(differences, notes): was the plan in `folder` solved from the inputs `loaded` read now?

    run.json records the SHA-256 of the scenario file, of each ``extends:`` base and of each ``file:``
    table; each one that differs (or that only one side has) is a difference. `--set` lines other than
    those the plan was solved with are a note only: the user chose them to check the plan against other
    numbers, and the checks then say whether it holds.
    """
    run = read_run_record(folder)
    if run is None:
        return [], ["no run.json in the plan folder: cannot tell which scenario the plan was solved from"]
    return input_differences(loaded, run)


def verify(s: Scenario, allocation: pd.DataFrame) -> Report:
    report = Report()
    a = allocation.copy()
    channels = {c.name: c for c in s.channels}
    tiers = {t.name: t for t in s.tiers}
    products = {p.name: p for p in s.products}

    known = a["channel"].isin(channels) & a["tier"].isin(tiers) & a["product"].isin(products) & a["period"].isin(s.periods)
    for row in a[~known].itertuples():
        report.problems.append(f"unknown_cell[{row.channel},{row.tier},{row.product},{row.period}]: not in the scenario")
    a = a[known].reset_index(drop=True)
    dup = a.duplicated(["channel", "tier", "product", "period"], keep="first")
    for row in a[dup].itertuples():
        report.problems.append(f"duplicate_cell[{row.channel},{row.tier},{row.product},{row.period}]: listed twice")
    for row in a[a["spend"] < 0].itertuples():  # the tool writes no negative spend, not even -0.0
        report.problems.append(f"nonnegative[{row.channel},{row.tier},{row.product},{row.period}]: spend {row.spend!r} < 0")

    written = a.copy()  # the rows' own descriptive columns, before the scenario's replace them below
    # Funnel numbers each cell should have, from the scenario's own tables.
    a["group"] = a["channel"].map({n: c.group for n, c in channels.items()})
    a["kind"] = a["tier"].map({n: t.kind for n, t in tiers.items()})
    a["stage"] = a["product"].map({n: p.stage for n, p in products.items()})
    funnel = _funnel_lookup(s)
    cpl, conv, value, eligible = [], [], [], []
    for ch, ti, pr in zip(a["channel"], a["tier"], a["product"]):
        f = funnel.get((ch, ti, pr), {})
        cpl.append(f.get("cost_per_lead", channels[ch].cost_per_lead))
        conv.append(f.get("conversion", tiers[ti].conversion))
        value.append(f.get("order_value", tiers[ti].order_value) * products[pr].order_value_multiplier)
        allowed = tiers[ti].channels is None or ch in tiers[ti].channels
        eligible.append(bool(f.get("eligible", True)) and allowed)
    a["exp_cpl"], a["exp_conv"], a["exp_value"], a["exp_eligible"] = cpl, conv, value, eligible
    demand = s.seasonality.demand_index or {}
    a["demand"] = a["period"].map(lambda p: demand.get(p, 1.0)).astype(float)

    for row in a[(~a["exp_eligible"]) & (a["spend"] > 0)].itertuples():  # such a cell has no spend variable at all
        report.problems.append(f"eligibility[{row.channel},{row.tier},{row.product},{row.period}]: spend {row.spend!r} on a cell the scenario excludes")

    check_descriptive_columns(written, a, report)
    _check_funnel_arithmetic(s, a, report)
    _check_totals_and_limits(s, a, report)
    return report


def _funnel_lookup(s: Scenario) -> dict:
    """(channel, tier, product) -> overrides, product-specific rows winning over rows for all products."""
    out: dict = {}
    generic = [r for r in s.funnel if r.product is None]
    specific = [r for r in s.funnel if r.product is not None]
    for rows, products in ((generic, [p.name for p in s.products]), (specific, None)):
        for r in rows:
            for p in (products if r.product is None else [r.product]):
                entry = out.setdefault((r.channel, r.tier, p), {})
                for key in ("cost_per_lead", "conversion", "order_value"):
                    if getattr(r, key) is not None:
                        entry[key] = getattr(r, key)
                entry["eligible"] = r.eligible
    return out


def _check_funnel_arithmetic(s: Scenario, a: pd.DataFrame, report: Report) -> None:
    curved = {c.name: c.response for c in s.channels if c.response}
    full_leads = a["spend"] * a["demand"] / a["exp_cpl"]
    for i, row in enumerate(a.itertuples()):
        cell = f"{row.channel},{row.tier},{row.product},{row.period}"
        if row.channel in curved:
            report.add(f"leads_at_most_curve[{cell}]", row.leads, "<=", full_leads.iloc[i] * curved[row.channel][0].efficiency)
        else:
            report.add(f"leads[{cell}]", row.leads, "=", full_leads.iloc[i])
        report.add(f"customers[{cell}]", row.customers, "=", row.leads * row.exp_conv)
        report.add(f"revenue[{cell}]", row.revenue, "=", row.customers * row.exp_value)
        report.add(f"revenue_total[{cell}]", row.revenue_total, "=", row.revenue + row.baseline_revenue,
                   magnitude=abs(row.revenue) + abs(row.baseline_revenue))

    baseline = {(r.channel, r.tier, r.product, r.period): r.revenue for r in s.baseline}
    listed = set()
    for row in a.itertuples():
        key = (row.channel, row.tier, row.product, row.period)
        listed.add(key)
        report.add(f"baseline[{','.join(key)}]", row.baseline_revenue, "=", baseline.get(key, 0.0))
    for key, revenue in baseline.items():
        if key not in listed and revenue > 0:
            report.problems.append(f"baseline[{','.join(key)}]: baseline revenue {revenue!r} is missing from the allocation")

    # A curve's slices: a channel's effective spend in a period equals the concave curve at its spend.
    # Summed per (channel, period) in one pass: a mask per pair costs O(cells) each (minutes at 200 x 52).
    if curved:
        curve_rows = a[a["channel"].isin(list(curved))]
        sums = pd.DataFrame({"channel": curve_rows["channel"], "period": curve_rows["period"],
                             "spend": curve_rows["spend"],
                             "effective": curve_rows["leads"] * curve_rows["exp_cpl"] / curve_rows["demand"]})
        grouped = sums.groupby(["channel", "period"], sort=False)[["spend", "effective"]].sum()
        sums = dict(zip(grouped.index, zip(grouped["spend"].tolist(), grouped["effective"].tolist())))
    for name, segments in curved.items():
        for period in s.periods:
            spent, effective = sums.get((name, period), (0.0, 0.0))
            report.add(f"response_curve[{name},{period}]", effective, "=", _curve(segments, spent))


def _curve(segments, spend: float) -> float:
    """Effective spend (spend x efficiency, slice by slice) bought by `spend` on a concave curve."""
    out, start = 0.0, 0.0
    for seg in segments:
        end = seg.up_to if seg.up_to is not None else np.inf
        part = max(0.0, min(spend, end) - start)
        out += part * seg.efficiency
        start = end
    return out


def picked_rows(a: pd.DataFrame, selection) -> pd.Series:
    mask = pd.Series(True, index=a.index)
    for key, values in selection.items():
        mask &= a[key].isin(values)
    return mask


def both(lhs: float, rhs: float) -> float:
    """The scale of a row with terms on both sides (a share of a total, an ROI floor times spend)."""
    return abs(lhs) + abs(rhs)


def _check_totals_and_limits(s: Scenario, a: pd.DataFrame, report: Report) -> None:
    """The rows over sums of cells: budget, channels, sales capacity, targets, mix, phasing (in that order)."""
    spend = float(a["spend"].sum())
    revenue_total = float(a["revenue_total"].sum())
    value_multiplier = a["tier"].map({t.name: t.value_multiplier for t in s.tiers}) if s.roi_basis == "lifetime_value" else 1.0
    value = a["revenue"] * value_multiplier  # what an ROI floor counts per cell
    _check_budget(s, a, spend, report)
    check_lines(s, a, spend, value, report)
    _check_channels(s, a, value, report)
    _check_sales_capacity(s, a, report)
    _check_targets(s, a, spend, revenue_total, value, report)
    check_by(s, a, value, report)
    _check_mix(s, a, spend, revenue_total, report)
    _check_phasing(s, a, revenue_total, report)


def _check_budget(s: Scenario, a: pd.DataFrame, spend: float, report: Report) -> None:
    if s.budget.total is not None:
        report.add("budget_total", spend, "<=", s.budget.total)
    for limit in s.budget.limits:
        label = limit.select.label()
        picked = float(a.loc[picked_rows(a, limit.select), "spend"].sum())
        if limit.min is not None:
            report.add(f"budget_min[{label}]", picked, ">=", limit.min)
        if limit.max is not None:
            report.add(f"budget_max[{label}]", picked, "<=", limit.max)
        if limit.min_share is not None:
            report.add(f"budget_min_share[{label}]", picked, ">=", limit.min_share * spend, both(picked, limit.min_share * spend))
        if limit.max_share is not None:
            report.add(f"budget_max_share[{label}]", picked, "<=", limit.max_share * spend, both(picked, limit.max_share * spend))


def _check_channels(s: Scenario, a: pd.DataFrame, value: pd.Series, report: Report) -> None:
    """Per channel: its per-period spend and lead bounds, its ROI floor, its minimum spend if used."""
    grouped = a.groupby(["channel", "period"])[["spend", "leads"]].sum()
    # A dict, not .loc per pair: 200 channels x 52 weeks of .loc lookups take seconds.
    by_channel_period = dict(zip(grouped.index, zip(grouped["spend"].tolist(), grouped["leads"].tolist())))
    spend_of = a.groupby("channel")["spend"].sum().to_dict()
    value_of = value.groupby(a["channel"]).sum().to_dict()
    for c in s.channels:
        for period in s.periods:
            sp, ld = by_channel_period.get((c.name, period), (0.0, 0.0))
            for field_name, check, amount, sense in (("max_spend", "capacity_spend", sp, "<="), ("min_spend", "min_spend", sp, ">="),
                                                     ("max_leads", "capacity_leads", ld, "<=")):
                bound = value_at(getattr(c, field_name), period)
                if bound is not None and (sense == "<=" or bound > 0):
                    report.add(f"{check}[{c.name},{period}]", amount, sense, bound)
        spent, earned = float(spend_of.get(c.name, 0.0)), float(value_of.get(c.name, 0.0))
        if c.min_roi is not None:
            floor = c.min_roi * spent
            report.add(f"roi_floor[{c.name}]", earned, ">=", floor, both(earned, floor))
        if c.min_spend_if_used is not None:
            _check_if_used(c.name, spent, c.min_spend_if_used, report)


def _check_if_used(channel: str, total: float, minimum: float, report: Report) -> None:
    # Off: nothing but solver noise next to the minimum; on: the minimum within the shared tolerance.
    off = total <= RELATIVE * minimum
    if not off and excess(total, ">=", minimum) > tolerance(total, minimum):
        report.problems.append(f"if_used_min[{channel}]: spend {total!r} is neither 0 nor at least {minimum!r}")
    else:
        report.checks.append(Check(f"if_used_min[{channel}]", total, ">=", 0.0, 0.0))


def _check_sales_capacity(s: Scenario, a: pd.DataFrame, report: Report) -> None:
    if s.sales_capacity is None:
        return
    leads_by_period = a.groupby("period")["leads"].sum()
    for period in s.periods:
        cap = value_at(s.sales_capacity, period)
        if cap is not None:
            report.add(f"sales_capacity[{period}]", float(leads_by_period.get(period, 0.0)), "<=", cap)


def _check_targets(s: Scenario, a: pd.DataFrame, spend: float, revenue_total: float, value: pd.Series,
                   report: Report) -> None:
    """The portfolio ROI floor and the revenue, new-customer and lead targets (each with the buffer)."""
    t = s.targets
    soft = {goal: t.is_soft(goal) for goal in GOALS}
    if t.min_roi is not None:
        report.add("roi_floor_portfolio", float(value.sum()), ">=", t.min_roi * spend, both(float(value.sum()), t.min_roi * spend),
                   soft=soft["min_roi"])
    if t.revenue is not None:
        report.add("target_revenue", revenue_total, ">=", t.revenue * (1 + t.buffer), soft=soft["revenue"])
    if t.new_customers is not None:
        new = a["kind"].isin(["new", "prospect"])
        report.add("target_new_customers", float(a.loc[new, "customers"].sum()), ">=", t.new_customers * (1 + t.buffer),
                   soft=soft["new_customers"])
    if t.leads is not None:
        report.add("target_leads", float(a["leads"].sum()), ">=", t.leads * (1 + t.buffer), soft=soft["leads"])


def _check_mix(s: Scenario, a: pd.DataFrame, spend: float, revenue_total: float, report: Report) -> None:
    soft = s.targets.is_soft("mix")
    for mix in s.targets.mix:
        column = "revenue_total" if mix.of == "revenue" else "spend"
        total = revenue_total if mix.of == "revenue" else spend
        picked = float(a.loc[picked_rows(a, mix.select), column].sum())
        label = mix.select.label()
        if mix.min_share is not None:
            report.add(f"mix_min_{mix.of}[{label}]", picked, ">=", mix.min_share * total, both(picked, mix.min_share * total),
                       soft=soft)
        if mix.max_share is not None:
            report.add(f"mix_max_{mix.of}[{label}]", picked, "<=", mix.max_share * total, both(picked, mix.max_share * total),
                       soft=soft)


def _check_phasing(s: Scenario, a: pd.DataFrame, revenue_total: float, report: Report) -> None:
    """Each period's revenue within the seasonal weight's tolerance band of the total."""
    weights = s.seasonality.target_weights
    if not weights:
        return
    tol = s.seasonality.tolerance
    groups, group_of = phasing_groups(list(s.periods), weights)
    by_period = a.groupby("period")["revenue_total"].sum()
    for g, group in enumerate(groups):
        got = math.fsum(float(by_period.get(p, 0.0)) for p, of in zip(s.periods, group_of) if of == g)
        low, high = weights[group] * (1 - tol) * revenue_total, weights[group] * (1 + tol) * revenue_total
        report.add(f"phasing_min[{group}]", got, ">=", low, both(got, low))
        report.add(f"phasing_max[{group}]", got, "<=", high, both(got, high))

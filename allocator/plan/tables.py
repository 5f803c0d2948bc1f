"""Solution -> the plan's tables (allocation, breakdowns, targets, budget lines, constraints).

Every figure is kept (and written) at full precision: breakdowns are sums of
the allocation rows as they are, so a total read back from the CSVs equals the
sum of its rows to the last bit a float64 carries, at any money scale. Whether
a row holds is decided by `allocator.plan.tolerance`, shared with `verify`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from solvers import SolveResult, Status

from allocator.model.build import PlanModel
from allocator.model.cells import funnel_cube, select
from allocator.scenario.anchors import derivations
from allocator.scenario.curves import fit_rows
from allocator.plan.calendar import day_split, weekly_table
from allocator.plan.lines_table import by_target_rows, lines_table, target_owners
from allocator.plan.milestones import milestones_table
from allocator.plan.prices import marginal_table, sensitivity_table
from allocator.plan.tolerance import binding_rows, holds, row_magnitudes
from allocator.plan.totals import AMOUNTS, plan_totals, settled
from allocator.plan.units import target_unit
from allocator.plan.words import figure

DIMENSIONS = {"channel": "by_channel", "tier": "by_tier", "product": "by_product", "period": "by_period"}


@dataclass(frozen=True)
class Plan:
    status: Status
    message: str
    objective_kind: str
    objective: float | None
    solver: str
    solver_version: str
    duals_from: str
    tie_break: str
    lp_method: str  # how the solver solved the program (docs/model.md, "Solving")
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # file stem -> table
    totals: dict[str, float] = field(default_factory=dict)

    @property
    def solved(self) -> bool:
        return self.status.has_solution


def make_plan(model: PlanModel, result: SolveResult, objective_kind: str) -> Plan:
    common = dict(
        status=result.status, message=result.message, objective_kind=objective_kind, solver=result.solver,
        solver_version=result.solver_version, duals_from=result.extra.get("duals_from", "none"),
        tie_break=result.extra.get("tie_break", "not needed"), lp_method=result.extra.get("lp_method", "unknown"),
    )
    if not result.status.has_solution:
        return Plan(objective=None, **common)
    x = settled(model, result.x)  # solver noise is not spend (as plan_totals reads it)
    allocation, index = allocation_table(model, x)
    tables = {"allocation": allocation}
    names = _dimension_names(model)
    for dim, stem in DIMENSIONS.items():
        tables[stem] = breakdown(allocation, dim, getattr(index, dim), names[dim])
    tables["targets"] = targets_table(model, allocation, index)
    tables["budget_lines"] = budget_lines(allocation, index, names)
    if model.scenario.budget.lines:  # named lines cut across budget_lines.csv's channel x tier rows
        tables["lines"] = named_lines(model, allocation, index)
    if model.scenario.calendar is not None:  # each period spread over its days and ISO weeks after the solve
        days = day_split(model.scenario.calendar, model.scenario.periods)
        tables["weekly"] = weekly_table(days, tables["by_period"])
        if model.scenario.milestones:
            tables["milestones"] = milestones_table(model.scenario.milestones, days, tables["by_period"])
    activity = model.lp.row_activity(result.x)
    binding = binding_rows(model.lp, result.x, activity)
    tables["constraints"] = constraints_table(model, result, activity, binding)
    if model.goals:
        tables["shortfalls"] = shortfalls_table(model, x)
    tables["sensitivity"] = sensitivity_table(model, result, objective_kind, binding)
    tables["marginal"] = marginal_table(model, result, objective_kind)
    if fit_rows(model.scenario):  # channels whose response was a media-mix curve: its slices' achieved error
        tables["response_fit"] = pd.DataFrame(fit_rows(model.scenario))
    return Plan(objective=model.objective_value(result.x), tables=tables, totals=plan_totals(model, x), **common)


@dataclass(frozen=True)
class RowIndex:
    """Per allocation row, the index of its channel, tier, product and period in the scenario's lists."""

    channel: np.ndarray
    tier: np.ndarray
    product: np.ndarray
    period: np.ndarray


def allocation_table(model: PlanModel, x: np.ndarray) -> tuple[pd.DataFrame, RowIndex]:
    """One row per eligible cell and per baseline cell, in channel, tier, product, period order."""
    cells, spend, base = model.cells, model.spend, model.baseline
    d = cells.dims
    T, P, M = len(d.tiers), len(d.products), len(d.periods)
    n = cells.size
    xs = x[: spend.size]

    def per_cell(weights):
        return np.bincount(spend.cell, weights=xs * weights, minlength=n)

    # Rows: eligible cells, then baseline cells that have no spend variable; sorted by cell code.
    cell_code = ((cells.channel * T + cells.tier) * P + cells.product) * M + cells.period
    base_code = ((base.channel * T + base.tier) * P + base.product) * M + base.period
    extra = np.setdiff1d(base_code, cell_code)
    codes = np.concatenate((cell_code, extra))
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    c, rest = np.divmod(codes, T * P * M)
    t, rest = np.divmod(rest, P * M)
    p, m = np.divmod(rest, M)

    def rows_of(per_eligible_cell, fill=0.0):
        return np.concatenate((per_eligible_cell, np.full(extra.size, fill)))[order]

    baseline_revenue = np.zeros(codes.size)
    np.add.at(baseline_revenue, np.searchsorted(codes, base_code), base.revenue)
    # Funnel numbers: the cells carry them; baseline-only rows (ineligible cells) read them from the cube.
    funnel = {"cost_per_lead": cells.cost_per_lead, "conversion": cells.conversion, "order_value": cells.order_value}
    if extra.size:
        cube = dict(zip(funnel, funnel_cube(model.scenario)[1:]))
        ec, et, ep = extra // (T * P * M), extra // (P * M) % T, extra // M % P
        funnel = {k: np.concatenate((v, cube[k][ec, et, ep])) for k, v in funnel.items()}

    out = pd.DataFrame({
        "channel": np.asarray(d.channels, dtype=object)[c],
        "group": d.channel_group[c],
        "tier": np.asarray(d.tiers, dtype=object)[t],
        "kind": d.tier_kind[t],
        "product": np.asarray(d.products, dtype=object)[p],
        "stage": d.product_stage[p],
        "period": np.asarray(d.periods, dtype=object)[m],
        "spend": rows_of(per_cell(np.ones(spend.size))),
        "leads": rows_of(per_cell(spend.leads)),
        "customers": rows_of(per_cell(spend.customers)),
        "new_customers": rows_of(per_cell(spend.new_customers)),
        "revenue": rows_of(per_cell(spend.revenue)),
        "baseline_revenue": baseline_revenue,
    })
    out["revenue_total"] = out["revenue"].to_numpy() + out["baseline_revenue"].to_numpy()
    out["roi"] = _ratio_series(out["revenue"], out["spend"])
    for column, values in funnel.items():
        out[column] = values[order]
    out["eligible"] = rows_of(np.ones(n, dtype=bool), fill=False).astype(bool)
    return out, RowIndex(channel=c, tier=t, product=p, period=m)


def _dimension_names(model: PlanModel) -> dict[str, np.ndarray]:
    d = model.cells.dims
    return {"channel": np.asarray(d.channels, dtype=object), "tier": np.asarray(d.tiers, dtype=object),
            "product": np.asarray(d.products, dtype=object), "period": np.asarray(d.periods, dtype=object)}


def _group_sums(allocation: pd.DataFrame, columns: list[str], key: np.ndarray, order: np.ndarray, size: int) -> dict:
    """Per group (``key`` values, in ``order``): the sum of each column."""
    return {k: np.bincount(key, weights=allocation[k].to_numpy(dtype=float), minlength=size)[order] for k in columns}


def breakdown(allocation: pd.DataFrame, dim: str, index: np.ndarray, names: np.ndarray) -> pd.DataFrame:
    # Keep the scenario's order of names (first appearance in allocation order); periods in name order.
    order = pd.unique(index)
    if dim == "period":
        order = order[np.argsort(names[order].astype(str), kind="stable")]
    out = pd.DataFrame({dim: names[order], **_group_sums(allocation, AMOUNTS, index, order, len(names))})
    out["roi"] = _ratio_series(out["revenue"], out["spend"])
    total_revenue, total_spend = allocation["revenue_total"].sum(), allocation["spend"].sum()
    out["share_of_revenue"] = _ratio_series(out["revenue_total"], pd.Series(total_revenue, index=out.index))
    out["share_of_spend"] = _ratio_series(out["spend"], pd.Series(total_spend, index=out.index))
    return out


def budget_lines(allocation: pd.DataFrame, index: RowIndex, names: dict[str, np.ndarray]) -> pd.DataFrame:
    """Each channel x tier budget line with what it buys (lines in first-appearance order)."""
    tiers = len(names["tier"])
    key = index.channel * tiers + index.tier
    order = pd.unique(key)
    sums = _group_sums(allocation, ["spend", "leads", "customers", "new_customers", "revenue"], key, order,
                       len(names["channel"]) * tiers)
    lines = pd.DataFrame({"channel": names["channel"][order // tiers], "tier": names["tier"][order % tiers], **sums})
    # A line below 1e-9 of the plan's spend is solver noise (at any money scale), not a budget line.
    lines = lines[lines["spend"] > 1e-9 * float(allocation["spend"].sum())].reset_index(drop=True)
    lines["cost_per_customer"] = _ratio_series(lines["spend"], lines["customers"])
    lines["roi"] = _ratio_series(lines["revenue"], lines["spend"])
    lines["statement"] = [
        f"{ch} x {tier}: budget {figure(sp)} -> {figure(cu)} customers ({figure(nc)} new), {figure(ld)} leads, "
        f"{figure(rv)} revenue"
        for ch, tier, sp, cu, nc, ld, rv in zip(
            lines["channel"], lines["tier"], lines["spend"], lines["customers"], lines["new_customers"], lines["leads"], lines["revenue"]
        )
    ]
    return lines


def targets_table(model: PlanModel, allocation: pd.DataFrame, index: RowIndex) -> pd.DataFrame:
    """Each target with what the plan achieves; `met` is the row test of `allocator.plan.tolerance` (as in verify)."""
    s = model.scenario
    t = s.targets
    rows = []
    spend = allocation["spend"].sum()
    revenue_total = allocation["revenue_total"].sum()

    def add(name, kind, committed, buffer, planned, achieved, row=None):
        """`row`: (lhs, rhs) of the row behind a ratio (numerator vs bound x denominator); amounts are their own."""
        if not np.isfinite(achieved):  # e.g. the ROI of a channel that gets no spend: nothing to fall short
            met = True
        else:
            lhs, rhs = row if row is not None else (achieved, planned)
            # A ratio row's terms are the numerator and the bound x denominator: both count toward its scale.
            magnitude = abs(lhs) + abs(rhs) if row is not None else abs(lhs)
            met = holds(lhs, ">=" if kind == "min" else "<=", rhs, magnitude)
        rows.append({"target": name, "kind": kind, "committed": committed, "buffer": buffer, "planned": planned,
                     "achieved": achieved, "attainment": _ratio(achieved, committed), "met": bool(met)})

    if t.revenue is not None:
        add("revenue", "min", t.revenue, t.buffer, t.planned(t.revenue), revenue_total)
    if t.new_customers is not None:
        add("new_customers", "min", t.new_customers, t.buffer, t.planned(t.new_customers), allocation["new_customers"].sum())
    if t.leads is not None:
        add("leads", "min", t.leads, t.buffer, t.planned(t.leads), allocation["leads"].sum())
    if s.budget.total is not None:
        add("budget_total", "max", s.budget.total, 0.0, s.budget.total, spend)
    value = allocation["revenue"].to_numpy() * _value_multiplier(model, index)
    if t.min_roi is not None:
        add("min_roi[portfolio]", "min", t.min_roi, 0.0, t.min_roi, _ratio(value.sum(), spend),
            row=(value.sum(), t.min_roi * spend))
    floored = [(i, c) for i, c in enumerate(s.channels) if c.min_roi is not None]
    if floored:
        channels = len(s.channels)
        value_of = np.bincount(index.channel, weights=value, minlength=channels)
        spend_of = np.bincount(index.channel, weights=allocation["spend"].to_numpy(), minlength=channels)
        has_rows = np.bincount(index.channel, minlength=channels) > 0
        for i, c in floored:
            achieved = _ratio(value_of[i], spend_of[i]) if has_rows[i] else float("nan")
            add(f"min_roi[{c.name}]", "min", c.min_roi, 0.0, c.min_roi, achieved, row=(value_of[i], c.min_roi * spend_of[i]))
    codes = (index.channel, index.tier, index.product, index.period)
    for mix in t.mix:
        column = "revenue_total" if mix.of == "revenue" else "spend"
        mask = select(model.cells.dims, mix.select, *codes)
        picked, total = allocation.loc[mask, column].sum(), allocation[column].sum()
        for kind, bound in (("min", mix.min_share), ("max", mix.max_share)):
            if bound is not None:
                add(f"mix_{kind}_{mix.of}[{mix.select.label()}]", kind, bound, 0.0, bound, _ratio(picked, total),
                    row=(picked, bound * total))
    by_target_rows(s, allocation, [select(model.cells.dims, target.select, *codes) for target in t.by], add)
    table = pd.DataFrame(rows, columns=["target", "kind", "committed", "buffer", "planned", "achieved", "attainment", "met"])
    table["unit"] = [target_unit(name, s.currency) for name in table["target"]]  # one column, many units
    derived = derivations(s)  # from the annual plan, or growth over last year's same quarter
    table["derivation"] = [derived.get(name, "") for name in table["target"]]
    table["owner"] = target_owners(s, table["target"])
    return table


def shortfalls_table(model: PlanModel, x: np.ndarray) -> pd.DataFrame:
    """Soft targets: how far the plan falls short of each, in priority order.

    `met` asks whether the row holds without its shortfall column, with the tolerance targets.csv and
    verify use (a shortfall within solver precision is no miss; a real one is, however large the plan).
    """
    lp = model.lp
    without = x.copy()
    without[[g.col for g in model.goals]] = 0.0
    activity = lp.row_activity(without)
    magnitude = row_magnitudes(lp, without)
    rows = []
    for g in sorted(model.goals, key=lambda g: (g.level, g.row)):
        is_ge = np.isfinite(lp.row_lower[g.row])
        rhs = float(lp.row_lower[g.row] if is_ge else lp.row_upper[g.row])
        achieved = float(activity[g.row])
        met = holds(achieved, ">=" if is_ge else "<=", rhs, magnitude[g.row])
        # The miss as the plan stands, not the shortfall column's value: the column may keep the slack the
        # lexicographic solve allowed its level (1e-9 of the target) on a goal the plan exceeds.
        shortfall = 0.0 if met else max(0.0, (rhs - achieved) if is_ge else (achieved - rhs))
        rows.append({
            "goal": lp.row_names[g.row], "priority": g.level + 1, "rhs": rhs,
            "achieved_without_shortfall": achieved, "shortfall": shortfall, "shortfall_share": shortfall / g.scale,
            "met": met,
        })
    return pd.DataFrame(rows, columns=["goal", "priority", "rhs", "achieved_without_shortfall", "shortfall",
                                       "shortfall_share", "met"])


def constraints_table(model: PlanModel, result: SolveResult, activity: np.ndarray | None = None,
                      binding: np.ndarray | None = None) -> pd.DataFrame:
    lp = model.lp
    activity = lp.row_activity(result.x) if activity is None else activity
    binding = binding_rows(lp, result.x, activity) if binding is None else binding
    lower, upper = lp.row_lower, lp.row_upper
    equal = np.isfinite(lower) & np.isfinite(upper)
    is_ge = np.isfinite(lower) & ~equal
    sense = np.where(equal, "=", np.where(is_ge, ">=", "<="))
    rhs = np.where(np.isfinite(lower), lower, upper)
    slack = np.where(equal, np.abs(activity - rhs), np.where(is_ge, activity - rhs, rhs - activity))
    duals = result.row_duals if result.row_duals is not None else np.full(lp.n_rows, np.nan)
    return pd.DataFrame({
        "name": lp.row_names, "kind": [record.family for record in model.rows], "lhs": activity + 0.0, "sense": sense, "rhs": rhs,
        "slack": slack + 0.0, "binding": binding, "shadow_price": duals + 0.0,  # + 0.0: no "-0.0"
    })


def named_lines(model: PlanModel, allocation: pd.DataFrame, index: RowIndex) -> pd.DataFrame:
    """lines.csv: what each named budget line's spend buys, against its promises."""
    codes = (index.channel, index.tier, index.product, index.period)
    masks = [select(model.cells.dims, line.select, *codes) for line in model.scenario.budget.lines]
    value = allocation["revenue"].to_numpy() * _value_multiplier(model, index)
    return lines_table(model.scenario, allocation, masks, value)


def _value_multiplier(model: PlanModel, index: RowIndex) -> np.ndarray | float:
    if model.scenario.roi_basis != "lifetime_value":
        return 1.0
    return np.array([t.value_multiplier for t in model.scenario.tiers], dtype=float)[index.tier]


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else float("nan")


def _ratio_series(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    num = numerator.to_numpy(dtype=float)
    den = denominator.to_numpy(dtype=float)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return pd.Series(out, index=numerator.index)

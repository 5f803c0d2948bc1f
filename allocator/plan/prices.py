"""What binds, what one more unit of each limit is worth, and where each channel stands at the margin.

Shadow prices come from the solver's duals (for a MILP: of the LP with the
binaries fixed). Each is restated per unit of the scenario number behind the
constraint (`allocator.scenario.levers.Lever`), with the gain from relaxing that number
by 10%. Ranging (where a price stops holding) needs re-solves and is done by
`explain` (`allocator.analysis.ranging`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from solvers import Sense, SolveResult

from allocator.model.build import PlanModel, slice_fill
from allocator.plan.tolerance import RELATIVE, binding_rows
from allocator.plan.words import figure, lever_factor, limit_text, money, objective_unit

SENSITIVITY_COLUMNS = ["constraint", "kind", "limit", "lever", "lever_value", "shadow_price", "price_per_lever_unit",
                       "effect", "gain_if_relaxed_10pct", "gain_unit", "valid_from", "valid_to"]
NAMES_SHOWN = 3  # row names printed for a lever that sets many rows; the rest are counted


def gain_unit(objective_kind: str) -> str:
    """What `gain_if_relaxed_10pct` counts: the objective's unit, or spend saved when spend is minimised
    (a gain is always an improvement, so a positive gain there is spend no longer needed)."""
    return "spend saved" if objective_kind == "min_spend" else objective_unit(objective_kind)


def effect_words(per: str, label: str, change: float, objective_kind: str) -> str:
    """What one more unit of a lever does to the objective, in words: under min_spend whether it saves or
    costs spend ("+0.196 spend" reads as a gain to someone who maximises)."""
    if objective_kind == "min_spend":
        does = f"costs {money(change)} more spend" if change >= 0 else f"saves {money(-change)} spend"
        return f"each extra {per} {label} {does}"
    return f"each extra {per} {label} -> {'+' if change >= 0 else '-'}{money(abs(change))} {objective_unit(objective_kind)}"


def short_names(names: str, shown: int = NAMES_SHOWN) -> str:
    """"a; b; c; d; e" -> "a; b; c (2 more)": the full list stays in sensitivity.csv."""
    parts = str(names).split("; ")
    if len(parts) <= shown + 1:
        return "; ".join(parts)
    return "; ".join(parts[:shown]) + f" ({len(parts) - shown} more)"


# A promise of a budget line or an absolute target on a selection, priced per unit of what it promises.
_PROMISED = {"new_customers": ("new customer", 1.0), "revenue": ("1 of revenue", 1.0), "leads": ("lead", 1.0),
             "customers": ("customer", 1.0), "min_roi": ("0.1x of ROI", 0.1)}


def promise_words(lever, price: float, objective_kind: str) -> str | None:
    """'each extra new customer promised by acquisition costs 2,559 revenue' for a budget line's promise
    (and 'required of targets.by[0]' for a selection target); None for any other lever."""
    path = lever.path
    if len(path) != 4 or path[:2] not in (("budget", "lines"), ("targets", "by")) or path[3] not in _PROMISED:
        return None
    unit, amount = _PROMISED[path[3]]
    who = f"promised by {lever.label.split('[', 1)[1].rsplit(']', 1)[0]}" if path[0] == "budget" else \
        f"required of {lever.label.rsplit('.', 1)[0]}"
    change = price * amount
    if objective_kind == "min_spend":
        does = f"costs {money(change)} more spend" if change >= 0 else f"saves {money(-change)} spend"
    else:
        does = f"costs {money(-change)} {objective_unit(objective_kind)}" if change < 0 else \
            f"gains {money(change)} {objective_unit(objective_kind)}"
    return f"each extra {unit} {who} {does}"


def sensitivity_table(model: PlanModel, result: SolveResult, objective_kind: str,
                      binding: np.ndarray | None = None) -> pd.DataFrame:
    """One row per binding business constraint, the costliest first (``binding``: per row, if known)."""
    lp = model.lp
    if result.row_duals is None or result.x is None:
        return pd.DataFrame(columns=SENSITIVITY_COLUMNS)
    x = result.x
    if binding is None:
        binding = binding_rows(lp, x, lp.row_activity(x))
    improve = 1.0 if lp.sense is Sense.MAXIMIZE else -1.0
    # Rows are grouped by the scenario number behind them: one number (the phasing tolerance, say)
    # may set several rows, and its price is the sum of theirs.
    groups: dict[str, list[int]] = {}
    for i in np.flatnonzero(binding).tolist():
        if model.rows[i].lever is not None:
            groups.setdefault(model.rows[i].lever.label, []).append(i)
    rows = []
    for members in groups.values():
        lever = model.rows[members[0]].lever
        duals = [float(result.row_duals[i]) for i in members]
        price = float(sum(d * lever_factor(model, i, x) for d, i in zip(duals, members)))  # per unit of the lever
        step = 0.1 * abs(lever.current) if lever.current else 0.1
        gain = improve * price * lever.relax * step
        per = "1 percentage point of" if lever.is_share else "1 of"
        per_amount = 0.01 if lever.is_share else 1.0
        effect = promise_words(lever, price, objective_kind) or effect_words(per, lever.label, price * per_amount,
                                                                            objective_kind)
        limit = limit_text(model, members[0])
        if len(members) > 1:
            limit += f" (and {len(members) - 1} more row(s) set by {lever.label})"
        rows.append({
            "constraint": "; ".join(lp.row_names[i] for i in members), "kind": model.rows[members[0]].family,
            "limit": limit, "lever": lever.label, "lever_value": lever.current,
            "shadow_price": duals[0] if len(members) == 1 else float("nan"), "price_per_lever_unit": price,
            "effect": effect, "gain_if_relaxed_10pct": gain,
            "gain_unit": gain_unit(objective_kind), "valid_from": np.nan, "valid_to": np.nan,
        })
    table = pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
    if len(table):
        order = np.lexsort((table["constraint"].to_numpy(), -np.abs(table["gain_if_relaxed_10pct"].to_numpy())))
        table = table.iloc[order].reset_index(drop=True)
    return table


def costliest(table: pd.DataFrame, count: int = 3, tolerance: float = 1e-9) -> list[str]:
    """Lines naming the constraints whose relaxation would gain the most. A limit whose gain is at most
    `tolerance` (in the objective's unit) is worth nothing and is never ranked, nor is a negative gain
    (relaxing a limit cannot make the optimum worse: that is solver noise)."""
    if not len(table):
        return []
    worth = table[table["gain_if_relaxed_10pct"].fillna(0) > tolerance]
    out = []
    for row in worth.head(count).itertuples():
        saves = getattr(row, "gain_unit", "") == "spend saved"
        gain = f"save about {money(row.gain_if_relaxed_10pct)} spend" if saves else \
            f"gain about {money(row.gain_if_relaxed_10pct)}"
        out.append(f"{row.limit}: relaxing {row.lever} by 10% would {gain} [{short_names(row.constraint)}]")
    return out


MARGINAL_COLUMNS = ["scope", "name", "spend", "revenue", "roi", "marginal_roi", "best_reduced_cost", "note"]


def marginal_table(model: PlanModel, result: SolveResult, objective_kind: str) -> pd.DataFrame:
    """Per channel and per period: average ROI, the ROI of the next unit of spend, and reduced costs.

    ``marginal_roi`` is the revenue per unit of spend of the best cell and
    response slice still open (not full) in the scope: what the next unit
    would earn before any share or phasing limit. ``best_reduced_cost`` is
    the largest reduced cost among the scope's spend columns (objective per
    unit of spend): below zero for a scope left unfunded in a maximisation,
    by how much it falls short.
    """
    if result.x is None:
        return pd.DataFrame(columns=MARGINAL_COLUMNS)
    spend_cols = model.spend
    cells = model.cells
    d = cells.dims
    x = result.x[: spend_cols.size]
    reduced = result.reduced_costs[: spend_cols.size] if result.reduced_costs is not None else None
    if reduced is not None and model.lp.sense is Sense.MINIMIZE:
        reduced = -reduced  # so that "higher is better" in both senses
    channel = cells.channel[spend_cols.cell]
    period = cells.period[spend_cols.cell]
    open_slice = _open_slices(model, x)
    earned = x * spend_cols.revenue
    # Spend this small next to the plan's total is solver noise, at any money scale.
    negligible = RELATIVE * float(np.abs(x).sum())
    # A reduced cost this small next to the largest objective coefficient is noise.
    no_gap = 1e-9 * (float(np.abs(model.lp.objective).max(initial=0.0)) or 1.0)
    rows = []
    for scope, codes, names in (("channel", channel, d.channels), ("period", period, d.periods)):
        n = len(names)
        present = np.bincount(codes, minlength=n) > 0
        spend_of = np.bincount(codes, weights=x, minlength=n)
        revenue_of = np.bincount(codes, weights=earned, minlength=n)
        marginal_of = np.full(n, -np.inf)
        np.maximum.at(marginal_of, codes[open_slice], spend_cols.revenue[open_slice])
        best_rc_of = np.full(n, -np.inf)
        if reduced is not None:
            np.maximum.at(best_rc_of, codes, reduced)
        for i in np.flatnonzero(present).tolist():
            spend, revenue = float(spend_of[i]), float(revenue_of[i])
            marginal = float(marginal_of[i]) if np.isfinite(marginal_of[i]) else np.nan
            best_rc = float(best_rc_of[i]) if reduced is not None else np.nan
            note = ""
            if spend <= negligible and reduced is not None and best_rc < -no_gap:
                note = _shortfall_note(objective_kind, -best_rc, model, codes == i)
            elif spend <= negligible:
                note = "unfunded"
            rows.append({"scope": scope, "name": names[i], "spend": spend, "revenue": revenue,
                         "roi": revenue / spend if spend > negligible else np.nan, "marginal_roi": marginal,
                         "best_reduced_cost": best_rc, "note": note})
    return pd.DataFrame(rows, columns=MARGINAL_COLUMNS)


def _open_slices(model: PlanModel, x: np.ndarray) -> np.ndarray:
    """Per spend column: may the next unit of spend go here (its slice is not full)?"""
    spend = model.spend
    group, filled, K = slice_fill(model, x)
    full = filled[group] >= model.segment_width * (1 - RELATIVE)  # relative: widths are money
    # The next unit goes to the first slice that is not full.
    first_open = np.full(filled.size // K, K)
    np.minimum.at(first_open, group // K, np.where(full, K, spend.segment))
    return (spend.segment == first_open[group // K]) & ~full


def _shortfall_note(objective_kind: str, gap: float, model: PlanModel, mine: np.ndarray) -> str:
    if objective_kind == "max_revenue":
        return f"would need ROI {figure(gap)} higher (revenue per unit of spend) to get budget"
    if objective_kind == "max_profit":
        margins = model.cells.margin[model.spend.cell][mine]
        margin = float(np.nanmax(margins)) if np.isfinite(margins).any() else np.nan
        if margin and np.isfinite(margin):
            return (f"would need ROI {figure(gap / margin)} higher to get budget "
                    f"(profit short by {figure(gap)} per unit)")
        return f"profit per unit of spend short by {figure(gap)}"
    if objective_kind == "max_new_customers":
        return f"would need {figure(gap)} more new customers per unit of spend to get budget"
    return f"each unit of spend here would cost {figure(gap)} more than the plan's alternatives"

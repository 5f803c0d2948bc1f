"""`allocator explain`: why this split, what each binding limit is worth and over which range."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from solvers import SolveOptions, Status
from solvers.warm import warmed

from allocator.plan.words import money
from allocator.analysis.diagnose import Diagnosis, diagnose
from allocator.solving.pipeline import SolvedScenario
from allocator.analysis.ranging import price_range


@dataclass(frozen=True)
class Explanation:
    lines: list[str]
    tables: dict[str, pd.DataFrame]
    solves: int
    diagnosis: Diagnosis | None = None  # when no plan exists


def explain(solved: SolvedScenario, solver: str, options: SolveOptions, ranged: int = 5,
            diagnose_seconds: float | None = None) -> Explanation:
    """The explanation of a solved scenario. The price ranges' probes share one warm start, so that with
    HiGHS each starts from the last basis, unless `options` say cold (``warm=False``); so does the
    diagnosis' (allocator.analysis.diagnose)."""
    plan = solved.plan
    model = solved.model
    if plan.status is Status.INFEASIBLE:
        diagnosis = diagnose(model, solver, options, time_budget=diagnose_seconds)
        return Explanation(diagnosis.summary(), {"diagnosis": diagnosis.table()}, diagnosis.solves, diagnosis)
    if not plan.solved:
        return Explanation([f"No plan to explain: {plan.status.value}."], {}, 0)

    sensitivity = plan.tables["sensitivity"].copy()
    sensitivity["valid_from_open"] = pd.Series([pd.NA] * len(sensitivity), dtype="boolean")
    sensitivity["valid_to_open"] = pd.Series([pd.NA] * len(sensitivity), dtype="boolean")
    levers = {r.lever.label: r.lever for r in model.rows if r.lever is not None}  # a table row per lever
    solves = 0
    options = warmed(options)
    for i in range(min(ranged, len(sensitivity))):
        lever = levers[sensitivity.at[i, "lever"]]
        found = price_range(model.scenario, plan.objective_kind, lever, float(sensitivity.at[i, "price_per_lever_unit"]),
                            plan.objective, solver, options)
        solves += found.solves
        sensitivity.at[i, "valid_from"] = found.low
        sensitivity.at[i, "valid_to"] = found.high
        # Still held at the widest value tried, short of the lever's own bound: no limit was found there.
        sensitivity.at[i, "valid_from_open"] = bool(found.low_open and found.low > 0.0)
        sensitivity.at[i, "valid_to_open"] = bool(found.high_open and not (lever.is_share and found.high >= 1.0))
    marginal = plan.tables["marginal"]

    lines = [f"Objective {plan.objective_kind} = {money(plan.objective)}"]
    if plan.duals_from == "lp_with_integers_fixed":
        lines.append("(prices from the LP with the on/off channel choices fixed at their optimum)")
    lines += ["", "Binding limits, costliest first (with the gain from relaxing each by 10%, and where the price holds):"]
    for row in sensitivity.itertuples():
        lines.append(f"  - {row.limit}: {row.effect} (relaxing it 10%: {_gain(row)}){_range(row)}")
    lines += ["", "Channels at the margin (ROI = revenue per unit of spend):"]
    for row in marginal[marginal["scope"] == "channel"].itertuples():
        roi = "-" if np.isnan(row.roi) else f"{row.roi:.2f}"
        nxt = "-" if np.isnan(row.marginal_roi) else f"{row.marginal_roi:.2f}"
        note = f"  {row.note}" if row.note else ""
        lines.append(f"  {row.name:<20} spend {money(row.spend):>12}  ROI {roi:>6}  next unit {nxt:>6}{note}")
    return Explanation(lines, {"sensitivity": sensitivity, "marginal": marginal}, solves)


def _gain(row) -> str:
    if getattr(row, "gain_unit", "") == "spend saved":
        return f"saves {money(row.gain_if_relaxed_10pct)} spend"
    return f"+{money(row.gain_if_relaxed_10pct)}"


def _range(row) -> str:
    """Where the price holds, saying so when no edge was found on a side instead of printing the widest
    value tried as if it were one."""
    if np.isnan(row.valid_from):
        return ""
    low_open, high_open = (_flag(getattr(row, name, False)) for name in ("valid_from_open", "valid_to_open"))
    if low_open and high_open:
        return (f"; holds for {row.lever} from {_num(row.valid_from)} to {_num(row.valid_to)}, every value tried "
                f"(no lower or upper limit found)")
    if high_open:
        return f"; holds for {row.lever} from {_num(row.valid_from)}, no upper limit found up to {_num(row.valid_to)}"
    if low_open:
        return f"; holds for {row.lever} up to {_num(row.valid_to)}, no lower limit found down to {_num(row.valid_from)}"
    return f"; holds for {row.lever} from {_num(row.valid_from)} to {_num(row.valid_to)}"


def _flag(value) -> bool:
    return value is not None and value is not pd.NA and bool(value)


def _num(value: float) -> str:
    return money(value) if abs(value) >= 1 else f"{value:.4g}"

"""`allocator explain`: why this split, what each binding limit is worth and over which range."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from solvers import SolveOptions, Status

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
    plan = solved.plan
    model = solved.model
    if plan.status is Status.INFEASIBLE:
        diagnosis = diagnose(model, solver, options, time_budget=diagnose_seconds)
        return Explanation(diagnosis.summary(), {"diagnosis": diagnosis.table()}, diagnosis.solves, diagnosis)
    if not plan.solved:
        return Explanation([f"No plan to explain: {plan.status.value}."], {}, 0)

    sensitivity = plan.tables["sensitivity"].copy()
    levers = {r.lever.label: r.lever for r in model.rows if r.lever is not None}  # a table row per lever
    solves = 0
    for i in range(min(ranged, len(sensitivity))):
        lever = levers[sensitivity.at[i, "lever"]]
        found = price_range(model.scenario, plan.objective_kind, lever, float(sensitivity.at[i, "price_per_lever_unit"]),
                            plan.objective, solver, options)
        solves += found.solves
        sensitivity.at[i, "valid_from"] = found.low
        sensitivity.at[i, "valid_to"] = found.high
    marginal = plan.tables["marginal"]

    lines = [f"Objective {plan.objective_kind} = {money(plan.objective)}"]
    if plan.duals_from == "lp_with_integers_fixed":
        lines.append("(prices from the LP with the on/off channel choices fixed at their optimum)")
    lines += ["", "Binding limits, costliest first (with the gain from relaxing each by 10%, and where the price holds):"]
    for row in sensitivity.itertuples():
        ranged_text = ""
        if not np.isnan(row.valid_from):
            ranged_text = f"; holds for {row.lever} from {_num(row.valid_from)} to {_num(row.valid_to)}"
        lines.append(f"  - {row.limit}: {row.effect} (relaxing it 10%: +{money(row.gain_if_relaxed_10pct)}){ranged_text}")
    lines += ["", "Channels at the margin (ROI = revenue per unit of spend):"]
    for row in marginal[marginal["scope"] == "channel"].itertuples():
        roi = "-" if np.isnan(row.roi) else f"{row.roi:.2f}"
        nxt = "-" if np.isnan(row.marginal_roi) else f"{row.marginal_roi:.2f}"
        note = f"  {row.note}" if row.note else ""
        lines.append(f"  {row.name:<20} spend {money(row.spend):>12}  ROI {roi:>6}  next unit {nxt:>6}{note}")
    return Explanation(lines, {"sensitivity": sensitivity, "marginal": marginal}, solves)


def _num(value: float) -> str:
    return money(value) if abs(value) >= 1 else f"{value:.4g}"

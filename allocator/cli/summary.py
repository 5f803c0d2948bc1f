"""The short table printed after a solve."""

from __future__ import annotations

import math

import pandas as pd

from allocator.plan.words import figure
from allocator.solving.pipeline import SolvedScenario, explain_status


def _ratio(value: float) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2f}"


def summary_text(solved: SolvedScenario) -> str:
    plan = solved.plan
    s = solved.loaded.scenario
    lines = [f"{s.name}  [{s.currency}]", explain_status(plan)]
    lines.append(f"objective {plan.objective_kind} = {figure(plan.objective)}")
    by_channel = plan.tables["by_channel"]
    header = f"{'channel':<18} {'spend':>14} {'revenue':>16} {'new cust.':>10} {'ROI':>6} {'rev. share':>10}"
    lines += ["", header, "-" * len(header)]
    for row in by_channel.itertuples():
        lines.append(
            f"{str(row.channel)[:18]:<18} {figure(row.spend):>14} {figure(row.revenue_total):>16} "
            f"{figure(row.new_customers):>10} {_ratio(row.roi):>6} {row.share_of_revenue:>10.1%}"
        )
    t = plan.totals
    lines.append("-" * len(header))
    lines.append(
        f"{'total':<18} {figure(t['spend']):>14} {figure(t['revenue_total']):>16} {figure(t['new_customers']):>10} "
        f"{_ratio(t['roi']):>6} {1:>10.1%}"
    )
    lines.append(f"(revenue = {figure(t['revenue'])} from spend + {figure(t['baseline_revenue'])} baseline; "
                 f"{figure(t['leads'])} leads, {figure(t['customers'])} customers)")
    targets = plan.tables["targets"]
    if len(targets):
        lines += ["", f"{'target':<34} {'planned':>16} {'achieved':>16} {'met':>4}"]
        for row in targets.itertuples():
            met = "yes" if row.met else "NO"
            lines.append(f"{str(row.target)[:34]:<34} {figure(row.planned):>16} {figure(row.achieved):>16} {met:>4}")
    from allocator.plan.prices import costliest

    top = costliest(plan.tables.get("sensitivity", pd.DataFrame()))
    if top:
        lines += ["", "What costs the most (binding limits, by the gain from relaxing each by 10%):"]
        lines += [f"  {i}. {line}" for i, line in enumerate(top, start=1)]
        if plan.duals_from == "lp_with_integers_fixed":
            lines.append("  (prices from the LP with the on/off channel choices fixed at the optimum)")
    timings = solved.timings
    lines.append("")
    lines.append(
        f"{solved.model.lp.n_cols:,} variables, {solved.model.lp.n_rows:,} constraints; "
        f"build {timings['build']:.2f}s, solve {timings['solve']:.2f}s ({plan.solver} {plan.solver_version})"
    )
    return "\n".join(lines)

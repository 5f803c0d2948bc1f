"""The short table printed after a solve.

It stays a screenful whatever the plan's size: the largest channels and the
targets that matter are shown, the rest counted ("and 190 more (see
by_channel.csv)"); the full tables are in the plan folder.
"""

from __future__ import annotations

import math

import pandas as pd

from allocator.plan.tolerance import RELATIVE
from allocator.plan.words import figure, fit
from allocator.solving.pipeline import SolvedScenario, explain_status

MAX_CHANNELS = 10  # channel rows shown, the largest by spend; a plan with up to 12 shows them all
MAX_TARGETS = 15  # target rows shown (every unmet target always is)
LABEL_WIDTH = (34, 48)  # the target column: as wide as the longest label within these; longer ones are cut


def _ratio(value: float) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2f}"


def _share(value: float) -> str:
    """A share as a percentage; "-" when it does not exist (a plan with no revenue has no shares)."""
    return "-" if value is None or not math.isfinite(value) else f"{value:.1%}"


def more_line(hidden: int, file: str) -> list[str]:
    return [f"  ... and {hidden} more (see {file})"] if hidden > 0 else []


def _channel_lines(by_channel: pd.DataFrame) -> tuple[list[str], int]:
    """The channel rows to print (the largest by spend when there are many) and how many were left out."""
    shown = by_channel
    if len(by_channel) > MAX_CHANNELS + 2:  # never "and 1 more": that line would take the row's place
        order = by_channel["spend"].fillna(0).abs().sort_values(ascending=False, kind="stable").index
        shown = by_channel.loc[sorted(order[:MAX_CHANNELS])]
    lines = [
        f"{fit(row.channel, 18):<18} {figure(row.spend):>14} {figure(row.revenue_total):>16} "
        f"{figure(row.new_customers):>10} {_ratio(row.roi):>6} {_share(row.share_of_revenue):>10}"
        for row in shown.itertuples()
    ]
    return lines, len(by_channel) - len(shown)


def _target_lines(targets: pd.DataFrame) -> list[str]:
    """Every unmet target, then the others in order, up to MAX_TARGETS rows; the rest counted."""
    keep = targets.index
    if len(targets) > MAX_TARGETS + 2:
        unmet = targets.index[~targets["met"].astype(bool)]
        rest = targets.index[targets["met"].astype(bool)][: max(0, MAX_TARGETS - len(unmet))]
        keep = sorted([*unmet, *rest])
    width = min(max(LABEL_WIDTH[0], *(len(str(t)) for t in targets["target"])), LABEL_WIDTH[1])
    lines = [f"{'target':<{width}} {'planned':>16} {'achieved':>16} {'met':>4}"]
    for row in targets.loc[keep].itertuples():
        met = "yes" if row.met else "NO"
        lines.append(f"{fit(row.target, width):<{width}} {figure(row.planned):>16} "
                     f"{figure(row.achieved):>16} {met:>4}")
    return lines + more_line(len(targets) - len(keep), "targets.csv")


def summary_text(solved: SolvedScenario) -> str:
    plan = solved.plan
    s = solved.loaded.scenario
    lines = [f"{s.name}  [{s.currency}]", explain_status(plan)]
    lines.append(f"objective {plan.objective_kind} = {figure(plan.objective)}")
    header = f"{'channel':<18} {'spend':>14} {'revenue':>16} {'new cust.':>10} {'ROI':>6} {'rev. share':>10}"
    channel_lines, hidden = _channel_lines(plan.tables["by_channel"])
    lines += ["", header, "-" * len(header), *channel_lines, *more_line(hidden, "by_channel.csv")]
    t = plan.totals
    lines.append("-" * len(header))
    lines.append(
        f"{'total':<18} {figure(t['spend']):>14} {figure(t['revenue_total']):>16} {figure(t['new_customers']):>10} "
        f"{_ratio(t['roi']):>6} {_share(1.0 if t['revenue_total'] else math.nan):>10}"
    )
    lines.append(f"(revenue = {figure(t['revenue'])} from spend + {figure(t['baseline_revenue'])} baseline; "
                 f"{figure(t['leads'])} leads, {figure(t['customers'])} customers)")
    targets = plan.tables["targets"]
    if len(targets):
        lines += ["", *_target_lines(targets)]
    from allocator.plan.prices import costliest

    # A gain this small next to the objective is solver noise, not a limit worth relaxing.
    worthless = RELATIVE * max(1.0, abs(plan.objective or 0.0))
    top = costliest(plan.tables.get("sensitivity", pd.DataFrame()), tolerance=worthless)
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

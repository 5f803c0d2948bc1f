"""The short table printed after a solve.

It stays a screenful whatever the plan's size: the largest channels and the
targets that matter are shown, the rest counted ("and 190 more (see
by_channel.csv)"); the full tables are in the plan folder.
"""

from __future__ import annotations

import math

import pandas as pd

from allocator.plan.display import Style, rounded_column, show
from allocator.plan.tolerance import RELATIVE
from allocator.plan.units import target_kind
from allocator.plan.words import fit
from allocator.solving.pipeline import SolvedScenario, explain_status

MAX_CHANNELS = 10  # channel rows shown, the largest by spend; a plan with up to 12 shows them all
MAX_TARGETS = 15  # target rows shown (every unmet target always is)
LABEL_WIDTH = (34, 48)  # the target column: as wide as the longest label within these; longer ones are cut




def more_line(hidden: int, file: str) -> list[str]:
    return [f"  ... and {hidden} more (see {file})"] if hidden > 0 else []


def _channel_lines(by_channel: pd.DataFrame, totals: dict, style: Style) -> tuple[list[str], int]:
    """The channel rows to print (the largest by spend when there are many) and how many were left out.
    With every channel shown, the columns are rounded to add up to the total row (largest remainder)."""
    shown = by_channel.copy()
    if len(by_channel) > MAX_CHANNELS + 2:  # never "and 1 more": that line would take the row's place
        order = by_channel["spend"].fillna(0).abs().sort_values(ascending=False, kind="stable").index
        shown = by_channel.loc[sorted(order[:MAX_CHANNELS])].copy()
    else:
        for column, kind, total in (("spend", "money", totals["spend"]), ("revenue_total", "money", totals["revenue_total"]),
                                    ("new_customers", "count", totals["new_customers"]),
                                    ("share_of_revenue", "share", 1.0 if totals["revenue_total"] else None)):
            if total is not None:
                decimals = 3 if kind == "share" else style.decimals(kind)
                shown[column] = rounded_column(shown[column], decimals, total)
    lines = [
        f"{fit(row.channel, 18):<18} {show(row.spend, 'money', style):>14} {show(row.revenue_total, 'money', style):>16} "
        f"{show(row.new_customers, 'count', style):>10} {show(row.roi, 'multiple', style):>7} "
        f"{show(row.share_of_revenue, 'percent', style):>10}"
        for row in shown.itertuples()
    ]
    return lines, len(by_channel) - len(shown)


def _target_lines(targets: pd.DataFrame, style: Style) -> list[str]:
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
        kind = target_kind(row.target)
        lines.append(f"{fit(row.target, width):<{width}} {show(row.planned, kind, style):>16} "
                     f"{show(row.achieved, kind, style):>16} {met:>4}")
    return lines + more_line(len(targets) - len(keep), "targets.csv")


def _milestone_lines(milestones: pd.DataFrame, style: Style) -> list[str]:
    """Each milestone and measure: what the plan has by the date against what is required (milestones.csv)."""
    if not len(milestones):
        return []
    lines = ["", f"Milestones ({int(milestones['met'].sum())} of {len(milestones)} met by their dates):"]
    for row in milestones.head(MAX_TARGETS).itertuples(index=False):
        kind = "money" if row.measure in ("revenue", "spend") else "count"
        lines.append(f"  {row.date} {row.name}: {row.measure} {show(row.planned_by_date, kind, style)} planned, "
                     f"{show(row.required, kind, style)} required ({'met' if row.met else 'NOT met'})")
    return lines + more_line(len(milestones) - MAX_TARGETS, "milestones.csv")


def summary_text(solved: SolvedScenario) -> str:
    plan = solved.plan
    s = solved.loaded.scenario
    t = plan.totals
    style = Style.for_totals(s.currency, t["spend"], t["revenue_total"])
    lines = [f"{s.name}  [{s.currency}]", explain_status(plan)]
    kind = "count" if plan.objective_kind == "max_new_customers" else "money"
    lines.append(f"objective {plan.objective_kind} = {show(plan.objective, kind, style)}")
    header = f"{'channel':<18} {'spend':>14} {'revenue':>16} {'new cust.':>10} {'ROI':>7} {'rev. share':>10}"
    channel_lines, hidden = _channel_lines(plan.tables["by_channel"], t, style)
    lines += ["", header, "-" * len(header), *channel_lines, *more_line(hidden, "by_channel.csv")]
    lines.append("-" * len(header))
    lines.append(
        f"{'total':<18} {show(t['spend'], 'money', style):>14} {show(t['revenue_total'], 'money', style):>16} "
        f"{show(t['new_customers'], 'count', style):>10} {show(t['roi'], 'multiple', style):>7} "
        f"{show(1.0 if t['revenue_total'] else math.nan, 'percent', style):>10}"
    )
    lines.append(f"(revenue = {show(t['revenue'], 'money', style)} from spend + "
                 f"{show(t['baseline_revenue'], 'money', style)} baseline; {show(t['leads'], 'count', style)} leads, "
                 f"{show(t['customers'], 'count', style)} customers; money in {s.currency})")
    targets = plan.tables["targets"]
    if len(targets):
        lines += ["", *_target_lines(targets, style)]
    budget_lines = plan.tables.get("lines", pd.DataFrame())
    if len(budget_lines):
        statements = [str(text) for text in budget_lines["statement"]]
        shown = statements if len(statements) <= MAX_TARGETS + 2 else statements[:MAX_TARGETS]
        lines += ["", "Budget lines (what each buys):", *(f"  {text}" for text in shown),
                  *more_line(len(statements) - len(shown), "lines.csv")]
    lines += _milestone_lines(plan.tables.get("milestones", pd.DataFrame()), style)
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

"""Soft targets: a shortfall column on each goal row (zero cost here; allocator.solving.goals minimises them)."""

from __future__ import annotations

from dataclasses import dataclass


from allocator.model.context import BuildContext
from allocator.model.rows import RowBlocks, RowRecord


@dataclass(frozen=True)
class Goal:
    """A soft target: its row, its shortfall column and where it stands in the priority order."""

    name: str  # the row's name, e.g. target_revenue
    goal: str  # revenue, new_customers, leads, min_roi, mix or by
    row: int
    col: int
    level: int
    scale: float  # the target's size in the row's units, to report a shortfall as a share
    sign: float  # +1: the shortfall is added to a >= row; -1: subtracted from a <= row


def goal_of(record: RowRecord) -> str | None:
    """The target a row states (revenue, new_customers, leads, min_roi, mix, by), None for any other row.

    Read from the scenario field behind the row: ``targets.revenue``, ``targets.mix[i].max_share``,
    ``targets.by[i].customers``...
    """
    lever = record.lever
    if lever is None or lever.path[0] != "targets":
        return None
    return lever.path[1]


def shortfall_columns(ctx: BuildContext, rows: RowBlocks) -> list[Goal]:
    """One shortfall column per soft target's row, numbered from ``ctx.n_cols``, entered in its row.

    The column is the shortfall in the row's own units (money, customers, leads). Dividing by the target's
    size would leave objective coefficients (~1e-8 per unit of spend) below the solvers' tolerances, and
    both CBC and HiGHS then stop at plans that are not lexicographically best.
    """
    s = ctx.scenario
    t = s.targets
    if t.mode != "soft" and not t.soft:  # every target hard (is_soft is False for all)
        return []
    budget = s.budget.total or 1.0
    planned_revenue = t.planned(t.revenue) if t.revenue else None
    revenue_scale = planned_revenue or max(1.0, ctx.baseline_total + budget * float(ctx.spend.revenue.max(initial=0.0)))
    # Each target's size in its row's units (a goal row exists only when its target is set).
    scales = {"revenue": planned_revenue, "new_customers": t.planned(t.new_customers), "leads": t.planned(t.leads),
              "min_roi": (t.min_roi or 0.0) * budget}
    goals = []
    for i, record in enumerate(rows.records):
        goal = goal_of(record)
        if goal is None or not t.is_soft(goal):
            continue
        sign = 1.0
        if goal == "mix":
            _, _, index, field = record.lever.path
            scale = revenue_scale if t.mix[index].of == "revenue" else budget
            sign = -1.0 if field == "max_share" else 1.0
        elif goal == "by":  # a floor on a selection (planned with the buffer), or its spend ceiling
            _, _, index, field = record.lever.path
            amount = getattr(t.by[index], field)
            scale, sign = (amount, -1.0) if field == "max_spend" else (t.planned(amount), 1.0)
        else:
            scale = scales[goal]
        col = ctx.n_cols + len(goals)
        goals.append(Goal(rows.names[i], goal, i, col, t.level(goal), max(1.0, float(scale or 1.0)), sign))
    rows.add_entries([g.row for g in goals], [g.col for g in goals], [g.sign for g in goals])
    return goals

"""Rows of budget lines (`budget.lines`) and of targets on selections (`targets.by`); see docs/model.md.

A line's promises count only what the line's own spend buys (incremental: no
baseline), since a line is money asked for. A target on a selection is a
target like the headline ones: its revenue includes the selection's baseline
and every floor is planned with `targets.buffer`.
"""

from __future__ import annotations

import numpy as np

from allocator.model.cells import select
from allocator.model.context import BuildContext
from allocator.model.rows import INF, RowBlocks, spend_bounds
from allocator.scenario.levers import Lever
from allocator.scenario.schema import BY_FLOORS, LINE_PROMISES


def _picked(ctx: BuildContext, selection) -> np.ndarray:
    return select(ctx.dims, selection, ctx.channel, ctx.tier, ctx.product, ctx.period)


def line_rows(ctx: BuildContext, rows: RowBlocks) -> None:
    """Per line: its spend bounds (money or share of total spend) and each promised outcome of its spend."""
    spend = ctx.spend
    per_unit = {"new_customers": spend.new_customers, "revenue": spend.revenue, "leads": spend.leads}
    for i, line in enumerate(ctx.scenario.budget.lines):
        mask = _picked(ctx, line.select)
        picked, args = ctx.cols[mask], (line.name,)

        def lever(field, relax, value, i=i, name=line.name):
            return Lever(("budget", "lines", i, field), f"budget.lines[{name}].{field}", relax, value)

        spend_bounds(rows, "line", "line", args, picked, ctx.total_spend_col, line, lever)
        for promise in LINE_PROMISES:
            amount = getattr(line, promise)
            if amount is None:
                continue
            if promise == "min_roi":  # value - floor x spend >= 0 over the line's own cells
                coef, lower = spend.value[mask] - amount, 0.0
            else:
                coef, lower = per_unit[promise][mask], amount
            rows.add_one("line", f"line_{promise}", args, picked, coef, lower, INF, lever=lever(promise, -1, amount))


def by_target_rows(ctx: BuildContext, rows: RowBlocks) -> None:
    """Per target on a selection: each floor (planned with the buffer; revenue with the selection's
    baseline) and the spend ceiling. Always hard."""
    t, spend, base = ctx.scenario.targets, ctx.spend, ctx.baseline
    per_unit = {"revenue": spend.revenue, "new_customers": spend.new_customers, "leads": spend.leads,
                "customers": spend.customers}
    for i, target in enumerate(t.by):
        mask = _picked(ctx, target.select)
        picked, args = ctx.cols[mask], (target.select.label(),)
        for goal in BY_FLOORS:
            committed = getattr(target, goal)
            if committed is None:
                continue
            lower = t.planned(committed)
            if goal == "revenue":
                lower -= float(base.revenue[select(ctx.dims, target.select, base.channel, base.tier, base.product,
                                                   base.period)].sum())
            rows.add_one("target", f"target_by_{goal}", args, picked, per_unit[goal][mask], lower, INF,
                         lever=Lever(("targets", "by", i, goal), f"targets.by[{i}].{goal}", -1, committed))
        if target.max_spend is not None:
            rows.add_one("target", "target_by_max_spend", args, picked, 1.0, -INF, target.max_spend,
                         lever=Lever(("targets", "by", i, "max_spend"), f"targets.by[{i}].max_spend", +1,
                                     target.max_spend))

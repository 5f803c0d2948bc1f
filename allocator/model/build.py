"""Scenario -> linear program, built in bulk from the cell arrays (see docs/model.md for the maths).

Columns: spend per eligible cell (one per response slice for channels with a
curve), two defined totals (``total_spend``, ``total_revenue``: incremental
revenue), one binary ``used[channel]`` per channel with ``min_spend_if_used``,
and a shortfall per soft target (`allocator.model.columns`). Rows come from
one builder per family (`allocator.model.blocks`), each row with its record.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers import LinearProgram

from allocator.model.blocks import ROW_FAMILIES
from allocator.model.cells import Baseline, Cells
from allocator.model.columns import ColumnNames, SpendColumns
from allocator.model.context import BuildContext, build_context
from allocator.model.objective import objective_vector, sense
from allocator.model.rows import INF, RowBlocks, RowRecord
from allocator.model.shortfalls import Goal, shortfall_columns
from allocator.scenario.schema import Scenario


@dataclass(frozen=True)
class PlanModel:
    """The built LP and everything needed to read a solution back into the scenario's terms."""

    scenario: Scenario
    lp: LinearProgram
    cells: Cells
    baseline: Baseline
    spend: SpendColumns  # columns 0 .. spend.size-1
    total_spend_col: int
    total_revenue_col: int
    used_cols: dict[str, int]  # channel -> binary column
    rows: tuple[RowRecord, ...]  # per row of lp: family, form, arguments and the scenario number behind it
    goals: list[Goal]  # soft targets, one per soft row (empty when every target is hard)
    waste: np.ndarray  # per column: spend that buys less than the channel's best slice (1 - efficiency)
    segment_width: np.ndarray  # per spend column: width of its response slice (INF for open slices)

    def budget_price(self, row_duals: np.ndarray | None) -> float | None:
        """The shadow price of ``budget_total`` in these row duals (None without duals or a budget total)."""
        if row_duals is None or "budget_total" not in self.lp.row_names:
            return None
        return float(row_duals[self.lp.row_names.index("budget_total")])

    def objective_value(self, x: np.ndarray) -> float:
        """The user's objective (revenue, spend, profit or new customers) at x, in its own units."""
        return self.lp.objective_value(x)


def slice_fill(model: PlanModel, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """How full each response slice is in plan x.

    Returns, per spend column, the code of its (channel, period, slice) group,
    ``(channel * periods + period) * K + slice``; the spend in each group (flat,
    channels x periods x K); and K, the most slices any channel has.
    """
    spend, cells = model.spend, model.cells
    M = len(cells.dims.periods)
    K = int(spend.segment.max()) + 1 if spend.size else 1
    group = (cells.channel[spend.cell] * M + cells.period[spend.cell]) * K + spend.segment
    filled = np.bincount(group, weights=x[: spend.size], minlength=len(cells.dims.channels) * M * K)
    return group, filled, K


def build_model(s: Scenario, objective: str | None = None, context: BuildContext | None = None) -> PlanModel:
    """`context`: a build context made from `s` and changed by the caller (a re-plan fixes elapsed columns)."""
    objective = objective or s.objective
    ctx = context if context is not None else build_context(s)
    rows = RowBlocks()
    for add_rows in ROW_FAMILIES:
        add_rows(ctx, rows)
    goals = shortfall_columns(ctx, rows)
    n_cols = ctx.n_cols + len(goals)
    objective_vec, offset = objective_vector(objective, ctx, n_cols)
    spend, binaries = ctx.spend, list(ctx.used_cols.values())
    waste = np.zeros(n_cols)
    waste[: spend.size] = 1.0 - spend.efficiency
    indptr, indices, data, row_lower, row_upper = rows.assemble(n_cols)
    col_upper = np.full(n_cols, INF)
    col_upper[binaries] = 1.0
    col_integer = np.zeros(n_cols, dtype=bool)
    col_integer[binaries] = True
    lp = LinearProgram(
        name=_safe_name(s.name), sense=sense(objective), objective=objective_vec, objective_offset=offset,
        col_names=ColumnNames(ctx.cells, spend, list(ctx.used_cols), [g.name for g in goals]),
        col_lower=np.zeros(n_cols), col_upper=col_upper, col_integer=col_integer, row_names=_unique(rows.names),
        row_lower=row_lower, row_upper=row_upper, indptr=indptr, indices=indices, data=data,
    )
    return PlanModel(
        scenario=s, lp=lp, cells=ctx.cells, baseline=ctx.baseline, spend=spend, total_spend_col=ctx.total_spend_col,
        total_revenue_col=ctx.total_revenue_col, used_cols=ctx.used_cols, rows=tuple(rows.records), goals=goals,
        waste=waste, segment_width=ctx.widths[ctx.channel, spend.segment],
    )


def _unique(names: list[str]) -> list[str]:
    """Row names stay unique even when two limits select the same cells (#2, #3 ...)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0) + 1
        seen[name] = count
        out.append(name if count == 1 else f"{name}#{count}")
    return out


def _safe_name(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)[:40] or "scenario"

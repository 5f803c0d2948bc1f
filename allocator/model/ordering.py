"""The exact piecewise-linear response curve, for the plans where the LP's relaxation is not enough.

A concave curve needs no binaries as long as more effective spend is always
welcome: the LP then fills slices in order by itself. When spend is forced
(minimums) while leads or revenue are capped, the LP may prefer to burn money
in a less efficient slice while a better one has room, which no real channel
allows. This module adds, for every curved channel and period, binaries
z[c,m,k] with

    sum of slice k  >= width_k * z[c,m,k]          (slice_full[c,m,k])
    sum of slice k+1 <= bound_{k+1} * z[c,m,k]     (slice_open[c,m,k+1])

so that slice k+1 holds spend only when slice k is full; the plan then
follows the curve exactly (a MILP). bound_{k+1} is the slice's width, or for
the open last slice the channel's spend bound; a channel with no spend cap in
a plan without a budget total has none, and the caller passes
``fallback_bound`` for it (see allocator.solving.pipeline.solve_model).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from allocator.model.build import PlanModel
from allocator.model.context import channel_spend_bound
from allocator.model.rows import RowRecord


def ordered_model(model: PlanModel, fallback_bound: float = np.inf) -> PlanModel:
    lp = model.lp
    spend = model.spend
    cells = model.cells
    s = model.scenario
    M = len(cells.dims.periods)
    channel = cells.channel[spend.cell]
    period = cells.period[spend.cell]
    new_rows: list[tuple[RowRecord, np.ndarray, np.ndarray, float, float]] = []
    binaries: list[str] = []
    for c_i, ch in enumerate(s.channels):
        if not ch.response or len(ch.response) < 2:
            continue
        bound = channel_spend_bound(s, c_i)
        if not np.isfinite(bound):
            bound = fallback_bound
        for m in range(M):
            mine = (channel == c_i) & (period == m)
            if not mine.any():
                continue
            for k in range(len(ch.response) - 1):
                this = np.flatnonzero(mine & (spend.segment == k))
                nxt = np.flatnonzero(mine & (spend.segment == k + 1))
                width = float(model.segment_width[this[0]]) if this.size else 0.0
                next_width = float(model.segment_width[nxt[0]]) if nxt.size else 0.0
                next_bound = next_width if np.isfinite(next_width) else bound
                if not np.isfinite(width) or not np.isfinite(next_bound):
                    continue
                z = lp.n_cols + len(binaries)
                args = (ch.name, cells.dims.periods[m], str(k + 1))
                binaries.append(f"slice_order[{','.join(args)}]")  # a column, named like its rows
                new_rows.append((RowRecord("response", "slice_full", args), np.append(this, z),
                                 np.append(np.ones(this.size), -width), 0.0, np.inf))
                new_rows.append((RowRecord("response", "slice_open", args), np.append(nxt, z),
                                 np.append(np.ones(nxt.size), -next_bound), -np.inf, 0.0))
    if not binaries:
        return model
    n_new = len(binaries)
    with_binaries = replace(
        lp, objective=np.append(lp.objective, np.zeros(n_new)), col_names=list(lp.col_names) + binaries,
        col_lower=np.append(lp.col_lower, np.zeros(n_new)), col_upper=np.append(lp.col_upper, np.ones(n_new)),
        col_integer=np.append(lp.col_integer, np.ones(n_new, dtype=bool)),
    )
    extended = with_binaries.with_rows([r[0].name for r in new_rows], [(r[1], r[2]) for r in new_rows],
                                       [r[3] for r in new_rows], [r[4] for r in new_rows])
    return replace(model, lp=extended, rows=model.rows + tuple(r[0] for r in new_rows),
                   waste=np.append(model.waste, np.zeros(n_new)))

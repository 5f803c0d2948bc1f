"""What every row family of the model is built from: one frozen context, made once per build."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allocator.model.cells import Baseline, Cells, Dimensions, build_baseline, build_cells
from allocator.model.columns import SpendColumns, segment_widths, spend_columns
from allocator.model.rows import INF
from allocator.scenario.periods import value_at
from allocator.scenario.schema import Scenario

# The on/off row's big-M is this many times the channel's real bound, so that it never is the row that
# binds: the budget and the caps keep their own rows (with their scenario numbers), which the
# infeasibility diagnosis can then name.
BIG_M_HEADROOM = 10.0


@dataclass(frozen=True)
class BuildContext:
    """The scenario, its cells and the column layout; per spend column, the indices of its cell's dimensions."""

    scenario: Scenario
    cells: Cells
    baseline: Baseline
    spend: SpendColumns  # columns 0 .. spend.size-1
    channel: np.ndarray  # per spend column: its channel's index in the scenario's list
    tier: np.ndarray
    product: np.ndarray
    period: np.ndarray
    cols: np.ndarray  # the spend columns' indices, 0 .. spend.size-1
    total_spend_col: int
    total_revenue_col: int
    used_cols: dict[str, int]  # channel -> its on/off binary column
    widths: np.ndarray  # response slice widths (money per period), channels x slices, INF when open

    @property
    def dims(self) -> Dimensions:
        return self.cells.dims

    @property
    def periods(self) -> int:
        return len(self.cells.dims.periods)

    @property
    def baseline_total(self) -> float:
        """Revenue not driven by spend, over the whole plan (money)."""
        return self.baseline.total

    @property
    def n_cols(self) -> int:
        """Columns before the soft targets' shortfalls: spend, the two totals, the on/off binaries."""
        return self.total_revenue_col + 1 + len(self.used_cols)


def build_context(s: Scenario) -> BuildContext:
    cells = build_cells(s)
    spend = spend_columns(s, cells)
    n_spend = spend.size
    used_channels = [c.name for c in s.channels if c.min_spend_if_used is not None]
    return BuildContext(
        scenario=s, cells=cells, baseline=build_baseline(s, cells.dims), spend=spend,
        channel=cells.channel[spend.cell], tier=cells.tier[spend.cell], product=cells.product[spend.cell],
        period=cells.period[spend.cell], cols=np.arange(n_spend), total_spend_col=n_spend,
        total_revenue_col=n_spend + 1, used_cols={name: n_spend + 2 + i for i, name in enumerate(used_channels)},
        widths=segment_widths(s),
    )


def per_channel_period(s: Scenario, field: str) -> np.ndarray:
    """A per-period channel field as a channels x periods array, NaN where it sets nothing."""
    return np.array([[value_at(getattr(c, field), p) for p in s.periods] for c in s.channels], dtype=float).reshape(
        len(s.channels), len(s.periods)
    )


def channel_spend_bound(s: Scenario, c_i: int) -> float:
    """A finite bound on one channel's quarter spend, with headroom (the big-M of its on/off binary)."""
    caps = per_channel_period(s, "max_spend")[c_i]
    bound = float(caps.sum()) if np.isfinite(caps).all() else INF
    if s.budget.total is not None:
        bound = min(bound, s.budget.total)
    return BIG_M_HEADROOM * bound

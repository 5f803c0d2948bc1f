"""The model's columns: spend per cell and response slice, and their readable names.

Column order: the spend columns (one per eligible cell, or one per response
slice for channels with a curve), then ``total_spend`` and ``total_revenue``
(defined totals, incremental revenue), then one binary ``used[channel]`` per
channel with ``min_spend_if_used``, then one shortfall column per soft target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from allocator.model.cells import Cells
from allocator.model.rows import INF
from allocator.scenario.schema import Scenario


@dataclass(frozen=True)
class SpendColumns:
    """Per spend column: its cell, response slice, and what one unit of spend in it yields."""

    cell: np.ndarray
    segment: np.ndarray
    efficiency: np.ndarray
    leads: np.ndarray
    customers: np.ndarray
    new_customers: np.ndarray
    revenue: np.ndarray
    value: np.ndarray  # revenue, or revenue x tier value multiplier on a lifetime-value ROI basis

    @property
    def size(self) -> int:
        return int(self.cell.size)


def spend_columns(s: Scenario, cells: Cells) -> SpendColumns:
    efficiencies = [[seg.efficiency for seg in (c.response or [])] or [1.0] for c in s.channels]
    per_channel = np.array([len(e) for e in efficiencies])
    count = per_channel[cells.channel]
    cell = np.repeat(np.arange(cells.size), count)
    starts = np.repeat(np.cumsum(count) - count, count)
    segment = np.arange(cell.size) - starts
    eff_table = np.zeros((len(s.channels), per_channel.max()))
    for i, e in enumerate(efficiencies):
        eff_table[i, : len(e)] = e
    efficiency = eff_table[cells.channel[cell], segment]
    leads = efficiency * cells.leads_per_spend[cell]
    customers = leads * cells.conversion[cell]
    revenue = customers * cells.order_value[cell]
    return SpendColumns(
        cell=cell, segment=segment, efficiency=efficiency, leads=leads, customers=customers,
        new_customers=np.where(cells.counts_as_new[cell], customers, 0.0), revenue=revenue,
        value=revenue * cells.value_multiplier[cell],
    )


def segment_widths(s: Scenario) -> np.ndarray:
    """Width of each response slice (money per period), INF for the open last slice; shape channels x slices."""
    K = max(len(c.response or [None]) for c in s.channels)
    widths = np.full((len(s.channels), K), INF)
    for i, c in enumerate(s.channels):
        start = 0.0
        for k, seg in enumerate(c.response or []):
            if seg.up_to is not None:
                widths[i, k] = seg.up_to - start
                start = seg.up_to
    return widths


class ColumnNames(Sequence):
    """Readable column names, built on first use: only exports and tests read them."""

    def __init__(self, cells: Cells, spend: SpendColumns, used_channels: list[str], goal_rows: list[str]):
        self._args = (cells, spend, used_channels)
        self._goal_rows = goal_rows
        self._names: list[str] | None = None
        self._length = spend.size + 2 + len(used_channels) + len(goal_rows)

    def _all(self) -> list[str]:
        if self._names is None:
            self._names = _column_names(*self._args) + [f"shortfall[{name}]" for name in self._goal_rows]
        return self._names

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        return self._all()[index]


def _column_names(cells: Cells, spend: SpendColumns, used_channels: list[str]) -> list[str]:
    d = cells.dims
    cell_names = [
        f"{d.channels[c]},{d.tiers[t]},{d.products[p]},{d.periods[m]}"
        for c, t, p, m in zip(cells.channel.tolist(), cells.tier.tolist(), cells.product.tolist(), cells.period.tolist())
    ]
    curved = np.bincount(spend.cell, minlength=cells.size) > 1
    names = [
        f"spend[{cell_names[i]},slice{k + 1}]" if curved[i] else f"spend[{cell_names[i]}]"
        for i, k in zip(spend.cell.tolist(), spend.segment.tolist())
    ]
    return names + ["total_spend", "total_revenue"] + [f"used[{c}]" for c in used_channels]

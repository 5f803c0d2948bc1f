"""Scenario -> linear program, built in bulk from the cell arrays (see docs/model.md for the maths).

Columns: spend per eligible cell (one per response slice for channels with a
curve), two defined totals (``total_spend``, ``total_revenue``: incremental
revenue), and one binary ``used[channel]`` per channel with
``min_spend_if_used``. Every row has a stable readable name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from solvers import LinearProgram, Sense

from allocator.model.cells import Baseline, Cells, build_baseline, build_cells, select
from allocator.scenario.levers import Lever, PeriodLever
from allocator.model.rows import INF, RowBlocks
from allocator.scenario.schema import Scenario

SENSES = {
    "max_revenue": Sense.MAXIMIZE,
    "min_spend": Sense.MINIMIZE,
    "max_profit": Sense.MAXIMIZE,
    "max_new_customers": Sense.MAXIMIZE,
}


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
    row_kinds: list[str]
    row_levers: list  # per row: the scenario number behind it (allocator.scenario.levers.Lever), None for structural rows
    goals: list  # soft targets: allocator.model.build.Goal, one per soft row (empty when every target is hard)
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


def build_model(s: Scenario, objective: str | None = None) -> PlanModel:
    objective = objective or s.objective
    cells = build_cells(s)
    dims = cells.dims
    baseline = build_baseline(s, dims)
    M = len(dims.periods)
    spend = _spend_columns(s, cells)
    n_spend = spend.size
    S_col, R_col = n_spend, n_spend + 1
    used_channels = [c.name for c in s.channels if c.min_spend_if_used is not None]
    used_cols = {name: R_col + 1 + i for i, name in enumerate(used_channels)}
    n_cols = R_col + 1 + len(used_channels)

    ch = cells.channel[spend.cell]
    per = cells.period[spend.cell]
    cols = np.arange(n_spend)
    rows = RowBlocks()
    B = baseline.total

    # Defined totals keep share rows sparse (one coefficient on a total, not one per column).
    rows.add_one("definition", "define_total_spend", np.append(cols, S_col), np.append(np.ones(n_spend), -1.0), 0.0, 0.0)
    rows.add_one("definition", "define_total_revenue", np.append(cols, R_col), np.append(spend.revenue, -1.0), 0.0, 0.0)

    # Budget.
    if s.budget.total is not None:
        rows.add_one("budget", "budget_total", [S_col], [1.0], -INF, s.budget.total,
                     lever=Lever(("budget", "total"), "budget.total", +1, s.budget.total))
    for i, limit in enumerate(s.budget.limits):
        mask = select(dims, limit.select, ch, cells.tier[spend.cell], cells.product[spend.cell], per)
        label = limit.select.label()
        picked = cols[mask]
        def limit_lever(field, relax, value, i=i):
            return Lever(("budget", "limits", i, field), f"budget.limits[{i}].{field}", relax, value)

        if limit.min is not None:
            rows.add_one("budget", f"budget_min[{label}]", picked, 1.0, limit.min, INF, lever=limit_lever("min", -1, limit.min))
        if limit.max is not None:
            rows.add_one("budget", f"budget_max[{label}]", picked, 1.0, -INF, limit.max, lever=limit_lever("max", +1, limit.max))
        for bound, share in (("min_share", limit.min_share), ("max_share", limit.max_share)):
            if share is not None:
                lo, up = (0.0, INF) if bound == "min_share" else (-INF, 0.0)
                rows.add_one("budget", f"budget_{bound}[{label}]", np.append(picked, S_col),
                             np.append(np.ones(picked.size), -share), lo, up,
                             lever=limit_lever(bound, -1 if bound == "min_share" else +1, share))

    # Channel capacity and minimums per period.
    channel_period = ch * M + per
    for field, kind, name, coef, upper in (
        ("max_spend", "capacity", "capacity_spend", np.ones(n_spend), True),
        ("min_spend", "capacity", "min_spend", np.ones(n_spend), False),
        ("max_leads", "capacity", "capacity_leads", spend.leads, True),
    ):
        bound = _per_channel_period(s, field)
        codes = np.flatnonzero(np.isfinite(bound.ravel()) & ((bound.ravel() > 0) | upper))
        labels = [f"{name}[{dims.channels[c // M]},{dims.periods[c % M]}]" for c in codes]
        values = bound.ravel()[codes]
        levers = [
            PeriodLever(("channels", int(c // M), field), f"channels[{dims.channels[c // M]}].{field}[{dims.periods[c % M]}]",
                        +1 if upper else -1, float(v), period=dims.periods[c % M])
            for c, v in zip(codes.tolist(), values.tolist())
        ]
        _add_indexed(rows, kind, codes, labels, channel_period, cols, coef,
                     np.full(codes.size, -INF) if upper else values, values if upper else np.full(codes.size, INF),
                     size=len(dims.channels) * M, levers=levers)

    # Sales team: leads handled per period.
    if s.sales_capacity is not None:
        cap = np.array([_at(s.sales_capacity, p) for p in dims.periods], dtype=float)
        codes = np.flatnonzero(np.isfinite(cap))
        levers = [PeriodLever(("sales_capacity",), f"sales_capacity[{dims.periods[m]}]", +1, float(cap[m]),
                              period=dims.periods[m]) for m in codes.tolist()]
        _add_indexed(rows, "capacity", codes, [f"sales_capacity[{dims.periods[m]}]" for m in codes], per, cols,
                     spend.leads, np.full(codes.size, -INF), cap[codes], size=M, levers=levers)

    # Response slices: a channel's spend in a period fills its slices, each up to its width.
    widths = _segment_widths(s)
    K = widths.shape[1]
    seg_code = (ch * M + per) * K + spend.segment
    seg_width = widths[ch, spend.segment]
    finite = np.isfinite(seg_width)
    rows.add_grouped(
        "response", seg_code[finite], cols[finite], 1.0,
        lambda code: f"response_segment[{dims.channels[code // K // M]},{dims.periods[code // K % M]},{code % K + 1}]",
        lambda codes: np.full(codes.size, -INF), lambda codes: widths[codes // K // M, codes % K],
    )

    # ROI floors: incremental revenue (or value) >= min ROI x spend.
    min_roi = np.array([np.nan if c.min_roi is None else c.min_roi for c in s.channels])
    floored = np.isfinite(min_roi[ch])
    rows.add_grouped(
        "roi", ch[floored], cols[floored], (spend.value - min_roi[ch])[floored],
        lambda c: f"roi_floor[{dims.channels[c]}]", lambda codes: np.zeros(codes.size), lambda codes: np.full(codes.size, INF),
        lever=lambda c: Lever(("channels", c, "min_roi"), f"channels[{dims.channels[c]}].min_roi", -1, float(min_roi[c])),
    )
    if s.targets.min_roi is not None:
        portfolio = Lever(("targets", "min_roi"), "targets.min_roi", -1, s.targets.min_roi)
        if s.roi_basis == "revenue":  # value is revenue: use the defined total
            rows.add_one("roi", "roi_floor_portfolio", [R_col, S_col], [1.0, -s.targets.min_roi], 0.0, INF, lever=portfolio)
        else:
            rows.add_one("roi", "roi_floor_portfolio", np.append(cols, S_col), np.append(spend.value, -s.targets.min_roi),
                         0.0, INF, lever=portfolio)

    # Targets, planned with the buffer.
    t = s.targets
    if t.revenue is not None:
        rows.add_one("target", "target_revenue", [R_col], [1.0], t.planned(t.revenue) - B, INF,
                     lever=Lever(("targets", "revenue"), "targets.revenue", -1, t.revenue))
    if t.new_customers is not None:
        rows.add_one("target", "target_new_customers", cols, spend.new_customers, t.planned(t.new_customers), INF,
                     lever=Lever(("targets", "new_customers"), "targets.new_customers", -1, t.new_customers))
    if t.leads is not None:
        rows.add_one("target", "target_leads", cols, spend.leads, t.planned(t.leads), INF,
                     lever=Lever(("targets", "leads"), "targets.leads", -1, t.leads))

    # Mix shares, linearised against the defined totals.
    tier, product = cells.tier[spend.cell], cells.product[spend.cell]
    for i, mix in enumerate(t.mix):
        mask = select(dims, mix.select, ch, tier, product, per)
        label = mix.select.label()
        for bound, share in (("min", mix.min_share), ("max", mix.max_share)):
            if share is None:
                continue
            name = f"mix_{bound}_{mix.of}[{label}]"
            if mix.of == "revenue":
                b_mask = select(dims, mix.select, baseline.channel, baseline.tier, baseline.product, baseline.period)
                rhs = share * B - float(baseline.revenue[b_mask].sum())
                entries, coef, total_col = cols[mask], spend.revenue[mask], R_col
            else:
                rhs, entries, coef, total_col = 0.0, cols[mask], np.ones(int(mask.sum())), S_col
            lo, up = (rhs, INF) if bound == "min" else (-INF, rhs)
            lever = Lever(("targets", "mix", i, f"{bound}_share"), f"targets.mix[{i}].{bound}_share",
                          -1 if bound == "min" else +1, share)
            rows.add_one("mix", name, np.append(entries, total_col), np.append(coef, -share), lo, up, lever=lever)

    # Seasonal phasing: each period's share of total revenue within weight x (1 +/- tolerance).
    weights = s.seasonality.target_weights
    if weights:
        tol = s.seasonality.tolerance
        base_by_period = np.bincount(baseline.period, weights=baseline.revenue, minlength=M)
        for bound, factor in (("min", 1.0 - tol), ("max", 1.0 + tol)):
            share = np.array([weights[p] for p in dims.periods]) * factor
            local = np.concatenate((per, np.arange(M)))
            entry_cols = np.concatenate((cols, np.full(M, R_col)))
            vals = np.concatenate((spend.revenue, -share))
            rhs = share * B - base_by_period
            lo, up = (rhs, np.full(M, INF)) if bound == "min" else (np.full(M, -INF), rhs)
            tolerance = Lever(("seasonality", "tolerance"), "seasonality.tolerance", +1, tol)
            rows.add("phasing", [f"phasing_{bound}[{p}]" for p in dims.periods], local, entry_cols, vals, lo, up,
                     [tolerance] * M)

    # Either off or at least min_spend_if_used (binary used[channel]).
    for c_i, channel in enumerate(s.channels):
        if channel.min_spend_if_used is None:
            continue
        mine = cols[ch == c_i]
        big_m = _channel_spend_bound(s, c_i)
        u = used_cols[channel.name]
        rows.add_one("min_spend_if_used", f"if_used_min[{channel.name}]", np.append(mine, u),
                     np.append(np.ones(mine.size), -channel.min_spend_if_used), 0.0, INF,
                     lever=Lever(("channels", c_i, "min_spend_if_used"), f"channels[{channel.name}].min_spend_if_used", -1,
                                 channel.min_spend_if_used))
        rows.add_one("min_spend_if_used", f"if_used_max[{channel.name}]", np.append(mine, u),
                     np.append(np.ones(mine.size), -big_m), -INF, 0.0)

    # Soft targets: each gets a shortfall column (zero cost here; allocator.solve.goals minimises them in priority order).
    goals = _goal_rows(s, rows, spend, B)
    for k, goal in enumerate(goals):
        goals[k] = Goal(goal.name, goal.goal, goal.row, n_cols + k, goal.level, goal.scale, goal.sign)
        # The column is the shortfall in the row's own units (money, customers, leads). Dividing by the
        # target's size would leave objective coefficients (~1e-8 per unit of spend) below the solvers'
        # tolerances, and both CBC and HiGHS then stop at plans that are not lexicographically best.
        rows.add_entries([goal.row], [n_cols + k], [goal.sign])
    n_cols += len(goals)

    objective_vec, offset = _objective(objective, s, cells, spend, baseline, n_cols, S_col, R_col)
    # In the user's own units: solvers.solve scales the program (objective included) for the solvers.
    waste = np.zeros(n_cols)
    waste[:n_spend] = 1.0 - spend.efficiency
    indptr, indices, data, row_lower, row_upper = rows.assemble(n_cols)
    col_upper = np.full(n_cols, INF)
    col_upper[list(used_cols.values())] = 1.0
    col_integer = np.zeros(n_cols, dtype=bool)
    col_integer[list(used_cols.values())] = True
    lp = LinearProgram(
        name=_safe_name(s.name), sense=SENSES[objective], objective=objective_vec, objective_offset=offset,
        col_names=ColumnNames(cells, spend, used_channels, [g.name for g in goals]), col_lower=np.zeros(n_cols), col_upper=col_upper,
        col_integer=col_integer, row_names=_unique(rows.names), row_lower=row_lower, row_upper=row_upper,
        indptr=indptr, indices=indices, data=data,
    )
    return PlanModel(
        scenario=s, lp=lp, cells=cells, baseline=baseline, spend=spend, total_spend_col=S_col,
        total_revenue_col=R_col, used_cols=used_cols, row_kinds=list(rows.kinds), row_levers=list(rows.levers),
        goals=goals, waste=waste, segment_width=seg_width,
    )


def _spend_columns(s: Scenario, cells: Cells) -> SpendColumns:
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


def _segment_widths(s: Scenario) -> np.ndarray:
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


def _at(value, period: str) -> float:
    if value is None:
        return np.nan
    if isinstance(value, dict):
        return value.get(period, np.nan)
    return value


def _per_channel_period(s: Scenario, field: str) -> np.ndarray:
    return np.array([[_at(getattr(c, field), p) for p in s.periods] for c in s.channels], dtype=float).reshape(
        len(s.channels), len(s.periods)
    )


# The on/off row's big-M is this many times the channel's real bound, so that it never is the row that
# binds: the budget and the caps keep their own rows (with their scenario numbers), which the
# infeasibility diagnosis can then name.
BIG_M_HEADROOM = 10.0


def _channel_spend_bound(s: Scenario, c_i: int) -> float:
    """A finite bound on one channel's quarter spend, with headroom (the big-M of its on/off binary)."""
    caps = _per_channel_period(s, "max_spend")[c_i]
    bound = float(caps.sum()) if np.isfinite(caps).all() else INF
    if s.budget.total is not None:
        bound = min(bound, s.budget.total)
    return BIG_M_HEADROOM * bound


def _add_indexed(rows: RowBlocks, kind, codes, labels, code_of_col, cols, vals, lower, upper, size, levers=None) -> None:
    """One row per code in `codes` (even with no entries); a column joins the row of its code."""
    position = np.full(size, -1, dtype=np.int64)
    position[codes] = np.arange(codes.size)
    local = position[code_of_col]
    keep = local >= 0
    vals = np.broadcast_to(np.asarray(vals, dtype=float), cols.shape)
    rows.add(kind, labels, local[keep], cols[keep], vals[keep], lower, upper, levers)


def _objective(kind, s, cells, spend, baseline, n_cols, S_col, R_col):
    c = np.zeros(n_cols)
    offset = 0.0
    n = spend.size
    if kind == "max_revenue":
        c[R_col] = 1.0
        offset = baseline.total
    elif kind == "min_spend":
        c[S_col] = 1.0
    elif kind == "max_profit":
        margin = cells.margin[spend.cell]
        c[:n] = spend.revenue * margin - 1.0
        product_margin = np.array([p.margin for p in s.products], dtype=float)
        offset = float((baseline.revenue * product_margin[baseline.product]).sum())
    elif kind == "max_new_customers":
        c[:n] = spend.new_customers
    else:  # pragma: no cover - the schema restricts objectives
        raise ValueError(kind)
    return c, offset


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


@dataclass(frozen=True)
class Goal:
    """A soft target: its row, its shortfall column and where it stands in the priority order."""

    name: str  # the row's name, e.g. target_revenue
    goal: str  # revenue, new_customers, leads, min_roi or mix
    row: int
    col: int
    level: int
    scale: float  # the target's size in the row's units, to report a shortfall as a share
    sign: float  # +1: the shortfall is added to a >= row; -1: subtracted from a <= row


def _goal_rows(s: Scenario, rows: RowBlocks, spend: SpendColumns, baseline_total: float) -> list[Goal]:
    t = s.targets
    budget = s.budget.total or 1.0
    planned_revenue = t.planned(t.revenue) if t.revenue else None
    revenue_scale = planned_revenue or max(1.0, baseline_total + budget * float(spend.revenue.max(initial=0.0)))
    goal_of = {"target_revenue": "revenue", "target_new_customers": "new_customers", "target_leads": "leads",
               "roi_floor_portfolio": "min_roi"}
    goals = []
    for i, name in enumerate(rows.names):
        prefix = name.split("[", 1)[0]
        goal = goal_of.get(prefix) or ("mix" if prefix.startswith("mix_") else None)
        if goal is None or not t.is_soft(goal):
            continue
        if goal == "revenue":
            scale = planned_revenue
        elif goal == "new_customers":
            scale = t.planned(t.new_customers)
        elif goal == "leads":
            scale = t.planned(t.leads)
        elif goal == "min_roi":
            scale = t.min_roi * budget
        else:
            scale = revenue_scale if prefix.endswith("_revenue") else budget
        sign = -1.0 if prefix.startswith("mix_max") else 1.0
        goals.append(Goal(name, goal, i, -1, t.level(goal), max(1.0, float(scale or 1.0)), sign))
    return goals


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

"""The model's rows, one builder per family (see docs/model.md for the maths).

Each builder reads the frozen `BuildContext` and adds its rows to a
`RowBlocks`, each row with its record: family, form, arguments and the
scenario number (`Lever`) behind it. `build_model` calls them in this order,
which is the order of the rows in constraints.csv.
"""

from __future__ import annotations

import numpy as np

from allocator.model.cells import select
from allocator.model.context import BuildContext, channel_spend_bound, per_channel_period
from allocator.model.lines import by_target_rows, line_rows
from allocator.model.rows import INF, RowBlocks, spend_bounds
from allocator.scenario.levers import Lever, PeriodLever
from allocator.scenario.periods import phasing_groups, value_at


def definition_rows(ctx: BuildContext, rows: RowBlocks) -> None:
    """Defined totals keep share rows sparse (one coefficient on a total, not one per column)."""
    cols, n = ctx.cols, ctx.spend.size
    rows.add_one("definition", "define_total_spend", (), np.append(cols, ctx.total_spend_col),
                 np.append(np.ones(n), -1.0), 0.0, 0.0)
    rows.add_one("definition", "define_total_revenue", (), np.append(cols, ctx.total_revenue_col),
                 np.append(ctx.spend.revenue, -1.0), 0.0, 0.0)


def budget_rows(ctx: BuildContext, rows: RowBlocks) -> None:
    """The budget total, and each limit's minimum, maximum and shares of total spend (money, shares 0-1)."""
    s, S_col = ctx.scenario, ctx.total_spend_col
    if s.budget.total is not None:
        rows.add_one("budget", "budget_total", (), [S_col], [1.0], -INF, s.budget.total,
                     lever=Lever(("budget", "total"), "budget.total", +1, s.budget.total))
    for i, limit in enumerate(s.budget.limits):
        picked = ctx.cols[select(ctx.dims, limit.select, ctx.channel, ctx.tier, ctx.product, ctx.period)]
        args = (limit.select.label(),)

        def lever(field, relax, value, i=i):
            return Lever(("budget", "limits", i, field), f"budget.limits[{i}].{field}", relax, value)

        spend_bounds(rows, "budget", "budget", args, picked, S_col, limit, lever)


def capacity_rows(ctx: BuildContext, rows: RowBlocks) -> None:
    """Per channel and period: spend cap, spend minimum (when above 0) and leads cap."""
    s, dims, M = ctx.scenario, ctx.dims, ctx.periods
    channel_period = ctx.channel * M + ctx.period
    for field, form, coef, upper in (
        ("max_spend", "capacity_spend", np.ones(ctx.spend.size), True),
        ("min_spend", "min_spend", np.ones(ctx.spend.size), False),
        ("max_leads", "capacity_leads", ctx.spend.leads, True),
    ):
        bound = per_channel_period(s, field).ravel()
        codes = np.flatnonzero(np.isfinite(bound) & ((bound > 0) | upper))
        values = bound[codes]
        args = [(dims.channels[c // M], dims.periods[c % M]) for c in codes.tolist()]
        levers = [
            PeriodLever(("channels", int(c // M), field), f"channels[{channel}].{field}[{period}]",
                        +1 if upper else -1, float(v), period=period)
            for c, (channel, period), v in zip(codes.tolist(), args, values.tolist())
        ]
        none = np.full(codes.size, INF)
        _add_indexed(rows, "capacity", form, codes, args, channel_period, ctx.cols, coef,
                     -none if upper else values, values if upper else none, size=len(dims.channels) * M, levers=levers)


def sales_capacity_rows(ctx: BuildContext, rows: RowBlocks) -> None:
    """Sales team: leads handled per period."""
    s, periods = ctx.scenario, ctx.dims.periods
    if s.sales_capacity is None:
        return
    cap = np.array([value_at(s.sales_capacity, p) for p in periods], dtype=float)
    codes = np.flatnonzero(np.isfinite(cap))
    levers = [PeriodLever(("sales_capacity",), f"sales_capacity[{periods[m]}]", +1, float(cap[m]), period=periods[m])
              for m in codes.tolist()]
    _add_indexed(rows, "capacity", "sales_capacity", codes, [(periods[m],) for m in codes.tolist()], ctx.period,
                 ctx.cols, ctx.spend.leads, np.full(codes.size, -INF), cap[codes], size=ctx.periods, levers=levers)


def response_rows(ctx: BuildContext, rows: RowBlocks) -> None:
    """Response slices: a channel's spend in a period fills its slices, each up to its width."""
    dims, M, widths = ctx.dims, ctx.periods, ctx.widths
    K = widths.shape[1]
    seg_code = (ctx.channel * M + ctx.period) * K + ctx.spend.segment
    finite = np.isfinite(widths[ctx.channel, ctx.spend.segment])
    rows.add_grouped(
        "response", "response_segment", seg_code[finite], ctx.cols[finite], 1.0,
        lambda code: (dims.channels[code // K // M], dims.periods[code // K % M], str(code % K + 1)),
        lambda codes: np.full(codes.size, -INF), lambda codes: widths[codes // K // M, codes % K],
    )


def roi_rows(ctx: BuildContext, rows: RowBlocks) -> None:
    """ROI floors: incremental revenue (or value) >= min ROI x spend, per channel and for the portfolio."""
    s, dims, ch, spend = ctx.scenario, ctx.dims, ctx.channel, ctx.spend
    min_roi = np.array([np.nan if c.min_roi is None else c.min_roi for c in s.channels])
    floored = np.isfinite(min_roi[ch])
    rows.add_grouped(
        "roi", "roi_floor", ch[floored], ctx.cols[floored], (spend.value - min_roi[ch])[floored],
        lambda c: (dims.channels[c],), lambda codes: np.zeros(codes.size), lambda codes: np.full(codes.size, INF),
        lever=lambda c: Lever(("channels", c, "min_roi"), f"channels[{dims.channels[c]}].min_roi", -1, float(min_roi[c])),
    )
    floor = s.targets.min_roi
    if floor is None:
        return
    portfolio = Lever(("targets", "min_roi"), "targets.min_roi", -1, floor)
    if s.roi_basis == "revenue":  # value is revenue: use the defined total
        cols, vals = [ctx.total_revenue_col, ctx.total_spend_col], [1.0, -floor]
    else:
        cols, vals = np.append(ctx.cols, ctx.total_spend_col), np.append(spend.value, -floor)
    rows.add_one("roi", "roi_floor_portfolio", (), cols, vals, 0.0, INF, lever=portfolio)


def target_rows(ctx: BuildContext, rows: RowBlocks) -> None:
    """Revenue (baseline included), new customers and leads, each planned with the buffer."""
    t, spend = ctx.scenario.targets, ctx.spend
    if t.revenue is not None:
        rows.add_one("target", "target_revenue", (), [ctx.total_revenue_col], [1.0],
                     t.planned(t.revenue) - ctx.baseline_total, INF,
                     lever=Lever(("targets", "revenue"), "targets.revenue", -1, t.revenue))
    for goal, per_spend in (("new_customers", spend.new_customers), ("leads", spend.leads)):
        committed = getattr(t, goal)
        if committed is not None:
            rows.add_one("target", f"target_{goal}", (), ctx.cols, per_spend, t.planned(committed), INF,
                         lever=Lever(("targets", goal), f"targets.{goal}", -1, committed))


def mix_rows(ctx: BuildContext, rows: RowBlocks) -> None:
    """Mix shares of revenue (baseline included) or spend, linearised against the defined totals."""
    t, base, B = ctx.scenario.targets, ctx.baseline, ctx.baseline_total
    for i, mix in enumerate(t.mix):
        mask = select(ctx.dims, mix.select, ctx.channel, ctx.tier, ctx.product, ctx.period)
        entries = ctx.cols[mask]
        if mix.of == "revenue":
            b_mask = select(ctx.dims, mix.select, base.channel, base.tier, base.product, base.period)
            base_picked = float(base.revenue[b_mask].sum())
            coef, total_col = ctx.spend.revenue[mask], ctx.total_revenue_col
        else:
            coef, total_col = np.ones(int(mask.sum())), ctx.total_spend_col
        for bound, share in (("min", mix.min_share), ("max", mix.max_share)):
            if share is None:
                continue
            rhs = share * B - base_picked if mix.of == "revenue" else 0.0
            lo, up = (rhs, INF) if bound == "min" else (-INF, rhs)
            lever = Lever(("targets", "mix", i, f"{bound}_share"), f"targets.mix[{i}].{bound}_share",
                          -1 if bound == "min" else +1, share)
            rows.add_one("mix", f"mix_{bound}_{mix.of}", (mix.select.label(),), np.append(entries, total_col),
                         np.append(coef, -share), lo, up, lever=lever)


def phasing_rows(ctx: BuildContext, rows: RowBlocks) -> None:
    """Seasonal phasing: each period's share of total revenue within weight x (1 +/- tolerance)."""
    season, base = ctx.scenario.seasonality, ctx.baseline
    weights = season.target_weights
    if not weights:
        return
    tol = season.tolerance
    # One row pair per phasing group: each period, or on a plan of ISO weeks phased by month, each month
    # (its weeks share its weight; see allocator.scenario.periods.phasing_groups).
    groups, group_of = phasing_groups(list(ctx.dims.periods), weights)
    group_of, G = np.asarray(group_of, dtype=np.int64), len(groups)
    base_by_group = np.bincount(group_of[base.period], weights=base.revenue, minlength=G) if len(base.period) \
        else np.zeros(G)
    tolerance = Lever(("seasonality", "tolerance"), "seasonality.tolerance", +1, tol)
    for bound, factor in (("min", 1.0 - tol), ("max", 1.0 + tol)):
        share = np.array([weights[g] for g in groups]) * factor
        local = np.concatenate((group_of[ctx.period], np.arange(G)))
        entry_cols = np.concatenate((ctx.cols, np.full(G, ctx.total_revenue_col)))
        vals = np.concatenate((ctx.spend.revenue, -share))
        rhs = share * ctx.baseline_total - base_by_group
        lo, up = (rhs, np.full(G, INF)) if bound == "min" else (np.full(G, -INF), rhs)
        rows.add("phasing", f"phasing_{bound}", [(g,) for g in groups], local, entry_cols, vals, lo, up,
                 [tolerance] * G)


def on_off_rows(ctx: BuildContext, rows: RowBlocks) -> None:
    """Either off or at least min_spend_if_used (binary used[channel]); big-M from the channel's caps."""
    s = ctx.scenario
    for c_i, channel in enumerate(s.channels):
        if channel.min_spend_if_used is None:
            continue
        mine = np.append(ctx.cols[ctx.channel == c_i], ctx.used_cols[channel.name])
        ones = np.ones(mine.size - 1)
        rows.add_one("min_spend_if_used", "if_used_min", (channel.name,), mine,
                     np.append(ones, -channel.min_spend_if_used), 0.0, INF,
                     lever=Lever(("channels", c_i, "min_spend_if_used"), f"channels[{channel.name}].min_spend_if_used",
                                 -1, channel.min_spend_if_used))
        rows.add_one("min_spend_if_used", "if_used_max", (channel.name,), mine,
                     np.append(ones, -channel_spend_bound(s, c_i)), -INF, 0.0)


ROW_FAMILIES = (definition_rows, budget_rows, line_rows, capacity_rows, sales_capacity_rows, response_rows, roi_rows,
                target_rows, by_target_rows, mix_rows, phasing_rows, on_off_rows)


def _add_indexed(rows: RowBlocks, family, form, codes, args, code_of_col, cols, vals, lower, upper, size,
                 levers=None) -> None:
    """One row per code in `codes` (even with no entries); a column joins the row of its code."""
    position = np.full(size, -1, dtype=np.int64)
    position[codes] = np.arange(codes.size)
    local = position[code_of_col]
    keep = local >= 0
    vals = np.broadcast_to(np.asarray(vals, dtype=float), cols.shape)
    rows.add(family, form, args, local[keep], cols[keep], vals[keep], lower, upper, levers)

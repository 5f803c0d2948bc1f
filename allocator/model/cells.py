"""The planning grid: every eligible channel x tier x product x period cell and its funnel numbers.

Built in bulk on a (channel, tier, product) cube, then broadcast over periods.
Units per cell: cost per lead (money/lead), conversion (customers/lead, 0-1),
order value (money/customer), demand index (dimensionless), and the derived
leads, customers and revenue per unit of spend at full efficiency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allocator.scenario.schema import NEW_CUSTOMER_KINDS, Scenario


@dataclass(frozen=True)
class Dimensions:
    """Names of each dimension and the attributes selections can use."""

    channels: list[str]
    tiers: list[str]
    products: list[str]
    periods: list[str]
    channel_group: np.ndarray  # group label per channel
    tier_kind: np.ndarray  # kind per tier
    product_stage: np.ndarray  # stage per product

    @classmethod
    def of(cls, s: Scenario) -> "Dimensions":
        return cls(
            channels=[c.name for c in s.channels],
            tiers=[t.name for t in s.tiers],
            products=[p.name for p in s.products],
            periods=list(s.periods),
            channel_group=np.array([c.group for c in s.channels], dtype=object),
            tier_kind=np.array([t.kind for t in s.tiers], dtype=object),
            product_stage=np.array([p.stage for p in s.products], dtype=object),
        )


@dataclass(frozen=True)
class Cells:
    """Eligible cells as parallel arrays (one entry per cell)."""

    dims: Dimensions
    channel: np.ndarray  # index into dims.channels
    tier: np.ndarray
    product: np.ndarray
    period: np.ndarray
    cost_per_lead: np.ndarray
    conversion: np.ndarray
    order_value: np.ndarray
    demand: np.ndarray
    value_multiplier: np.ndarray  # applied to revenue when ROI is judged on lifetime value
    margin: np.ndarray  # share of revenue; NaN where the product has none
    counts_as_new: np.ndarray  # customers here count toward the new-customer target

    @property
    def size(self) -> int:
        return int(self.channel.size)

    @property
    def leads_per_spend(self) -> np.ndarray:
        return self.demand / self.cost_per_lead

    @property
    def customers_per_spend(self) -> np.ndarray:
        return self.leads_per_spend * self.conversion

    @property
    def revenue_per_spend(self) -> np.ndarray:
        return self.customers_per_spend * self.order_value


def funnel_cube(s: Scenario):
    """(eligible, cost_per_lead, conversion, order_value) arrays of shape channels x tiers x products."""
    C, T, P = len(s.channels), len(s.tiers), len(s.products)
    channel_index = {c.name: i for i, c in enumerate(s.channels)}
    tier_index = {t.name: i for i, t in enumerate(s.tiers)}
    product_index = {p.name: i for i, p in enumerate(s.products)}

    cpl = np.broadcast_to(np.array([c.cost_per_lead for c in s.channels])[:, None, None], (C, T, P)).copy()
    conv = np.broadcast_to(np.array([t.conversion for t in s.tiers])[None, :, None], (C, T, P)).copy()
    base_value = np.broadcast_to(np.array([t.order_value for t in s.tiers])[None, :, None], (C, T, P)).copy()
    eligible = np.ones((C, T, P), dtype=bool)

    # Rows for every product first, product-specific rows after, so the most specific wins.
    for row in sorted(s.funnel, key=lambda r: r.product is not None):
        c_i, t_i = channel_index[row.channel], tier_index[row.tier]
        p_sel = slice(None) if row.product is None else product_index[row.product]
        if row.cost_per_lead is not None:
            cpl[c_i, t_i, p_sel] = row.cost_per_lead
        if row.conversion is not None:
            conv[c_i, t_i, p_sel] = row.conversion
        if row.order_value is not None:
            base_value[c_i, t_i, p_sel] = row.order_value
        eligible[c_i, t_i, p_sel] = row.eligible
    # A tier's channel list wins over any funnel row: a row may not re-admit an excluded channel.
    for t_i, tier in enumerate(s.tiers):
        if tier.channels is not None:
            allowed = np.zeros(C, dtype=bool)
            allowed[[channel_index[name] for name in tier.channels]] = True
            eligible[~allowed, t_i, :] = False
    multiplier = np.array([p.order_value_multiplier for p in s.products])[None, None, :]
    return eligible, cpl, conv, base_value * multiplier


def build_cells(s: Scenario) -> Cells:
    dims = Dimensions.of(s)
    eligible, cpl, conv, order_value = funnel_cube(s)
    M = len(s.periods)
    c_idx, t_idx, p_idx = np.nonzero(eligible)  # C-order: channel, then tier, then product
    k = c_idx.size
    # Cells ordered channel, tier, product, period (the order of allocation.csv).
    channel = np.repeat(c_idx, M)
    tier = np.repeat(t_idx, M)
    product = np.repeat(p_idx, M)
    period = np.tile(np.arange(M), k)

    demand_by_period = np.array([(s.seasonality.demand_index or {}).get(p, 1.0) for p in s.periods])
    ltv = s.roi_basis == "lifetime_value"
    value_multiplier = np.array([t.value_multiplier if ltv else 1.0 for t in s.tiers])
    margin = np.array([np.nan if p.margin is None else p.margin for p in s.products])
    is_new = np.array([t.kind in NEW_CUSTOMER_KINDS for t in s.tiers])
    return Cells(
        dims=dims, channel=channel, tier=tier, product=product, period=period,
        cost_per_lead=cpl[channel, tier, product], conversion=conv[channel, tier, product],
        order_value=order_value[channel, tier, product], demand=demand_by_period[period],
        value_multiplier=value_multiplier[tier], margin=margin[product], counts_as_new=is_new[tier],
    )


def select(dims: Dimensions, selection, channel, tier, product, period) -> np.ndarray:
    """Boolean mask of the entries (given by index arrays) that a `Selection` picks."""
    # Selection key -> (label of each index value, the index array it applies to).
    labels = {
        "channel": (dims.channels, channel), "group": (dims.channel_group, channel),
        "tier": (dims.tiers, tier), "kind": (dims.tier_kind, tier),
        "product": (dims.products, product), "stage": (dims.product_stage, product),
        "period": (dims.periods, period),
    }
    mask = np.ones(np.shape(channel), dtype=bool)
    for key, values in selection.items():
        names, index = labels[key]
        wanted = set(values)
        mask &= np.array([name in wanted for name in names], dtype=bool)[index]
    return mask


@dataclass(frozen=True)
class Baseline:
    """Baseline revenue rows as index arrays (any cell, eligible for spend or not)."""

    channel: np.ndarray
    tier: np.ndarray
    product: np.ndarray
    period: np.ndarray
    revenue: np.ndarray

    @property
    def total(self) -> float:
        return float(self.revenue.sum())


def build_baseline(s: Scenario, dims: Dimensions) -> Baseline:
    ci = {n: i for i, n in enumerate(dims.channels)}
    ti = {n: i for i, n in enumerate(dims.tiers)}
    pi = {n: i for i, n in enumerate(dims.products)}
    mi = {n: i for i, n in enumerate(dims.periods)}
    rows = s.baseline
    return Baseline(
        channel=np.array([ci[r.channel] for r in rows], dtype=np.int64),
        tier=np.array([ti[r.tier] for r in rows], dtype=np.int64),
        product=np.array([pi[r.product] for r in rows], dtype=np.int64),
        period=np.array([mi[r.period] for r in rows], dtype=np.int64),
        revenue=np.array([r.revenue for r in rows], dtype=np.float64),
    )

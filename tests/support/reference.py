"""The reference plan a drawn scenario is built around, and the funnel arithmetic behind it.

Written from docs/model.md and scenarios/README.md, without the library: tests/strategies.py sets every
limit with slack around this plan, and tests/checks.py compares the solvers' optimum with its objective.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# --------------------------------------------------------------------------
# The reference plan
# --------------------------------------------------------------------------


@dataclass
class Cell:
    channel: str
    group: str
    tier: str
    kind: str
    product: str
    stage: str
    period: str
    spend: float = 0.0
    leads: float = 0.0
    customers: float = 0.0
    new_customers: float = 0.0
    revenue: float = 0.0
    value: float = 0.0
    baseline: float = 0.0  # only on baseline records

    def get(self, key: str) -> str:
        return getattr(self, key)


@dataclass
class Reference:
    cells: list[Cell] = field(default_factory=list)  # eligible cells with the reference plan's amounts
    baseline: list[Cell] = field(default_factory=list)  # baseline rows (revenue in .baseline)
    best_rate: dict = field(default_factory=dict)  # revenue / new_customers / leads per unit of spend, best cell

    def total(self, attr: str, selection: dict | None = None) -> float:
        rows = self.cells if attr != "baseline" else self.baseline
        return sum(getattr(c, attr) for c in rows if selection is None or _picks(selection, c))

    def revenue_total(self, selection: dict | None = None) -> float:
        return self.total("revenue", selection) + self.total("baseline", selection)


def _picks(selection: dict, cell: Cell) -> bool:
    for key, values in selection.items():
        values = [values] if isinstance(values, str) else values
        if cell.get(key) not in values:
            return False
    return True


def curve(segments: list[dict] | None, spend: float) -> float:
    """Effective spend (spend x efficiency, slice by slice) of `spend` on a response curve."""
    if not segments:
        return spend
    out, start = 0.0, 0.0
    for seg in segments:
        end = seg.get("up_to", math.inf)
        out += max(0.0, min(spend, end) - start) * seg["efficiency"]
        start = end
    return out


def funnel_numbers(data: dict) -> dict:
    """(channel, tier, product) -> (eligible, cost_per_lead, conversion, order value incl. multiplier).

    Written from scenarios/README.md: funnel rows for all products first, product-specific ones after;
    a tier's channel list wins over any funnel row.
    """
    out = {}
    for c in data["channels"]:
        for t in data["tiers"]:
            for p in data["products"]:
                out[(c["name"], t["name"], p["name"])] = [True, c["cost_per_lead"], t["conversion"], t["order_value"]]
    rows = sorted(data.get("funnel", []), key=lambda r: "product" in r)
    for r in rows:
        for p in data["products"]:
            if "product" in r and r["product"] != p["name"]:
                continue
            entry = out[(r["channel"], r["tier"], p["name"])]
            entry[0] = r.get("eligible", True)
            for i, key in ((1, "cost_per_lead"), (2, "conversion"), (3, "order_value")):
                if key in r:
                    entry[i] = r[key]
    for t in data["tiers"]:
        if "channels" in t:
            for c in data["channels"]:
                if c["name"] not in t["channels"]:
                    for p in data["products"]:
                        out[(c["name"], t["name"], p["name"])][0] = False
    multiplier = {p["name"]: p.get("order_value_multiplier", 1.0) for p in data["products"]}
    return {k: (v[0], v[1], v[2], v[3] * multiplier[k[2]]) for k, v in out.items()}


@dataclass
class Drawn:
    """A drawn scenario with the reference plan it was built around."""

    data: dict  # the scenario (YAML structure)
    reference: list[dict] = field(repr=False)  # the reference plan as allocation.csv rows (cells and baseline)
    wild: bool = False  # whether numbers were pushed past the reference (it may then break a limit)


# The columns of reference_rows (allocation.csv's amounts), also for a plan without a single cell.
REFERENCE_COLUMNS = ["channel", "tier", "product", "period", "spend", "leads", "customers", "new_customers", "revenue",
                     "baseline_revenue", "revenue_total"]


def reference_rows(ref: Reference) -> list[dict]:
    """The reference plan in allocation.csv's columns, baseline merged into its cells."""
    rows: dict[tuple, dict] = {}
    for c in ref.cells:
        rows[(c.channel, c.tier, c.product, c.period)] = {
            "channel": c.channel, "tier": c.tier, "product": c.product, "period": c.period, "spend": c.spend,
            "leads": c.leads, "customers": c.customers, "new_customers": c.new_customers, "revenue": c.revenue,
            "baseline_revenue": 0.0}
    for b in ref.baseline:
        row = rows.setdefault((b.channel, b.tier, b.product, b.period), {
            "channel": b.channel, "tier": b.tier, "product": b.product, "period": b.period, "spend": 0.0,
            "leads": 0.0, "customers": 0.0, "new_customers": 0.0, "revenue": 0.0, "baseline_revenue": 0.0})
        row["baseline_revenue"] += b.baseline
    out = list(rows.values())
    for row in out:
        row["revenue_total"] = row["revenue"] + row["baseline_revenue"]
    return out


def reference_objective(data: dict, rows: list[dict], objective: str | None = None) -> float:
    """The scenario's objective (docs/model.md, Objectives) at the reference plan."""
    objective = objective or data.get("objective", "max_revenue")
    if objective == "max_revenue":
        return sum(r["revenue_total"] for r in rows)
    if objective == "min_spend":
        return sum(r["spend"] for r in rows)
    if objective == "max_new_customers":
        return sum(r["new_customers"] for r in rows)
    margin = {p["name"]: p["margin"] for p in data["products"]}
    return sum(margin[r["product"]] * r["revenue_total"] - r["spend"] for r in rows)

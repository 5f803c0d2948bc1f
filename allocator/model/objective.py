"""The objective row: what each column is worth under each registered objective, in the user's own units.

No scaling here: solvers.solve scales the program (objective included) for the solvers.
"""

from __future__ import annotations

import numpy as np

from solvers import Sense

from allocator.model.context import BuildContext
from allocator.scenario.objectives import objective as registered


def sense(name: str) -> Sense:
    return Sense.MAXIMIZE if registered(name).maximise else Sense.MINIMIZE


def _revenue(ctx: BuildContext, c: np.ndarray) -> float:
    c[ctx.total_revenue_col] = 1.0
    return ctx.baseline_total


def _spend(ctx: BuildContext, c: np.ndarray) -> float:
    c[ctx.total_spend_col] = 1.0
    return 0.0


def _profit(ctx: BuildContext, c: np.ndarray) -> float:
    """Margin x revenue - spend; the baseline's margin is the constant part."""
    spend, base = ctx.spend, ctx.baseline
    c[: spend.size] = spend.revenue * ctx.cells.margin[spend.cell] - 1.0
    product_margin = np.array([p.margin for p in ctx.scenario.products], dtype=float)
    return float((base.revenue * product_margin[base.product]).sum())


def _new_customers(ctx: BuildContext, c: np.ndarray) -> float:
    c[: ctx.spend.size] = ctx.spend.new_customers
    return 0.0


# One per objective of allocator.scenario.objectives.REGISTRY (a test holds them equal).
COEFFICIENTS = {"max_revenue": _revenue, "min_spend": _spend, "max_profit": _profit,
                "max_new_customers": _new_customers}


def objective_vector(name: str, ctx: BuildContext, n_cols: int) -> tuple[np.ndarray, float]:
    """(coefficient per column, constant offset) of objective `name`."""
    c = np.zeros(n_cols)
    offset = COEFFICIENTS[name](ctx, c)
    return c, offset

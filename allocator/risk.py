"""`allocator risk`: how sure is the plan to meet its committed targets when funnel numbers vary?

The plan (spend per cell and response slice) is fixed; each uncertainty entry
draws one multiplier per sample for the cells it selects (cost per lead,
conversion, order value or demand index). Leads, customers and revenue are
recomputed for every sample with the model's own arithmetic, vectorised over
samples. The same seed gives the same numbers. ``confidence`` searches the
smallest planning buffer whose plan meets the committed revenue target with
at least that probability (common random numbers across the search).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from solvers import SolveOptions, Status

from .cells import select
from .model import PlanModel, build_model
from .schema import Scenario

CHUNK = 256  # samples computed together (memory: CHUNK x spend columns floats)
QUANTILES = (0.10, 0.50, 0.90)


@dataclass(frozen=True)
class RiskResult:
    table: pd.DataFrame
    samples: int
    seed: int


def draw_multipliers(s: Scenario, model: PlanModel, samples: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per funnel number: a (samples x cells) matrix of multipliers (1 where nothing is uncertain)."""
    cells = model.cells
    out = {what: np.ones((samples, cells.size)) for what in ("cost_per_lead", "conversion", "order_value", "demand_index")}
    for item in s.uncertainty:
        if item.dist == "uniform":
            draw = rng.uniform(item.low, item.high, samples)
        elif item.dist == "triangular":
            draw = rng.triangular(item.low, item.mode, item.high, samples) if item.low < item.high else np.full(samples, item.low)
        elif item.dist == "normal":
            draw = np.clip(rng.normal(item.mean, item.sd, samples), 1e-6, None)  # a multiplier cannot go below zero
        else:  # lognormal with the given mean and standard deviation of the multiplier itself
            sigma2 = np.log(1.0 + (item.sd / item.mean) ** 2)
            draw = rng.lognormal(np.log(item.mean) - sigma2 / 2.0, np.sqrt(sigma2), samples)
        mask = (select(cells.dims, item.select, cells.channel, cells.tier, cells.product, cells.period)
                if item.select is not None else np.ones(cells.size, dtype=bool))
        out[item.what][:, mask] *= draw[:, None]
    return out


def simulate(model: PlanModel, x: np.ndarray, samples: int, seed: int) -> dict[str, np.ndarray]:
    """Achieved revenue (baseline included), new customers and leads of plan x, one value per sample."""
    s = model.scenario
    rng = np.random.default_rng(seed)
    multipliers = draw_multipliers(s, model, samples, rng)
    spend = model.spend
    cells = model.cells
    effective = np.bincount(spend.cell, weights=x[: spend.size] * spend.efficiency, minlength=cells.size)
    base_leads = effective * cells.leads_per_spend  # leads per cell as planned
    results = {"revenue_total": np.empty(samples), "new_customers": np.empty(samples), "leads": np.empty(samples)}
    for start in range(0, samples, CHUNK):
        part = slice(start, min(samples, start + CHUNK))
        leads = base_leads * multipliers["demand_index"][part] / multipliers["cost_per_lead"][part]
        conversion = np.minimum(cells.conversion * multipliers["conversion"][part], 1.0)
        customers = leads * conversion
        revenue = customers * cells.order_value * multipliers["order_value"][part]
        results["revenue_total"][part] = revenue.sum(axis=1) + model.baseline.total
        results["new_customers"][part] = (customers * cells.counts_as_new).sum(axis=1)
        results["leads"][part] = leads.sum(axis=1)
    return results


def risk_table(model: PlanModel, x: np.ndarray, samples: int, seed: int) -> pd.DataFrame:
    t = model.scenario.targets
    outcome = simulate(model, x, samples, seed)
    planned_plan = simulate_planned(model, x)
    rows = []
    for metric, committed in (("revenue_total", t.revenue), ("new_customers", t.new_customers), ("leads", t.leads)):
        values = outcome[metric]
        p10, p50, p90 = np.quantile(values, QUANTILES)
        rows.append({
            "metric": metric, "as_planned": planned_plan[metric], "mean": float(values.mean()), "p10": float(p10),
            "p50": float(p50), "p90": float(p90), "committed": np.nan if committed is None else committed,
            "probability_meets_committed": np.nan if committed is None else float((values >= committed).mean()),
        })
    return pd.DataFrame(rows)


def simulate_planned(model: PlanModel, x: np.ndarray) -> dict[str, float]:
    spend = model.spend
    n = spend.size
    return {"revenue_total": float(spend.revenue @ x[:n]) + model.baseline.total,
            "new_customers": float(spend.new_customers @ x[:n]), "leads": float(spend.leads @ x[:n])}


def smallest_buffer(s: Scenario, objective: str | None, confidence: float, samples: int, seed: int, solver: str,
                    options: SolveOptions, precision: float = 0.0025) -> tuple[float | None, list[dict]]:
    """The least targets.buffer (0-1) whose plan meets committed revenue with probability >= confidence."""
    from .pipeline import solve_model

    if s.targets.revenue is None:
        raise ValueError("--confidence needs a committed revenue target (targets.revenue)")
    trail = []

    def probability(buffer: float) -> float | None:
        changed = Scenario.model_validate({**s.model_dump(), "targets": {**s.targets.model_dump(), "buffer": buffer}})
        model = build_model(changed, objective)
        result = solve_model(model, solver, options)
        if result.status is not Status.OPTIMAL and not result.status.has_solution:
            trail.append({"buffer": buffer, "status": result.status.value, "probability": np.nan})
            return None
        p = float((simulate(model, result.x, samples, seed)["revenue_total"] >= s.targets.revenue).mean())
        trail.append({"buffer": buffer, "status": result.status.value, "probability": p,
                      "spend": float(result.x[model.total_spend_col])})
        return p

    p_low = probability(0.0)
    if p_low is None:
        return None, trail  # no plan even without a buffer
    if p_low >= confidence:
        return 0.0, trail
    # The largest buffer that still has a plan (a bigger buffer only adds demands).
    feasible, infeasible = 0.0, 1.0
    p_high = probability(1.0)
    if p_high is None:
        while infeasible - feasible > precision:
            middle = (feasible + infeasible) / 2.0
            if probability(middle) is None:
                infeasible = middle
            else:
                feasible = middle
        p_high = probability(feasible)
        high = feasible
    else:
        high = 1.0
    if p_high is None or p_high < confidence:
        return None, trail
    low = 0.0
    while high - low > precision:
        middle = (low + high) / 2.0
        p = probability(middle)
        if p is not None and p >= confidence:
            high = middle
        else:
            low = middle
    return high, trail

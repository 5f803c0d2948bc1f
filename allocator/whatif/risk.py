"""`allocator risk`: how sure is the plan to meet its committed targets when funnel numbers vary?

The plan (spend per cell and response slice) is fixed; each uncertainty entry
draws one multiplier per sample for the cells it selects (cost per lead,
conversion, order value or demand index). Leads, customers and revenue are
recomputed for every sample with the model's own arithmetic, vectorised over
samples.

Samples come in blocks of ``BLOCK``; block ``i`` draws from its own stream,
``SeedSequence(seed, spawn_key=(i,))``, so sample ``k`` is the same in every
run with that seed, however many samples it has. Blocks are grouped into tasks that
run here, on local processes or on a Dask cluster (``allocator.whatif.execute``),
and the numbers are the same whichever way they ran, and for any number of
workers. ``smallest_buffer`` searches the least planning buffer whose plan
meets committed revenue with a given probability: each round solves
``SEARCH_POINTS`` buffers at once (common random numbers across the search).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from solvers import SolveOptions
from solvers.warm import warmed

from allocator.model.cells import select
from allocator.errors import UsageError
from allocator.whatif.execute import Executor, run_tasks
from allocator.model.build import PlanModel, build_model
from allocator.plan.totals import plan_totals
from allocator.scenario.schema import Scenario, Uncertainty

BLOCK = 250  # samples per random stream
TASK_BLOCKS = 8  # blocks per task handed to a worker
CHUNK_VALUES = 2_000_000  # multipliers per (samples x cells) matrix computed at once: 16 MB
SEARCH_POINTS = 2  # buffers solved together in each round of the buffer search (the interval shrinks 3x)
QUANTILES = (0.10, 0.50, 0.90)
METRICS = ("revenue_total", "new_customers", "leads")


@dataclass(frozen=True)
class Exposure:
    """What a sample needs of a plan: the cells it spends on, as planned, and the uncertainty over them.

    Plain arrays and the scenario's uncertainty entries, so it crosses process and network boundaries.
    """

    base_leads: np.ndarray  # leads per used cell as planned
    conversion: np.ndarray
    order_value: np.ndarray
    counts_as_new: np.ndarray
    baseline_total: float
    entries: tuple[tuple[Uncertainty, np.ndarray], ...]  # each entry with the used cells it selects


def exposure(model: PlanModel, x: np.ndarray) -> Exposure:
    spend, cells = model.spend, model.cells
    effective = np.bincount(spend.cell, weights=x[: spend.size] * spend.efficiency, minlength=cells.size)
    used = np.flatnonzero(effective > 0)  # cells without spend have no leads in any sample
    entries = []
    for item in model.scenario.uncertainty:
        mask = (select(cells.dims, item.select, cells.channel, cells.tier, cells.product, cells.period)
                if item.select is not None else np.ones(cells.size, dtype=bool))
        entries.append((item, mask[used]))
    return Exposure(base_leads=(effective * cells.leads_per_spend)[used], conversion=cells.conversion[used],
                    order_value=cells.order_value[used], counts_as_new=cells.counts_as_new[used].astype(float),
                    baseline_total=float(model.baseline.total), entries=tuple(entries))


def _draw(item: Uncertainty, rng: np.random.Generator, n: int) -> np.ndarray:
    if item.dist == "uniform":
        return rng.uniform(item.low, item.high, n)
    if item.dist == "triangular":
        return rng.triangular(item.low, item.mode, item.high, n) if item.low < item.high else np.full(n, item.low)
    if item.dist == "normal":
        return np.clip(rng.normal(item.mean, item.sd, n), 1e-6, None)  # a multiplier cannot go below zero
    # lognormal with the given mean and standard deviation of the multiplier itself
    sigma2 = np.log(1.0 + (item.sd / item.mean) ** 2)
    return rng.lognormal(np.log(item.mean) - sigma2 / 2.0, np.sqrt(sigma2), n)


def simulate_block(e: Exposure, seed: int, block: int, n: int) -> np.ndarray:
    """Samples of block ``block``: a (3 x n) array of revenue_total, new_customers, leads.

    Worked out a few rows at a time (at most CHUNK_VALUES multipliers per matrix), so memory stays
    bounded for plans that spend on many cells; every row is computed on its own, so the numbers do
    not depend on how the rows are grouped.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
    # Drawn in the scenario's order, whether or not an entry selects used cells; a full block's draws
    # each time, so that sample i is the same in runs of any length.
    draws = [(item.what, mask, _draw(item, rng, BLOCK)[:n]) for item, mask in e.entries]
    out = np.empty((3, n))
    step = max(1, CHUNK_VALUES // max(1, e.base_leads.size))
    for start in range(0, n, step):
        stop = min(n, start + step)
        out[:, start:stop] = _outcomes(e, draws, start, stop)
    return out


def _outcomes(e: Exposure, draws: list, start: int, stop: int) -> np.ndarray:
    rows, cells = stop - start, e.base_leads.size
    multipliers: dict[str, np.ndarray] = {}
    for what, mask, draw in draws:
        factor = multipliers.setdefault(what, np.ones((rows, cells)))
        factor[:, mask] *= draw[start:stop, None]
    ones = np.ones((1, cells))
    leads = e.base_leads * multipliers.get("demand_index", ones) / multipliers.get("cost_per_lead", ones)
    customers = leads * np.minimum(e.conversion * multipliers.get("conversion", ones), 1.0)
    revenue = customers * (e.order_value * multipliers.get("order_value", ones))
    out = np.empty((3, rows))
    out[0] = np.broadcast_to(revenue.sum(axis=1), rows) + e.baseline_total
    out[1] = np.broadcast_to((customers * e.counts_as_new).sum(axis=1), rows)
    out[2] = np.broadcast_to(leads.sum(axis=1), rows)
    return out


def simulate_range(e: Exposure, seed: int, start_block: int, stop_block: int, samples: int) -> np.ndarray:
    """Blocks [start_block, stop_block) of a run of ``samples`` samples, as one (3 x k) array."""
    parts = [simulate_block(e, seed, b, min(BLOCK, samples - b * BLOCK)) for b in range(start_block, stop_block)]
    return np.concatenate(parts, axis=1) if parts else np.empty((3, 0))


def simulate_exposure(e: Exposure, samples: int, seed: int, workers: int | None = 1, scheduler: str | None = None,
                      progress=None) -> dict[str, np.ndarray]:
    blocks = -(-samples // BLOCK)
    tasks = [(e, seed, start, min(blocks, start + TASK_BLOCKS), samples) for start in range(0, blocks, TASK_BLOCKS)]
    parts = run_tasks(simulate_range, tasks, workers, scheduler, progress)
    values = np.concatenate(parts, axis=1)
    return dict(zip(METRICS, values))


def simulate(model: PlanModel, x: np.ndarray, samples: int, seed: int, workers: int | None = 1,
             scheduler: str | None = None, progress=None) -> dict[str, np.ndarray]:
    """Achieved revenue (baseline included), new customers and leads of plan x, one value per sample."""
    return simulate_exposure(exposure(model, x), samples, seed, workers, scheduler, progress)


def risk_table(model: PlanModel, x: np.ndarray, samples: int, seed: int, workers: int | None = 1,
               scheduler: str | None = None, progress=None) -> pd.DataFrame:
    t = model.scenario.targets
    outcome = simulate(model, x, samples, seed, workers, scheduler, progress)
    planned_plan = simulate_planned(model, x)
    rows = []
    for metric, committed in zip(METRICS, (t.revenue, t.new_customers, t.leads)):
        values = outcome[metric]
        p10, p50, p90 = np.quantile(values, QUANTILES)
        rows.append({
            "metric": metric, "as_planned": planned_plan[metric], "mean": float(values.mean()), "p10": float(p10),
            "p50": float(p50), "p90": float(p90), "committed": np.nan if committed is None else committed,
            "probability_meets_committed": np.nan if committed is None else float((values >= committed).mean()),
        })
    return pd.DataFrame(rows)


def simulate_planned(model: PlanModel, x: np.ndarray) -> dict[str, float]:
    totals = plan_totals(model, x)  # the plan's own totals, as its run.json states them
    return {metric: totals[metric] for metric in METRICS}


def probability_at(s: Scenario, objective: str | None, buffer: float, samples: int, seed: int, solver: str,
                   options: SolveOptions) -> dict:
    """Solve the scenario with targets.buffer = buffer and Monte Carlo its plan: one row of the search trail."""
    from allocator.solving.pipeline import solve_model

    changed = Scenario.model_validate({**s.model_dump(), "targets": {**s.targets.model_dump(), "buffer": buffer}})
    model = build_model(changed, objective)
    result = solve_model(model, solver, options)
    if not result.status.has_solution:
        return {"buffer": buffer, "status": result.status.value, "probability": np.nan, "spend": np.nan}
    revenue = simulate(model, result.x, samples, seed)["revenue_total"]
    return {"buffer": buffer, "status": result.status.value, "probability": float((revenue >= s.targets.revenue).mean()),
            "spend": float(result.x[model.total_spend_col])}


def smallest_buffer(s: Scenario, objective: str | None, confidence: float, samples: int, seed: int, solver: str,
                    options: SolveOptions, precision: float = 0.0025, workers: int | None = 1,
                    scheduler: str | None = None) -> tuple[float | None, list[dict]]:
    """The least targets.buffer (0-1) whose plan meets committed revenue with probability >= confidence.

    Each evaluated buffer is "low" (a plan, below the confidence), "met" or "no plan" (a bigger buffer
    only adds demands, so every larger buffer has no plan either). The search keeps a low point below
    and a met or no-plan point above, and solves ``SEARCH_POINTS`` evenly spaced buffers between them per
    round until they are ``precision`` apart. The points evaluated do not depend on the executor.
    Returns None when even buffer 0 has no plan, or when the largest buffer with a plan misses.
    """
    if s.targets.revenue is None:
        raise UsageError("--confidence", "targets.revenue", None,
                         "a committed revenue target in the scenario to measure the confidence against")
    options = warmed(options)  # with HiGHS each buffer re-solves from the last basis (per worker, when parallel)
    with Executor(workers, scheduler) as executor:
        if executor.parallel(SEARCH_POINTS):  # buffers solved side by side already share the cores
            options = replace(options, concurrent=False)
        return _search(executor, s, objective, confidence, samples, seed, solver, options, precision)


def _search(executor: Executor, s: Scenario, objective, confidence, samples, seed, solver, options, precision):
    trail: list[dict] = []

    def evaluate(buffers: list[float]) -> list[str]:
        rows = executor.map(probability_at, [(s, objective, b, samples, seed, solver, options) for b in buffers])
        trail.extend(rows)
        return ["none" if r["probability"] != r["probability"] else "met" if r["probability"] >= confidence else "low"
                for r in rows]

    first, last = evaluate([0.0, 1.0])
    if first == "none":
        return None, trail  # no plan even without a buffer
    if first == "met":
        return 0.0, trail
    if last == "low":
        return None, trail  # even a 100% buffer has a plan that misses
    low, high, high_kind = 0.0, 1.0, last
    while high - low > precision:
        points = [low + (high - low) * (i + 1) / (SEARCH_POINTS + 1) for i in range(SEARCH_POINTS)]
        for point, kind in zip(points, evaluate(points)):
            if kind == "low":
                low = point
            else:
                high, high_kind = point, kind
                break
    return (high if high_kind == "met" else None), trail

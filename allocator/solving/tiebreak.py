"""Pick one plan among equally good ones: no wasted efficiency, no money that buys nothing.

An LP optimum is often not unique: once a share row caps revenue, extra spend
buys nothing, and the slices of a response curve become interchangeable. A
solver then returns any optimal vertex, which may spend money for nothing or
use a less efficient slice while a better one has room (a plan the concave
curve does not allow). When the first solution shows either symptom, a second
LP keeps the objective at its optimum and minimises spend plus wasted
efficiency (lexicographic optimisation). Shadow prices stay those of the
first solve: any optimal dual pairs with any optimal plan.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from solvers import LinearProgram, Sense, SolveOptions, SolveResult, Status, solve

from allocator.model.build import PlanModel, slice_fill

# The objective may move by this much (relative) in the second solve.
OBJECTIVE_SLACK = 1e-9
# Spend below this (money) counts as empty when judging slice order.
SPEND_TOLERANCE = 1e-6
# A shadow price of the budget at most this small means extra money buys nothing.
DUAL_TOLERANCE = 1e-9


def needs_second_pass(model: PlanModel, first: SolveResult) -> list[str]:
    """The reasons the first plan may not be the one to keep (empty: keep it)."""
    reasons = []
    x = first.x
    if slices_out_of_order(model, x):
        reasons.append("response slices filled out of order")
    if model.lp.sense is Sense.MAXIMIZE and float(x[model.total_spend_col]) > SPEND_TOLERANCE:
        # If one more unit of budget is worth nothing, some of the money spent may buy nothing either.
        price = model.budget_price(first.row_duals)
        if price is None or abs(price) <= DUAL_TOLERANCE:
            reasons.append("the last unit of budget buys nothing: some spend may be useless")
    return reasons


def slices_out_of_order(model: PlanModel, x: np.ndarray) -> bool:
    if not (model.spend.segment > 0).any():
        return False
    group, filled, K = slice_fill(model, x)
    filled = filled.reshape(-1, K)
    width = np.full(filled.shape, np.inf)
    width.reshape(-1)[group] = model.segment_width
    room_before = (filled[:, :-1] < width[:, :-1] - SPEND_TOLERANCE)
    used_after = filled[:, 1:] > SPEND_TOLERANCE
    return bool((room_before & used_after).any())


def second_pass_lp(model: PlanModel, first: SolveResult, lp: LinearProgram | None = None) -> LinearProgram:
    """Minimise spend + wasted efficiency subject to the objective staying at its optimum."""
    lp = lp if lp is not None else model.lp
    if lp.is_mip:
        lp = lp.with_fixed_integers(first.x)
    best = lp.objective @ first.x
    margin = OBJECTIVE_SLACK * max(1.0, abs(best))
    columns = np.flatnonzero(lp.objective)
    lower, upper = (best - margin, np.inf) if lp.sense is Sense.MAXIMIZE else (-np.inf, best + margin)
    secondary = model.waste.copy()
    secondary[model.total_spend_col] += 1.0
    second = replace(lp, sense=Sense.MINIMIZE, objective=secondary, objective_offset=0.0)
    return second.with_rows(["objective_at_optimum"], [(columns, lp.objective[columns])], [lower], [upper])


def refine(model: PlanModel, first: SolveResult, solver: str, options: SolveOptions,
           lp: LinearProgram | None = None) -> SolveResult:
    """The first result, or the same optimum with the tie broken (duals kept from the first).

    `lp` is the program `first` solved, when it is not `model.lp` (soft targets add rows).
    """
    if not first.status.has_solution:
        return first
    reasons = needs_second_pass(model, first)
    if not reasons:
        return replace(first, extra={**first.extra, "tie_break": "not needed"})
    # The second program's feasible set is the first one's optimal face: the simplex finds its way there in a
    # fraction of the barrier's time (1 s against 4 s at 1x200x5x52), whatever method solved the first.
    method = "simplex" if options.lp_method == "auto" else options.lp_method
    second = solve(second_pass_lp(model, first, lp), solver, replace(options, log=False, lp_method=method))
    if second.status is not Status.OPTIMAL:
        return replace(first, extra={**first.extra, "tie_break": f"second pass {second.status.value}; first plan kept"})
    n = model.lp.n_cols
    x = second.x[:n]
    return replace(
        first, x=x, objective=model.objective_value(x), solve_seconds=first.solve_seconds + second.solve_seconds,
        extra={**first.extra, "tie_break": "second pass: " + "; ".join(reasons)},
    )

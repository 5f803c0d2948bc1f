"""Soft targets solved lexicographically: the first priority's shortfalls as small as possible, then the next...

Each priority level is one solve that minimises the sum of the level's
shortfalls (in the rows' own units: money, customers or leads) with every
earlier level held at its best. A
final solve then optimises the scenario's objective with all levels held. The
returned LP is that final one (the model's rows plus one row per level), so
tie-breaking and shadow prices work on the plan that was actually chosen.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from solvers import LinearProgram, Sense, SolveOptions, SolveResult, solve

from allocator.model.build import PlanModel

# A level may end this much above its best: relative to the best, plus a far smaller share of its targets'
# size for a best of 0 (not an absolute amount, which would be a different share of the targets at each money
# scale). Both stay below the shared feasibility tolerance (allocator.plan.tolerance): a goal met stays met.
LEVEL_SLACK = 1e-7
LEVEL_SLACK_OF_SIZE = 1e-9


def solve_with_goals(model: PlanModel, solver: str, options: SolveOptions) -> tuple[LinearProgram, SolveResult]:
    lp = model.lp
    if not model.goals:
        return lp, solve(lp, solver, options)
    staged = lp
    for level in sorted({g.level for g in model.goals}):
        members = [g for g in model.goals if g.level == level]
        cols = np.array([g.col for g in members], dtype=np.int64)
        # One goal kind per level by default, so the shortfalls of a level share a unit (money, or a count).
        weights = np.ones(len(members))
        objective = np.zeros(lp.n_cols)
        objective[cols] = weights
        stage = replace(staged, sense=Sense.MINIMIZE, objective=objective, objective_offset=0.0)
        result = solve(stage, solver, options)
        if not result.status.has_solution:
            return staged, result
        best = float(weights @ result.x[cols])
        size = max(g.scale for g in members)
        staged = staged.with_rows([f"goal_level[{level + 1}]"], [(cols, weights)], [-np.inf],
                                  [best + LEVEL_SLACK * abs(best) + LEVEL_SLACK_OF_SIZE * size])
    return staged, solve(staged, solver, options)


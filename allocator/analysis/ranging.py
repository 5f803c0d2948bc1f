"""Where a shadow price stops holding: re-solve with the scenario number moved, up and down.

The solver's duals are exact only at the current value of each limit. To say
over which range a price holds, the lever is moved in growing steps (1%, 2%,
4% ... of its value) until the objective no longer changes by price x step,
then the edge is bisected (`allocator.analysis.edge`). Each probe rebuilds the model
from the changed scenario and solves it, so the range is in the scenario's
own units. The probes differ from each other by one number: with HiGHS each is
re-solved from the last one's basis (solvers.warm), unless the options say cold.
"""

from __future__ import annotations

from dataclasses import dataclass

from solvers import SolveOptions
from solvers.warm import warmed

from allocator.analysis.edge import doubling_trials, find_edge
from allocator.model.build import build_model
from allocator.solving.pipeline import solve_model
from allocator.scenario.levers import Lever
from allocator.scenario.schema import Scenario

MAX_DOUBLINGS = 12  # the widest probe is 1% x 2^12 = 41 times the lever's value
EDGE_PRECISION = 1e-4  # an edge is bisected until known to this, relative to the lever's value
RELATIVE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class PriceRange:
    low: float  # the price holds from here ...
    high: float  # ... to here (both verified by a solve)
    low_open: bool  # True: still held at the widest probe, the range may extend further
    high_open: bool
    solves: int


def price_range(scenario: Scenario, objective: str, lever: Lever, price: float, base_objective: float,
                solver: str, options: SolveOptions) -> PriceRange:
    options = warmed(options)  # the caller's warm start when it brought one (explain: one for every lever)
    solves = 0

    def holds(value: float) -> bool:
        nonlocal solves
        changed = lever.apply(scenario, value)
        if changed is None:
            return False
        model = build_model(changed, objective)
        solves += 1
        result = solve_model(model, solver, options)
        if not result.status.has_solution:
            return False
        moved = model.objective_value(result.x)
        expected = base_objective + price * (value - lever.current)
        return abs(moved - expected) <= RELATIVE_TOLERANCE * max(1.0, abs(base_objective), abs(moved))

    step = abs(lever.current) * 0.01 if lever.current else 0.01
    ceiling = 1.0 if lever.is_share else float("inf")

    def close_enough(near: float, far: float) -> bool:
        return abs(near - far) <= EDGE_PRECISION * max(abs(lever.current), abs(near), 1e-9)

    ends = []
    for direction in (-1, +1):
        trials = doubling_trials(lever.current, step, direction, MAX_DOUBLINGS + 1, low=0.0, high=ceiling)
        edge = find_edge(lambda value: not holds(value), lever.current, trials, close_enough)
        ends.append((edge.near, edge.far is None))
    (low, low_open), (high, high_open) = ends
    return PriceRange(low=low, high=high, low_open=low_open, high_open=high_open, solves=solves)

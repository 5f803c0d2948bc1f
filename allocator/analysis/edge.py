"""Where a yes/no answer about a scenario number changes: walk out from the current value, then bisect.

Both the price ranges (`ranging`: how far a shadow price holds) and the
infeasibility diagnosis (`diagnose`: how far a limit must move for a plan to
exist) ask the same question of an expensive test, one re-solve per probe:
starting from a value on one side, where does the answer flip? The walk takes
the trial values it is given (usually doubling steps) until one has crossed,
then the interval between the last uncrossed and the first crossed value is
halved until it is narrow enough.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Edge:
    near: float  # the last value tested (or the start) on the starting side
    far: float | None  # the first value known to have crossed; None: no trial crossed


def doubling_trials(start: float, step: float, direction: int, count: int,
                    low: float = float("-inf"), high: float = float("inf")) -> Iterator[float]:
    """start + direction x step x 2^k for k = 0 .. count-1, each kept within [low, high]."""
    for k in range(count):
        yield min(max(start + direction * step * 2 ** k, low), high)


def find_edge(crossed: Callable[[float], bool], start: float, trials: Iterable[float],
              close_enough: Callable[[float, float], bool]) -> Edge:
    """Walk `trials` out from `start` (which has not crossed) until one has, then bisect to `close_enough`.

    A trial equal to the last uncrossed value ends the walk: the trials have reached a bound.
    """
    near, far = start, None
    for trial in trials:
        if trial == near:
            break
        if crossed(trial):
            far = trial
            break
        near = trial
    if far is None:
        return Edge(near, None)
    while not close_enough(near, far):
        middle = (near + far) / 2.0
        if crossed(middle):
            far = middle
        else:
            near = middle
    return Edge(near, far)

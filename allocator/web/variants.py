"""Variants of the workspace's scenarios, solved on a pool of warm what-if sessions, off the event loop.

A variant is a scenario and its lever changes ({--set path: value}). Each scenario has a small pool of
`allocator.Session`s (a Session solves one variant at a time): a request takes an idle one, or opens
another while fewer than POOL_SIZE exist, or waits for one. So a slow solve holds one session and one
thread, never the others, and a cancelled request leaves its solve to finish on its own session while
the next request takes another. Solved variants are kept (VARIANTS_KEPT, most recent) so that pinning,
comparing, saving and exporting a variant do not solve it again.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import cached_property

from allocator.errors import Text, UsageError
from allocator.web.folders import ScenarioRef

POOL_SIZE = 3  # sessions per scenario: solves of one scenario that may run at once
VARIANTS_KEPT = 128
MAX_LEVERS = 100
MAX_TEXT = 200


def lever_text(path, value) -> tuple[str, str]:
    """One change as the page sent it, checked and written as a --set line writes it."""
    if not isinstance(path, str) or not path.strip() or len(path) > MAX_TEXT or "=" in path:
        raise UsageError("levers", "", Text(str(path)[:80]), "a field path such as budget.total")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UsageError("levers", path, Text(str(value)[:80]), "a number")
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > MAX_TEXT:
            raise UsageError("levers", path, Text(value[:80]), "a number")
        return path.strip(), text
    try:
        value = float(value)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise UsageError("levers", path, Text(str(value)[:40]), "a finite number")
    return path.strip(), f"{value:.1f}" if value.is_integer() else repr(value)


def changes_of(levers) -> tuple[tuple[str, str], ...]:
    """The page's {path: value} as sorted (path, text) pairs: one variant, one key, whatever the order."""
    if levers is None:
        return ()
    if not isinstance(levers, dict) or len(levers) > MAX_LEVERS:
        raise UsageError("levers", "", Text(type(levers).__name__), f"an object of at most {MAX_LEVERS} path: number pairs")
    return tuple(sorted(lever_text(path, value) for path, value in levers.items()))


@dataclass
class Solved:
    """One solved variant: the session's Outcome and, made when first asked for, its Plan."""

    ref: ScenarioRef
    changes: tuple[tuple[str, str], ...]
    outcome: object  # allocator.whatif.session.Outcome
    extra: dict = field(default_factory=dict)  # views made from it, by name

    @cached_property
    def plan(self):
        from allocator.analysis.solution import Plan

        return Plan(self.outcome.solved(), self.outcome.solver, self.outcome.options)

    def labelled(self, label: str):
        """The plan under another scenario name (compare labels its columns by name)."""
        solved = self.plan.solution
        loaded = replace(solved.loaded, scenario=solved.loaded.scenario.model_copy(update={"name": label}))
        return type(self.plan)(replace(solved, loaded=loaded), self.plan.solver, self.plan.options)

    @property
    def levers(self) -> dict[str, str]:
        return dict(self.changes)


class Variants:
    """The solved variants of one `allocator serve` (thread-safe: called from worker threads)."""

    def __init__(self, solver: str | None = None, pool_size: int = POOL_SIZE):
        self.solver = solver
        self.pool_size = pool_size
        self._lock = threading.Condition()
        self._idle: dict[str, list] = {}
        self._open: dict[str, int] = {}
        self._kept: OrderedDict = OrderedDict()
        self._views_lock = threading.Lock()

    def solve(self, ref: ScenarioRef, changes: tuple[tuple[str, str], ...]) -> Solved:
        """The variant solved (or as kept). Raises ScenarioError for an invalid variant, one line."""
        key = (ref.id, changes)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        session = self._take(ref)
        try:
            outcome = session.solve(dict(changes))
        finally:
            self._give_back(ref, session)
        # What is solved later from this variant (its diagnosis) runs cold: the session's warm state belongs
        # to the session, which another request may be using by then.
        outcome = replace(outcome, options=replace(outcome.options, warm=None))
        solved = Solved(ref, changes, outcome)
        with self._lock:
            self._kept[key] = solved
            while len(self._kept) > VARIANTS_KEPT:
                self._kept.popitem(last=False)
        return solved

    def base(self, ref: ScenarioRef) -> Solved:
        return self.solve(ref, ())

    def view(self, solved: Solved, name: str, make):
        """A view of `solved` (made once by `make(solved)`, then kept with it)."""
        with self._views_lock:
            if name in solved.extra:
                return solved.extra[name]
        value = make(solved)
        with self._views_lock:
            return solved.extra.setdefault(name, value)

    def _open_session(self, ref: ScenarioRef):
        """A new what-if session of `ref`'s scenario (a subclass opens others: an approved run's)."""
        from allocator.api import Session

        return Session(ref.path, solver=self.solver)

    def _take(self, ref: ScenarioRef):
        with self._lock:
            while True:
                idle = self._idle.setdefault(ref.id, [])
                if idle:
                    return idle.pop()
                if self._open.get(ref.id, 0) < self.pool_size:
                    self._open[ref.id] = self._open.get(ref.id, 0) + 1
                    break
                self._lock.wait()
        try:
            return self._open_session(ref)
        except BaseException:
            with self._lock:
                self._open[ref.id] -= 1
                self._lock.notify()
            raise

    def _give_back(self, ref: ScenarioRef, session) -> None:
        with self._lock:
            self._idle.setdefault(ref.id, []).append(session)
            self._lock.notify()

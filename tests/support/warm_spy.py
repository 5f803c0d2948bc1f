"""Which warm starts a piece of work made, and how each was used (solvers.warm.WarmStart.counts).

The fixture `warm_starts` records every instance of solvers.warm.WarmStart (or of a subclass) made in
this process, so a test can tell a warm run (an instance whose ``counts["warm"]`` > 0) from a cold one
(no instance at all).
"""

from __future__ import annotations

import pytest

import solvers.warm


@pytest.fixture
def warm_starts(monkeypatch) -> list:
    made: list = []
    original = solvers.warm.WarmStart.__init__

    def recorded(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(solvers.warm.WarmStart, "__init__", recorded)
    return made


def warm_solves(made: list) -> int:
    """Re-solves that started from an earlier basis, over every instance recorded."""
    return sum(start.counts["warm"] for start in made)

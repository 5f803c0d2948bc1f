"""The scenario field behind each constraint row, and how to change it.

Every business constraint (a budget, cap, floor, target, share or phasing
band) comes from one number in the scenario file. A `Lever` names that number
by its field path, says which way relaxes the constraint, and can produce the
scenario with the number changed. Diagnosis and ranging move levers; they
never edit the linear program behind the user's back.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from allocator.scenario.schema import Scenario


@dataclass(frozen=True)
class Lever:
    """One scenario number; ``path`` walks the scenario's dict form (keys and list indices)."""

    path: tuple
    label: str  # e.g. "channels[livestream].max_spend[2027-02]"
    relax: int  # +1: raising the number relaxes the constraint; -1: lowering it does
    current: float

    @property
    def is_share(self) -> bool:
        """A share or a tolerance: a fraction between 0 and 1, moved in percentage points."""
        return self.label.endswith(("share", "tolerance"))

    def apply(self, scenario: Scenario, value: float) -> Scenario | None:
        """The scenario with this number set to `value`, or None if the schema refuses it."""
        data = scenario.model_dump()
        node = data
        *parents, last = self.path
        for key in parents:
            node = node[key]
        node[last] = value
        return _validated(data)


@dataclass(frozen=True)
class PeriodLever(Lever):
    """A number of a per-period field (one value for all periods, or a mapping)."""

    period: str = ""

    def apply(self, scenario: Scenario, value: float) -> Scenario | None:
        data = scenario.model_dump()
        node = data
        *parents, field = self.path
        for key in parents:
            node = node[key]
        existing = node[field]
        if isinstance(existing, dict):
            mapping = dict(existing)
        else:
            mapping = {p: existing for p in scenario.periods} if existing is not None else {}
        mapping[self.period] = value
        node[field] = mapping
        return _validated(data)


def _validated(data: dict) -> Scenario | None:
    try:
        return Scenario.model_validate(data)
    except ValidationError:
        return None


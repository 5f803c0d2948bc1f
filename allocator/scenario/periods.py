"""Per-period amounts: one number for every period, or a mapping period -> number."""

from __future__ import annotations


def value_at(per_period, period: str):
    """The amount `per_period` sets for `period`: None when the field is unset or its mapping leaves the
    period out (no limit there). The model builder, the cross-checks and `verify` all read caps, minimums
    and sales capacity through this, so they agree on which periods a field covers."""
    if per_period is None:
        return None
    if isinstance(per_period, dict):
        return per_period.get(period)
    return per_period

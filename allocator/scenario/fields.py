"""The field types every section of the scenario schema is built from (names, money, counts, shares).

Kept apart from `allocator.scenario.schema` so that a section in a module of its own
(`allocator.scenario.calendar`) uses the same types without importing the whole schema.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _composed(value):
    """Names are compared as Unicode NFC: 'café' typed two ways is one name, never two look-alikes."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _not_a_truth_value(value):
    """YAML reads on/off/yes/no/true/false as booleans, which pydantic would take as 1 and 0."""
    if isinstance(value, bool):
        raise ValueError("a number (YAML reads on/off/yes/no/true/false as yes/no, not as 1 and 0)")
    return value


NUMBER = BeforeValidator(_not_a_truth_value)

# Control characters, brackets, and the invisible characters that make two different names look alike
# or reorder the text around them (zero-width spaces and joiners, bidirectional controls, BOM).
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\[\]\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]+$"
Name = Annotated[
    str,
    BeforeValidator(_composed),
    Field(
        min_length=1, max_length=80, pattern=NAME_PATTERN,
        description="A label: 1-80 printable characters, no brackets, no invisible or direction-changing "
                    "characters; compared in Unicode NFC.",
    ),
]
Money = Annotated[float, Field(ge=0, allow_inf_nan=False, description="Money, >= 0."), NUMBER]
PositiveMoney = Annotated[float, Field(gt=0, allow_inf_nan=False, description="Money, > 0."), NUMBER]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, description="A fraction 0-1."), NUMBER]
Count = Annotated[float, Field(ge=0, allow_inf_nan=False, description="A count (leads, customers), >= 0."), NUMBER]
Rate = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False, description="A rate, > 0 and <= 1."), NUMBER]
Factor = Annotated[float, Field(gt=0, allow_inf_nan=False, description="A multiplier, > 0."), NUMBER]
# A per-period amount: one number for every period, or a mapping period -> number.
PerPeriodMoney = Money | dict[str, Money]
PerPeriodCount = Count | dict[str, Count]
NameOrNames = Name | list[Name]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

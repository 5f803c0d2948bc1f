"""One exception tree for the library; the CLI maps each kind onto an exit code.

An infeasible plan is not an exception: it is a `Plan` whose status says so.
"""

from __future__ import annotations


class Text(str):
    """A description of a bad value (shown as is), as opposed to the value itself (shown quoted)."""


class AllocatorError(Exception):
    """Base of every error the library raises on purpose."""


class ScenarioError(AllocatorError):
    """The scenario (or a file it references) is unusable.

    The message names the file, the field path, the bad value and what was
    expected, on one line.
    """

    def __init__(self, file: str, field: str, value: object, expected: str):
        self.file = str(file)
        self.field = field
        self.value = value
        self.expected = expected
        where = f"{self.file}: {field}" if field else self.file
        super().__init__(f"{where}: got {_show(value)}; expected {expected}")


class OutputError(AllocatorError):
    """The output folder cannot be written (exists without --force, not writable...)."""


class SolveFailed(AllocatorError):
    """The solver crashed, hung, was missing or returned garbage (not: the plan is infeasible)."""


def _show(value: object, limit: int = 80) -> str:
    text = str(value) if isinstance(value, Text) or not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

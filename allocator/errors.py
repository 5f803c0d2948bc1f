"""One exception tree for the library; the CLI maps each kind onto an exit code.

::

    AllocatorError
    ├── InputError          bad input: exit 2, nothing written
    │   ├── ScenarioError   the scenario file, a file it references, or a --set line
    │   ├── UsageError      a bad argument (a command-line option, or a keyword of the Python API)
    │   ├── PlanFolderError a plan folder that cannot be read, or is not one allocator wrote
    │   └── OutputError     an output folder that must not or cannot be written
    └── SolveFailed         the solver crashed, hung or returned garbage: exit 3

An infeasible plan is not an exception: it is a `Plan` whose status says so.
"""

from __future__ import annotations


class Text(str):
    """A description of a bad value (shown as is), as opposed to the value itself (shown quoted)."""


class AllocatorError(Exception):
    """Base of every error the library raises on purpose."""


class InputError(AllocatorError):
    """Something the user gave cannot be used; the command line exits 2 and writes nothing.

    The message is one line: ``<where>: <field>: got <value>; expected <what>``, where ``where`` is a
    file, a folder or an option (``--vary``). `OutputError` carries a message of its own instead.
    """

    def __init__(self, file: object, field: str, value: object, expected: str):
        self.file = str(file)
        self.field = field
        self.value = value
        self.expected = expected
        where = f"{self.file}: {field}" if field else self.file
        super().__init__(f"{where}: got {_show(value)}; expected {expected}")


class ScenarioError(InputError):
    """The scenario (or a file it references, or a --set line) is unusable."""


class UsageError(InputError):
    """A bad argument: a command-line option or a keyword of the Python API (``file`` names the option)."""


class PlanFolderError(InputError):
    """A plan folder (or one of its files) that cannot be read, or is not a plan allocator wrote."""


class OutputError(InputError):
    """The output folder cannot be written (exists without --force, holds an input, not writable...)."""

    def __init__(self, message: str):
        self.file, self.field, self.value, self.expected = None, "", None, ""
        AllocatorError.__init__(self, message)


class SolveFailed(AllocatorError):
    """The solver crashed, hung or returned garbage (not: the plan is infeasible, which is a status)."""


def _show(value: object, limit: int = 80) -> str:
    text = str(value) if isinstance(value, Text) or not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

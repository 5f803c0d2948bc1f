"""Exceptions raised by solver backends (a crashed solver is an exception; infeasible is a status)."""

# The distribution is `allocator-lp` (the name `allocator` on the package index is another project's);
# from a source checkout the extra is installed from the folder itself.
DISTRIBUTION = "allocator-lp"


def install_hint(extra: str) -> str:
    """The pip command that installs an optional extra (``highs``, ``charts``, ``dask``)."""
    return f"pip install '{DISTRIBUTION}[{extra}]' (from a source checkout: pip install '.[{extra}]')"


class SolverError(Exception):
    """The solver could not be run, crashed, hung, or returned something unreadable."""


class SolverUnavailable(SolverError):
    """The backend's solver is not installed on this machine (or the name is not a backend).

    Bad input rather than a failure: another solver, or installing this one, is the remedy.
    """

"""Exceptions raised by solver backends (a crashed solver is an exception; infeasible is a status)."""


class SolverError(Exception):
    """The solver could not be run, crashed, hung, or returned something unreadable."""


class SolverUnavailable(SolverError):
    """The backend's solver is not installed on this machine."""

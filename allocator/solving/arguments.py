"""The Python API's arguments, checked at the edge as the command line checks its options.

A value that passes here is one the library can use: a known solver and objective, finite seconds, a
thread count that cannot exhaust the machine, a path where a path is expected. A bad one is a
`UsageError` naming the keyword, the value and what was expected; no bare TypeError or KeyError comes
out of the API because of what a caller passed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from pathlib import Path

from solvers import BACKENDS, SolveOptions
from solvers.base import LP_METHODS

from allocator.errors import Text, UsageError
from allocator.scenario.objectives import OBJECTIVE_NAMES

MAX_SECONDS = 1e7  # about 16 weeks: longer than any solve, and still a valid timeout for the OS
MAX_THREADS = 256  # HiGHS aborts the process (SIGABRT) on a thread pool of 100,000
MAX_SAMPLES = 1_000_000


def _bad(keyword: str, value: object, expected: str) -> UsageError:
    shown = value if isinstance(value, (str, Real)) and not isinstance(value, bool) else Text(type(value).__name__)
    return UsageError(keyword, "", shown, expected)


def choice(keyword: str, value, choices: Iterable[str], optional: bool = False):
    """`value` if it is one of `choices` (or None when optional)."""
    choices = tuple(choices)
    if (value is None and optional) or (isinstance(value, str) and value in choices):
        return value
    raise _bad(keyword, value, "one of " + ", ".join(choices) + (" or None" if optional else ""))


def number(keyword: str, value, low: float, high: float, *, low_open: bool = False, integer: bool = False,
           optional: bool = True):
    """A finite number (an int when `integer`) within [low, high] (low excluded when `low_open`), or None."""
    if value is None and optional:
        return None
    kind = Integral if integer else Real
    if isinstance(value, bool) or not isinstance(value, kind) or not math.isfinite(value) \
            or value < low or value > high or (low_open and value == low):
        what = "a whole number" if integer else "a finite number"
        raise _bad(keyword, value, f"{what} {'above' if low_open else 'from'} {low:g} up to {high:g}")
    return int(value) if integer else float(value)


def flag(keyword: str, value) -> bool:
    """True or False (not a truthy text such as "no")."""
    if isinstance(value, bool):
        return value
    raise _bad(keyword, value, "True or False")


def path(keyword: str, value, optional: bool = True) -> Path | None:
    """A file or folder path (str or Path, not empty), or None."""
    if value is None and optional:
        return None
    if isinstance(value, Path) or (isinstance(value, str) and value.strip()):
        return Path(value)
    raise _bad(keyword, value, "a path (str or pathlib.Path)")


def source(value):
    """A scenario source: a path, a mapping, a Scenario or a LoadedScenario (not the text of a file)."""
    from allocator.scenario.loader import LoadedScenario
    from allocator.scenario.schema import Scenario

    if isinstance(value, str) and ("\n" in value or len(value) > 4096):
        raise UsageError("source", "", Text("the text of a scenario"),
                         "a path to the file, or the mapping yaml.safe_load(text) gives")
    if isinstance(value, (str, Path, Mapping, Scenario, LoadedScenario)):
        return value
    raise _bad("source", value, "a scenario file's path, a mapping of scenario fields, a Scenario or a LoadedScenario")


def texts(keyword: str, value) -> list[str]:
    """One text or a non-empty list of texts (``vary``)."""
    items = [value] if isinstance(value, str) else value
    if isinstance(items, Iterable) and not isinstance(items, (Mapping, bytes)):
        items = list(items)
        if items and all(isinstance(item, str) for item in items):
            return items
    raise _bad(keyword, value, 'a "PATH=start:stop:count" or "PATH=a,b,c" text, or a non-empty list of them')


def solve_options(solver, objective, time_limit=None, mip_gap=None, threads=None, lp_method="auto",
                  log: bool = False, diagnose_seconds=None, cold=False) -> SolveOptions:
    """The solve keywords shared by solve, explain, sweep and risk, checked, as `SolveOptions` (the
    diagnosis' time budget is checked here too, though it is not a solver option). `cold`: every re-solve
    from scratch (``warm=False``); otherwise the work that solves many variants warm-starts them."""
    number("diagnose_seconds", diagnose_seconds, 0, MAX_SECONDS, low_open=True)
    flag("cold", cold)
    from allocator.solving.pipeline import require_solver

    choice("solver", solver, BACKENDS)
    require_solver(solver)  # installed? (HiGHS is an optional extra)
    choice("objective", objective, OBJECTIVE_NAMES, optional=True)
    return SolveOptions(time_limit=number("time_limit", time_limit, 0, MAX_SECONDS, low_open=True),
                        mip_gap=number("mip_gap", mip_gap, 0, 1),
                        threads=number("threads", threads, 1, MAX_THREADS, integer=True),
                        log=bool(log), lp_method=choice("lp_method", lp_method, LP_METHODS),
                        warm=False if cold else None)


def study(workers=None, samples=None, seed=None, confidence=None, scheduler=None) -> None:
    """The keywords of sweep and risk beyond the solve's."""
    number("workers", workers, 1, 2**31, integer=True)  # more than the tasks or 4 per core are not started
    number("samples", samples, 10, MAX_SAMPLES, integer=True)
    number("seed", seed, 0, 2**63 - 1, integer=True)
    number("confidence", confidence, 0, 1, low_open=True)
    if confidence == 1:
        raise _bad("confidence", confidence, "a probability above 0 and below 1")
    if scheduler is not None and not isinstance(scheduler, str):
        raise _bad("scheduler", scheduler, "a scheduler address such as tcp://HOST:PORT")


def report_extra(option: str = "--report") -> None:
    """The workbook and the HTML report need the ``report`` extra: say how to install it, before any work."""
    from importlib.util import find_spec

    missing = [name for name in ("xlsxwriter", "jinja2", "matplotlib") if find_spec(name) is None]
    if missing:
        raise UsageError(option, "", Text(f"missing {', '.join(missing)}"),
                         "the report extra installed: pip install 'allocator-lp[report]'")

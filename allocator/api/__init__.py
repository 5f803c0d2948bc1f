"""The public Python API: solve a scenario and get its plan as DataFrames; compare, sweep, risk, verify, report.

Each function does what the command of its name does, without printing. Errors are the library's own:
`InputError` and its kinds for bad input or arguments (checked first, allocator/solving/arguments.py),
`SolveFailed` when the solver fails. An infeasible scenario is a `Plan` whose ``status`` says so.

One module per group of commands: `planning` (load, solve, explain, verify), `whatif` (compare, sweep,
risk); `report` (the review pack) loads its stage only when first asked for.
"""

from __future__ import annotations

import importlib

from allocator.analysis.solution import Plan
from allocator.api.planning import explain, load, solve, verify
from allocator.api.whatif import compare, risk, sweep
from allocator.errors import (  # noqa: F401 (re-exported: the error tree is part of the API)
    AllocatorError, InputError, OutputError, PlanFolderError, ScenarioError, SolveFailed, UsageError,
)

__all__ = ["AllocatorError", "InputError", "Plan", "RunRecord", "Session", "SolveFailed", "Store", "StoreError", "compare",
           "diff_runs", "explain", "load", "open_store", "record_run", "reference_plan", "report", "risk", "solve",
           "sweep", "verify"]


# Loaded when first asked for, so that a solve does not import SQLAlchemy or the review's writers before it
# needs them: name -> the module that defines it.
LAZY = {"report": "allocator.review.pack", "Session": "allocator.whatif.session",
        **dict.fromkeys(["RunRecord", "Store", "StoreError", "diff_runs", "open_store", "record_run",
                         "reference_plan"], "allocator.api.runs")}


def __getattr__(name: str):
    if name in LAZY:
        return getattr(importlib.import_module(LAZY[name]), name)
    raise AttributeError(f"module 'allocator.api' has no attribute {name!r}")

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
from allocator.api.runs import (
    RunRecord, Store, StoreError, diff_runs, open_store, record_run, reference_plan,
)
from allocator.errors import (  # noqa: F401 (re-exported: the error tree is part of the API)
    AllocatorError, InputError, OutputError, PlanFolderError, ScenarioError, SolveFailed, UsageError,
)

__all__ = ["AllocatorError", "InputError", "Plan", "RunRecord", "SolveFailed", "Store", "StoreError", "compare",
           "diff_runs", "explain", "load", "open_store", "record_run", "reference_plan", "report", "risk", "solve",
           "sweep", "verify"]


def __getattr__(name: str):  # `report` (allocator.review.pack.report) loads its stage when first asked for
    if name == "report":
        return importlib.import_module("allocator.review.pack").report
    raise AttributeError(f"module 'allocator.api' has no attribute {name!r}")

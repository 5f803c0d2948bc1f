"""allocator: quarterly marketing budget and sales-target planning as a linear program.

Use from Python::

    import allocator
    plan = allocator.solve("scenarios/example_q1.yaml")
    plan.by_channel  # a pandas DataFrame, as by_channel.csv

The API (`allocator.api`) is imported on first use, so that ``import allocator`` stays fast and loads
neither numpy nor pandas (and the command line can set numpy's BLAS threads before numpy loads).
"""

__version__ = "0.1.0"
__all__ = ["AllocatorError", "InputError", "Plan", "RunRecord", "Session", "SolveFailed", "Store", "StoreError", "compare",
           "diff_runs", "explain", "load", "open_store", "record_run", "reference_plan", "report", "risk", "solve",
           "sweep", "verify"]


def __getattr__(name: str):
    if name in __all__:
        from allocator import api

        return getattr(api, name)
    raise AttributeError(f"module 'allocator' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

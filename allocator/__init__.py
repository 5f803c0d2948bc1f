"""allocator: quarterly marketing budget and sales-target planning as a linear program.

Use from Python::

    import allocator
    plan = allocator.solve("scenarios/example_q1.yaml")
    plan.by_channel  # a pandas DataFrame, as by_channel.csv

The API (`allocator.api`) is imported on first use, so that ``import allocator`` stays fast and loads
neither numpy nor pandas (and the command line can set numpy's BLAS threads before numpy loads).
"""

import sys
import types

__version__ = "0.1.0"
__all__ = ["AllocatorError", "InputError", "Plan", "SolveFailed", "compare", "explain", "load", "risk", "solve",
           "sweep", "verify"]


def __getattr__(name: str):
    if name in __all__:
        from allocator import api

        return getattr(api, name)
    raise AttributeError(f"module 'allocator' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


class _Solve:
    """`allocator.solve` is two things under one name: called, the API's `solve` (allocator.api.solve);
    read as a package (``allocator.solve.pipeline``), the pipeline's stage package. Without this, whichever
    was imported last would take the name: after ``import allocator.solve.pipeline``, ``allocator.solve(...)``
    would be a module that cannot be called."""

    __slots__ = ()

    def __call__(self, *args, **kwargs):
        from allocator import api

        return api.solve(*args, **kwargs)

    def __getattr__(self, name: str):
        from allocator import api  # noqa: F401 (it imports the stage package, which is then in sys.modules)

        return getattr(sys.modules[__name__ + ".solve"], name)

    @property
    def __wrapped__(self):  # inspect.signature and help() follow it to the API's function
        from allocator import api

        return api.solve

    @property
    def __doc__(self):
        return self.__wrapped__.__doc__

    def __repr__(self) -> str:
        return "<function allocator.solve (the API) and package allocator.solve (the pipeline stage)>"


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value) -> None:
        if name == "solve" and isinstance(value, types.ModuleType):
            return  # the import system naming the stage package: `_Solve` stands for both
        super().__setattr__(name, value)


solve = _Solve()
sys.modules[__name__].__class__ = _Package

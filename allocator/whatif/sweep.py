"""`allocator sweep`: solve a grid of variants of one scenario, on all local cores or a Dask cluster.

Each ``--vary PATH=start:stop:count`` (evenly spaced, both ends included) or
``--vary PATH=a,b,c`` gives a list of values; the variants are the grid of
all lists. A variant is the scenario with ``--set PATH=value`` overrides, so
it is validated like any scenario and an invalid one becomes a row that says
why. Infeasible variants carry their diagnosis. Rows come back in grid order
whichever way they ran, so results are identical on one core, many, or a
cluster.
"""

from __future__ import annotations

import functools
import io
import itertools
import math
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from solvers import SolveOptions, SolverError, Status
from solvers.warm import warmed

from allocator.errors import AllocatorError, ScenarioError, Text, UsageError
from allocator.scenario.variants import AmbiguousSelector, find_item, parse_path
from allocator.whatif.execute import Executor

MAX_VARIANTS = 100_000  # per sweep: each is a solve and a row
SMALLEST_RUN = 8  # points: the last runs of a sweep, which even out the workers' ends
FRONTIER_FIXED_COLUMNS = ["status", "objective", "spend", "revenue_total", "new_customers", "leads", "roi",
                          "budget_shadow_price", "channels_used", "message"]


@dataclass(frozen=True)
class Axis:
    path: str
    values: tuple


def parse_vary(text: str) -> Axis:
    """``budget.total=2e6:5e6:13`` or ``targets.buffer=0.1,0.15``."""
    path, sep, spec = text.partition("=")
    if not sep or not path.strip() or not spec.strip():
        raise UsageError("--vary", text, "no PATH=VALUES", "PATH=start:stop:count or PATH=a,b,c")
    spec = spec.strip()
    if ":" in spec and "," not in spec:
        parts = spec.split(":")
        try:
            start, stop, count = float(parts[0]), float(parts[1]), int(parts[2])
        except (ValueError, IndexError):
            raise UsageError("--vary", path, spec, "start:stop:count with numbers and a whole count, e.g. 2e6:5e6:13") from None
        if len(parts) != 3 or count < 1 or count > MAX_VARIANTS:
            raise UsageError("--vary", path, spec, f"start:stop:count with 1 <= count <= {MAX_VARIANTS}")
        if not (math.isfinite(start) and math.isfinite(stop)):
            raise UsageError("--vary", path, spec, "start:stop:count with finite start and stop")
        values = tuple(float(v) for v in np.linspace(start, stop, count))
    else:
        values = tuple(v.strip() for v in spec.split(",") if v.strip())
        if not values:
            raise UsageError("--vary", path, spec, "at least one value")
    return Axis(path.strip(), values)


def parse_axes(texts) -> list[Axis]:
    """Every ``--vary``; a path varied twice would give two values to one field in each variant."""
    axes = [parse_vary(text) for text in texts]
    seen: set[str] = set()
    for axis in axes:
        if axis.path in seen:
            raise UsageError("--vary", axis.path, "the same path twice", "each path in one --vary, e.g. PATH=a,b,c")
        seen.add(axis.path)
    variants = math.prod(len(axis.values) for axis in axes)
    if variants > MAX_VARIANTS:  # the grid is built in memory before any solve
        raise UsageError("--vary", " x ".join(str(len(axis.values)) for axis in axes), Text(f"{variants:,} variants"),
                         f"a grid of at most {MAX_VARIANTS:,} variants")
    return axes


def check_axes(axes: list[Axis], loaded, allow_outside: tuple = ()) -> None:
    """Refuse, before any solve, a grid that cannot give what was asked (a `UsageError`, one line).

    Against the loaded base scenario: two --vary that name one field under two spellings
    (``channels[1]`` is ``channels[mini_program]``) would give that field two values in each variant;
    and a grid in which not one variant is a valid scenario (``budget.total=nan``, a misspelt path)
    would be a frontier of `invalid` rows. Variants are only loaded here, until one is valid (usually
    the first), so a grid with some invalid variants still runs and says why in their rows.
    """
    data = loaded.scenario.model_dump()
    seen: dict[tuple, str] = {}
    for axis in axes:
        resolved = resolved_path(data, axis.path)
        if resolved in seen:
            raise UsageError("--vary", axis.path, Text(f"the field {seen[resolved]} names"),
                             "each field in one --vary, e.g. PATH=a,b,c")
        seen[resolved] = axis.path
    scenario, base = str(loaded.path), tuple(loaded.overrides)
    allowed = tuple(str(folder) for folder in allow_outside)
    first_error = None
    for point in itertools.product(*(axis.values for axis in axes)):
        try:
            _load(scenario, base + variant_overrides(axes, point), allowed)
            return
        except ScenarioError as exc:
            first_error = first_error or exc
    blamed = next((axis for axis in axes if not _any_valid(scenario, base, axis, allowed)), None)
    path = blamed.path if blamed is not None else " x ".join(axis.path for axis in axes)
    reason = str(first_error).removeprefix("--set: ")
    raise UsageError("--vary", path, Text("no valid variant"),
                     f"a field path and values giving at least one valid scenario (the first variant: {reason})")


def _any_valid(scenario: str, base: tuple, axis: Axis, allowed: tuple) -> bool:
    """Whether some value of `axis` alone (the other fields as the scenario has them) is valid."""
    for value in axis.values:
        try:
            _load(scenario, base + variant_overrides([axis], (value,)), allowed)
            return True
        except ScenarioError:
            continue
    return False


def resolved_path(data: dict, text: str) -> tuple:
    """A --vary path as the field it names in `data` (a scenario's fields): positions become names, as
    scenario/variants.py resolves them, so two spellings of one field compare equal. Steps that name
    nothing in `data` are kept as written (the variant's load then says what is wrong with them)."""
    try:
        steps = parse_path(text)
    except ValueError:
        return (text,)
    node, out = data, []
    for step in steps:
        if isinstance(step, tuple) and isinstance(node, list):
            try:
                index = find_item(node, step)
            except AmbiguousSelector:
                index = None
            if index is not None:
                position, node = index % len(node), node[index]
                named = isinstance(node, dict) and node.get("name") is not None
                out.append(("name", str(node["name"])) if named else ("index", position))
                continue
        elif not isinstance(step, tuple) and isinstance(node, dict) and step in node:
            out.append(step)
            node = node[step]
            continue
        out.append(step)
        node = None
    return tuple(out)


def variant_overrides(axes: list[Axis], point: tuple) -> tuple:
    """The --set lines of one grid point."""
    return tuple(f"{a.path}={_format_value(v)}" for a, v in zip(axes, point))


def axis_column(axis: Axis) -> str:
    """The frontier column of a varied path: the path, unless a result column has that name
    (``--vary objective=max_revenue,min_spend`` beside the objective's value)."""
    return f"vary:{axis.path}" if axis.path in FRONTIER_FIXED_COLUMNS or axis.path == "seconds" else axis.path


def snake_order(sizes: list[int]) -> list[int]:
    """The grid's flat indices (row-major, as `grid` lists the points) in an order where each point is one
    step on one axis from the one before: an inner axis is walked back and forth instead of restarting."""
    if not sizes:
        return [0]
    inner = snake_order(sizes[1:])
    block = math.prod(sizes[1:])
    order: list[int] = []
    for i in range(sizes[0]):
        order.extend(i * block + j for j in (inner if i % 2 == 0 else reversed(inner)))
    return order


def guided_runs(order: list[int], slots: int, smallest: int = SMALLEST_RUN) -> list[list[int]]:
    """`order` cut into runs, largest first: each run is 1/(2 x slots) of the points still left (at least
    `smallest`). Workers take runs in this order, each walking its run from point to neighbouring point
    (warm): the large first runs keep most steps between neighbours, and the small last ones let the
    workers finish together (with runs of equal size one worker could be left with most of a run alone)."""
    runs, start = [], 0
    while start < len(order):
        size = max(smallest, math.ceil((len(order) - start) / (2 * max(1, slots))))
        runs.append(order[start:start + size])
        start += size
    return runs


def grid(axes: list[Axis]) -> list[tuple]:
    return list(itertools.product(*(axis.values for axis in axes)))


def _format_value(value) -> str:
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else f"{value:.1f}"
    return str(value)


def solve_run(scenario: str, run: list, objective: str | None, solver: str, options: SolveOptions,
              allow_outside: tuple = ()) -> list[dict]:
    """Neighbouring grid points solved in order (each from the last one's basis, with HiGHS)."""
    return [solve_variant(scenario, overrides, objective, solver, options, allow_outside) for overrides in run]


def solve_variant(scenario: str, overrides: tuple, objective: str | None, solver: str, options: SolveOptions,
                  allow_outside: tuple = ()) -> dict:
    """One grid point -> one frontier row (plain data, so it crosses process and network boundaries)."""
    from allocator.analysis.diagnose import diagnose
    from allocator.model.build import build_model
    from allocator.plan.totals import plan_totals
    from allocator.solving.pipeline import solve_model
    from allocator.whatif.session import channels_used

    started = time.perf_counter()
    try:
        loaded = _load(scenario, overrides, tuple(allow_outside))
        model = build_model(loaded.scenario, objective)
        result = solve_model(model, solver, options)
    except ScenarioError as exc:
        return {"status": "invalid", "message": str(exc), "seconds": time.perf_counter() - started}
    except (SolverError, AllocatorError) as exc:
        return {"status": "error", "message": str(exc), "seconds": time.perf_counter() - started}
    except Exception as exc:  # a solver library's own failure (or a bug): this variant's row says so, the rest go on
        return {"status": "error", "message": f"unexpected {type(exc).__name__}: {exc}",
                "seconds": time.perf_counter() - started}
    row = {"status": result.status.value, "seconds": 0.0}
    if result.status.has_solution:
        x = result.x
        totals = plan_totals(model, x)  # as the solved plan's run.json states them
        row.update({
            "objective": model.objective_value(x),
            **{k: totals[k] for k in ("spend", "revenue_total", "new_customers", "leads", "roi")},
            "budget_shadow_price": _or_nan(model.budget_price(result.row_duals)),
            "channels_used": ";".join(channels_used(model, x)),
        })
    elif result.status is Status.INFEASIBLE:
        try:
            row["message"] = " ".join(diagnose(model, solver, options).summary())
        except Exception as exc:  # the variant stays infeasible; only its explanation is missing
            row["message"] = f"diagnosis failed ({type(exc).__name__}: {exc})"
    else:
        row["message"] = result.message
    row["seconds"] = time.perf_counter() - started
    return row


@functools.lru_cache(maxsize=64)
def _load(scenario: str, overrides: tuple, allow_outside: tuple = ()):
    from allocator.whatif.session import load_variant

    return load_variant(scenario, overrides, allow_outside)


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else value


def run_sweep(scenario: Path, axes: list[Axis], base_overrides: tuple = (), objective: str | None = None,
              solver: str = "cbc", options: SolveOptions | None = None, workers: int | None = None,
              scheduler: str | None = None, progress=None, allow_outside: tuple = ()) -> pd.DataFrame:
    """Solve every grid point; returns frontier rows in grid order.

    ``scheduler``: address of an existing Dask distributed scheduler
    (``tcp://host:port``); otherwise a local process pool with ``workers``
    processes (default: all cores). ``progress(done, total)`` is called as
    results arrive.
    """
    points = grid(axes)
    jobs = [tuple(base_overrides) + variant_overrides(axes, point) for point in points]
    options = warmed(options or SolveOptions())  # HiGHS re-solves each point from its neighbour's basis
    with Executor(workers, scheduler) as executor:
        # Variants solved side by side already share the cores: no second CBC process beside a barrier.
        if executor.parallel(len(jobs)):
            options = replace(options, concurrent=False)
        allowed = tuple(str(folder) for folder in allow_outside)  # plain text: it crosses process boundaries
        # Runs of neighbouring points (in snake order: one step on one axis from each point to the next),
        # each walked in order by one worker, whose warm start carries over from point to point.
        order = snake_order([len(axis.values) for axis in axes])
        runs = [[jobs[i] for i in run] for run in guided_runs(order, executor.slots(len(jobs)))]
        args = [(str(scenario), run, objective, solver, options, allowed) for run in runs]
        walked_before = list(itertools.accumulate(len(run) for run in runs))

        def progress_of_runs(done: int, total: int) -> None:
            if progress is not None:
                progress(walked_before[done - 1] if done else 0, len(jobs))

        walked = [row for chunk in executor.map(solve_run, args, progress_of_runs) for row in chunk]
    rows = [None] * len(jobs)
    for i, row in zip(order, walked):
        rows[i] = row
    frame = pd.DataFrame(rows)
    for i, axis in enumerate(axes):
        frame.insert(i, axis_column(axis), [point[i] for point in points])
    for column in FRONTIER_FIXED_COLUMNS:
        if column not in frame.columns:
            frame[column] = np.nan if column not in ("channels_used", "message", "status") else ""
    # Timings vary from run to run; they go to run.json, so that frontier.csv is the same every time.
    frame.attrs["seconds"] = frame["seconds"].tolist() if "seconds" in frame.columns else []
    ordered = [axis_column(a) for a in axes] + FRONTIER_FIXED_COLUMNS
    seconds = frame.attrs["seconds"]
    frame = frame[ordered]
    frame.attrs["seconds"] = seconds
    frame["channels_used"] = frame["channels_used"].fillna("")
    frame["message"] = frame["message"].fillna("")
    return frame


def frontier_chart(frame: pd.DataFrame, axes: list[Axis]) -> bytes | None:
    """A PNG of the objective (or revenue, when the budget is varied) along the first varied parameter.

    Marks where each channel first gets budget. None when matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    axis = axis_column(axes[0])
    solved = frame[frame["status"].isin(["optimal", "time_limit_with_solution"])].copy()
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    y_column = "revenue_total" if axes[0].path == "budget.total" else "objective"
    if len(solved):
        xs = pd.to_numeric(solved[axis], errors="coerce")
        ax.plot(xs, solved[y_column], marker="o", lw=1.5, color="#1f5fa6")
        seen: set[str] = set()
        for x, y, used in zip(xs, solved[y_column], solved["channels_used"]):
            for channel in (used.split(";") if used else []):
                if channel not in seen:
                    seen.add(channel)
                    if x != xs.iloc[0]:
                        ax.annotate(f"+{channel}", (x, y), textcoords="offset points", xytext=(4, -12), fontsize=8)
    infeasible = frame[frame["status"] == "infeasible"]
    if len(infeasible):
        ax.scatter(pd.to_numeric(infeasible[axis], errors="coerce"), [ax.get_ylim()[0]] * len(infeasible),
                   marker="x", color="#b22", label="infeasible")
        ax.legend()
    ax.set_xlabel(axes[0].path)
    ax.set_ylabel(y_column.replace("_", " "))
    ax.set_title("Efficient frontier" if axes[0].path == "budget.total" else f"{y_column} along {axes[0].path}")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, format="png")
    plt.close(fig)
    return png.getvalue()

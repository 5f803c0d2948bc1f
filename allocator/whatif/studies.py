"""Sweeps and risk runs as whole studies: the work, its tables, its run record and its folder.

What `allocator sweep` and `allocator risk` do besides printing. An output folder given up front is
checked before any solve (a refused folder costs no time) and written, whole or not at all, at the end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import pandas as pd

from solvers import SolveOptions

from allocator.analysis.solution import Plan
from allocator.errors import UsageError
from allocator.io.output import prepare_target, protect_inputs, run_inputs, write_folder
from allocator.scenario.loader import load_scenario
from allocator.whatif.execute import describe as describe_executor
from allocator.whatif.risk import BLOCK, TASK_BLOCKS, risk_table, smallest_buffer
from allocator.whatif.sweep import check_axes, frontier_chart, grid, parse_axes, run_sweep

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Study:
    """The tables of a sweep or risk run, what run.json records, and any other files (a chart)."""

    tables: dict[str, pd.DataFrame]
    record: dict
    inputs: list[Path]
    extra_files: dict[str, bytes] = field(default_factory=dict)

    def write(self, folder: str | Path, force: bool = False) -> list[str]:
        """Write the tables as CSV, the extra files and run.json into `folder`, all at once or none."""
        write_folder(Path(folder), self.tables, self.record, inputs=self.inputs, extra_files=self.extra_files,
                     force=force)
        return [f"{stem}.csv" for stem in self.tables] + list(self.extra_files) + ["run.json"]


def sweep_study(scenario: Path, vary: list[str] | tuple, *, overrides: tuple, objective: str | None, solver: str,
                options: SolveOptions, workers: int | None, scheduler: str | None, allow_outside: tuple,
                out: Path | None = None, force: bool = False, progress: Progress | None = None) -> Study:
    """Solve every variant of the grid `vary` spans; the frontier table, its chart and run.json."""
    axes = parse_axes(vary)
    loaded = load_scenario(scenario, overrides, allow_outside)  # a bad base file is reported once, before any work
    check_axes(axes, loaded, allow_outside)  # one field varied twice, or no valid variant: before any solve
    inputs = run_inputs(loaded)
    if out is not None:
        prepare_target(out, force, inputs)
    total = len(grid(axes))
    started = time.perf_counter()
    frame = run_sweep(loaded.path, axes, tuple(loaded.overrides), objective, solver, options, workers, scheduler,
                      progress, allow_outside)
    seconds = time.perf_counter() - started
    chart = frontier_chart(frame, axes)
    per_variant = frame.attrs.get("seconds") or [0.0]
    slowest = int(max(range(len(per_variant)), key=per_variant.__getitem__))
    record = {"scenario": str(Path(loaded.path).absolute()), "vary": list(vary), "overrides": list(loaded.overrides),
              "variants": total, "statuses": frame["status"].value_counts().to_dict(), "seconds": round(seconds, 3),
              "solver": solver,
              "variant_seconds": {"mean": round(sum(per_variant) / len(per_variant), 4),
                                  "slowest": round(per_variant[slowest], 4), "slowest_row": slowest},
              "executor": describe_executor(workers, scheduler, total)}
    study = Study({"frontier": frame}, record, inputs, {"frontier.png": chart} if chart is not None else {})
    if out is not None:
        study.write(out, force)
    return study


@dataclass(frozen=True)
class RiskStudy:
    """A risk run: the plan it simulated and, when it has one, the outcome table and buffer search."""

    plan: Plan
    study: Study | None  # None: no plan to simulate
    samples: int
    seed: int
    smallest_buffer: float | None = None
    notes: list[str] = field(default_factory=list)


def risk_study(plan: Plan, *, samples: int, seed: int, confidence: float | None, objective: str | None,
               workers: int | None, scheduler: str | None, out: Path | None = None, force: bool = False,
               progress: Progress | None = None, cold: bool = False) -> RiskStudy:
    """Monte Carlo the plan under its scenario's uncertainty; with `confidence`, the smallest buffer that
    meets committed revenue with that probability (`cold`: its re-solves from scratch, not warm-started).
    `out` must have been checked with `prepare_target`."""
    s = plan.scenario
    if out is not None:
        protect_inputs(out, plan.inputs())  # its extends: and file: inputs, before any sampling
    if confidence is not None and s.targets.revenue is None:
        raise UsageError("--confidence", "targets.revenue", None,
                         "a committed revenue target in the scenario to measure --confidence against")
    notes = [] if s.uncertainty else ["the scenario has no `uncertainty` entries; every sample equals the plan"]
    if not plan.solved:
        return RiskStudy(plan, None, samples, seed, notes=notes)
    tasks = -(-samples // (BLOCK * TASK_BLOCKS))
    table = risk_table(plan.solution.model, plan.solution.x, samples, seed, workers, scheduler, progress)
    record = {"scenario": str(Path(plan.solution.loaded.path).absolute()), "samples": samples, "seed": seed,
              "uncertainty": len(s.uncertainty), "executor": describe_executor(workers, scheduler, tasks)}
    tables = {"risk": table}
    buffer = None
    if confidence is not None:
        options = replace(plan.options, warm=False) if cold else plan.options
        buffer, trail = smallest_buffer(s, objective, confidence, samples, seed, plan.solver, options,
                                        workers=workers, scheduler=scheduler)
        tables["buffer_search"] = pd.DataFrame(trail)
        record["confidence"] = confidence
        record["smallest_buffer"] = buffer
    study = Study(tables, record, plan.inputs())
    if out is not None:
        study.write(out, force)
    return RiskStudy(plan, study, samples, seed, buffer, notes)

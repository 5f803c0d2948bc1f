"""Running and checking drawn scenarios: solve with each backend, verify the plan, compare the solvers.

The scenarios come from tests/strategies.py; tests/test_properties.py and benchmarks/fuzz_verify.py
use these checks.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from reference import Drawn, reference_objective

# --------------------------------------------------------------------------
# Running and checking a drawn scenario
# --------------------------------------------------------------------------

STATUS_CLASSES = ("optimal", "infeasible", "unbounded")
REL_TOL = 1e-6  # CBC vs HiGHS objective, relative
ABS_TOL = 1e-6  # ... plus this much absolute, for objectives near 0
MONOTONE_REL_TOL = 1e-7
# Seconds each solver may run (`--time-limit`). Drawn scenarios solve in well under a second; the limit
# only turns a hang into a status (see KNOWN_BUGS["highs_presolve_hang"]).
SOLVE_TIME_LIMIT = 20.0


def size_of(data: dict) -> dict:
    C, T, P, M = (len(data[k]) for k in ("channels", "tiers", "products", "periods"))
    binaries = sum(1 for c in data["channels"] if "min_spend_if_used" in c)
    return {"channels": C, "tiers": T, "products": P, "periods": M, "cells": C * T * P * M, "binaries": binaries}


def describe_size(data: dict) -> str:
    s = size_of(data)
    return (f"{s['channels']}x{s['tiers']}x{s['products']}x{s['periods']} (channels x tiers x products x periods, "
            f"{s['cells']} cells, {s['binaries']} binaries)")


def dump(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@dataclass
class Outcome:
    solver: str
    status: str  # optimal / infeasible / unbounded, another Status value, or "solve_failed"
    objective: float | None
    seconds: float
    message: str = ""
    tie_break: str = ""
    violations: list[str] = field(default_factory=list)
    verified: bool = False


def solve_dict(data: dict, solver: str = "cbc", objective: str | None = None, folder: Path | None = None,
               time_limit: float | None = SOLVE_TIME_LIMIT):
    """Write `data` as a scenario file, load it the way `allocator solve` does, and solve it."""
    from allocator.scenario.loader import load_scenario
    from allocator.solving.pipeline import solve_loaded
    from solvers import SolveOptions

    def run(where: Path):
        path = where / "scenario.yaml"
        path.write_text(dump(data), encoding="utf-8")
        return solve_loaded(load_scenario(path), solver=solver, objective=objective,
                            options=SolveOptions(time_limit=time_limit))

    if folder is not None:
        return run(folder)
    with tempfile.TemporaryDirectory(prefix="allocator-fuzz-") as tmp:
        return run(Path(tmp))


def write_plan(solved, folder: Path) -> Path:
    """Write the plan folder the way `allocator solve` does (every table, run.json, the summary text)."""
    from allocator.io.output import run_inputs, write_folder
    from allocator.solving.pipeline import explain_status, run_record
    from allocator.cli.summary import summary_text

    out = folder / f"plan-{solved.plan.solver}"
    write_folder(out, dict(solved.plan.tables), run_record(solved), inputs=run_inputs(solved.loaded), force=True)
    summary_text(solved) if solved.plan.solved else explain_status(solved.plan)
    return out


def verify_folder(scenario_path: Path, out: Path) -> list[str]:
    """`allocator verify SCENARIO OUT`: re-check every row of OUT/allocation.csv; returns the violations."""
    from allocator.scenario.loader import load_scenario
    from allocator.plan.verify import read_allocation, verify

    return verify(load_scenario(scenario_path).scenario, read_allocation(out)).violations


def solve_outcome(data: dict, solver: str = "cbc", objective: str | None = None, check: bool = False,
                  folder: Path | None = None, write: bool = True, time_limit: float | None = SOLVE_TIME_LIMIT) -> Outcome:
    """Solve one scenario with one solver and write its folder as `allocator solve` does; with `check`,
    verify the plan from the written allocation.csv as `allocator verify` does.

    A solver failure (`SolveFailed`, exit code 3 of the CLI) becomes status "solve_failed"; any other
    exception (a crash of `allocator solve`) propagates.
    """
    from allocator.errors import SolveFailed

    if folder is None:
        with tempfile.TemporaryDirectory(prefix="allocator-fuzz-") as tmp:
            return solve_outcome(data, solver, objective, check, Path(tmp), write, time_limit)
    started = time.perf_counter()
    try:
        solved = solve_dict(data, solver, objective, folder, time_limit)
    except SolveFailed as exc:
        return Outcome(solver, "solve_failed", None, time.perf_counter() - started, message=str(exc))
    seconds = time.perf_counter() - started
    plan = solved.plan
    outcome = Outcome(solver, plan.status.value, plan.objective, seconds, message=plan.message,
                      tie_break=str(plan.tie_break))
    if not write:
        return outcome
    out = write_plan(solved, folder)
    if check and plan.status.has_solution:
        outcome.violations = verify_folder(folder / "scenario.yaml", out)
        outcome.verified = not outcome.violations
    return outcome


def run_case(data: dict, solvers=("cbc", "highs"), objective: str | None = None, check: bool = True,
             time_limit: float | None = SOLVE_TIME_LIMIT) -> dict[str, Outcome]:
    """Solve with each solver; verify every plan found through allocation.csv. Returns solver -> Outcome."""
    with tempfile.TemporaryDirectory(prefix="allocator-fuzz-") as tmp:
        return {solver: solve_outcome(data, solver, objective, check, Path(tmp), time_limit=time_limit)
                for solver in solvers}


def verify_rows(data: dict, rows: list[dict]):
    """`allocator.plan.verify` on a plan given as allocation rows (here: the reference plan); the Report."""
    import pandas as pd

    from allocator.scenario.schema import Scenario
    from allocator.plan.verify import verify

    from reference import REFERENCE_COLUMNS

    return verify(Scenario.model_validate(data), pd.DataFrame(rows, columns=REFERENCE_COLUMNS))


def check_reference(case: Drawn, outcomes: dict[str, Outcome]) -> tuple[bool, str | None]:
    """(whether the reference plan passes verify, failure or None).

    A scenario whose reference plan passes `allocator verify` has a plan, so every solver must report
    an optimal plan, and one at least as good as the reference (objective within REL_TOL) unless the
    reference falls short of a soft target (soft targets come first, lexicographically). Without wild
    edits the reference must pass verify (the strategy's own promise).
    """
    report = verify_rows(case.data, case.reference)
    violations = report.violations
    meets_goals = all(goal.ok for goal in report.goals)
    if violations:
        if not case.wild:
            return False, "the strategy's reference plan fails verify (no wild edit): " + "; ".join(violations[:5])
        return False, None
    objective = case.data.get("objective", "max_revenue")
    best = reference_objective(case.data, case.reference)
    sense = "min" if objective == "min_spend" else "max"
    for o in outcomes.values():
        if o.status != "optimal":
            return True, (f"{o.solver} reports {o.status} ({o.message}), but the reference plan passes verify "
                          f"({objective} {best!r})")
        if meets_goals and not not_worse(o.objective, best, sense, rel=REL_TOL):
            return True, f"{o.solver} optimum {o.objective!r} is worse than the reference plan's {best!r} ({objective})"
    return True, None


def objectives_agree(a: float, b: float, rel: float = REL_TOL, abs_tol: float = ABS_TOL) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b)) + abs_tol


def disagreement(outcomes: dict[str, Outcome]) -> str | None:
    """Why CBC and HiGHS disagree (status class or objective), or None when they agree."""
    a, b = outcomes["cbc"], outcomes["highs"]
    if a.status not in STATUS_CLASSES or b.status not in STATUS_CLASSES:
        return f"unexpected status: cbc {a.status} ({a.message}), highs {b.status} ({b.message})"
    if a.status != b.status:
        return f"status differs: cbc {a.status}, highs {b.status}"
    if a.status == "optimal" and not objectives_agree(a.objective, b.objective):
        diff = abs(a.objective - b.objective)
        return (f"objective differs: cbc {a.objective!r}, highs {b.objective!r} "
                f"(diff {diff:.3g}, relative {diff / max(abs(a.objective), abs(b.objective), 1e-300):.3g})")
    return None


def not_worse(looser: float, tighter: float, sense: str, rel: float = MONOTONE_REL_TOL) -> bool:
    """The looser problem's optimum is at least as good as the tighter one's (up to rel)."""
    slack = rel * max(abs(looser), abs(tighter), 1.0)
    return looser >= tighter - slack if sense == "max" else looser <= tighter + slack


# --------------------------------------------------------------------------
# Known library bugs, each kept as an xfail(strict=True) regression in tests/regressions/
# --------------------------------------------------------------------------
#
# Found and fixed during this work (their regression tests now pass; their tolerances were removed
# from here): empty tables crashing `allocator solve`, plans breaking response-curve order reported
# optimal, then (for one commit) plans breaking it reported infeasible although a plan existed,
# HiGHS' default MIP gap, HiGHS 1.16's presolve hang, CBC stopping short on the badly scaled
# max_new_customers objective, HiGHS refusing round-off coefficients.

# No library bug is open: each entry would name one, with its xfail(strict=True) regression test.
# (highs_large_revenue, HiGHS failing or calling plans infeasible once revenue reached ~1e10, was fixed by
# the power-of-two scaling in solvers.solve.)
KNOWN_BUGS: dict[str, str] = {}


def known_disagreement(data: dict, outcomes: dict[str, Outcome]) -> str | None:
    """The KNOWN_BUGS key that explains a CBC / HiGHS disagreement, or None (none is known today)."""
    return None


def known_reference_failure(case: "Drawn", outcomes: dict[str, Outcome]) -> str | None:
    """The KNOWN_BUGS key that explains a check_reference failure, or None (none is known today)."""
    return None

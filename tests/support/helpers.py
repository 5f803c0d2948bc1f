"""Shared helpers for the test suite: scenario files, solve-and-verify, backends."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import yaml
from click.testing import CliRunner

from allocator.cli.app import main
from allocator.solving.pipeline import SolvedScenario, solve_file
from allocator.plan.verify import verify
from solvers import Status

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "scenarios" / "example_q1.yaml"
LIVESTREAM_PUSH = REPO / "scenarios" / "example_q1_livestream_push.yaml"


def backends() -> list[str]:
    """Solver names to parametrize over: cbc always, highs when highspy imports."""
    names = ["cbc"]
    try:
        import highspy  # noqa: F401
    except ImportError:
        pass
    else:
        names.append("highs")
    return names


def write_scenario(tmp_path: Path, data: dict, name: str = "scenario.yaml") -> Path:
    """Dump `data` as YAML into tmp_path/name and return the path."""
    path = Path(tmp_path) / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def solve_and_verify(path: Path, solver: str = "cbc", objective: str | None = None,
                     status: Status = Status.OPTIMAL) -> SolvedScenario:
    """Solve, assert the status, and check the plan with the independent verifier."""
    solved = solve_file(path, solver=solver, objective=objective)
    assert solved.plan.status is status, f"{solver}: {solved.plan.status} ({solved.plan.message})"
    if status.has_solution:
        report = verify(solved.loaded.scenario, solved.plan.tables["allocation"])
        assert report.ok, "verify found violations:\n" + "\n".join(report.violations)
    return solved


def base_scenario(**overrides) -> dict:
    """One channel, one tier, one product, one period: revenue per unit of spend is 5.

    leads/spend = 1/10, customers/lead = 0.1, order value 500 -> 0.01 * 500 = 5.
    """
    data = {
        "name": "tiny",
        "periods": ["2027-01"],
        "objective": "max_revenue",
        "channels": [{"name": "a", "cost_per_lead": 10}],
        "tiers": [{"name": "n", "kind": "new", "conversion": 0.1, "order_value": 500}],
        "products": [{"name": "p", "stage": "growth"}],
        "budget": {"total": 1000},
    }
    data = copy.deepcopy(data)
    data.update(copy.deepcopy(overrides))
    return data


def spend_of(allocation: pd.DataFrame, **where) -> float:
    """Total spend of the allocation rows matching every column=value given."""
    mask = pd.Series(True, index=allocation.index)
    for column, value in where.items():
        mask &= allocation[column] == value
    return float(allocation.loc[mask, "spend"].sum())


def shadow_price(plan, name: str) -> float:
    table = plan.tables["constraints"]
    rows = table[table["name"] == name]
    assert len(rows) == 1, f"constraint {name!r} not found once in {list(table['name'])}"
    return float(rows["shadow_price"].iloc[0])


def constraint(plan, name: str) -> dict:
    table = plan.tables["constraints"]
    rows = table[table["name"] == name]
    assert len(rows) == 1, f"constraint {name!r} not found once in {list(table['name'])}"
    return rows.iloc[0].to_dict()


def invoke(*args):
    """The CLI run in-process (CliRunner), every argument as text.

    Exceptions are not caught: an error the CLI lets escape fails the test with its traceback, instead of
    becoming an exit code 1 that reads like "no plan"."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def write_generated(path: Path, products: int, channels: int, tiers: int, periods: int, seed: int) -> Path:
    """A synthetic scenario of that size written by benchmarks/generate.py (run as a user would)."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "generate.py"), "--products", str(products), "--channels",
         str(channels), "--tiers", str(tiers), "--periods", str(periods), "--seed", str(seed), "--out", str(path)],
        check=True, capture_output=True, cwd=REPO,
    )
    return path


# Every file `allocator solve --out` writes for a solved plan (no --report, no --export-model).
PLAN_FILES = {
    "allocation.csv", "by_channel.csv", "by_tier.csv", "by_product.csv", "by_period.csv", "targets.csv",
    "budget_lines.csv", "constraints.csv", "sensitivity.csv", "marginal.csv", "units.csv", "scenario.json",
    "run.json", "weekly.csv", "milestones.csv",  # the example has a calendar: and milestones:
}

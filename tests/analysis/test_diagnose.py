"""Infeasibility diagnosis: hand-built conflicts with known members and known relaxation amounts.

Each scenario below is infeasible for a reason worked out by hand in its comment: the exact set of
constraints that cannot hold together (irreducible), and for each member the value its scenario number
must move to, alone, every other demand kept, for a plan to exist (`feasible_at`, in the field's own
units; `None` when moving that number alone is not enough). Every case is checked through the library
(`allocator.analysis.diagnose.diagnose`) and through `allocator solve` (exit code 1, diagnosis.csv, the summary on
stdout and in run.json), on every backend.

Revenue per unit of spend (rps) in these scenarios is (1 / cost_per_lead) x conversion x order_value;
with `base_scenario`'s tier (conversion 0.1, order value 500) it is 50 / cost_per_lead: 10 -> 5, 12.5 -> 4.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from helpers import backends, base_scenario, invoke, write_scenario

from allocator.analysis.diagnose import diagnose
from allocator.solving.pipeline import solve_file
from solvers import Status

P = "2027-01"  # base_scenario's only period

# Relaxations are found by bisection to 1e-6 relative, on top of the solvers' feasibility tolerance.
REL, ABS = 2e-6, 1e-4

# Short generated names (MPS rows r12, columns x3) or bare indices must never reach the user.
ROW_INDEX = re.compile(r"\b(?:[rx]\d+|rows?\s+\d+|col(?:umn)?s?\s+\d+)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Member:
    lever: str  # the scenario field path
    current: float
    feasible_at: float | None  # None: moving this number alone cannot make the plan feasible
    words: tuple[str, ...] = ()  # scenario names / words the member's `limit` text must contain


@dataclass(frozen=True)
class Case:
    scenario: dict
    conflicts: tuple[dict[str, Member], ...]  # every acceptable irreducible conflict (usually one)
    fixes: tuple[str, ...] = ()  # fragments of the "Relax one of:" lines, as printed


CASES = {
    # (a) Budget too small for the new-customer target.  One channel at 20 per lead, conversion 0.05:
    # 20 / 0.05 = 400 per new customer.  A budget of 100,000 buys 100,000 / 400 = 250 new customers; the
    # target is 300 (buffer 0).  Conflict: {target_new_customers, budget_total}.  Alone, the target can
    # drop to 250, or the budget rise to 300 x 400 = 120,000.
    "budget_vs_new_customers": Case(
        scenario=base_scenario(
            channels=[{"name": "search", "cost_per_lead": 20}],
            tiers=[{"name": "fresh", "kind": "new", "conversion": 0.05, "order_value": 1000}],
            budget={"total": 100000},
            targets={"new_customers": 300, "buffer": 0},
        ),
        conflicts=({
            "target_new_customers": Member("targets.new_customers", 300, 250, ("new customers", "300")),
            "budget_total": Member("budget.total", 100000, 120000, ("budget", "100,000")),
        },),
        fixes=("targets.new_customers: 300 -> 250", "budget.total: 100,000 -> 120,000"),
    ),
    # (b) Two revenue shares that cannot hold together although each is valid alone: tier premium at
    # least 60% of revenue, and channel social at least 60% of revenue, where premium may only be served
    # by search (tier `channels`), so no cell is in both selections: 60% + 60% > 100%.  The selections
    # use different keys, so the loader's check of disjoint shares of one key lets the file through.
    # With no revenue at all both share rows hold trivially (0 >= 0.6 x 0), so the conflict needs what
    # forces revenue above zero: the revenue target of 1,000 (no baseline; the budget of 1,000 buys up to
    # 5,000, so it is not part of it).  Conflict: {target_revenue, both mix rows}.  Alone: the target to
    # 0 (any revenue at all breaks the shares); either share to 1 - 0.6 = 0.4 (the other 60% then fits).
    "mix_shares_above_100pct": Case(
        scenario=base_scenario(
            channels=[{"name": "search", "cost_per_lead": 10}, {"name": "social", "cost_per_lead": 10}],
            tiers=[
                {"name": "premium", "kind": "existing", "conversion": 0.1, "order_value": 500, "channels": ["search"]},
                {"name": "basic", "kind": "new", "conversion": 0.1, "order_value": 500},
            ],
            targets={"revenue": 1000, "mix": [
                {"of": "revenue", "select": {"tier": "premium"}, "min_share": 0.6},
                {"of": "revenue", "select": {"channel": "social"}, "min_share": 0.6},
            ]},
        ),
        conflicts=({
            "target_revenue": Member("targets.revenue", 1000, 0, ("revenue", "1,000")),
            "mix_min_revenue[tier=premium]": Member("targets.mix[0].min_share", 0.6, 0.4, ("premium", "60.0%")),
            "mix_min_revenue[channel=social]": Member("targets.mix[1].min_share", 0.6, 0.4, ("social", "60.0%")),
        },),
        fixes=("targets.mix[0].min_share: 60.0% -> 40.0%", "targets.mix[1].min_share: 60.0% -> 40.0%",
               "targets.revenue: 1,000 -> 0"),
    ),
    # (c) Portfolio ROI floor 6 above every channel's ROI (search 5, social 4), with a revenue target of
    # 1,000 of which the baseline brings 300: the other 700 needs spend, and any spend has ROI <= 5 < 6.
    # Conflict: {roi_floor_portfolio, target_revenue}.  Alone: min_roi down to the best achievable ROI,
    # 5 (all of the 140 needed on search; the budget of 1,000 allows it), or the target down to what the
    # baseline brings without spend, 300.
    "portfolio_roi_above_every_channel": Case(
        scenario=base_scenario(
            channels=[{"name": "search", "cost_per_lead": 10}, {"name": "social", "cost_per_lead": 12.5}],
            baseline=[{"channel": "search", "tier": "n", "product": "p", "period": P, "revenue": 300}],
            targets={"revenue": 1000, "min_roi": 6},
        ),
        conflicts=({
            "roi_floor_portfolio": Member("targets.min_roi", 6, 5, ("portfolio ROI", "6")),
            "target_revenue": Member("targets.revenue", 1000, 300, ("revenue", "1,000")),
        },),
        fixes=("targets.min_roi: 6.00 -> 5.00", "targets.revenue: 1,000 -> 300"),
    ),
    # (d) A channel's own ROI floor: search has ROI 5 but min_roi 6, so it cannot be used at all; social
    # (ROI 4) is capped at 100 of spend = 400 of revenue; the target is 1,000 (budget 1,000 is ample).
    # Conflict: {roi_floor[search], capacity_spend[social,2027-01], target_revenue}.  Alone: search's
    # floor down to its ROI, 5 (it then brings the missing 600 with 120 of spend); social's cap up to
    # 1,000 / 4 = 250; or the target down to 400.
    "channel_roi_floor": Case(
        scenario=base_scenario(
            channels=[{"name": "search", "cost_per_lead": 10, "min_roi": 6},
                      {"name": "social", "cost_per_lead": 12.5, "max_spend": 100}],
            targets={"revenue": 1000},
        ),
        conflicts=({
            "roi_floor[search]": Member("channels[search].min_roi", 6, 5, ("search", "ROI", "6")),
            "capacity_spend[social,2027-01]": Member("channels[social].max_spend[2027-01]", 100, 250,
                                                     ("social", "2027-01", "100")),
            "target_revenue": Member("targets.revenue", 1000, 400, ("revenue", "1,000")),
        },),
        fixes=("channels[search].min_roi: 6.00 -> 5.00", "channels[social].max_spend[2027-01]: 100 -> 250",
               "targets.revenue: 1,000 -> 400"),
    ),
    # (e) One member not enough alone: search is held by two independent caps, its own max_spend 100 and
    # a budget limit of at most 150; social is capped at 100.  Both channels have ROI 5; the target of
    # 1,500 needs 300 of spend, the caps allow 100 + 100 = 200 (revenue 1,000).  Two conflicts are
    # irreducible, each with the target and social's cap, and either of search's caps:
    #   {target_revenue, budget_max[channel=search], capacity_spend[social,2027-01]}
    #   {target_revenue, capacity_spend[search,2027-01], capacity_spend[social,2027-01]}
    # Alone: the target to 1,000; social's cap to 100 + 100 = 200 (search still gives 100); raising one
    # of search's caps does nothing while the other stays at 100 or 150: not enough alone.
    "two_independent_caps": Case(
        scenario=base_scenario(
            channels=[{"name": "search", "cost_per_lead": 10, "max_spend": 100},
                      {"name": "social", "cost_per_lead": 10, "max_spend": 100}],
            budget={"total": 1000, "limits": [{"select": {"channel": "search"}, "max": 150}]},
            targets={"revenue": 1500},
        ),
        conflicts=(
            {
                "target_revenue": Member("targets.revenue", 1500, 1000, ("revenue", "1,500")),
                "budget_max[channel=search]": Member("budget.limits[0].max", 150, None, ("search", "150")),
                "capacity_spend[social,2027-01]": Member("channels[social].max_spend[2027-01]", 100, 200,
                                                         ("social", "2027-01", "100")),
            },
            {
                "target_revenue": Member("targets.revenue", 1500, 1000, ("revenue", "1,500")),
                "capacity_spend[search,2027-01]": Member("channels[search].max_spend[2027-01]", 100, None,
                                                         ("search", "2027-01", "100")),
                "capacity_spend[social,2027-01]": Member("channels[social].max_spend[2027-01]", 100, 200,
                                                         ("social", "2027-01", "100")),
            },
        ),
        fixes=("targets.revenue: 1,500 -> 1,000", "channels[social].max_spend[2027-01]: 100 -> 200"),
    ),
}


def _matching_conflict(case: Case, names: set[str]) -> dict[str, Member]:
    for conflict in case.conflicts:
        if set(conflict) == names:
            return conflict
    raise AssertionError(f"conflict {sorted(names)} is none of the expected {[sorted(c) for c in case.conflicts]}")


def _check_table(case: Case, table: pd.DataFrame) -> dict[str, Member]:
    """The diagnosis table (from the library or diagnosis.csv) against the hand-computed case."""
    assert table["constraint"].is_unique, table
    conflict = _matching_conflict(case, set(table["constraint"]))
    rows = table.set_index("constraint")
    for name, member in conflict.items():
        row = rows.loc[name]
        assert row["lever"] == member.lever, (name, row["lever"])
        assert float(row["current"]) == pytest.approx(member.current, rel=1e-12), name
        for word in member.words:
            assert word in row["limit"], (name, row["limit"], word)
        if member.feasible_at is None:
            assert not _truthy(row["enough_alone"]), (name, row.to_dict())
            assert np.isnan(float(row["feasible_at"])), (name, row.to_dict())
        else:
            assert _truthy(row["enough_alone"]), (name, row.to_dict())
            assert float(row["feasible_at"]) == pytest.approx(member.feasible_at, rel=REL, abs=ABS), name
            assert float(row["change"]) == pytest.approx(member.feasible_at - member.current, rel=REL, abs=ABS), name
    for text in table["limit"]:
        assert not ROW_INDEX.search(text), text
    return conflict


def _truthy(value) -> bool:
    """enough_alone as a bool, whether it comes from the library (bool) or from diagnosis.csv."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _check_summary(case: Case, conflict: dict[str, Member], lines: list[str]) -> None:
    """The plain summary: the members by readable name, the fixes, the levers not enough alone."""
    assert lines[0] == "These demands cannot all hold at once:", lines
    relax_at = lines.index("Relax one of:") if "Relax one of:" in lines else len(lines)
    members = lines[1:relax_at]
    for name in conflict:
        assert sum(line.startswith("  - ") and line.endswith(f"[{name}]") for line in members) == 1, (name, members)
    fix_lines = [line for line in lines[relax_at + 1:] if line.startswith("  - ")]
    enough = [m for m in conflict.values() if m.feasible_at is not None]
    assert len(fix_lines) == len(enough), lines
    for member in enough:
        assert any(line.startswith(f"  - {member.lever}: ") for line in fix_lines), (member.lever, fix_lines)
    for fragment in case.fixes:
        assert any(fragment in line for line in fix_lines), (fragment, fix_lines)
    stuck = [m.lever for m in conflict.values() if m.feasible_at is None]
    stuck_lines = [line for line in lines if line.startswith("Not enough on its own")]
    if stuck:
        assert len(stuck_lines) == 1, lines
        for lever in stuck:
            assert lever in stuck_lines[0], (lever, stuck_lines)
    else:
        assert not stuck_lines, lines
    for line in lines:
        assert not ROW_INDEX.search(line), line


@pytest.mark.parametrize("solver", backends())
@pytest.mark.parametrize("case_name", list(CASES))
def test_diagnose_finds_the_conflict_and_relaxations(tmp_path, case_name, solver):
    case = CASES[case_name]
    solved = solve_file(write_scenario(tmp_path, case.scenario), solver=solver)
    assert solved.plan.status is Status.INFEASIBLE, (solved.plan.status, solved.plan.message)
    result = diagnose(solved.model, solver)
    conflict = _check_table(case, result.table())
    assert len(result.relaxations) == len(conflict)
    # Irreducible and in scenario terms: each relaxation names its constraint, limit and lever.
    for r in result.relaxations:
        assert r.constraint in conflict and r.lever.label == conflict[r.constraint].lever
    _check_summary(case, conflict, result.summary())
    assert result.solves > 0


@pytest.mark.parametrize("solver", backends())
@pytest.mark.parametrize("case_name", list(CASES))
def test_solve_cli_writes_the_diagnosis(tmp_path, case_name, solver):
    case = CASES[case_name]
    path = write_scenario(tmp_path, case.scenario)
    out = tmp_path / "out"
    result = invoke("solve", path, "--out", out, "--solver", solver, "--store", "none")  # no "Recorded run" line
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("tiny: infeasible: no plan meets every target"), lines[0]
    assert lines[-1].startswith(f"Wrote {out}") and "diagnosis.csv" in lines[-1], lines[-1]
    summary = lines[1:-1]
    diagnosis = pd.read_csv(out / "diagnosis.csv")
    assert list(diagnosis.columns) == ["constraint", "kind", "limit", "lever", "current", "feasible_at", "change",
                                       "enough_alone", "complete", "note"]
    assert diagnosis["complete"].all() and diagnosis["note"].isna().all(), diagnosis  # a finished diagnosis
    conflict = _check_table(case, diagnosis)
    _check_summary(case, conflict, summary)
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "infeasible"
    assert run["diagnosis"]["summary"] == summary
    assert run["diagnosis"]["solves"] > 0
    assert run["diagnosis"]["complete"] is True and run["diagnosis"]["note"] == ""
    # No plan files for an infeasible plan.
    assert not (out / "allocation.csv").exists()


@pytest.mark.parametrize("solver", backends())
def test_explain_cli_diagnoses_an_infeasible_plan(tmp_path, solver):
    case = CASES["budget_vs_new_customers"]
    path = write_scenario(tmp_path, case.scenario)
    out = tmp_path / "explained"
    result = invoke("explain", path, "--out", out, "--solver", solver)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("tiny: infeasible")
    assert lines[-1].startswith(f"Wrote {out}")
    conflict = _check_table(case, pd.read_csv(out / "diagnosis.csv"))
    _check_summary(case, conflict, lines[1:-1])


# An on/off channel: search is either off or gets at least 500 (min_spend_if_used), its cap is 100 a
# month, and a budget line asks for at least 50 on it.  On needs >= 500 > 100; off gives 0 < 50.
IF_USED = base_scenario(
    channels=[{"name": "search", "cost_per_lead": 10, "max_spend": 100, "min_spend_if_used": 500}],
    budget={"total": 1000, "limits": [{"select": {"channel": "search"}, "min": 50}]},
)


@pytest.mark.parametrize("solver", backends())
def test_min_spend_if_used_can_be_relaxed_down_to_the_cap(tmp_path, solver):
    # Alone, min_spend_if_used can drop to 100 (the cap): search on at 100 >= 50.
    solved = solve_file(write_scenario(tmp_path, IF_USED), solver=solver)
    assert solved.plan.status is Status.INFEASIBLE
    table = diagnose(solved.model, solver).table().set_index("constraint")
    assert "if_used_min[search]" in table.index, table
    row = table.loc["if_used_min[search]"]
    assert row["enough_alone"], row.to_dict()
    assert row["feasible_at"] == pytest.approx(100, rel=REL)


@pytest.mark.parametrize("solver", backends())
def test_on_off_conflict_names_the_cap_behind_the_big_m(tmp_path, solver):
    # Irreducible: drop the budget line -> search off; drop the on/off minimum -> search at 50; drop the
    # cap -> search on at 500 (budget 1,000 allows it).  All three must be named.
    solved = solve_file(write_scenario(tmp_path, IF_USED), solver=solver)
    assert solved.plan.status is Status.INFEASIBLE
    table = diagnose(solved.model, solver).table()
    assert set(table["constraint"]) == {"budget_min[channel=search]", "if_used_min[search]",
                                        "capacity_spend[search,2027-01]"}


# The widen-then-bisect search that the relaxations here and the price ranges (allocator.analysis.ranging) share.
def test_find_edge_walks_out_by_doubling_then_bisects():
    from allocator.analysis.edge import doubling_trials, find_edge

    probes = []

    def crossed(value: float) -> bool:
        probes.append(value)
        return value >= 7.3

    # From 0 in steps of 1: 1, 2, 4 have not crossed, 8 has; then halving [4, 8] to a width of 1/64 takes
    # 8 probes (4 / 2^8 = 1/64): the edge lies in (near, far], 7.3 within 1/64.
    edge = find_edge(crossed, 0.0, doubling_trials(0.0, 1.0, +1, 10), lambda near, far: far - near <= 1 / 64)
    assert probes[:4] == [1.0, 2.0, 4.0, 8.0] and len(probes) == 4 + 8
    assert edge.near < 7.3 <= edge.far and edge.far - edge.near == 1 / 64
    # A bound stops the walk: 1, 2, 4, then 5 (kept within 5) twice; no trial crossed.
    probes.clear()
    edge = find_edge(crossed, 0.0, doubling_trials(0.0, 1.0, +1, 10, high=5.0), lambda near, far: True)
    assert probes == [1.0, 2.0, 4.0, 5.0] and edge.near == 5.0 and edge.far is None
    # Downwards from 10 (kept at or above 0), crossing below 7.3: 9 and 8 have not, 6 has; halving [6, 8]
    # to a width of 0.5: 7 has crossed, 7.5 has not.
    probes.clear()
    edge = find_edge(lambda v: not crossed(v), 10.0, doubling_trials(10.0, 1.0, -1, 10, low=0.0),
                     lambda near, far: near - far <= 0.5)
    assert probes == [9.0, 8.0, 6.0, 7.0, 7.5] and (edge.near, edge.far) == (7.5, 7.0)

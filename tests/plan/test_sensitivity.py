"""Shadow prices in business units, checked against re-solves; price ranges; marginal ROI; the MILP note.

A shadow price restated per unit of a scenario number (`price_per_lever_unit`) is a claim about what
re-solving with that number moved would give.  The finite-difference tests make exactly that check:
rebuild the scenario with the number moved a small step up and down (`Lever.apply`), solve, and compare
(f(v + h) - f(v)) / h and (f(v) - f(v - h)) / h with the reported price.  LP value functions are piecewise
linear, so at a breakpoint the two quotients differ and any price between them is a valid (one-sided)
price: the check is that the price lies between them, up to 1e-4 relative.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from helpers import EXAMPLE, LIVESTREAM_PUSH, backends, base_scenario, invoke, write_scenario

from allocator.scenario.loader import load_scenario
from allocator.model.build import build_model
from allocator.solving.pipeline import solve_file
from solvers import Status, solve

P = "2027-01"
SHARE_STEP = 1e-4  # absolute step for shares and tolerances (0-1)
RELATIVE_STEP = 1e-3  # step for money, counts and ROI floors, relative to the value
MILP_NOTE = "(prices from the LP with the on/off channel choices fixed at the optimum)"


def _is_share(label: str) -> bool:
    return label.endswith(("share", "tolerance"))


def _objective(scenario, objective: str, solver: str) -> float:
    """The optimum of the plain program built from `scenario` (no tie-break pass: it may give up 1e-9)."""
    assert scenario is not None, "Lever.apply refused the moved value"
    model = build_model(scenario, objective)
    result = solve(model.lp, solver)
    assert result.status is Status.OPTIMAL, (result.status, result.message)
    return model.objective_value(result.x)


def _difference_quotients(solved, solver: str, row) -> tuple[float, float, float]:
    """(left, right, step) difference quotients of the optimum in the row's lever."""
    model = solved.model
    scenario = model.scenario
    lever = model.rows[model.lp.row_names.index(row.constraint.split("; ")[0])].lever  # merged rows share one lever
    assert lever is not None and lever.label == row.lever, (row.constraint, lever)
    assert lever.current == pytest.approx(row.lever_value, rel=1e-12)
    v = lever.current
    h = SHARE_STEP if _is_share(lever.label) else RELATIVE_STEP * max(abs(v), 1.0)
    kind = solved.plan.objective_kind
    base = _objective(scenario, kind, solver)
    up = _objective(lever.apply(scenario, v + h), kind, solver)
    down = _objective(lever.apply(scenario, v - h), kind, solver)
    return (base - down) / h, (up - base) / h, abs(base)


def _assert_price_between_quotients(solved, solver: str, row) -> None:
    left, right, scale = _difference_quotients(solved, solver, row)
    h = SHARE_STEP if _is_share(row.lever) else RELATIVE_STEP * max(abs(row.lever_value), 1.0)
    price = float(row.price_per_lever_unit)
    # 1e-4 relative, plus the solver's own precision (1e-10 of the objective) divided by the step.
    tol = 1e-4 * max(abs(left), abs(right), abs(price)) + 1e-10 * max(1.0, scale) / h
    low, high = min(left, right), max(left, right)
    assert low - tol <= price <= high + tol, (
        f"{solver} {row.constraint}: price per unit of {row.lever} = {price:.8g}, but re-solving gives "
        f"{left:.8g} (step down) and {right:.8g} (step up)")


def _checked_rows(table: pd.DataFrame, count: int | None = None) -> pd.DataFrame:
    """The costliest binding rows, minus phasing rows (their shared lever is tested apart, below)."""
    rows = table[~table["lever"].str.endswith("tolerance")]
    return rows.head(count) if count else rows


# --- (a) finite differences on the bundled examples (a MILP: livestream's min_spend_if_used) ----------

@pytest.mark.parametrize("solver", backends())
@pytest.mark.parametrize("path, expected_levers", [
    (EXAMPLE, {"budget.total", "budget.limits[2].max", "targets.mix[1].min_share",
               "channels[mini_program].max_spend[2027-02]"}),
    (LIVESTREAM_PUSH, {"budget.limits[2].max", "targets.mix[1].min_share", "channels[direct_sales].max_spend[2027-03]"}),
], ids=["example_q1", "livestream_push"])
def test_example_prices_match_finite_differences(path, expected_levers, solver):
    solved = solve_file(path, solver=solver)
    assert solved.plan.status is Status.OPTIMAL
    assert solved.plan.duals_from == "lp_with_integers_fixed"
    rows = _checked_rows(solved.plan.tables["sensitivity"], count=8)
    assert expected_levers <= set(rows["lever"]), list(rows["lever"])
    for row in rows.itertuples():
        _assert_price_between_quotients(solved, solver, row)


# --- (a) finite differences on small LPs, one per kind of lever ----------------------------------------

SMALL_LPS = {
    # A new-customer target with a 10% buffer forces spend onto the weaker tier: fresh (new) earns 3 per
    # unit of spend, loyal 5; 2 committed new customers -> 2.2 planned -> 440 of spend on fresh.
    # Price of the target per committed customer: -200 spend shifted x (5 - 3) x 1.1 = -440; budget 5.
    "new_customer_target": (
        base_scenario(
            tiers=[{"name": "fresh", "kind": "new", "conversion": 0.05, "order_value": 600},
                   {"name": "loyal", "kind": "existing", "conversion": 0.1, "order_value": 500}],
            targets={"new_customers": 2, "buffer": 0.1},
        ),
        {"budget_total": 5.0, "target_new_customers": -440.0},
    ),
    # Cheapest plan for 3,000 of revenue: search (ROI 5) limited to 400 by a budget line, the rest from
    # social (ROI 4).  One more unit of target costs 1/4; one more unit of search's limit saves 1 - 5/4.
    "min_spend": (
        base_scenario(
            objective="min_spend",
            channels=[{"name": "search", "cost_per_lead": 10}, {"name": "social", "cost_per_lead": 12.5}],
            budget={"total": 1000, "limits": [{"select": {"channel": "search"}, "max": 400}]},
            targets={"revenue": 3000},
        ),
        {"target_revenue": 0.25, "budget_max[channel=search]": -0.25},
    ),
    # A revenue share with baseline revenue outside the selection: social (ROI 4) must bring 30% of all
    # revenue, baseline included; the share's price is per unit of share (x total revenue).
    "mix_share_with_baseline": (
        base_scenario(
            channels=[{"name": "search", "cost_per_lead": 10}, {"name": "social", "cost_per_lead": 12.5, "max_spend": 800}],
            baseline=[{"channel": "search", "tier": "n", "product": "p", "period": P, "revenue": 500}],
            targets={"mix": [{"of": "revenue", "select": {"channel": "social"}, "min_share": 0.3}]},
        ),
        {"budget_total": None, "mix_min_revenue[channel=social]": None},
    ),
    # A channel ROI floor, priced in new customers: search's fresh cells return 2, loyal 6, floor 4.
    "channel_roi_floor": (
        base_scenario(
            objective="max_new_customers",
            channels=[{"name": "search", "cost_per_lead": 10, "min_roi": 4}],
            tiers=[{"name": "fresh", "kind": "new", "conversion": 0.05, "order_value": 400},
                   {"name": "loyal", "kind": "existing", "conversion": 0.1, "order_value": 600}],
        ),
        # f(rho) = new customers from fresh spend (6 - rho) x 1000 / 4 x 0.005 -> -1.25 per unit of rho.
        {"roi_floor[search]": -1.25, "budget_total": 0.0025},
    ),
    # The portfolio ROI floor, priced in new customers.
    "portfolio_roi_floor": (
        base_scenario(
            objective="max_new_customers",
            channels=[{"name": "search", "cost_per_lead": 10}, {"name": "social", "cost_per_lead": 10, "max_spend": 300}],
            tiers=[{"name": "fresh", "kind": "new", "conversion": 0.05, "order_value": 400, "channels": ["search"]},
                   {"name": "loyal", "kind": "existing", "conversion": 0.1, "order_value": 600}],
            targets={"min_roi": 3.5},
        ),
        {"roi_floor_portfolio": None, "budget_total": None},
    ),
}


@pytest.mark.parametrize("solver", backends())
@pytest.mark.parametrize("name", list(SMALL_LPS))
def test_small_lp_prices_match_finite_differences(tmp_path, name, solver):
    data, expected = SMALL_LPS[name]
    solved = solve_file(write_scenario(tmp_path, data), solver=solver)
    assert solved.plan.status is Status.OPTIMAL
    assert solved.plan.duals_from == "lp"
    table = solved.plan.tables["sensitivity"]
    assert set(table["constraint"]) == set(expected), list(table["constraint"])
    for row in table.itertuples():
        if expected[row.constraint] is not None:
            assert row.price_per_lever_unit == pytest.approx(expected[row.constraint], rel=1e-6), row.constraint
        _assert_price_between_quotients(solved, solver, row)


# Two months weighted 50/50 with a 10% tolerance; February's demand is half January's, so January takes
# all it may (55% of revenue) and February the least it may (45%): phasing_max[2027-01] and
# phasing_min[2027-02] bind together, and both come from the one number seasonality.tolerance.
PHASING = base_scenario(
    periods=["2027-01", "2027-02"],
    seasonality={"demand_index": {"2027-01": 1.0, "2027-02": 0.5},
                 "target_weights": {"2027-01": 0.5, "2027-02": 0.5}, "tolerance": 0.1},
)


@pytest.mark.parametrize("solver", backends())
def test_shared_tolerance_lever_is_priced_as_a_whole(tmp_path, solver):
    solved = solve_file(write_scenario(tmp_path, PHASING), solver=solver)
    assert solved.plan.status is Status.OPTIMAL
    table = solved.plan.tables["sensitivity"]
    phasing = table[table["lever"] == "seasonality.tolerance"]
    # One number sets both bands: they are one row of the table, priced as a whole.
    assert len(phasing) == 1
    assert set(phasing["constraint"].iloc[0].split("; ")) == {"phasing_max[2027-01]", "phasing_min[2027-02]"}
    for row in phasing.itertuples():
        _assert_price_between_quotients(solved, solver, row)


# --- (b) a hand-solved LP: prices known exactly ------------------------------------------------------

# Three channels, one tier (conversion 0.1, order value 500): ROI = 50 / cost per lead.
#   good  ROI 8, capped at 300;  worse ROI 5, capped at 1,000;  poor ROI 4, no cap.  Budget 1,000.
# Optimum: good 300 (its cap), worse 700 (the rest of the budget), poor 0: revenue 2,400 + 3,500 = 5,900.
#   budget_total price = ROI of the channel taking the marginal unit (worse) = 5
#   capacity_spend[good] price = 8 - 5 = 3 (a unit moved from worse to good)
#   worse's cap is slack (700 < 1,000): not listed.
#   poor's reduced cost = 4 - 5 = -1: it would need ROI 1.00 higher to get budget.
# Ranging (price holds while the same channels are at the margin):
#   budget.total: from 300 (below it good is not full and the next unit earns 8) to 300 + 1,000 = 1,300
#   (worse full; the next unit goes to poor at 4).
#   channels[good].max_spend: from 0 (worse takes 1,000 = its cap, still priced 8 - 5) to 1,000 (good takes
#   the whole budget; a higher cap is worth nothing).
HAND = base_scenario(
    channels=[
        {"name": "good", "cost_per_lead": 6.25, "max_spend": 300},
        {"name": "worse", "cost_per_lead": 10, "max_spend": 1000},
        {"name": "poor", "cost_per_lead": 12.5},
    ],
    budget={"total": 1000},
)
GOOD_CAP = "capacity_spend[good,2027-01]"


@pytest.fixture(scope="module", params=backends())
def hand_solved(request, tmp_path_factory):
    solver = request.param
    folder = tmp_path_factory.mktemp(f"hand-{solver}")
    path = write_scenario(folder, HAND)
    result = invoke("solve", path, "--out", folder / "plan", "--solver", solver)
    assert result.exit_code == 0, result.output
    return solver, path, folder / "plan", result.output


def test_hand_lp_shadow_prices_and_words(hand_solved):
    solver, _, out, _ = hand_solved
    sensitivity = pd.read_csv(out / "sensitivity.csv")
    assert list(sensitivity["constraint"]) == ["budget_total", GOOD_CAP]  # costliest first: 500 > 90
    rows = sensitivity.set_index("constraint")

    budget = rows.loc["budget_total"]
    assert budget["kind"] == "budget" and budget["lever"] == "budget.total"
    assert budget["lever_value"] == 1000
    assert budget["shadow_price"] == pytest.approx(5, rel=1e-9)
    assert budget["price_per_lever_unit"] == pytest.approx(5, rel=1e-9)
    assert budget["gain_if_relaxed_10pct"] == pytest.approx(500, rel=1e-9)  # 100 more budget x 5
    assert "budget" in budget["limit"] and "1,000" in budget["limit"] and "at most" in budget["limit"]
    assert "1 of budget.total" in budget["effect"] and budget["effect"].endswith("-> +5.00 revenue"), budget["effect"]

    cap = rows.loc[GOOD_CAP]
    assert cap["kind"] == "capacity" and cap["lever"] == "channels[good].max_spend[2027-01]"
    assert cap["lever_value"] == 300
    assert cap["shadow_price"] == pytest.approx(3, rel=1e-9)
    assert cap["price_per_lever_unit"] == pytest.approx(3, rel=1e-9)
    assert cap["gain_if_relaxed_10pct"] == pytest.approx(90, rel=1e-9)  # 30 more cap x 3
    for word in ("good", "2027-01", "capped", "300"):
        assert word in cap["limit"], cap["limit"]
    assert "1 of channels[good].max_spend[2027-01]" in cap["effect"] and cap["effect"].endswith("-> +3.00 revenue")

    # The same prices in constraints.csv; price ranges come only from `explain`.
    constraints = pd.read_csv(out / "constraints.csv").set_index("name")
    assert constraints.loc["budget_total", "shadow_price"] == pytest.approx(5)
    assert constraints.loc[GOOD_CAP, "shadow_price"] == pytest.approx(3)
    assert not constraints.loc["capacity_spend[worse,2027-01]", "binding"]
    assert sensitivity["valid_from"].isna().all() and sensitivity["valid_to"].isna().all()
    run = json.loads((out / "run.json").read_text())
    assert run["duals_from"] == "lp" and run["objective"] == pytest.approx(5900)


def test_hand_lp_summary_names_the_costliest_without_milp_note(hand_solved):
    _, _, _, output = hand_solved
    lines = output.splitlines()
    top = _costliest_lines(lines)
    assert len(top) == 2  # only two limits bind
    assert top[0].startswith("  1. ") and top[0].endswith("[budget_total]")
    assert top[1].startswith("  2. ") and top[1].endswith(f"[{GOOD_CAP}]")
    assert not any("prices from the LP" in line for line in lines)


# --- (d) marginal.csv ------------------------------------------------------------------------------

def test_hand_lp_marginal_roi_and_reduced_costs(hand_solved):
    _, _, out, _ = hand_solved
    marginal = pd.read_csv(out / "marginal.csv", keep_default_na=False, na_values=[""])
    channels = marginal[marginal["scope"] == "channel"].set_index("name")
    assert list(channels.index) == ["good", "worse", "poor"]
    assert channels.loc["good", "spend"] == pytest.approx(300)
    assert channels.loc["worse", "spend"] == pytest.approx(700)
    assert channels.loc["poor", "spend"] == pytest.approx(0, abs=1e-6)
    assert channels.loc["good", "roi"] == pytest.approx(8) and channels.loc["worse", "roi"] == pytest.approx(5)
    assert channels.loc["worse", "marginal_roi"] == pytest.approx(5)
    assert channels.loc["poor", "marginal_roi"] == pytest.approx(4)
    # Funded channels price out at zero; poor falls short by its ROI 4 against the budget's price 5.
    assert channels.loc["good", "best_reduced_cost"] == pytest.approx(0, abs=1e-9)
    assert channels.loc["worse", "best_reduced_cost"] == pytest.approx(0, abs=1e-9)
    assert channels.loc["poor", "best_reduced_cost"] == pytest.approx(-1.0, rel=1e-9)
    assert "would need ROI 1.00 higher" in channels.loc["poor", "note"], channels.loc["poor", "note"]
    for name in ("good", "worse"):
        note = channels.loc[name, "note"]
        assert not isinstance(note, str) or note == "", (name, note)
    periods = marginal[marginal["scope"] == "period"].set_index("name")
    assert list(periods.index) == [P]
    assert periods.loc[P, "spend"] == pytest.approx(1000) and periods.loc[P, "revenue"] == pytest.approx(5900)


# --- (c) ranging: where each price holds -------------------------------------------------------------

@pytest.fixture(scope="module")
def hand_explained(hand_solved):
    solver, path, plan_folder, _ = hand_solved
    out = plan_folder.parent / "explain"
    result = invoke("explain", path, "--out", out, "--solver", solver)
    assert result.exit_code == 0, result.output
    return solver, path, pd.read_csv(out / "sensitivity.csv").set_index("constraint"), result.output


def test_hand_lp_price_ranges_hold_where_reported(hand_explained):
    solver, path, table, output = hand_explained
    budget, cap = table.loc["budget_total"], table.loc[GOOD_CAP]
    assert budget["price_per_lever_unit"] == pytest.approx(5) and cap["price_per_lever_unit"] == pytest.approx(3)
    # Upper edge of the budget's range: worse's cap binds at 1,300.
    assert budget["valid_to"] == pytest.approx(1300, rel=1e-3)
    # good's cap is worth 3 all the way down to 0.
    assert cap["valid_from"] == pytest.approx(0, abs=1e-9)
    # The ranges are never wider than the true ones (each edge was verified by a solve) ...
    assert 300 * (1 - 1e-9) <= budget["valid_from"] < 1000 < budget["valid_to"] <= 1300 * (1 + 1e-9)
    assert cap["valid_from"] < 300 < cap["valid_to"] <= 1000 * (1 + 1e-9)
    # ... and the price does hold at the reported edges: re-solve there, independently of explain.
    scenario = load_scenario(path).scenario
    model = build_model(scenario)
    budget_lever = model.rows[model.lp.row_names.index("budget_total")].lever
    for edge in (budget["valid_from"], budget["valid_to"]):
        moved = _objective(budget_lever.apply(scenario, float(edge)), "max_revenue", solver)
        assert moved == pytest.approx(5900 + 5 * (edge - 1000), rel=1e-6), edge
    assert "holds for budget.total from" in output


def test_hand_lp_price_ranges_are_precise(hand_explained):
    _, _, table, _ = hand_explained
    assert table.loc["budget_total", "valid_from"] == pytest.approx(300, rel=1e-3)
    assert table.loc[GOOD_CAP, "valid_to"] == pytest.approx(1000, rel=1e-4)


# --- (e) the MILP note and the three costliest in the summary ------------------------------------------

def _costliest_lines(lines: list[str]) -> list[str]:
    header = [i for i, line in enumerate(lines) if line.startswith("What costs the most")]
    if not header:
        return []
    out = []
    for line in lines[header[0] + 1:]:
        if not line.startswith("  ") or line.strip().startswith("(prices"):
            break
        out.append(line)
    return out


@pytest.mark.parametrize("solver", backends())
def test_milp_example_prices_note_and_costliest_three(tmp_path, solver):
    out = tmp_path / "q1"
    result = invoke("solve", EXAMPLE, "--out", out, "--solver", solver)
    assert result.exit_code == 0, result.output
    run = json.loads((out / "run.json").read_text())
    assert run["duals_from"] == "lp_with_integers_fixed"
    assert run["model"]["binaries"] >= 1
    lines = result.output.splitlines()
    assert f"  {MILP_NOTE}" in lines, result.output

    sensitivity = pd.read_csv(out / "sensitivity.csv")
    gains = sensitivity["gain_if_relaxed_10pct"].to_numpy()
    assert (np.diff(np.abs(gains)) <= 1e-9).all(), "sensitivity.csv is not costliest first"
    top = _costliest_lines(lines)
    assert 1 <= len(top) <= 3
    assert len(top) == min(3, int((np.abs(gains) > 1e-9).sum()))
    named = sensitivity.head(len(top))
    for i, (line, row) in enumerate(zip(top, named.itertuples()), start=1):
        assert line.startswith(f"  {i}. "), line
        assert line.endswith(f"[{row.constraint}]"), (line, row.constraint)
        assert row.limit in line and row.lever in line, line
    assert list(named["gain_if_relaxed_10pct"]) == sorted(named["gain_if_relaxed_10pct"], key=abs, reverse=True)
    # The note comes right after the three lines.
    assert lines[lines.index(top[-1]) + 1] == f"  {MILP_NOTE}"
    # Every binding row with a price is named in words, with its scenario number.
    assert not sensitivity["limit"].isna().any() and not sensitivity["lever"].isna().any()
    assert math.isclose(sensitivity.loc[sensitivity["constraint"] == "budget_total", "lever_value"].iloc[0], 3_400_000)


def test_explain_ranges_a_limit_whose_channel_name_holds_a_semicolon(tmp_path):
    # sensitivity.csv joins the rows a lever sets with "; "; explain must find the lever by its label,
    # not by splitting that text (a channel named "a; b" once made it crash with a ValueError).
    data = base_scenario(channels=[{"name": "a; b", "cost_per_lead": 10, "max_spend": 500}])
    result = invoke("explain", write_scenario(tmp_path, data), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "out" / "sensitivity.csv")
    row = table[table["lever"] == "channels[a; b].max_spend[2027-01]"].iloc[0]
    # Revenue is 5 per unit of spend; the cap's price holds from 0 up to where the budget (1,000) binds.
    assert row["price_per_lever_unit"] == pytest.approx(5.0)
    assert (row["valid_from"], row["valid_to"]) == (pytest.approx(0.0, abs=1e-3), pytest.approx(1000.0, rel=1e-3))

"""`solve --export-model`: model.mps and model.lp are read by other solvers and give the plan's objective.

Was (issue 10): model.mps carried the sense only as a comment and left out the baseline-revenue
constant, so CBC and HiGHS minimised it (13,500,000 where the plan's objective is 27,931,296), and
HiGHS could not read model.lp at all (names such as `budget_max_share[group=emerging]`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess

import pandas as pd
import pytest
from helpers import EXAMPLE, base_scenario, invoke, write_scenario
from lp_cases import INF, program

from allocator.io.export import export_texts
from solvers import Sense
from solvers.cbc import binary_path

highspy = pytest.importorskip("highspy")
LP_NAME = re.compile(r"[A-DF-Za-df-z_][A-Za-z0-9_]*")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "plan"
    result = invoke("solve", EXAMPLE, "--out", out, "--export-model")
    assert result.exit_code == 0, result.output
    return out


def highs_objective(path) -> float:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk, path
    h.run()
    assert h.modelStatusToString(h.getModelStatus()) == "Optimal"
    return h.getInfo().objective_function_value


def cbc_objective(path, *flags: str) -> float:
    run = subprocess.run([str(binary_path()), str(path), *flags, "-solve"], capture_output=True, text=True, timeout=120)
    assert "read with 0 errors" in run.stdout, run.stdout
    # A MIP ends "Objective value: v", an LP "Optimal - objective value v": the last such line is the answer.
    return float(re.findall(r"[Oo]bjective value:?\s+(-?[0-9][0-9.eE+-]*)", run.stdout)[-1])


def plan_objective(folder) -> float:
    return json.loads((folder / "run.json").read_text())["objective"]


def test_mps_states_the_sense_and_the_constant(exported):
    text = (exported / "model.mps").read_text()
    assert "OBJSENSE\n    MAX\n" in text
    baseline = pd.read_csv(exported / "allocation.csv")["baseline_revenue"].sum()  # B, summed a second way
    assert baseline == 8_500_000
    assert re.search(r"^    RHS  objective  -8500000\.0$", text, re.MULTILINE)  # MPS: the objective row's RHS is minus B


@pytest.mark.parametrize("name", ["model.mps", "model.lp"])
def test_highs_reads_each_file_and_finds_the_plans_objective(exported, name):
    objective = plan_objective(exported)
    assert round(objective) == 27_931_296
    assert highs_objective(exported / name) == pytest.approx(objective, rel=1e-7)


def test_cbc_reads_the_mps_and_finds_the_plans_objective(exported):
    # CBC 2.10's MPS reader ignores OBJSENSE ("Coin ignores"): its command line is told -max (docs/model.md).
    assert cbc_objective(exported / "model.mps", "-max") == pytest.approx(plan_objective(exported), rel=1e-7)


def test_names_are_lp_safe_and_map_back(exported):
    rows = list(csv.DictReader(io.StringIO((exported / "model_names.csv").read_text())))
    assert all(LP_NAME.fullmatch(r["lp_name"]) for r in rows)
    assert len({r["lp_name"].lower() for r in rows}) == len(rows)
    constraints = set(pd.read_csv(exported / "constraints.csv")["name"])
    mapped = {r["name"] for r in rows if r["kind"] == "row"}
    assert "budget_max_share[group=emerging]" in mapped and constraints <= mapped
    lp = (exported / "model.lp").read_text()
    assert "budget_max_share_group_emerging_:" in lp and "=emerging" not in lp


def test_names_with_any_characters_and_a_minimisation(tmp_path):
    channels = [{"name": "a b=c|d&e", "cost_per_lead": 10}, {"name": "e1", "cost_per_lead": 20},
                {"name": "a_b_c_d_e", "cost_per_lead": 30}]
    data = base_scenario(channels=channels, objective="min_spend", targets={"revenue": 2000})
    out = tmp_path / "plan"
    result = invoke("solve", write_scenario(tmp_path, data), "--out", out, "--export-model")
    assert result.exit_code == 0, result.output
    # By hand: revenue per unit of spend is 5 on channel "a b=c|d&e" (the cheapest), so 2000 / 5 = 400.
    assert plan_objective(out) == pytest.approx(400.0)
    assert "OBJSENSE\n    MIN\n" in (out / "model.mps").read_text()
    for name in ("model.mps", "model.lp"):
        assert highs_objective(out / name) == pytest.approx(400.0, rel=1e-7)
    assert cbc_objective(out / "model.mps") == pytest.approx(400.0, rel=1e-7)
    names = pd.read_csv(out / "model_names.csv", keep_default_na=False)
    spend_columns = names[names["name"].str.startswith("spend[")]
    assert len(set(spend_columns["lp_name"].str.lower())) == 3  # "a b=c|d&e" and "a_b_c_d_e" kept apart


# Programs of every shape a LinearProgram can take, objectives worked out by hand (see
# tests/solvers/test_solver_conformance.py for the working).
SHAPES = {
    "ranged_row_upper_end": (program(Sense.MAXIMIZE, [1, 1], [[1, 2]], [1], [4], col_upper=[2, INF]), 3.0),
    "ranged_row_lower_end": (program(Sense.MINIMIZE, [1, 1], [[1, 2]], [1], [4]), 0.5),
    "free_and_negative_columns_free_row_offset": (
        program(Sense.MINIMIZE, [1, 2], [[1, -1], [1, 1]], [-3, -INF], [INF, INF],
                col_lower=[-INF, -5], col_upper=[INF, -1], offset=7.0), -11.0),
    "equality_row": (program(Sense.MAXIMIZE, [3, 2], [[1, 1], [1, -1]], [4, -INF], [4, 2]), 11.0),
    "row_without_entries": (program(Sense.MAXIMIZE, [1, -1], [[0, 0]], [-1], [2], col_upper=[3, 5]), 3.0),
    "mip": (program(Sense.MAXIMIZE, [5, 4], [[6, 4], [1, 2]], [-INF, -INF], [24, 6], integer=[True, True]), 20.0),
    "mip_without_bounds_negative_offset": (
        program(Sense.MINIMIZE, [1, 1], [[1, 1]], [2.5], [INF], integer=[True, False], offset=-4.0), -1.5),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_of_program_is_exported_faithfully(tmp_path, shape):
    lp, objective = SHAPES[shape]
    for name, text in export_texts(lp).items():
        (tmp_path / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    assert highs_objective(tmp_path / "model.mps") == pytest.approx(objective, abs=1e-9)
    assert highs_objective(tmp_path / "model.lp") == pytest.approx(objective, abs=1e-9)
    flags = ("-max",) if lp.sense is Sense.MAXIMIZE else ()
    assert cbc_objective(tmp_path / "model.mps", *flags) == pytest.approx(objective, abs=1e-9)

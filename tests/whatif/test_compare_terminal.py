"""What `allocator compare` prints: labels that stay distinct, cut lists counted, objective and solver flagged."""

from __future__ import annotations

import pandas as pd

from allocator.whatif.compare_text import summary_lines
from tests.support.helpers import base_scenario, invoke, write_scenario

LABELS = ["a", "b"]


def _numbers(rows: list[tuple[str, str, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["section", "item", "metric", *LABELS])


def _texts(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["section", "item", "metric", *LABELS])


def test_target_rows_that_differ_only_at_the_end_never_read_the_same():
    # Cut at 34 characters, both rows read "mix_min_revenue[stage=introductio" (and attainment/achieved alike).
    items = ["mix_min_revenue[stage=introduction,group=owned]", "mix_min_revenue[stage=introduction,group=other]"]
    numbers = _numbers([("targets", item, metric, 1.0, 2.0) for item in items for metric in ("attainment", "achieved")])
    lines = summary_lines(numbers, _texts([]), LABELS)[2:]
    names = [line[: len(line) - 32].rstrip() for line in lines]  # two value columns of 16 characters
    assert len(names) == 4 and len(set(names)) == 4, names
    assert all(name.endswith(("attainment", "achieved")) for name in names)


def test_a_cut_list_of_binding_flips_says_how_many_more():
    flips = [("binding", f"capacity_spend[c{i:02d},2027-01]", "binding", True, False) for i in range(13)]
    lines = summary_lines(_numbers([]), _texts(flips), LABELS)
    assert "Limits binding in some plans but not others (13):" in lines
    assert lines[-1] == "  ... and 3 more (see differences.csv)"
    assert sum(line.startswith("  capacity_spend[") for line in lines) == 10


def test_plans_for_different_objectives_are_flagged(tmp_path):
    # Revenue 5 per unit: max_revenue spends the whole 1,000 (objective 5,000 revenue); min_spend meets the
    # revenue target of 1,000 with 200 (objective 200 spend). The two objective figures are not comparable.
    a = write_scenario(tmp_path, base_scenario(targets={"revenue": 1000}), name="rev.yaml")
    b = write_scenario(tmp_path, base_scenario(objective="min_spend", targets={"revenue": 1000}), name="spend.yaml")
    result = invoke("compare", a, b)
    assert result.exit_code == 0, result.output
    warning = [line for line in result.output.splitlines() if line.startswith("WARNING: the objectives differ")]
    assert warning == ["WARNING: the objectives differ, so the objective rows measure different things: "
                       "rev max_revenue | spend min_spend"]
    assert "different solvers" not in result.output


def test_plans_solved_by_different_solvers_are_flagged():
    texts = _texts([("totals", "plan", "status", "optimal", "optimal"),
                    ("totals", "plan", "objective_kind", "max_revenue", "max_revenue"),
                    ("totals", "plan", "solver", "cbc", "highs")])
    lines = summary_lines(_numbers([]), texts, LABELS)
    assert "WARNING: the plans were solved by different solvers: a cbc | b highs" in lines
    assert not any("objectives differ" in line for line in lines)

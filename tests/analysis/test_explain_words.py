"""`explain`: a price range with no edge on one side says so; gains under min_spend say they save spend."""

from __future__ import annotations

import pandas as pd

from tests.support.helpers import base_scenario, invoke, write_scenario


def test_a_budget_whose_price_never_stops_says_no_upper_limit_found(tmp_path):
    # Revenue 5 per unit of spend and no cap anywhere: each extra unit of budget earns 5 however large the
    # budget grows, so the widest probe (1,000 + 1% x 2^12 x 1,000 = 41,960) is not a limit.
    path = write_scenario(tmp_path, base_scenario())
    result = invoke("explain", path, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "no upper limit found up to 41,960" in result.output, result.output
    assert "to 41,960" not in result.output.replace("up to 41,960", "")
    row = pd.read_csv(tmp_path / "out" / "sensitivity.csv").set_index("constraint").loc["budget_total"]
    assert row["valid_to"] == 41_960 and bool(row["valid_to_open"]) and not bool(row["valid_from_open"])


def test_a_range_with_a_real_upper_edge_prints_it_plainly(tmp_path):
    # min_spend, revenue target 1,000, budget 1,000 at revenue 5: the target can rise to 5,000 and no further.
    path = write_scenario(tmp_path, base_scenario(objective="min_spend", targets={"revenue": 1000}))
    result = invoke("explain", path)
    assert result.exit_code == 0, result.output
    assert "holds for targets.revenue from 0 to 5,000" in result.output
    assert "(relaxing it 10%: saves 20.0 spend)" in result.output  # 100 less revenue x 0.2 spend each
    assert "no upper limit" not in result.output and "nan" not in result.output

"""compare shows what each budget line buys in every plan, and reads its numbers as the review does."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import REPO, invoke

LINES = REPO / "scenarios" / "example_q1_budget_lines.yaml"


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    root = tmp_path_factory.mktemp("lines")
    invoke("solve", str(LINES), "--out", str(root / "a"))
    invoke("solve", str(LINES), "--out", str(root / "b"), "--set", "budget.total=4000000")
    result = invoke("compare", str(root / "a"), str(root / "b"), "--out", str(root / "cmp"))
    return root, result.output


def test_each_line_is_compared_with_its_own_lines_csv(compared):
    root, _ = compared
    table = pd.read_csv(root / "cmp" / "comparison.csv")
    lines = table[table["section"] == "lines"].set_index(["item", "metric"])
    for plan in ("a", "b"):
        own = pd.read_csv(root / plan / "lines.csv").set_index("line")
        for line in own.index:  # acquisition, key_account_programme, livestream_test
            for metric in ("spend", "new_customers", "revenue"):
                assert lines.loc[(line, metric), plan] == pytest.approx(own.loc[line, metric], rel=1e-12)
    delta = lines.loc[("acquisition", "spend"), "delta_b"]
    assert delta == pytest.approx(lines.loc[("acquisition", "spend"), "b"] - lines.loc[("acquisition", "spend"), "a"])


def test_the_terminal_reads_money_percentages_and_multiples(compared):
    _, output = compared
    rows = {line[:50].strip(): line[50:].split() for line in output.splitlines() if len(line) > 50}
    assert rows["spend"][0] == "3,400,000"  # budget.total of the scenario, spent in full
    assert rows["revenue attainment"][0].endswith("%") and rows["roi"][0].endswith("x")
    assert rows["acquisition new_customers"] == ["1,200", "1,200"]  # promised 1,200 in the scenario, binding

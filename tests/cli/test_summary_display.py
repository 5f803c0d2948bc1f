"""The terminal summary reads as the budget review does: units, rounded rows that add up, budget lines."""

from __future__ import annotations

from helpers import EXAMPLE, REPO, invoke

LINES = REPO / "scenarios" / "example_q1_budget_lines.yaml"


def _channel_block(text: str) -> tuple[list[list[str]], list[str]]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("channel "))
    body, i = [], start + 2
    while not lines[i].startswith("---"):
        body.append(lines[i].split())
        i += 1
    return body, lines[i + 1].split()


def _number(text: str) -> float:
    return float(text.replace(",", "").rstrip("x%")) if text != "-" else 0.0


def test_channel_rows_add_up_to_the_printed_total(tmp_path):
    out = invoke("solve", str(EXAMPLE), "--out", str(tmp_path / "q1")).output
    rows, total = _channel_block(out)
    assert total[0] == "total" and total[1] == "3,400,000"  # budget.total of the example, spent in full
    for column in (1, 2, 3):  # spend, revenue, new customers
        assert sum(_number(row[column]) for row in rows) == _number(total[column]), column
    assert sum(_number(row[5]) for row in rows) == 100.0  # revenue shares, 0.1% steps
    assert all(row[4] == "-" or row[4].endswith("x") for row in rows)  # ROI as a multiple
    assert "money in CNY" in out


def test_targets_read_in_their_own_units(tmp_path):
    out = invoke("solve", str(EXAMPLE), "--out", str(tmp_path / "q1")).output
    target_lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()
                    if line.startswith(("min_roi[portfolio]", "mix_min_revenue[group=owned]", "new_customers "))}
    assert target_lines["min_roi[portfolio]"][0] == "2.50x"  # targets.min_roi: 2.5 in the scenario
    assert target_lines["mix_min_revenue[group=owned]"][0] == "40.0%"  # min_share 0.40
    assert target_lines["new_customers"][0] == "550"  # 500 committed + 10% buffer


def test_budget_lines_say_what_each_buys(tmp_path):
    out = invoke("solve", str(LINES), "--out", str(tmp_path / "lines")).output
    assert "Budget lines (what each buys):" in out
    acquisition = next(line for line in out.splitlines() if line.strip().startswith("acquisition:"))
    assert acquisition.strip().endswith("new customers (promised 1,200: met)")  # new_customers: 1200 in the file

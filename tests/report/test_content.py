"""The review's tables: a breakdown of many rows keeps its largest and sums the rest, and still adds up."""

from __future__ import annotations

import pandas as pd

from allocator.review.content import MAX_BREAKDOWN, breakdown_table, period_spend_matrix
from allocator.review.source import PlanDocument


def _document(channels: int) -> PlanDocument:
    # Channel i spends 1000 + i (+ 0.4 to make rounding matter) and earns 3x; two periods split it 1:3.
    spend = [1000.0 + i + 0.4 for i in range(channels)]
    by_channel = pd.DataFrame({
        "channel": [f"c{i:02d}" for i in range(channels)], "spend": spend, "revenue": [3 * x for x in spend],
        "baseline_revenue": 0.0, "revenue_total": [3 * x for x in spend], "new_customers": 0.0, "leads": 0.0,
        "customers": 0.0, "roi": 3.0})
    by_channel["share_of_spend"] = by_channel["spend"] / by_channel["spend"].sum()
    by_channel["share_of_revenue"] = by_channel["revenue_total"] / by_channel["revenue_total"].sum()
    allocation = pd.DataFrame([{"channel": c, "period": p, "spend": s * w}
                               for c, s in zip(by_channel["channel"], spend) for p, w in (("m1", 0.25), ("m2", 0.75))])
    by_period = allocation.groupby("period", as_index=False)["spend"].sum()
    totals = {k: float(by_channel[k].sum()) for k in ("spend", "revenue", "revenue_total", "leads", "customers",
                                                      "new_customers", "baseline_revenue")}
    run = {"currency": "CNY", "totals": totals, "status": "optimal"}
    return PlanDocument("many", run, {"by_channel": by_channel, "allocation": allocation, "by_period": by_period})


def test_many_channels_read_as_the_largest_and_one_row_for_the_rest():
    document = _document(40)
    table = breakdown_table(document, "by_channel", "channel", "by channel")
    assert len(table.rows) == MAX_BREAKDOWN
    # the largest 24 by spend are c16..c39 (spend grows with i), in their own order; then the other 16
    assert [r["channel"] for r in table.rows[:-1]] == [f"c{i:02d}" for i in range(16, 40)]
    other = table.rows[-1]
    assert other["channel"] == "other (16 channels)"
    assert other["spend"] == round(sum(1000.4 + i for i in range(16)))  # 16,126.4 -> 16,126 (or +1 by remainder)
    assert sum(r["spend"] for r in table.rows) == table.total["spend"] == round(sum(1000.4 + i for i in range(40)))
    assert round(sum(r["share_of_spend"] for r in table.rows), 9) == 1.0
    assert other["roi"] == 3.0


def test_a_breakdown_that_fits_is_shown_whole():
    table = breakdown_table(_document(MAX_BREAKDOWN + 1), "by_channel", "channel", "by channel")
    assert len(table.rows) == MAX_BREAKDOWN + 1 and not any("other" in r["channel"] for r in table.rows)


def test_the_spend_matrix_of_many_channels_adds_up_both_ways():
    table = period_spend_matrix(_document(40))
    assert len(table.rows) == MAX_BREAKDOWN and table.rows[-1]["channel"] == "other (16 channels)"
    for period in ("m1", "m2"):
        assert sum(r[period] for r in table.rows) == table.total[period]
    assert table.total["m1"] + table.total["m2"] == round(sum(1000.4 + i for i in range(40)))


def test_the_annual_example_shows_its_weeks_milestones_checks_and_derivations(tmp_path):
    from helpers import REPO, invoke

    from allocator.review.sections import build_report
    from allocator.review.source import read_plan_folder

    folder = tmp_path / "annual"
    invoke("solve", str(REPO / "scenarios" / "example_q1_annual.yaml"), "--out", str(folder))
    report = build_report(read_plan_folder(folder))
    weekly = report.section("weekly")
    # every amount column of the weeks adds up to the plan's printed total: spend to budget.total 3,400,000
    assert sum(r["spend"] for r in weekly.rows) == weekly.total["spend"] == 3_400_000
    assert sum(r["revenue_total"] for r in weekly.rows) == weekly.total["revenue_total"]
    # the Spring Festival week 2027-W06 (Feb 5-10 off): 2 working days (Feb 8-12 minus the holidays: 11, 12)
    assert {r["week"]: r["working_days"] for r in weekly.rows if r["month"] == "2027-02"}["2027-W06"] == 2
    milestones = report.section("milestones")
    assert [r["name"] for r in milestones.rows] == ["launch_x launch", "membership upgrade", "key-account contracts"]
    checks = report.section("checks")
    growth = next(r for r in checks.rows if r["check"] == "growth")
    assert growth["status"] == "warn"  # +22.7% planned against a +15.2% trend, no drivers named
    targets = report.section("targets")
    assert "revenue: annual 100,000,000 x Q1 weight 20% = 20,000,000" in targets.note  # the scenario's numbers
    assert any(c.key == "owner" for c in targets.columns)

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

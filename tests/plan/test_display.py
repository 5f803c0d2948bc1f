"""Numbers as a person reads them: currency decimals, units, and rounded rows that add up."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from allocator.plan.display import Style, rounded_column, rounded_total, show, significant


@pytest.mark.parametrize("currency, scale, decimals", [
    ("CNY", 3_400_000, 0),  # a plan in units: whole units
    ("CNY", 3.4, 2),  # the same plan kept in millions: 3.40, not "3"
    ("CNY", 0.0034, 5),  # kept in billions: 0.00340, not "0.00"
    ("CNY", 340.0, 0),  # three significant digits already
    ("CNY", 34.0, 1),
    ("JPY", 3_400_000, 0),
    ("KWD", 3_400_000, 0),  # never more decimals than a currency has, for a plan in its own units
    ("IDR", 45_000_000_000, 0),
])
def test_money_gets_three_significant_digits_of_the_plan(currency, scale, decimals):
    assert Style.for_plan(currency, scale).money_decimals == decimals


def test_each_kind_reads_as_the_review_expects():
    style = Style.for_plan("CNY", 3_400_000)
    assert show(3_399_999.9998, "money", style) == "3,400,000"  # solver noise snapped
    assert show(622.1079, "count", style) == "622"
    assert show(0.0967, "percent", style) == "9.7%"
    assert show(4.5999, "multiple", style) == "4.60x"
    assert show(-0.0001, "money", style) == "0"  # never "-0"
    assert show(float("nan"), "multiple", style) == "-"
    assert show(None, "money", style) == "-"
    assert show(True, "flag", style) == "yes" and show(False, "flag", style) == "no"
    assert show(1.3918, "percent", style) == "139.2%"
    assert significant(0.014912) == "0.0149" and significant(4.5933) == "4.59" and significant(12345.6) == "12,346"


def test_rounded_rows_sum_to_the_rounded_total():
    # 1.4 + 1.4 + 1.2 = 4: plain rounding prints 1 + 1 + 1 = 3 under a total of 4.
    assert rounded_column([1.4, 1.4, 1.2], 0).tolist() == [2.0, 1.0, 1.0]
    # thirds of 100%: 33.3 + 33.3 + 33.4 (the largest remainder gets the unit)
    assert rounded_column([1 / 3, 1 / 3, 1 / 3], 3, 1.0).tolist() == [0.334, 0.333, 0.333]
    # a missing value stays missing and counts as nothing
    out = rounded_column([1.5, float("nan"), 2.5], 0)
    assert out[0] == 2.0 and math.isnan(out[1]) and out[2] == 2.0
    # solver noise: the rows of a 3.4M budget
    out = rounded_column([882_300.27998, 1_265_770.29183, 1_251_929.42818], 0, 3_399_999.9999)
    assert out.tolist() == [882_300.0, 1_265_770.0, 1_251_930.0] and out.sum() == 3_400_000


def test_a_printed_total_and_its_rows_agree_on_a_float_tie():
    # 0.0170800781 x 2 + 5,583,659,475.280839 = 5,583,659,475.3150...: round(x, 2) and whole hundredths
    # can fall either way on the tie; the total printed and the rows rounded to it must fall the same way.
    values = [0.017080078125, 0.017080078125, 5583659475.280839]
    total = math.fsum(values)
    rows = rounded_column(values, 2, total)
    assert round(float(np.sum(rows)) / 0.01) == round(rounded_total(total, 2) / 0.01)
    assert show(total, "money", Style("CNY", 2)) == f"{rounded_total(total, 2):,.2f}"


def test_rows_of_a_partial_table_are_rounded_each_on_its_own():
    # the total holds rows that are not shown: no unit to hand out is honest
    assert rounded_column([1.4, 1.4], 0, 10.0).tolist() == [1.0, 1.0]


@settings(max_examples=300, deadline=None)
@example([1.7080078125, 1.7080078125, 558365947528.0839], 2)  # a total on a float tie (found in CI)
@given(st.lists(st.floats(min_value=0, max_value=1e12, allow_nan=False), min_size=1, max_size=40),
       st.integers(min_value=0, max_value=3))
def test_largest_remainder_adds_up_and_moves_each_row_less_than_one_unit(values, decimals):
    # Style never gives decimals to money in the thousands or more; keep each row to 1e12 units of the
    # last decimal, where float64 still holds the remainders (a 1e12 value has no 3rd decimal to round).
    values = [v / 10.0 ** decimals for v in values]
    out = rounded_column(values, decimals)
    step = 10.0 ** -decimals
    total = round(math.fsum(values) / step)
    assert int(np.round(out / step).astype(np.int64).sum()) == total  # summed in whole units: exact
    assert np.all(np.abs(out - np.asarray(values)) < step * (1 + 1e-9) + 1e-9 * np.abs(values))

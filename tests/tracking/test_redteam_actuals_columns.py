"""Red-team regressions for the actuals reader: a column the reader uses written twice (in two cases, or
the same name twice) is refused in one line -- it once crashed (two cases) or silently took the first
(same name); a date with the shape of a day that is no day (2027-02-30) is refused as a day, not with
the history table's "(or YYYY-MM)", which actuals do not take; a blank product among rows of products
is refused (its figures would belong to no product)."""

from __future__ import annotations

from datetime import date

import pytest

from allocator.history.actuals import ActualsError, PlanScope, read_actuals

ROW = "2027-01-10,a,n,800,80,6,3000"


@pytest.mark.parametrize("header, extra", [
    ("date,channel,tier,spend,leads,customers,revenue,Spend", ",1"),
    ("date,channel,tier,spend,leads,customers,revenue,spend", ",1"),
])
def test_a_used_column_twice_is_refused(tmp_path, header, extra):
    path = tmp_path / "actuals.csv"
    path.write_text(f"{header}\n{ROW}{extra}\n")
    with pytest.raises(ActualsError) as caught:
        read_actuals(path)
    assert "column spend: got two columns of that name" in str(caught.value)


def test_an_ignored_column_may_repeat(tmp_path):
    path = tmp_path / "actuals.csv"
    path.write_text(f"date,channel,tier,spend,leads,customers,revenue,note,note\n{ROW},x,y\n")
    assert float(read_actuals(path).table["spend"].sum()) == 800.0


def test_a_day_that_does_not_exist_is_refused_as_a_day(tmp_path):
    path = tmp_path / "actuals.csv"
    path.write_text(f"date,channel,tier,spend,leads,customers,revenue\n{ROW}\n2027-02-30,a,n,1,0,0,0\n")
    with pytest.raises(ActualsError) as caught:
        read_actuals(path)
    message = str(caught.value)
    assert "line 3, date: got '2027-02-30'; expected a day YYYY-MM-DD (actuals are daily)" in message
    assert "YYYY-MM)" not in message



def test_a_blank_product_among_rows_of_products_is_refused(tmp_path):
    # Its revenue would belong to no product: the product rows of tracking.csv would not add up to the total.
    scope = PlanScope(channels=("a",), tiers=("n",), products=("p", "q"), served=frozenset({("a", "n")}),
                      first_day=date(2027, 1, 1), last_day=date(2027, 3, 31))
    path = tmp_path / "actuals.csv"
    path.write_text("date,channel,tier,product,spend,leads,customers,revenue\n"
                    "2027-01-10,a,n,p,800,80,6,3000\n2027-01-11,a,n,,0,0,0,500\n")
    with pytest.raises(ActualsError) as caught:
        read_actuals(path, scope)
    assert "line 3, product: got ''; expected one of the plan's products: p, q" in str(caught.value)
    # A product column left blank throughout is a file without products (each channel x tier summed).
    path.write_text("date,channel,tier,product,spend,leads,customers,revenue\n2027-01-10,a,n,,800,80,6,3000\n")
    assert float(read_actuals(path, scope).table["revenue"].sum()) == 3000.0

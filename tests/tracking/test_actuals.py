"""The actuals table: the history file's columns at daily grain, corrections replacing earlier rows, and
every bad value named in one line (file, line and column, value, expectation)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from allocator.errors import InputError
from allocator.history.history_table import read_history
from allocator.history.actuals import ActualsError, PlanScope, read_actuals

HEADER = "date,channel,tier,product,spend,leads,customers,revenue\n"
SCOPE = PlanScope(channels=("web", "shop"), tiers=("new", "key"), products=("p", "q"),
                  served=frozenset({("web", "new"), ("shop", "new"), ("shop", "key")}),
                  first_day=date(2027, 1, 1), last_day=date(2027, 3, 31))


def _write(tmp_path, body, header=HEADER, name="actuals.csv"):
    path = tmp_path / name
    path.write_text(header + body)
    return path


def test_a_repeated_key_replaces_the_earlier_row_last_one_wins(tmp_path):
    path = _write(tmp_path, "2027-01-04,web,new,p,100,10,1,500\n"      # line 2: replaced by line 5
                            "2027-01-04,web,new,q,50,5,0,0\n"          # line 3: a different product, kept
                            "2027-01-05,web,new,p,100,10,2,1000\n"     # line 4: replaced by line 6
                            "2027-01-04,web,new,p,100,10,2,900\n"      # line 5: replaced by line 7
                            "2027-01-05,web,new,p,120,12,3,1500\n"     # line 6
                            "2027-01-04,web,new,p,110,11,2,950\n")     # line 7
    actuals = read_actuals(path, SCOPE)
    table = actuals.table.set_index(["date", "product"])
    assert len(table) == 3
    assert table.loc[(pd.Timestamp("2027-01-04"), "p"), ["spend", "leads", "customers", "revenue"]].tolist() == \
        [110, 11, 2, 950]
    assert table.loc[(pd.Timestamp("2027-01-05"), "p"), "revenue"] == 1500
    assert table.loc[(pd.Timestamp("2027-01-04"), "p"), "line"] == "line 7"
    assert actuals.rows_read == 6 and actuals.replaced == 3
    assert actuals.corrections == ["line 2 replaced by line 7", "line 4 replaced by line 6",
                                   "line 5 replaced by line 7"]
    assert "3 replaced by a later row" in actuals.statement() and "last in file order wins" in actuals.statement()
    # The history table sums the same rows instead (an export splitting a day): the one rule that differs.
    assert read_history(path)["revenue"].sum() == 500 + 0 + 1000 + 900 + 1500 + 950
    assert actuals.table["revenue"].sum() == 950 + 0 + 1500


def test_columns_period_week_and_no_product_column(tmp_path):
    path = _write(tmp_path, "2027-01-03,shop,key,10,2,1,700\n2027-01-04,web,new,0,0,0,0\n",
                  header="Date,Channel,Tier,Spend,Leads,Customers,Revenue,note\n")
    actuals = read_actuals(path, SCOPE)
    assert not actuals.has_product and actuals.replaced == 0
    assert actuals.table["product"].tolist() == ["", ""]
    assert actuals.table["week"].tolist() == ["2026-W53", "2027-W01"]  # 3 Jan 2027 is a Sunday of ISO 2026-W53
    assert actuals.table["period"].tolist() == ["2027-01", "2027-01"]
    assert "no row repeats" in actuals.statement()


def test_scope_from_an_allocation_table():
    allocation = pd.DataFrame({
        "channel": ["web", "web", "shop", "shop"], "tier": ["new", "key", "new", "key"],
        "product": ["p", "p", "q", "q"], "period": ["2027-01"] * 4, "eligible": [True, False, True, True]})
    scope = PlanScope.from_allocation(allocation, ["2027-01", "2027-02"])
    assert scope.channels == ("web", "shop") and scope.tiers == ("new", "key") and scope.products == ("p", "q")
    assert scope.served == {("web", "new"), ("shop", "new"), ("shop", "key")}
    assert (scope.first_day, scope.last_day) == (date(2027, 1, 1), date(2027, 2, 28))


@pytest.mark.parametrize("body, message", [
    ("2027-01-04,tv,new,p,1,1,0,0\n",
     "line 2, channel: got 'tv'; expected one of the plan's channels: web, shop"),
    ("2027-01-04,web,new,p,1,1,0,0\n2027-01-04,web,vip,p,1,1,0,0\n",
     "line 3, tier: got 'vip'; expected one of the plan's tiers: new, key"),
    ("2027-01-04,web,new,z,1,1,0,0\n", "line 2, product: got 'z'; expected one of the plan's products: p, q"),
    ("2027-01-04,web,key,p,1,1,0,0\n", "line 2, tier: got 'key'; expected a tier the plan lets channel web serve"),
    ("2026-12-31,web,new,p,1,1,0,0\n",
     "line 2, date: got 2026-12-31; expected a day inside the plan (2027-01-01 to 2027-03-31)"),
    ("2027-04-01,web,new,p,1,1,0,0\n",
     "line 2, date: got 2027-04-01; expected a day inside the plan (2027-01-01 to 2027-03-31)"),
    ("2027-01,web,new,p,1,1,0,0\n", "line 2, date: got '2027-01'; expected a day YYYY-MM-DD (actuals are daily)"),
    ("2027-01-04,web,new,p,-5,1,0,0\n", "line 2, spend: got '-5'; expected a number >= 0"),
    ("2027-01-04,web,new,p,5,1,0,-1\n", "line 2, revenue: got '-1'; expected a number >= 0"),
    ("2027-01-04,web,new,p,5,3,4,0\n", "line 2, customers: got 4; expected at most the row's leads (3)"),
    ("2027-01-04,web,new,p,5,2.5,0,0\n", "line 2, leads: got '2.5'; expected a whole number >= 0"),
])
def test_bad_rows_name_the_line_column_value_and_expectation(tmp_path, body, message):
    path = _write(tmp_path, body)
    with pytest.raises(InputError) as caught:
        read_actuals(path, SCOPE)
    assert str(caught.value) == f"{path}: {message}"


def test_missing_column_and_empty_table(tmp_path):
    with pytest.raises(ActualsError, match=r"column customers: got missing; expected the columns date, channel"):
        read_actuals(_write(tmp_path, "", header="date,channel,tier,spend,leads,revenue\n"))
    with pytest.raises(ActualsError, match=r"rows: got none; expected at least one row of actuals"):
        read_actuals(_write(tmp_path, ""))

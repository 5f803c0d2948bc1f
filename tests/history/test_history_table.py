"""The history reader: columns normalised, grain detected, every bad value one line naming line and column."""

from __future__ import annotations

import pandas as pd
import pytest

from allocator.history.history_table import HistoryError, detect_grain, history_before, parse_window, read_history

HEADER = "date,channel,tier,spend,leads,customers,revenue\n"


def _write(tmp_path, text, name="history.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_normalises_and_sums_repeated_keys(tmp_path):
    path = _write(tmp_path, "Date, Channel ,TIER,Spend,Leads,Customers,Revenue,note\n"
                            "2026-01-01,web,new,100,10,1,500,x\n"
                            "2026-02,web,new,10,2,1,60,y\n"
                            "2026-02-01,web,new,5,1,0,0,z\n"
                            "2026-03-01,live,new,0,0,0,0,\n")
    frame = read_history(path)
    assert list(frame.columns) == ["date", "channel", "tier", "product", "spend", "leads", "customers", "revenue",
                                   "period", "week"]
    assert frame["date"].dtype == "datetime64[ns]"
    assert frame.attrs["grain"] == "monthly" and frame.attrs["has_product"] is False
    february = frame[frame["period"] == "2026-02"].iloc[0]
    assert (february["spend"], february["leads"], february["customers"], february["revenue"]) == (15, 3, 1, 60)
    assert list(frame["period"]) == ["2026-01", "2026-02", "2026-03"]
    assert list(frame["product"]) == ["", "", ""]
    assert frame["week"].iloc[0] == "2026-W01"  # 1 Jan 2026 is a Thursday: ISO week 1 of 2026


@pytest.mark.parametrize("dates, grain", [
    (["2026-01-01", "2026-03-01", "2026-04-01"], "monthly"),  # a gap in February is still monthly
    (["2026-01-05", "2026-01-12", "2026-02-02"], "weekly"),  # Mondays, with gaps
    (["2026-01-05", "2026-01-06"], "daily"),
    (["2026-01-01", "2026-01-08"], "weekly"),  # two 1sts a week apart are not months
])
def test_grain(dates, grain):
    assert detect_grain(pd.Series(pd.to_datetime(dates))) == grain


@pytest.mark.parametrize("body, message", [
    ("2026-01-01,web,new,100,10,11,500\n", "line 2, customers: got 11; expected at most the row's leads (10)"),
    ("2026-01-01,web,new,1,1,0,1\n2026-13-01,web,new,100,10,1,500\n",
     "line 3, date: got '2026-13-01'; expected a date YYYY-MM-DD (or YYYY-MM)"),
    ("2026-01-01,web,new,-5,10,1,500\n", "line 2, spend: got '-5'; expected a number >= 0"),
    ("2026-01-01,web,new,5,-1,0,500\n", "line 2, leads: got '-1'; expected a whole number >= 0"),
    ("2026-01-01,web,new,5,2.5,0,500\n", "line 2, leads: got '2.5'; expected a whole number >= 0"),
    ("2026-01-01,web,new,5,2,0,\n", "line 2, revenue: got ''; expected a number >= 0 (write 0 for none)"),
    ("2026-01-01,,new,5,2,0,1\n", "line 2, channel: got ''; expected a name of 1-80 printable characters"),
])
def test_bad_values_name_line_column_value_and_expectation(tmp_path, body, message):
    path = _write(tmp_path, HEADER + body)
    with pytest.raises(HistoryError) as caught:
        read_history(path)
    assert str(caught.value).startswith(f"{path}: {message}")
    assert "\n" not in str(caught.value)


def test_missing_column(tmp_path):
    path = _write(tmp_path, "date,channel,tier,spend,leads,customers\n2026-01-01,web,new,1,1,0\n")
    with pytest.raises(HistoryError, match=r"column revenue: got missing; expected the columns date, channel"):
        read_history(path)


def test_parquet_without_pyarrow_says_what_to_install(tmp_path):
    pytest.importorskip("pandas")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        path = _write(tmp_path, "not parquet", "history.parquet")
        with pytest.raises(HistoryError, match="pip install pyarrow"):
            read_history(path)
    else:
        path = tmp_path / "history.parquet"
        pd.DataFrame({"date": pd.to_datetime(["2026-01-01"]), "channel": ["web"], "tier": ["new"], "spend": [1.0],
                      "leads": [2], "customers": [1], "revenue": [3.0]}).to_parquet(path)
        assert read_history(path)["revenue"].tolist() == [3.0]


def test_history_before_as_of_and_window(tmp_path):
    rows = "".join(f"2026-{m:02d}-01,web,new,1,1,0,{m}\n" for m in range(1, 13))
    frame = read_history(_write(tmp_path, HEADER + rows))
    kept = history_before(frame, "2026-10-01", "2q")  # 2026-04-01 up to 2026-09-01
    assert kept["revenue"].tolist() == [4, 5, 6, 7, 8, 9]
    assert kept.attrs["first"] == "2026-04-01" and kept.attrs["last"] == "2026-09-01"
    assert history_before(frame, "2026-03-15")["revenue"].tolist() == [1, 2, 3]
    with pytest.raises(HistoryError, match=r"--as-of: got '2025-12-31'; expected a date after the history's first"):
        history_before(frame, "2025-12-31")
    with pytest.raises(HistoryError, match=r"--window: got '8x'; expected a positive count and a unit"):
        parse_window("8x")
    assert parse_window("24m") == pd.DateOffset(months=24)

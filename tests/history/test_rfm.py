"""`allocator rfm` (issue 13 §2): RFM scores, segments and tier kinds from transactions.

The CDNOW numbers are counted here again with plain Python (csv, collections, datetime, Decimal), never
with pandas or the code under test; the tiny tables have answers worked out by hand in their comments.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import base_scenario, invoke, write_scenario

from allocator.history.rfm import Rules, quintile_cuts, score_customers, scores, segments
from allocator.history.transactions import read_transactions
from allocator.scenario.schema import Tier

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "cdnow" / "cdnow_sample.csv"


# --- an independent count of the CDNOW sample -------------------------------------------------------------------


def _records(as_of: date) -> tuple[dict[str, list[tuple[date, Decimal]]], int]:
    """customer -> [(day, amount)] of the records before as_of, and how many records are on or after it."""
    kept: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    later = 0
    with open(SAMPLE, newline="") as handle:
        for row in csv.DictReader(handle):
            day = date.fromisoformat(row["date"])
            if day < as_of:
                kept[row["customer_id"]].append((day, Decimal(row["amount"])))
            else:
                later += 1
    return kept, later


def _by_customer(as_of: date) -> dict[str, dict]:
    """Each customer's recency, frequency (purchase days), monetary, first and last day: by hand."""
    kept, _ = _records(as_of)
    table = {}
    for customer, rows in kept.items():
        days = {day for day, _ in rows}
        table[customer] = {"recency": (as_of - max(days)).days, "frequency": len(days),
                           "monetary": sum(amount for _, amount in rows), "first": min(days), "last": max(days)}
    return table


def _nearest_rank(values, k: int) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(k * len(ordered) / 5) - 1]


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _run(tmp_path: Path, *options, source: Path = SAMPLE, as_of: str = "1998-07-01"):
    out = tmp_path / "rfm"
    result = invoke("rfm", source, "--as-of", as_of, "--out", out, *options)
    assert result.exit_code == 0, result.output
    return out, result


def test_cdnow_sample_customers_purchases_and_single_purchase_customers(tmp_path):
    out, result = _run(tmp_path)
    rows = _read_csv(out / "customers.csv")
    kept, later = _records(date(1998, 7, 1))
    assert later == 0
    assert sum(len(r) for r in kept.values()) == 6919  # every record of the sample is before July 1998
    assert len(kept) == 2357 and len(rows) == 2357
    assert {r["customer_id"] for r in rows} == set(kept)  # ids as text: 00004 keeps its zeros
    purchase_days = sum(len({day for day, _ in r}) for r in kept.values())
    assert purchase_days == 6696  # 223 records share a day with another of the same customer
    assert sum(int(r["frequency"]) for r in rows) == purchase_days
    single = sum(1 for r in kept.values() if len({day for day, _ in r}) == 1)
    assert sum(1 for r in rows if r["frequency"] == "1") == single == 1218
    run = json.loads((out / "run.json").read_text())
    assert run["counts"]["records"] == 6919 and run["counts"]["customers"] == 2357
    assert run["input"]["sha256"] == __import__("hashlib").sha256(SAMPLE.read_bytes()).hexdigest()
    assert "2,357 customers from 6,919 transactions before 1998-07-01" in result.output


def test_cdnow_quintile_cut_points_and_every_score(tmp_path):
    out, _ = _run(tmp_path)
    mine = _by_customer(date(1998, 7, 1))
    run = json.loads((out / "run.json").read_text())
    for measure, key in (("r", "recency"), ("f", "frequency"), ("m", "monetary")):
        expected = [float(_nearest_rank([c[key] for c in mine.values()], k)) for k in (1, 2, 3, 4)]
        assert run["rules"]["cuts"][measure] == {"values": pytest.approx(expected, abs=1e-9), "source": "quintiles"}
    assert run["rules"]["cuts"]["f"]["values"] == [1, 1, 2, 4]  # over half bought on one day only
    cuts = {m: run["rules"]["cuts"][m]["values"] for m in "rfm"}
    for row in _read_csv(out / "customers.csv"):
        c = mine[row["customer_id"]]
        assert int(row["recency_days"]) == c["recency"] and int(row["frequency"]) == c["frequency"]
        assert Decimal(row["monetary"]) == c["monetary"]
        # one more than the cut points strictly below; recency the other way round
        assert int(row["r"]) == 5 - sum(c["recency"] > x for x in cuts["r"])
        assert int(row["f"]) == 1 + sum(c["frequency"] > x for x in cuts["f"])
        assert int(row["m"]) == 1 + sum(float(c["monetary"]) > x for x in cuts["m"])
    # equal values, equal scores: with cuts 1, 1, 2, 4 one purchase day scores 1 and two score 3 (two cuts
    # below), so f = 2 holds no one; 1,218 customers (52%) score 1
    f_scores = [r["f"] for r in _read_csv(out / "customers.csv")]
    assert set(f_scores) == {"1", "3", "4", "5"} and f_scores.count("1") == 1218


def _tier_by_hand(c: dict, as_of: date, threshold: Decimal, new_days: int, lapsed_days: int) -> str:
    if c["recency"] > lapsed_days:
        return "prospect"
    if (as_of - c["first"]).days <= new_days:
        return "new"
    return "key_account" if c["monetary"] >= threshold else "existing"


def test_cdnow_tiers_at_an_earlier_as_of_counted_by_hand(tmp_path):
    """As of 1998-01-01, new = first purchase within 300 days (from 1997-03-07), lapsed = none for 180 days,
    key accounts the top 10% by monetary: customers, revenue, repeat rate, order value and gap per tier."""
    as_of = date(1998, 1, 1)
    out, result = _run(tmp_path, "--new-days", 300, "--lapsed-days", 180, "--key-share", 0.1, as_of="1998-01-01")
    mine = _by_customer(as_of)
    _, later = _records(as_of)
    ranked = sorted((c["monetary"] for c in mine.values()), reverse=True)
    threshold = ranked[math.ceil(0.1 * len(ranked)) - 1]
    kinds = {cid: _tier_by_hand(c, as_of, threshold, 300, 180) for cid, c in mine.items()}
    run = json.loads((out / "run.json").read_text())
    assert run["counts"]["records_on_or_after_as_of"] == later > 0
    assert f"({later:,} on or after it ignored)" in result.output
    assert run["rules"]["key_account_threshold"] == float(threshold)
    tiers = {row["tier_kind"]: row for row in _read_csv(out / "tiers.csv")}
    total = sum(c["monetary"] for c in mine.values())
    for kind in ("new", "existing", "key_account", "prospect"):
        group = [c for cid, c in mine.items() if kinds[cid] == kind]
        assert group, kind  # every kind is exercised
        revenue = sum(c["monetary"] for c in group)
        repeat = [c for c in group if c["frequency"] >= 2]
        row = tiers[kind]
        assert int(row["customers"]) == len(group)
        assert float(row["revenue"]) == pytest.approx(float(revenue), abs=1e-6)
        assert float(row["revenue_share"]) == pytest.approx(float(revenue / total), rel=1e-12)
        assert float(row["repeat_purchase_rate"]) == pytest.approx(len(repeat) / len(group), rel=1e-12)
        purchases = sum(c["frequency"] for c in group)  # no order_id: an order is a purchase day
        assert float(row["average_order_value"]) == pytest.approx(float(revenue) / purchases, rel=1e-12)
        if repeat:
            gap = sum((c["last"] - c["first"]).days for c in repeat) / sum(c["frequency"] - 1 for c in repeat)
            assert float(row["average_gap_days"]) == pytest.approx(gap, rel=1e-12)
    assert float(tiers["all"]["revenue"]) == pytest.approx(float(total), abs=1e-6)
    assert {r["customer_id"]: r["tier_kind"] for r in _read_csv(out / "customers.csv")} == kinds


def test_quarter_purchase_rates_sort_customers_at_the_quarters_start(tmp_path):
    """Each kind's customers as of 1998-04-01 (91 days before as-of, same rules on the records before it):
    the share of them who bought between then and 1998-07-01."""
    out, _ = _run(tmp_path)
    start, as_of = date(1998, 4, 1), date(1998, 7, 1)
    then = _by_customer(start)
    ranked = sorted((c["monetary"] for c in then.values()), reverse=True)
    threshold = ranked[math.ceil(0.05 * len(ranked)) - 1]
    kinds = {cid: _tier_by_hand(c, start, threshold, 90, 365) for cid, c in then.items()}
    kept, _ = _records(as_of)
    bought = {cid for cid, rows in kept.items() if any(start <= day for day, _ in rows)}
    tiers = {row["tier_kind"]: row for row in _read_csv(out / "tiers.csv")}
    for kind in ("existing", "key_account", "prospect"):
        base = [cid for cid in then if kinds[cid] == kind]
        buyers = sum(1 for cid in base if cid in bought)
        assert (int(tiers[kind]["quarter_start_customers"]), int(tiers[kind]["quarter_buyers"])) == (len(base), buyers)
        assert float(tiers[kind]["quarter_purchase_rate"]) == pytest.approx(buyers / len(base), rel=1e-12)
    assert tiers["new"]["quarter_start_customers"] == "0" and tiers["new"]["quarter_purchase_rate"] == ""
    yaml_tiers = {t["kind"]: t for t in yaml.safe_load((out / "tiers.yaml").read_text())["tiers"]}
    base = [cid for cid in then if kinds[cid] == "existing"]
    assert yaml_tiers["existing"]["conversion"] == round(sum(cid in bought for cid in base) / len(base), 4)


def test_tiers_yaml_drops_into_a_scenario(tmp_path):
    """Each tier written validates as a scenario's; its order value is net revenue / orders to the cent; new
    and prospect conversions are the assumed --lead-conversion; a kind with no customers is left out."""
    out, _ = _run(tmp_path, "--lead-conversion", 0.08)
    text = (out / "tiers.yaml").read_text()
    tiers = yaml.safe_load(text)["tiers"]
    assert [t["kind"] for t in tiers] == ["existing", "key_account", "prospect"]
    assert "# new_customers (new): no customers as of 1998-07-01; not written" in text
    for tier in tiers:
        Tier(**tier)
    mine = _by_customer(date(1998, 7, 1))
    kinds = {r["customer_id"]: r["tier_kind"] for r in _read_csv(out / "customers.csv")}
    for tier in tiers:
        group = [c for cid, c in mine.items() if kinds[cid] == tier["kind"]]
        revenue = sum(c["monetary"] for c in group)
        assert tier["order_value"] == round(float(revenue) / sum(c["frequency"] for c in group), 2)
    assert {t["kind"]: t["conversion"] for t in tiers}["prospect"] == 0.08
    scenario = write_scenario(tmp_path, base_scenario(tiers=tiers))
    result = invoke("validate", scenario)
    assert result.exit_code == 0, result.output


def test_a_tier_without_a_measurable_quarter_is_left_out_of_tiers_yaml(tmp_path):
    # As of 1997-06-01 the quarter starts on 1997-03-02, when every customer (first purchases from
    # 1997-01-01) is still new: existing and key accounts have no quarter to measure.
    out, _ = _run(tmp_path, "--lapsed-days", 60, as_of="1997-06-01")
    text = (out / "tiers.yaml").read_text()
    assert [t["kind"] for t in yaml.safe_load(text)["tiers"]] == ["new", "prospect"]
    assert ("# existing_customers (existing): no customers of this kind at the quarter's start (1997-03-02), so "
            "no quarter purchase rate to measure; not written: add it with your own conversion") in text
    tiers = {row["tier_kind"]: row for row in _read_csv(out / "tiers.csv")}
    assert int(tiers["existing"]["customers"]) > 0 and tiers["existing"]["quarter_start_customers"] == "0"


# --- tiny tables with answers by hand ---------------------------------------------------------------------------


def _table(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_quintiles_of_ties_give_equal_scores():
    # ten values 1..10: cut points are the 2nd, 4th, 6th, 8th smallest
    assert quintile_cuts(list(range(1, 11))) == [2, 4, 6, 8]
    assert list(scores(list(range(1, 11)), [2, 4, 6, 8])) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # six customers tie at 5: cuts 5, 5, 5, 8; all six score 1, 7 and 8 score 4 (three cuts below)
    values = [5, 5, 5, 5, 5, 5, 7, 8, 9, 10]
    assert quintile_cuts(values) == [5, 5, 5, 8]
    assert list(scores(values, [5, 5, 5, 8])) == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    # recency: fewer days is better
    assert list(scores([1, 2, 30, 31], [1, 2, 30, 30], higher_is_better=False)) == [5, 4, 3, 1]
    # the order of the customers changes nothing
    assert list(scores(values[::-1], quintile_cuts(values[::-1]))) == [5, 5, 4, 4, 1, 1, 1, 1, 1, 1]


def test_same_day_records_are_one_purchase_and_the_as_of_day_is_excluded(tmp_path):
    path = _table(tmp_path, "customer_id,date,amount,order_id\n"
                            "a,2024-01-05,10,o1\na,2024-01-05,5,o2\na,2024-01-05 14:30,2.5,o2\n"
                            "a,2024-02-01,20,o3\n"
                            "b,2024-03-31,7,\nb,2024-04-01,100,o9\n")
    result = score_customers(read_transactions(path), "2024-04-01", Rules(new_days=0, lapsed_days=365))
    a, b = (result.customers.set_index("customer_id").loc[c] for c in ("a", "b"))
    assert (a["frequency"], a["orders"], a["monetary"], a["recency_days"]) == (2, 3, 37.5, 60)  # o1, o2, o3
    assert (b["frequency"], b["orders"], b["monetary"], b["recency_days"]) == (1, 1, 7, 1)  # 04-01 ignored
    assert result.counts["records_on_or_after_as_of"] == 1


def test_returns_lower_monetary_but_are_no_purchase(tmp_path):
    path = _table(tmp_path, "customer_id,date,amount\n"
                            "a,2024-01-10,100\na,2024-03-01,-30\n"   # a return after the purchase
                            "b,2024-02-01,0\n"                       # a free order: a purchase
                            "c,2024-03-15,-20\n")                    # a return only: no tier
    result = score_customers(read_transactions(path), "2024-04-01")
    table = result.customers.set_index("customer_id")
    assert list(table.index) == ["a", "b"]
    assert (table.loc["a", "monetary"], table.loc["a", "frequency"], table.loc["a", "recency_days"]) == (70, 1, 82)
    assert table.loc["b", "frequency"] == 1
    assert result.counts["customers_with_returns_only"] == {"customers": 1, "records": 1, "amount": -20.0}
    assert result.counts["return_records"] == 2


def test_tier_rules_apply_in_their_order(tmp_path):
    # as of 2024-07-01, new_days 30, lapsed_days 90, key_share 0.25 of 4 customers -> the top one (500)
    path = _table(tmp_path, "customer_id,date,amount\n"
                            "old_big,2024-01-02,900\n"      # recency 181 > 90: prospect although the biggest
                            "fresh,2024-06-15,500\n"        # first purchase 16 days ago: new although key-sized
                            "key,2024-02-01,100\nkey,2024-06-01,400\n"  # 500, ties with fresh: key_account
                            "regular,2024-03-01,50\nregular,2024-06-20,50\n")
    result = score_customers(read_transactions(path), "2024-07-01", Rules(new_days=30, lapsed_days=90, key_share=0.25))
    kinds = dict(zip(result.customers["customer_id"], result.customers["tier_kind"]))
    assert result.key_threshold == 900
    assert kinds == {"fresh": "new", "key": "existing", "old_big": "prospect", "regular": "existing"}
    result = score_customers(read_transactions(path), "2024-07-01", Rules(new_days=30, lapsed_days=90, key_share=0.5))
    kinds = dict(zip(result.customers["customer_id"], result.customers["tier_kind"]))
    assert result.key_threshold == 500  # the 2nd of 4; fresh ties at 500 but is new first
    assert kinds == {"fresh": "new", "key": "key_account", "old_big": "prospect", "regular": "existing"}


# The RF grid as a picture: rows recency score 5 (top) to 1, columns frequency score 1 to 5.
GRID = """
first_timers   potential_loyalists potential_loyalists champions   champions
promising      potential_loyalists potential_loyalists loyal       loyal
about_to_sleep about_to_sleep      need_attention      loyal       loyal
hibernating    hibernating         at_risk             at_risk     cannot_lose
hibernating    hibernating         at_risk             at_risk     cannot_lose
"""


def test_segments_follow_the_rf_grid():
    pairs = [(r, f) for r in (5, 4, 3, 2, 1) for f in (1, 2, 3, 4, 5)]
    names = segments(np.array([r for r, _ in pairs]), np.array([f for _, f in pairs]))
    assert list(names) == GRID.split()

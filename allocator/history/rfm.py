"""RFM from transactions: each customer's recency, frequency and monetary value, their 1-5 scores, an RF
segment, and the scenario tier kind (new, existing, key_account, prospect) by stated rules; per tier the
numbers a plan needs.

The rules, in one place (README.md and run.json of every output repeat them):

- Only transactions dated strictly before ``as_of`` count; later ones are counted and ignored.
- A *purchase* is a record with an amount of 0 or more (a free order, as CDNOW's 80 zero-dollar
  records, is still a purchase occasion). A negative amount is a return or refund: it lowers the
  customer's monetary value and the tier's revenue (both are net), but it is not a purchase and does
  not refresh recency. A customer with returns only (before ``as_of``) has no
  purchase to measure: counted in the run record, in no tier.
- *Recency*: days from the last purchase day to ``as_of`` (a purchase the day before is 1).
- *Frequency*: purchase days. Several records of one customer on one day are one purchase (an order split
  into lines, or CDNOW's several CDs a day), as in the CDNOW literature and the `lifetimes` package.
- *Monetary*: the customer's net total amount (not the average: a key account is one who brings much).
- *Orders* (for average order value): distinct ``order_id`` when the file has one (a blank id counts its
  purchase day), else purchase days.
- *Scores* 1-5: by four cut points per measure, the 20/40/60/80% quantiles of the customers' values by
  nearest rank (the value of the ceil(k x n / 5)-th smallest customer), or four given with ``--cuts``.
  A value up to the first cut scores 1 (recency: 5), above the first up to the second 2 (recency: 4), and
  so on. Equal values always get equal scores: when one value fills more than a fifth (most CDNOW
  customers bought once) a score may hold no one and its neighbours more than a fifth.
- *Tier kind*, first rule that holds: prospect (lapsed) when recency > ``lapsed_days``; new when the
  first purchase is at most ``new_days`` before ``as_of``; key_account when monetary is at least the
  key-account threshold, the monetary value of the customer ranked ceil(``key_share`` x customers) from
  the top (ties at it included); existing otherwise.
- *Quarter purchase rate* of a tier kind: of its customers at the quarter's start (QUARTER_DAYS before
  ``as_of``, sorted by the same rules on the transactions before then), the share who bought before
  ``as_of``: what a scenario's conversion of existing customers and key accounts means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from allocator.errors import Text, UsageError
from allocator.history.history_table import HistoryError, parse_date
from allocator.history.transactions import Transactions

MONEY_DECIMALS = 6
QUARTER_DAYS = 91  # the quarter over which a tier's purchase rate is measured (a scenario plans a quarter)
MEASURES = {"r": "recency_days", "f": "frequency", "m": "monetary"}
KINDS = ("new", "existing", "key_account", "prospect")
# RF segments (a common grid over the recency and frequency scores): name, recency scores, frequency scores.
SEGMENTS = (
    ("champions", (5,), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("potential_loyalists", (4, 5), (2, 3)),
    ("first_timers", (5,), (1,)),
    ("promising", (4,), (1,)),
    ("need_attention", (3,), (3,)),
    ("about_to_sleep", (3,), (1, 2)),
    ("cannot_lose", (1, 2), (5,)),
    ("at_risk", (1, 2), (3, 4)),
    ("hibernating", (1, 2), (1, 2)),
)


@dataclass(frozen=True)
class Rules:
    """How customers are scored and put into tiers. Days are whole days; `key_share` is 0-1."""

    new_days: int = 90
    lapsed_days: int = 365
    key_share: float = 0.05
    cuts: dict[str, tuple[float, ...]] = field(default_factory=dict)  # "r"/"f"/"m" -> 4 ascending cut points


@dataclass(frozen=True)
class Rfm:
    """The result: one row per customer, one per tier kind (and ``all``), and what was used."""

    as_of: pd.Timestamp
    rules: Rules
    customers: pd.DataFrame
    tiers: pd.DataFrame
    cuts: dict[str, dict]  # measure -> {"values": [4 cut points], "source": "quintiles" | "--cuts"}
    key_threshold: float | None
    counts: dict


def parse_cuts(texts) -> dict[str, tuple[float, ...]]:
    """``--cuts r=30,90,180,365`` (repeatable, one per measure r, f or m) as {"r": (30, 90, 180, 365)}."""
    cuts: dict[str, tuple[float, ...]] = {}
    for text in texts:
        name, _, values = str(text).partition("=")
        name = name.strip().lower()
        expected = "MEASURE=C1,C2,C3,C4: r, f or m and four ascending numbers, e.g. r=30,90,180,365"
        if name not in MEASURES or name in cuts:
            raise UsageError("--cuts", "", text, expected + (" (each measure once)" if name in cuts else ""))
        try:
            numbers = tuple(float(v) for v in values.split(","))
        except ValueError:
            raise UsageError("--cuts", "", text, expected) from None
        if len(numbers) != 4 or not all(map(math.isfinite, numbers)) or list(numbers) != sorted(set(numbers)):
            raise UsageError("--cuts", "", text, expected)
        cuts[name] = numbers
    return cuts


def score_customers(transactions: Transactions, as_of, rules: Rules = Rules()) -> Rfm:
    """Score every customer who purchased before `as_of` and sum the tiers (see the module's rules)."""
    as_of = parse_date(as_of)
    frame = transactions.frame
    before = frame["date"] < as_of
    used = frame[before]
    purchases = used[used["amount"] >= 0]
    if purchases.empty:
        first = frame.loc[frame["amount"] >= 0, "date"].min()
        shown = f"{first:%Y-%m-%d}" if pd.notna(first) else "none: every amount in it is negative"
        raise HistoryError("--as-of", "", Text(f"{as_of:%Y-%m-%d}"),
                           f"a date after the first purchase in {transactions.path} ({shown})")
    customers = measures(used, purchases, as_of, transactions.has_order_id)
    cuts = {}
    for measure, column in MEASURES.items():
        given = rules.cuts.get(measure)
        values = list(given) if given else quintile_cuts(customers[column].to_numpy())
        cuts[measure] = {"values": values, "source": "--cuts" if given else "quintiles"}
        customers[measure] = scores(customers[column].to_numpy(), values, higher_is_better=measure != "r")
    customers["rfm"] = customers["r"].astype(str) + customers["f"].astype(str) + customers["m"].astype(str)
    customers["segment"] = segments(customers["r"].to_numpy(), customers["f"].to_numpy())
    threshold = key_threshold(customers["monetary"].to_numpy(), rules.key_share)
    customers["tier_kind"] = tier_kinds(customers, as_of, rules, threshold)
    returns_only = used[~used["customer_id"].isin(customers["customer_id"])]
    counts = {
        "records": int(len(frame)), "records_used": int(before.sum()),
        "records_on_or_after_as_of": int((~before).sum()),
        "purchase_records": int(len(purchases)), "return_records": int((used["amount"] < 0).sum()),
        "customers": int(len(customers)),
        "customers_with_returns_only": {"customers": int(returns_only["customer_id"].nunique()),
                                        "records": int(len(returns_only)),
                                        "amount": float(returns_only["amount"].sum())},
        "has_order_id": transactions.has_order_id,
        "first_date": f"{used['date'].min():%Y-%m-%d}", "last_date": f"{used['date'].max():%Y-%m-%d}",
    }
    quarter = quarter_purchase_rates(used, purchases, as_of, rules, transactions.has_order_id)
    counts["quarter_start"] = f"{as_of - pd.Timedelta(days=QUARTER_DAYS):%Y-%m-%d}"
    return Rfm(as_of, rules, customers, tier_stats(customers).join(quarter, on="tier_kind"), cuts, threshold, counts)


def measures(used: pd.DataFrame, purchases: pd.DataFrame, as_of: pd.Timestamp, has_order_id: bool) -> pd.DataFrame:
    """One row per customer with a purchase: first and last purchase day, recency, frequency (purchase days),
    orders, monetary (net of every record before as_of, returns included); sorted by customer_id."""
    by_customer = purchases.groupby("customer_id", sort=True)["date"]
    table = pd.DataFrame({"first_purchase": by_customer.min(), "last_purchase": by_customer.max(),
                          "frequency": by_customer.nunique()})
    keys = pd.DataFrame({"customer_id": purchases["customer_id"], "day": purchases["date"]})
    if has_order_id:  # an order id names one order whatever its days; a blank one counts its day
        keys["order"] = purchases["order_id"]
        keys["day"] = purchases["date"].where(purchases["order_id"] == "")
    table["orders"] = keys.drop_duplicates().groupby("customer_id").size()
    # Rounded to a millionth of the currency unit: float sums of cents otherwise read 31.950000000000003.
    table["monetary"] = used.groupby("customer_id")["amount"].sum().reindex(table.index).round(MONEY_DECIMALS)
    table["recency_days"] = (as_of - table["last_purchase"]).dt.days
    table = table.reset_index()
    return table[["customer_id", "first_purchase", "last_purchase", "recency_days", "frequency", "orders",
                  "monetary"]]


def quintile_cuts(values: np.ndarray) -> list[float]:
    """The 20/40/60/80% quantiles by nearest rank: the ceil(k x n / 5)-th smallest value, k = 1..4."""
    ordered = np.sort(np.asarray(values, dtype=float))
    n = len(ordered)
    return [float(ordered[(k * n + 4) // 5 - 1]) for k in (1, 2, 3, 4)]


def scores(values: np.ndarray, cuts, higher_is_better: bool = True) -> np.ndarray:
    """1-5: one more than the number of cut points strictly below the value (recency: five less that)."""
    below = np.searchsorted(np.asarray(cuts, dtype=float), np.asarray(values, dtype=float), side="left")
    return (1 + below if higher_is_better else 5 - below).astype(int)


def segments(r: np.ndarray, f: np.ndarray) -> np.ndarray:
    """The RF segment of each customer (SEGMENTS covers each of the 25 score pairs once)."""
    names = np.full(len(r), "", dtype=object)
    for name, recency, frequency in SEGMENTS:
        names[np.isin(r, recency) & np.isin(f, frequency)] = name
    return names


def key_threshold(monetary: np.ndarray, key_share: float) -> float | None:
    """The monetary value of the customer ranked ceil(key_share x n) from the top; None when no one is."""
    count = math.ceil(round(key_share * len(monetary), 9))  # round: 0.05 x 2,000 is 100, not 100.00000000000001
    return float(np.sort(monetary)[::-1][count - 1]) if count else None


def tier_kinds(customers: pd.DataFrame, as_of: pd.Timestamp, rules: Rules, threshold: float | None) -> np.ndarray:
    """The first rule that holds: prospect (lapsed), new, key_account, else existing."""
    lapsed = customers["recency_days"].to_numpy() > rules.lapsed_days
    new = (as_of - customers["first_purchase"]).dt.days.to_numpy() <= rules.new_days
    key = customers["monetary"].to_numpy() >= threshold if threshold is not None else np.zeros(len(customers), bool)
    return np.select([lapsed, new, key], ["prospect", "new", "key_account"], default="existing").astype(object)


def quarter_purchase_rates(used: pd.DataFrame, purchases: pd.DataFrame, as_of: pd.Timestamp, rules: Rules,
                           has_order_id: bool) -> pd.DataFrame:
    """Per tier kind (and ``all``): of the customers in it at the quarter's start (QUARTER_DAYS before as_of,
    sorted by the same rules on the transactions before then), how many bought in the quarter, and the
    share. A tier defined by recency would make its own rate (every customer not lapsed bought lately):
    sorting at the start and looking forward keeps the rate a measurement, as a plan's conversion is."""
    start = as_of - pd.Timedelta(days=QUARTER_DAYS)
    earlier = purchases["date"] < start
    rows = pd.DataFrame(index=pd.Index([*KINDS, "all"], name="tier_kind"),
                        columns=["quarter_start_customers", "quarter_buyers"], data=0)
    if earlier.any():
        then = measures(used[used["date"] < start], purchases[earlier], start, has_order_id)
        kinds = tier_kinds(then, start, rules, key_threshold(then["monetary"].to_numpy(), rules.key_share))
        bought = then["customer_id"].isin(purchases.loc[~earlier, "customer_id"]).to_numpy()
        for kind in KINDS:
            rows.loc[kind] = [int((kinds == kind).sum()), int(bought[kinds == kind].sum())]
        rows.loc["all"] = [len(then), int(bought.sum())]
    base = rows["quarter_start_customers"].astype(float)
    rows["quarter_purchase_rate"] = (rows["quarter_buyers"] / base).where(base > 0)
    return rows


def tier_stats(customers: pd.DataFrame) -> pd.DataFrame:
    """Per tier kind (and ``all``): customers, revenue and its share, purchases, orders, repeat-purchase rate
    (share of customers with two or more purchase days), average order value (net revenue / orders),
    revenue per customer, and the average gap between purchase days (every gap of the tier's repeat
    customers weighs one: their first-to-last spans over their gaps)."""
    total_revenue = float(customers["monetary"].sum())
    rows = []
    for kind in (*KINDS, "all"):
        group = customers if kind == "all" else customers[customers["tier_kind"] == kind]
        repeat = group[group["frequency"] >= 2]
        revenue = round(float(group["monetary"].sum()), MONEY_DECIMALS)
        orders, count = int(group["orders"].sum()), len(group)
        spans = (repeat["last_purchase"] - repeat["first_purchase"]).dt.days.sum()
        gaps = int((repeat["frequency"] - 1).sum())
        rows.append({
            "tier_kind": kind, "customers": count, "customer_share": count / len(customers),
            "revenue": revenue, "revenue_share": revenue / total_revenue if total_revenue else np.nan,
            "purchases": int(group["frequency"].sum()), "orders": orders, "repeat_customers": len(repeat),
            "repeat_purchase_rate": len(repeat) / count if count else np.nan,
            "average_order_value": revenue / orders if orders else np.nan,
            "revenue_per_customer": revenue / count if count else np.nan,
            "average_gap_days": float(spans) / gaps if gaps else np.nan,
        })
    return pd.DataFrame(rows)


def customers_table(result: Rfm) -> pd.DataFrame:
    """customers.csv: dates as YYYY-MM-DD, scores and labels after the measures."""
    table = result.customers.copy()
    for column in ("first_purchase", "last_purchase"):
        table[column] = table[column].dt.strftime("%Y-%m-%d")
    return table[["customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "rfm", "segment",
                  "tier_kind", "orders", "first_purchase", "last_purchase"]]

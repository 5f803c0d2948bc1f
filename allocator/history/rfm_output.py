"""Write an RFM result: customers.csv, tiers.csv, tiers.yaml (a scenario's `tiers:`), README.md, run.json.

The folder is written through `write_folder`: all at once or not at all, never over the transactions
file, replaced only with --force and only when allocator wrote it.
"""

from __future__ import annotations

import time
from pathlib import Path

from allocator.history.rfm import KINDS, QUARTER_DAYS, SEGMENTS, Rfm, customers_table
from allocator.history.transactions import Transactions
from allocator.io.output import prepare_target, write_folder
from allocator.io.provenance import versions
from allocator.scenario.schema import Tier

# The names the bundled example gives its tiers, so that tiers.yaml drops into it as it is.
TIER_NAMES = {"new": "new_customers", "existing": "existing_customers", "key_account": "key_accounts",
              "prospect": "prospects"}
FILES = ("customers.csv", "tiers.csv", "tiers.yaml", "README.md", "run.json")


def check_target(out: str | Path, force: bool, transactions_path: str | Path) -> None:
    """Refuse an --out that must not be written (holds the transactions file, exists without --force, is
    not a folder allocator wrote), before any work."""
    prepare_target(Path(out), force, [Path(transactions_path)])


def write_rfm(result: Rfm, transactions: Transactions, out: str | Path, *, force: bool = False,
              lead_conversion: float = 0.05, seconds: float | None = None) -> list[str]:
    """Write the folder; returns the names of the files written."""
    record = run_record(result, transactions, lead_conversion, seconds)
    extra = {"tiers.yaml": tiers_yaml(result, lead_conversion), "README.md": readme(result, lead_conversion)}
    write_folder(Path(out), {"customers": customers_table(result), "tiers": result.tiers}, record,
                 inputs=[transactions.path], extra_files=extra, force=force)
    return list(FILES)


def tier_entries(result: Rfm, lead_conversion: float) -> list[tuple[dict | None, str]]:
    """Per tier kind: the scenario tier (None when the transactions cannot give one) and a comment."""
    entries = []
    for kind in KINDS:
        row = result.tiers.set_index("tier_kind").loc[kind]
        name = TIER_NAMES[kind]
        if row["customers"] == 0 or not row["average_order_value"] > 0:
            why = "no customers" if row["customers"] == 0 else "an average order value of 0 or less (returns)"
            entries.append((None, f"{name} ({kind}): {why} as of {result.as_of:%Y-%m-%d}; not written"))
            continue
        order_value = round(float(row["average_order_value"]), 2)
        if kind in ("existing", "key_account"):
            base, rate = int(row["quarter_start_customers"]), row["quarter_purchase_rate"]
            if not rate > 0:
                why = "no customers of this kind" if not base else f"none of its {base} customers bought"
                entries.append((None, f"{name} ({kind}): {why} at the quarter's start "
                                      f"({result.counts['quarter_start']}), so no quarter purchase rate to "
                                      "measure; not written: add it with your own conversion"))
                continue
            rate = round(float(rate), 4)
            note = (f"conversion: {int(row['quarter_buyers'])} of the {base} customers of this kind at "
                    f"{result.counts['quarter_start']} bought in the next {QUARTER_DAYS} days (measured)")
        else:
            rate = lead_conversion
            note = "conversion: lead -> customer, NOT in transactions: --lead-conversion (assumed)"
        entry = {"name": name, "kind": kind, "conversion": rate, "order_value": order_value}
        Tier(**entry)  # the shape a scenario's tiers take; a failure here is a bug, not bad input
        entries.append((entry, f"{note}\n  # order_value: net revenue / orders of its {int(row['customers'])} "
                               "customers (measured)"))
    return entries


def tiers_yaml(result: Rfm, lead_conversion: float) -> str:
    """A scenario's `tiers:` list: measured order values (net revenue / orders, rounded to cents) and
    repeat-purchase rates; each tier with a comment saying where its numbers come from."""
    lines = [f"# Customer tiers measured by `allocator rfm` from transactions before {result.as_of:%Y-%m-%d}.",
             "# Paste this list as your scenario's `tiers:`, or copy the numbers into your tiers of the same kind",
             "# (a tier's `channels:` and `value_multiplier:` are yours to add). Exact values: tiers.csv.",
             "tiers:"]
    for entry, note in tier_entries(result, lead_conversion):
        lines.append(f"  # {note}")
        if entry is None:
            continue
        lines += [f"  - name: {entry['name']}", f"    kind: {entry['kind']}",
                  f"    conversion: {entry['conversion']!r}", f"    order_value: {entry['order_value']!r}"]
    return "\n".join(lines) + "\n"


def rules_record(result: Rfm, lead_conversion: float) -> dict:
    """The rules as run.json states them: definitions, tier rules with their values, cut points used."""
    rules = result.rules
    return {
        "as_of": "transactions dated strictly before as_of count; later ones are ignored",
        "purchase": "a record with amount >= 0; a negative amount (return, refund) lowers monetary, is no purchase",
        "recency_days": "days from the last purchase day to as_of",
        "frequency": "purchase days (records of one customer on one day are one purchase)",
        "monetary": "net total amount before as_of (returns included)",
        "orders": "distinct order_id (blank: its purchase day)" if result.counts.get("has_order_id")
                  else "purchase days (no order_id column)",
        "scores": "1-5 by four cut points: value <= cut1 scores 1 (recency 5), ...; equal values, equal scores",
        "cuts": result.cuts,
        "tier_kind": ["prospect: recency_days > lapsed_days", "new: first purchase <= new_days before as_of",
                      "key_account: monetary >= key_account_threshold", "existing: the rest"],
        "new_days": rules.new_days, "lapsed_days": rules.lapsed_days, "key_share": rules.key_share,
        "key_account_threshold": result.key_threshold,
        "lead_conversion_assumed": lead_conversion,
        "tiers_yaml": {"order_value": "average order value: net revenue / orders, rounded to the cent",
                       "conversion": "existing, key_account: quarter_purchase_rate of tiers.csv; new, "
                                     "prospect: lead_conversion_assumed (not in transactions)"},
        "segments": {name: {"r": list(r), "f": list(f)} for name, r, f in SEGMENTS},
    }


def run_record(result: Rfm, transactions: Transactions, lead_conversion: float, seconds: float | None) -> dict:
    """run.json: what was read (path, SHA-256), as-of, the rules and the counts."""
    by_tier = result.tiers.set_index("tier_kind")["customers"].astype(int).to_dict()
    return {
        "command": "rfm", "as_of": f"{result.as_of:%Y-%m-%d}",
        "input": {"path": str(transactions.path.absolute()), "sha256": transactions.sha256},
        "rules": rules_record(result, lead_conversion),
        "counts": {**result.counts, "customers_by_tier": by_tier},
        "seconds": round(seconds, 3) if seconds is not None else None,
        "versions": versions(), "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def readme(result: Rfm, lead_conversion: float) -> str:
    """README.md: what each file holds and the rules, with the values this run used."""
    rules, counts = result.rules, result.counts
    cuts = "; ".join(f"{m}: {', '.join(f'{v:g}' for v in c['values'])} ({c['source']})" for m, c in result.cuts.items())
    threshold = "none (key share 0)" if result.key_threshold is None else f"{result.key_threshold:g}"
    return f"""# RFM tiers as of {result.as_of:%Y-%m-%d}

Written by `allocator rfm`. {counts['customers']:,} customers from {counts['records_used']:,} transactions
dated {counts['first_date']} to {counts['last_date']}; {counts['records_on_or_after_as_of']:,} dated on or
after {result.as_of:%Y-%m-%d} were ignored.

| file | what it holds |
|---|---|
| `customers.csv` | one row per customer: recency_days, frequency, monetary, the r, f, m scores (1-5), segment, tier_kind, orders, first and last purchase |
| `tiers.csv` | per tier kind and in all: customers, revenue and its share, purchases, orders, repeat-purchase rate, average order value, revenue per customer, average gap between purchases in days, quarter purchase rate |
| `tiers.yaml` | the tiers as a scenario's `tiers:` list: paste it into the scenario, or copy its numbers into your tiers of the same kind |
| `run.json` | as-of, the input's SHA-256, every rule with its value, the counts |

## Rules
- Only transactions dated strictly before as-of count.
- A purchase is a record with an amount of 0 or more; a negative amount (a return or refund) lowers
  the customer's monetary value and the tier's revenue (both net), but is no purchase and does not
  refresh recency.
- recency_days: days from the last purchase day to as-of. frequency: purchase days (several records of
  one customer on one day are one purchase). monetary: net total amount.
- Scores 1-5 by four cut points per measure: a value up to the first cut scores 1 (recency: 5), and so
  on; equal values always get equal scores, so a score may hold more or fewer than a fifth.
  Cut points used: {cuts}.
- Tier kind, the first rule that holds: prospect (lapsed) when recency_days > {rules.lapsed_days};
  new when the first purchase is at most {rules.new_days} days before as-of; key_account when monetary
  >= {threshold} (that of the customer ranked ceil({rules.key_share:g} x customers) from the top by
  monetary, ties included); existing otherwise.
- tiers.csv: repeat_purchase_rate is the share of the tier's customers with two or more purchase days;
  average_gap_days, the tier's first-to-last purchase spans over their gaps (each gap between purchase
  days weighs one). quarter_start_customers are the customers of the kind at the quarter's start,
  {counts['quarter_start']} ({QUARTER_DAYS} days before as-of, sorted by the same rules on the transactions
  before it); quarter_buyers, those of them who bought before as-of; quarter_purchase_rate, their share
  (for prospect: the win-back rate of lapsed customers).
- tiers.yaml: order_value is the tier's average order value (net revenue / orders, to the cent);
  conversion is the quarter_purchase_rate for existing and key_account (a scenario's conversion is per
  quarter), and for new and prospect the lead -> customer rate assumed with --lead-conversion
  ({lead_conversion:g}): it is not in transactions. A tier that cannot be measured is left out, with a
  comment saying why.
"""

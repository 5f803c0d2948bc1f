"""Write an incentives folder: payouts.csv, totals.csv, expected_cost.csv, units.csv, run.json and, when
asked, incentive_budget.yaml (the expected cost at planned attainment and how to hold it in a plan's budget).

Written through `write_folder`: all at once or not at all, never over the rules, people or attainment
files, replaced only with --force and only when allocator wrote it.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from allocator.io.output import prepare_target, write_folder
from allocator.io.provenance import versions
from allocator.plan.units import with_units
from allocator.plan.words import figure
from allocator.tracking.incentive_rules import LoadedRules
from allocator.tracking.incentives import Incentives

BUDGET_FILE = "incentive_budget.yaml"
RULES_IN_WORDS = [
    ("attainment = actual / target of the payee's month (rows of one month summed), never rounded; a threshold "
     "is reached when actual >= threshold x target, in exact decimal arithmetic"),
    "bonus: the highest tier reached pays pay_share x monthly pay (every tier reached when stack is true)",
    ("commission: rate x attributed sales per row (the first by: rate matching its product and channel, else the "
     "default rate), whatever the attainment"),
    ("a month is missed when attainment < miss_below; n missed months in a row flag the consequence with the "
     "largest after_misses <= n in the month after the last miss; a month absent from the table ends the run"),
    ("awards: most = highest measure over the period, none when it is 0; first_to = earliest month reaching the "
     "threshold, then earliest reached_on when every candidate has one; tied winners split the prize equally"),
    ("expected cost at planned attainment: every payee-month at exactly 100% with sales equal to the target, and "
     "every award's prize once per period"),
]


def inputs_of(loaded: LoadedRules, attainment: Path) -> list[Path]:
    return [*loaded.files, Path(attainment)]


def check_target(out: Path, force: bool, inputs: list[Path]) -> None:
    """Refuse an --out that must not be written, before any work."""
    prepare_target(Path(out), force, inputs)


def write_incentives(result: Incentives, loaded: LoadedRules, attainment: Path, out: Path, *, force: bool = False,
                     as_budget_line: bool = False, seconds: float | None = None) -> list[str]:
    """Write the folder; returns the names of the files written."""
    tables = {"payouts": result.payouts, "totals": result.totals, "expected_cost": result.expected}
    extra = {BUDGET_FILE: budget_yaml(result, loaded)} if as_budget_line else {}
    inputs = inputs_of(loaded, attainment)
    write_folder(Path(out), with_units(tables, loaded.rules.currency or "money (the rules' currency)"),
                 run_record(result, loaded, inputs, seconds), inputs=inputs, extra_files=extra, force=force)
    return [f"{stem}.csv" for stem in (*tables, "units")] + list(extra) + ["run.json"]


def budget_yaml(result: Incentives, loaded: LoadedRules) -> str:
    """The expected incentive cost at planned attainment, and (in comments) how a plan's budget takes it."""
    parts = result.expected.set_index("part")
    total = float(parts.loc["total", "amount"])
    currency = loaded.rules.currency or "money"
    lines = [f"# Expected incentive cost at planned attainment (100% of every target) from {loaded.path.name}:"]
    for part, row in parts.iterrows():
        lines.append(f"#   {part:<11}{figure(row['amount']):>16} {currency}  ({row['basis']})")
    lines += [
        "#",
        "# A scenario's budget.lines bound marketing spend on channel x tier x product cells, and pay to",
        "# sales people is spent on no channel: it is not a budget line there. To hold it inside the",
        "# quarter's budget, solve with budget.total lowered by the total:",
        f"#   allocator solve SCENARIO --set budget.total=<the scenario's budget.total - {total!r}>",
        "# and show the reserve beside the plan. The numbers (full precision):",
        "incentive_reserve:",
        "  at_attainment: 1.0",
    ]
    lines += [f"  {part}: {float(row['amount'])!r}" for part, row in parts.iterrows()]
    return "\n".join(lines) + "\n"


def run_record(result: Incentives, loaded: LoadedRules, inputs: list[Path], seconds: float | None) -> dict:
    """run.json: the files read (SHA-256), the rules as validated and in words, counts and the expected cost."""
    payouts = result.payouts
    return {
        "command": "incentives",
        "inputs": [{"path": str(p.absolute()), "sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in inputs],
        "rules": loaded.rules.model_dump(mode="json"),
        "rules_in_words": RULES_IN_WORDS,
        "counts": {"payees": int(payouts["person"].nunique()), "rows": len(payouts),
                   "months": sorted(payouts["month"].unique().tolist()),
                   "flags": int((payouts["flag"] != "").sum()), "awards": int((payouts["award"] != "").sum()),
                   "channels_left_out_no_payee": list(result.left_out)},
        "paid": {column: float(payouts[column].sum()) for column in ("bonus", "commission", "award_amount",
                                                                      "incentive_total")},
        "expected_cost_at_planned_attainment": dict(zip(result.expected["part"], result.expected["amount"].astype(float))),
        "seconds": round(seconds, 3) if seconds is not None else None,
        "versions": versions(), "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }

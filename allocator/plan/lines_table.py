"""lines.csv: each named budget line (`budget.lines`) with what its spend buys and whether its promises hold.

budget_lines.csv keeps one row per channel x tier; a named line is a selection
that may cut across those rows and overlap other lines, so it has a table of
its own. Whether a promise is met is the row test of `allocator.plan.tolerance`,
the one verify uses. Also the rows targets.csv gives the targets on selections.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.plan.tolerance import holds
from allocator.plan.words import figure
from allocator.scenario.schema import BY_FLOORS, LINE_PROMISES

LINE_COLUMNS = ["line", "owner", "selection", "spend", "share_of_spend", "leads", "customers", "new_customers", "revenue",
                "roi"] + [f"promised_{p}" for p in LINE_PROMISES] + ["met", "statement"]
_WORDS = {"new_customers": "new customers", "revenue": "revenue", "leads": "leads"}


def _sums(allocation: pd.DataFrame, mask: np.ndarray, value: np.ndarray) -> dict[str, float]:
    picked = allocation.loc[mask]
    out = {c: float(picked[c].sum()) for c in ("spend", "leads", "customers", "new_customers", "revenue",
                                                "revenue_total")}
    out["value"] = float(value[mask].sum())
    return out


def line_checks(line, got: dict[str, float], total_spend: float) -> list[tuple]:
    """(lhs, sense, rhs, magnitude) of each row a line sets, as verify states them: a share or ROI row has terms
    on both sides (both count toward its scale), a bound or promise only its amount."""
    spend, out = got["spend"], []
    for lhs, sense, rhs, both in ((spend, ">=", line.min, False), (spend, "<=", line.max, False),
                                  (spend, ">=", _times(line.min_share, total_spend), True),
                                  (spend, "<=", _times(line.max_share, total_spend), True),
                                  (got["new_customers"], ">=", line.new_customers, False),
                                  (got["revenue"], ">=", line.revenue, False), (got["leads"], ">=", line.leads, False),
                                  (got["value"], ">=", _times(line.min_roi, spend), True)):
        if rhs is not None:
            out.append((lhs, sense, rhs, abs(lhs) + abs(rhs) if both else abs(lhs)))
    return out


def _times(share: float | None, total: float) -> float | None:
    return None if share is None else share * total


def lines_table(scenario, allocation: pd.DataFrame, masks: list[np.ndarray], value: np.ndarray) -> pd.DataFrame:
    """One row per budget line; `masks[i]` picks line i's allocation rows, `value` is what an ROI floor counts."""
    total = float(allocation["spend"].sum())
    rows = []
    for line, mask in zip(scenario.budget.lines, masks):
        got = _sums(allocation, mask, value)
        spend = got["spend"]
        checks = line_checks(line, got, total)
        parts = []
        for promise in LINE_PROMISES:
            amount = getattr(line, promise)
            if promise == "min_roi":
                lhs, rhs = got["value"], None if amount is None else amount * spend
                achieved = f"ROI {figure(got['value'] / spend) if spend else '-'}x"
            else:
                lhs, rhs = got[promise], amount
                achieved = f"{figure(got[promise])} {_WORDS[promise]}"
            if amount is None:
                continue
            ok = holds(lhs, ">=", rhs, abs(lhs) + abs(rhs) if promise == "min_roi" else None)
            parts.append(f"{achieved} (promised {figure(amount)}{'x' if promise == 'min_roi' else ''}: "
                         f"{'met' if ok else 'not met'})")
        if not parts:
            parts = [f"{figure(got['new_customers'])} new customers", f"{figure(got['revenue'])} revenue"]
        met = all(holds(*check) for check in checks)
        rows.append({"line": line.name, "owner": line.owner or "", "selection": line.select.label(), **{k: got[k] for k in
                     ("spend", "leads", "customers", "new_customers", "revenue")},
                     "share_of_spend": spend / total if total else float("nan"),
                     "roi": got["revenue"] / spend if spend else float("nan"),
                     **{f"promised_{p}": getattr(line, p) for p in LINE_PROMISES}, "met": bool(met),
                     "statement": f"{line.name}: {figure(spend)} -> {', '.join(parts)}"})
    return pd.DataFrame(rows, columns=LINE_COLUMNS)


def by_target_rows(scenario, allocation: pd.DataFrame, masks: list[np.ndarray], add) -> None:
    """targets.csv rows of the targets on selections: ``add(name, kind, committed, buffer, planned, achieved)``."""
    t = scenario.targets
    columns = {"revenue": "revenue_total", "new_customers": "new_customers", "leads": "leads", "customers": "customers"}
    for target, mask in zip(t.by, masks):
        picked = allocation.loc[mask]
        label = target.select.label()
        for goal in BY_FLOORS:
            committed = getattr(target, goal)
            if committed is not None:
                add(f"by_{goal}[{label}]", "min", committed, t.buffer, t.planned(committed),
                    float(picked[columns[goal]].sum()))
        if target.max_spend is not None:
            add(f"by_max_spend[{label}]", "max", target.max_spend, 0.0, target.max_spend, float(picked["spend"].sum()))


def target_owners(scenario, names) -> list[str]:
    """targets.csv `owner`: per row (by its name, in table order), who answers for it; blank when nobody is named.

    The quarter targets take theirs from `targets.owners`, budget_total from `budget.owner`, a mix share or a
    target on a selection from its own `owner`. Two entries may give rows of one name (the same selection
    twice): the k-th row of a name is the k-th entry's, the order targets.csv adds them in.
    """
    t = scenario.targets
    single = dict(t.owners)
    single["min_roi[portfolio]"] = t.owners.get("min_roi")
    single["budget_total"] = scenario.budget.owner
    queued: dict[str, list] = {}
    for mix in t.mix:
        for kind, bound in (("min", mix.min_share), ("max", mix.max_share)):
            if bound is not None:
                queued.setdefault(f"mix_{kind}_{mix.of}[{mix.select.label()}]", []).append(mix.owner)
    for target in t.by:
        label = target.select.label()
        for goal in BY_FLOORS + ("max_spend",):
            if getattr(target, goal) is not None:
                queued.setdefault(f"by_{goal}[{label}]", []).append(target.owner)
    out = []
    for name in names:
        owner = queued[name].pop(0) if queued.get(name) else single.get(name)
        out.append(owner or "")
    return out

"""What `allocator compare` prints: plans side by side, readable at a terminal's width.

Labels are cut in the middle, never at the end, so two rows never read the
same; a list cut short says how many rows it left out (all of them are in
differences.csv); plans solved for different objectives or by different
solvers are flagged before their numbers are read side by side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.plan.display import Style, show
from allocator.plan.units import target_kind
from allocator.plan.words import figure, fit

NAME_WIDTH = (34, 56)  # the label column: as wide as its longest label within these
SHOWN = {"parameters": 15, "binding": 10}  # rows listed per section; the rest are counted


def _kind(row: dict) -> str:
    """How a comparison.csv number reads: money, a count, a percentage, a multiple (as the review reads it)."""
    metric = str(row["metric"])
    if metric == "attainment":
        return "percent"
    if metric == "roi":
        return "multiple"
    if row["section"] == "targets":
        return target_kind(str(row["item"]))
    return "count" if metric in ("new_customers", "leads", "customers") else "money"


def summary_lines(numbers: pd.DataFrame, differences: pd.DataFrame, labels: list[str],
                  currency: str = "") -> list[str]:
    width = max(14, *(len(label) for label in labels))
    texts = differences.to_dict("records")
    totals = [(row["metric"], row, _cell) for row in texts if row["section"] == "totals"]
    spend = numbers[(numbers["section"] == "totals") & (numbers["metric"] == "spend")]
    scale = float(np.nanmax(np.abs(spend[labels].to_numpy(dtype=float)))) if len(spend) else 0.0
    style = Style.for_plan(currency or "", scale if np.isfinite(scale) else 0.0)
    for row in numbers.to_dict("records"):
        if row["section"] in ("totals", "targets", "lines"):
            name = row["metric"] if row["section"] == "totals" else f"{row['item']} {row['metric']}"
            kind = _kind(row)
            totals.append((name, row, lambda value, kind=kind: show(value, kind, style)))
    name_width = min(max((len(str(name)) for name, _, _ in totals), default=0), NAME_WIDTH[1])
    name_width = max(name_width, NAME_WIDTH[0])
    head = f"{'':<{name_width}}" + "".join(f"{fit(label, width):>{width + 2}}" for label in labels)
    lines = [head, "-" * len(head)]
    lines += [f"{fit(name, name_width):<{name_width}}" + "".join(f"{show(row[label]):>{width + 2}}" for label in labels)
              for name, row, show in totals]
    lines += _mismatch_warnings(texts, labels)
    for row in texts:
        if row["section"] == "notes":
            lines += [""] + [f"Note on {label}: {row[label]}" for label in labels if row[label]]
    changed = [row for row in texts if row["section"] == "parameters"]
    if changed:
        lines += ["", f"Inputs that differ ({len(changed)}):"]
        lines += [f"  {row['item']}: " + " | ".join(_cell(row[label]) for label in labels)
                  for row in changed[: SHOWN["parameters"]]]
        lines += _more(len(changed) - SHOWN["parameters"])
    flips = [row for row in texts if row["section"] == "binding"]
    if flips:
        lines += ["", f"Limits binding in some plans but not others ({len(flips)}):"]
        lines += [f"  {row['item']}: " + " | ".join("binding" if row[label] else "-" for label in labels)
                  for row in flips[: SHOWN["binding"]]]
        lines += _more(len(flips) - SHOWN["binding"])
    return lines


def _mismatch_warnings(texts: list[dict], labels: list[str]) -> list[str]:
    """Plans optimised for different objectives, or solved by different solvers, are flagged: their
    objective values are not the same quantity, or may differ by the solvers' tolerances."""
    out = []
    for row in texts:
        if row["section"] != "totals" or row["metric"] not in ("objective_kind", "solver"):
            continue
        values = [str(row[label]) for label in labels]
        if len({v for v in values if v}) > 1:
            what = ("the objectives differ, so the objective rows measure different things"
                    if row["metric"] == "objective_kind" else "the plans were solved by different solvers")
            out.append(f"WARNING: {what}: " + " | ".join(f"{label} {value or '?'}" for label, value in zip(labels, values)))
    return [""] + out if out else []


def _more(hidden: int) -> list[str]:
    return [f"  ... and {hidden} more (see differences.csv)"] if hidden > 0 else []


def _cell(value) -> str:
    """A text cell of differences.csv for the terminal: a number among them read for people, else cut short
    (in the middle, so that two values that differ at the end still read differently)."""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    try:
        return figure(float(value)) if value != "" else "-"
    except (TypeError, ValueError):
        return fit(value, 24)

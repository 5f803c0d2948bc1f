"""replan_delta.csv: per channel and period, the approved spend against the re-plan's, and what moved where."""

from __future__ import annotations

import pandas as pd

from allocator.plan.words import figure

DELTA_COLUMNS = ["channel", "period", "approved_spend", "new_spend", "spend_change", "sentence"]
# A change smaller than this share of the approved quarter spend is not called a move (solver round-off).
NOISE = 1e-6


def delta_table(approved: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Channel x period spend of the approved plan and the re-plan (allocation.csv tables); the change is
    new - approved. `sentence` is on each channel's first row: its quarter change in words."""
    old = approved.groupby(["channel", "period"])["spend"].sum().rename("approved_spend")
    now = new.groupby(["channel", "period"])["spend"].sum().rename("new_spend")
    table = pd.concat([old, now], axis=1).fillna(0.0).reset_index()
    table["spend_change"] = table["new_spend"] - table["approved_spend"]
    scale = max(1.0, float(table["approved_spend"].abs().sum()))
    table.loc[table["spend_change"].abs() <= NOISE * scale, "spend_change"] = 0.0
    table["sentence"] = ""
    for channel, rows in table.groupby("channel", sort=False):
        change = float(rows["spend_change"].sum())
        verb = "unchanged" if change == 0 else ("up " if change > 0 else "down ") + figure(abs(change))
        before, after = figure(rows["approved_spend"].sum()), figure(rows["new_spend"].sum())
        table.loc[rows.index[0], "sentence"] = f"{channel}: {verb} over the quarter ({before} -> {after})"
    return table[DELTA_COLUMNS]


def delta_sentences(table: pd.DataFrame, over: set[str] = frozenset()) -> list[str]:
    """Per period still open (not in `over`), money moved from the channels cut to the channels raised,
    largest first: "2027-02: move 180,000 from marketplace to livestream". Periods that are over are
    actuals against plan: replan_delta.csv has them."""
    out = []
    for period, rows in table.groupby("period", sort=True):
        if period in over:
            continue
        cuts = [[c, -v] for c, v in zip(rows["channel"], rows["spend_change"]) if v < 0]
        rises = [[c, v] for c, v in zip(rows["channel"], rows["spend_change"]) if v > 0]
        cuts.sort(key=lambda r: -r[1])
        rises.sort(key=lambda r: -r[1])
        while cuts and rises:  # pair the largest cut with the largest rise
            amount = min(cuts[0][1], rises[0][1])
            out.append(f"{period}: move {figure(amount)} from {cuts[0][0]} to {rises[0][0]}")
            for side in (cuts, rises):
                side[0][1] -= amount
                if side[0][1] <= 0:
                    side.pop(0)
        out += [f"{period}: add {figure(v)} to {c}" for c, v in rises]
        out += [f"{period}: cut {figure(v)} from {c}" for c, v in cuts]
    return out

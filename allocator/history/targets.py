"""Growth targets resolved against history: a target on a selection with ``revenue_growth`` commits the
selection's revenue in the same quarter last year x (1 + growth).

Last year's revenue comes from the scenario's ``history:`` file (read with `read_history`) and is filled in
as the target's ``revenue_base``; the scenario's own validation then derives ``revenue`` from it (and
targets.csv shows the derivation). A target that states ``revenue_base`` needs no history. Every stage
that solves or verifies a scenario loads it through `history_targets`, which returns it unchanged when
there is nothing to resolve.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.errors import ScenarioError, Text
from allocator.history.history_table import read_history
from allocator.scenario.anchors import last_year, window_label
from allocator.scenario.loader import LoadedScenario
from allocator.scenario.schema import Scenario, Selection


def history_targets(loaded: LoadedScenario, history: pd.DataFrame | None = None) -> LoadedScenario:
    """`loaded` with every growth target's last-year revenue read from history (`history`, or the file the
    scenario names). Raises ScenarioError when history has no revenue for a selection in that quarter,
    and `HistoryError` for an unusable history file."""
    s = loaded.scenario
    pending = [i for i, t in enumerate(s.targets.by) if t.revenue_growth is not None and t.revenue_base is None]
    if not pending:
        return loaded
    frame = history if history is not None else read_history(loaded.tables["history"])
    by = list(s.targets.by)
    for i in pending:
        target = by[i]
        base = window_revenue(frame, s, target.select, years=1)
        if base <= 0:
            raise ScenarioError(loaded.path, f"targets.by[{i}].revenue_growth", target.revenue_growth,
                                f"last year's revenue of {target.select.label()} to grow from; the history "
                                f"{history_source(loaded, frame)} has none in {window_label(last_year(s.periods))}")
        derived = base * (1.0 + target.revenue_growth)
        by[i] = target.model_copy(update={"revenue_base": base, "revenue": derived})
    targets = s.targets.model_copy(update={"by": by})
    return replace(loaded, scenario=s.model_copy(update={"targets": targets}))


def history_source(loaded: LoadedScenario, frame: pd.DataFrame) -> str:
    """The history file's name as the messages show it."""
    return str(frame.attrs.get("source") or loaded.tables.get("history") or "table")


def period_column(periods) -> str:
    """The history column that names the scenario's kind of period: ``week`` for ISO weeks, else ``period``."""
    return "week" if any("W" in p for p in periods) else "period"


def selection_mask(frame: pd.DataFrame, s: Scenario, select: Selection | None, years: int = 0) -> np.ndarray:
    """History rows in `select` (group, kind and stage through the scenario's channels, tiers and products;
    a `period` key names the scenario's periods, matched `years` years earlier). Rows of channels, tiers or
    products the scenario does not know match only selections that do not ask about them."""
    keep = np.ones(len(frame), dtype=bool)
    if select is None:
        return keep
    group = {c.name: c.group for c in s.channels}
    kind = {t.name: t.kind for t in s.tiers}
    stage = {p.name: p.stage for p in s.products}
    column_of = {"channel": ("channel", None), "tier": ("tier", None), "product": ("product", None),
                 "group": ("channel", group), "kind": ("tier", kind), "stage": ("product", stage)}
    for key, values in select.items():
        if key == "period":
            keep &= frame[period_column(s.periods)].isin(last_year(values, years)).to_numpy()
            continue
        column, mapping = column_of[key]
        names = frame[column] if mapping is None else frame[column].map(mapping)
        keep &= names.isin(values).to_numpy()
    return keep


def window_revenue(frame: pd.DataFrame, s: Scenario, select: Selection | None, years: int,
                   amount: str = "revenue") -> float:
    """The selection's `amount` in history over the scenario's periods `years` years earlier."""
    in_window = frame[period_column(s.periods)].isin(last_year(s.periods, years)).to_numpy()
    return float(frame.loc[in_window & selection_mask(frame, s, select, years), amount].sum())


def same_quarter_series(frame: pd.DataFrame, s: Scenario, select: Selection | None,
                        amount: str = "revenue") -> list[tuple[str, float]]:
    """(window label, amount) for last year's same quarter and each year before it, newest first, for as
    long as history covers that quarter (a year without any row in the window ends the series)."""
    column = period_column(s.periods)
    out = []
    years = 1
    while frame[column].isin(last_year(s.periods, years)).any():
        out.append((window_label(last_year(s.periods, years)), window_revenue(frame, s, select, years, amount)))
        years += 1
    return out


def read_for(loaded: LoadedScenario, history: str | Path | None) -> pd.DataFrame:
    """The history table `history` names, or the scenario's own; ScenarioError when there is neither."""
    if history is None and "history" not in loaded.tables:
        raise ScenarioError(loaded.path, "history", Text("no history file"), "a history file: --history HISTORY, or "
                            "history: {file: history.csv} in the scenario")
    return read_history(history if history is not None else loaded.tables["history"])


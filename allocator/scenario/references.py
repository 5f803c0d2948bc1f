"""Checks that need the whole scenario: names that must exist, periods, curves, objective needs.

Each check raises `ScenarioError` with the field path as the user wrote it
(``channels[livestream].max_spend``), the bad value and what was expected.
"""

from __future__ import annotations

import re
from datetime import date

from allocator.errors import ScenarioError, Text
from allocator.scenario.anchors import check_anchors
from allocator.scenario.calendar import check_calendar
from allocator.scenario.curves import curve_problem
from allocator.scenario.objectives import OBJECTIVE_NAMES
from allocator.scenario.periods import phasing_groups, value_at
from allocator.scenario.schema import SELECTION_KEYS, STAGES, TIER_KINDS, Scenario, Selection

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_WEEK = re.compile(r"^(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])$")
WEIGHT_SUM_TOLERANCE = 1e-6


def check_scenario(s: Scenario, file: str, tables: dict | None = None) -> None:
    """Raise ScenarioError at the first inconsistency; return None when all hold.

    ``tables`` maps a section read from a CSV (funnel, baseline) to (csv path,
    line number of each row), so that its errors point into the CSV.
    """
    place = _placer(file, tables or {})
    _check_periods(s, file)
    _check_unique(s, file)
    periods = set(s.periods)
    names = {
        "channel": {c.name for c in s.channels}, "group": {c.group for c in s.channels},
        "tier": {t.name for t in s.tiers}, "kind": set(TIER_KINDS), "product": {p.name for p in s.products},
        "stage": set(STAGES), "period": periods,
    }
    _check_channels(s, file)
    for t in s.tiers:
        for i, name in enumerate(t.channels or []):
            _must_be(name, names["channel"], file, f"tiers[{t.name}].channels[{i}]", "a channel name")
    _check_per_period(s.sales_capacity, periods, file, "sales_capacity")
    _check_cell_rows(s, names, place)
    _check_seasonality(s, periods, file)
    _check_selections(s, names, file)
    _check_mix_sums(s, file)
    _check_objective(s, file)
    check_anchors(s, file)
    check_calendar(s, file)


def _placer(file: str, tables: dict):
    """place(section, row, column) -> (file, field): a CSV's path and line for a section read from one."""

    def place(section: str, i: int, column: str | None = None) -> tuple[str, str]:
        if section in tables:
            csv_path, lines = tables[section]
            return str(csv_path), f"line {lines[i]}" + (f", column {column}" if column else "")
        return file, f"{section}[{i}]" + (f".{column}" if column else "")

    return place


def _check_channels(s: Scenario, file: str) -> None:
    """Per channel: per-period bounds over known periods, min below max, its curve, a bound when used."""
    periods = set(s.periods)
    for c in s.channels:
        base = f"channels[{c.name}]"
        for field in ("max_spend", "min_spend", "max_leads"):
            _check_per_period(getattr(c, field), periods, file, f"{base}.{field}")
        _check_min_below_max(c, s.periods, file, base)
        if isinstance(c.response, list):
            _check_response(c.response, file, f"{base}.response")
        elif c.response is not None:  # a curve still here could not become slices: say why
            field, value, expected = curve_problem(s, c)
            raise ScenarioError(file, f"{base}.response" + (f".{field}" if field else ""), value, expected)
        capped_every_period = c.max_spend is not None and (
            not isinstance(c.max_spend, dict) or all(p in c.max_spend for p in s.periods)
        )
        if c.min_spend_if_used is not None and not capped_every_period and s.budget.total is None:
            raise ScenarioError(
                file, f"{base}.min_spend_if_used", c.min_spend_if_used,
                "a channel max_spend in every period or a budget.total as well, to bound the channel's spend when it is used",
            )


# Tables whose rows name a cell: section -> (the names a row gives, what "each at most once" means).
_CELL_ROWS = {
    "funnel": (("channel", "tier", "product"), "each channel x tier (x product) cell at most once"),
    "baseline": (("channel", "tier", "product", "period"), "each channel x tier x product x period at most once"),
}
_KNOWN = {"channel": "a channel name", "tier": "a tier name", "product": "a product name",
          "period": "one of the scenario's periods"}


def _check_cell_rows(s: Scenario, names: dict[str, set], place) -> None:
    """Funnel and baseline rows name known channels, tiers, products (and periods), each cell at most once."""
    for section, (columns, once) in _CELL_ROWS.items():
        seen = set()
        for i, row in enumerate(getattr(s, section)):
            key = tuple(getattr(row, column) for column in columns)
            for column, value in zip(columns, key):
                # a funnel row without a product is for every product; where a bad name is found is
                # worked out only for the message (a sweep checks thousands of rows per variant)
                if value is not None and value not in names[column]:
                    _must_be(value, names[column], *place(section, i, column), _KNOWN[column])
            if key in seen:
                raise ScenarioError(*place(section, i), "/".join(value or "*" for value in key), once)
            seen.add(key)


def _check_selections(s: Scenario, names: dict[str, set], file: str) -> None:
    """Budget limits, mix targets and uncertainty select known names; their bounds are in order."""
    for i, limit in enumerate(s.budget.limits):
        _check_selection(limit.select, names, file, f"budget.limits[{i}].select")
        _check_order(limit.min, limit.max, file, f"budget.limits[{i}]", "min", "max")
        _check_order(limit.min_share, limit.max_share, file, f"budget.limits[{i}]", "min_share", "max_share")
        if s.budget.total is not None and limit.min is not None and limit.min > s.budget.total:
            raise ScenarioError(file, f"budget.limits[{i}].min", limit.min, f"at most budget.total ({s.budget.total:g})")
    _check_lines(s, names, file)
    for i, target in enumerate(s.targets.by):
        _check_selection(target.select, names, file, f"targets.by[{i}].select")
    for i, mix in enumerate(s.targets.mix):
        _check_selection(mix.select, names, file, f"targets.mix[{i}].select")
        _check_order(mix.min_share, mix.max_share, file, f"targets.mix[{i}]", "min_share", "max_share")
    for i, item in enumerate(s.uncertainty):
        if item.select is not None:
            _check_selection(item.select, names, file, f"uncertainty[{i}].select")


def _check_lines(s: Scenario, names: dict[str, set], file: str) -> None:
    """Budget lines: names used once, known selections, bounds in order, a minimum within the budget."""
    seen = set()
    for i, line in enumerate(s.budget.lines):
        if line.name in seen:
            raise ScenarioError(file, f"budget.lines[{i}].name", line.name, "a name not already used in budget.lines")
        seen.add(line.name)
        base = f"budget.lines[{line.name}]"
        _check_selection(line.select, names, file, f"{base}.select")
        _check_order(line.min, line.max, file, base, "min", "max")
        _check_order(line.min_share, line.max_share, file, base, "min_share", "max_share")
        if s.budget.total is not None and line.min is not None and line.min > s.budget.total:
            raise ScenarioError(file, f"{base}.min", line.min, f"at most budget.total ({s.budget.total:g})")


def _check_periods(s: Scenario, file: str) -> None:
    kinds = set()
    for i, p in enumerate(s.periods):
        kind, problem = _period_problem(p)
        if problem:
            raise ScenarioError(file, f"periods[{i}]", p, problem)
        kinds.add(kind)
    if len(kinds) > 1:
        raise ScenarioError(file, "periods", ", ".join(s.periods), "all months or all weeks, not a mix")
    for i in range(1, len(s.periods)):
        if s.periods[i] <= s.periods[i - 1]:
            raise ScenarioError(
                file, f"periods[{i}]", s.periods[i], f"a period after {s.periods[i - 1]} (periods in order, each once)"
            )


def _period_problem(period: str) -> tuple[str, str | None]:
    """("month" or "week", None) for a period that exists in the calendar, else (kind, what was expected)."""
    month, week = _MONTH.match(period), _WEEK.match(period)
    if not (month or week):
        return "", "a month YYYY-MM (e.g. 2027-01) or an ISO week YYYY-Www (e.g. 2027-W05)"
    year = int(period[:4])
    if year < 1:  # datetime's range, 0001-9999, is the calendar the periods are read in
        return "", "a year from 0001 to 9999"
    if week and int(week.group(2)) == 53:
        try:
            date.fromisocalendar(year, 53, 1)
        except ValueError:
            return "week", f"a week that exists: ISO year {year} has 52 weeks (53 only in years that begin or end on a Thursday)"
    return ("month" if month else "week"), None


def _check_unique(s: Scenario, file: str) -> None:
    for section in ("channels", "tiers", "products"):
        seen = set()
        for i, item in enumerate(getattr(s, section)):
            if item.name in seen:
                raise ScenarioError(file, f"{section}[{i}].name", item.name, f"a name not already used in {section}")
            seen.add(item.name)


def _check_per_period(value, periods: set[str], file: str, field: str) -> None:
    if isinstance(value, dict):
        for key in value:
            _must_be(key, periods, file, f"{field}.{key}", "one of the scenario's periods")


def _check_min_below_max(channel, periods: list[str], file: str, base: str) -> None:
    for p in periods:
        lo, hi = value_at(channel.min_spend, p), value_at(channel.max_spend, p)
        if lo is not None and hi is not None and lo > hi:
            raise ScenarioError(file, f"{base}.min_spend", lo, f"at most max_spend in {p} ({hi:g})")


def _check_response(segments, file: str, field: str) -> None:
    previous_end = 0.0
    previous_eff = None
    for k, seg in enumerate(segments):
        last = k == len(segments) - 1
        if seg.up_to is None and not last:
            raise ScenarioError(file, f"{field}[{k}].up_to", None, "an end (money) on every slice but the last")
        if seg.up_to is not None and seg.up_to <= previous_end:
            raise ScenarioError(file, f"{field}[{k}].up_to", seg.up_to, f"more than the previous slice's end ({previous_end:g})")
        if previous_eff is not None and seg.efficiency > previous_eff:
            raise ScenarioError(
                file, f"{field}[{k}].efficiency", seg.efficiency,
                f"at most the previous slice's {previous_eff:g}: efficiency must not rise with spend "
                "(a non-concave curve cannot be planned exactly by a linear program)",
            )
        previous_end = seg.up_to if seg.up_to is not None else previous_end
        previous_eff = seg.efficiency


def _check_seasonality(s: Scenario, periods: set[str], file: str) -> None:
    season = s.seasonality
    if season.demand_index:
        _check_per_period(season.demand_index, periods, file, "seasonality.demand_index")
    if season.target_weights:
        weekly = all("W" in p for p in s.periods)
        by_month = weekly and not any(k in periods for k in season.target_weights)
        if not by_month:  # weights keyed by the plan's own periods
            _check_per_period(season.target_weights, periods, file, "seasonality.target_weights")
        groups, _ = phasing_groups(list(s.periods), season.target_weights)
        missing = [g for g in groups if g not in season.target_weights]
        if missing:
            raise ScenarioError(file, "seasonality.target_weights", Text(f"no weight for {', '.join(missing)}"),
                                "a weight for every period (on a plan of ISO weeks: for every period or every month)")
        extra = [k for k in season.target_weights if k not in groups]
        if extra:
            raise ScenarioError(file, "seasonality.target_weights", Text(f"weights for {', '.join(extra)}"),
                                "weights only for the plan's periods (or, on ISO weeks, the months they fall in)")
        total = sum(season.target_weights.values())
        if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
            raise ScenarioError(file, "seasonality.target_weights", Text(f"weights summing to {total:.6g}"), "weights summing to 1")


def _check_order(low, high, file: str, base: str, low_name: str, high_name: str) -> None:
    if low is not None and high is not None and low > high:
        raise ScenarioError(file, f"{base}.{low_name}", low, f"at most {high_name} ({high:g})")


def _check_selection(sel: Selection, names: dict[str, set[str]], file: str, field: str) -> None:
    for key, values in sel.items():
        for value in values:
            _must_be(value, names[key], file, f"{field}.{key}", f"a known {key}")


def _check_mix_sums(s: Scenario, file: str) -> None:
    """Minimum shares over disjoint selections of one key cannot add up past 1."""
    groups: dict[tuple[str, str], list[tuple[int, frozenset[str], float]]] = {}
    for i, mix in enumerate(s.targets.mix):
        items = mix.select.items()
        if mix.min_share is None or len(items) != 1:
            continue
        key, values = items[0]
        groups.setdefault((mix.of, key), []).append((i, frozenset(values), mix.min_share))
    for (of, key), entries in groups.items():
        for a in range(len(entries)):
            disjoint = [entries[a]] + [e for e in entries[a + 1:] if not (e[1] & entries[a][1])]
            pairwise = all(not (x[1] & y[1]) for x in disjoint for y in disjoint if x is not y)
            total = sum(e[2] for e in disjoint)
            if pairwise and total > 1.0 + 1e-12:
                listed = ", ".join(f"targets.mix[{e[0]}]" for e in disjoint)
                raise ScenarioError(
                    file, f"targets.mix[{disjoint[-1][0]}].min_share", disjoint[-1][2],
                    f"minimum {of} shares of disjoint {key} selections ({listed}) summing to at most 1, not {total:.4g}",
                )


def _check_objective(s: Scenario, file: str) -> None:
    if s.objective not in OBJECTIVE_NAMES:  # pragma: no cover - the schema already restricts it
        raise ScenarioError(file, "objective", s.objective, f"one of {', '.join(OBJECTIVE_NAMES)}")
    t = s.targets
    if s.objective != "min_spend" and s.budget.total is None:
        raise ScenarioError(
            file, "budget.total", None, f"a budget total: objective {s.objective} splits a given budget "
            "(or use objective: min_spend to find the least spend that meets the targets)",
        )
    if s.objective == "min_spend" and t.revenue is None and t.new_customers is None and t.leads is None:
        raise ScenarioError(
            file, "targets", Text("no revenue, new_customers or leads target"),
            "at least one target: objective min_spend finds the least spend that meets them",
        )
    if s.objective == "max_profit":
        for p in s.products:
            if p.margin is None:
                raise ScenarioError(file, f"products[{p.name}].margin", None, "a margin (0-1): objective max_profit needs every product's margin")


def _must_be(value: str, allowed: set[str], file: str, field: str, what: str) -> None:
    if value not in allowed:
        options = ", ".join(sorted(allowed)[:12]) + (", ..." if len(allowed) > 12 else "")
        raise ScenarioError(file, field, value, f"{what} (one of: {options})")


__all__ = ["check_scenario", "SELECTION_KEYS"]

"""Constraint rows in plain business words, in the scenario's own names.

`limit_text` says what a row limits ("livestream spend in 2027-02 capped at
300,000"); `lever_factor` converts a row's dual (objective per unit of the
row's right-hand side) into objective per unit of the scenario number behind
it (per unit of budget, of ROI floor, of share...).
"""

from __future__ import annotations

import re

import numpy as np

from allocator.model.build import PlanModel

_NAME = re.compile(r"^(?P<prefix>[a-z_]+)(?:\[(?P<args>.*)\])?(?:#\d+)?$", re.DOTALL)
OBJECTIVE_UNITS = {"max_revenue": "revenue", "min_spend": "spend", "max_profit": "profit",
                   "max_new_customers": "new customers"}


# Rows whose bracket holds "channel,period" (or "channel,period,slice"): split from the right,
# because periods never contain commas while channel names may.
_TRAILING_ARGS = {"capacity_spend": 1, "min_spend": 1, "capacity_leads": 1, "response_segment": 2}


def split_name(name: str) -> tuple[str, list[str]]:
    """('capacity_spend', ['livestream', '2027-02']) from 'capacity_spend[livestream,2027-02]'."""
    match = _NAME.match(name)
    if not match:
        return name, []
    prefix, args = match.group("prefix"), match.group("args")
    if args is None:
        return prefix, []
    if prefix in _TRAILING_ARGS:
        return prefix, args.rsplit(",", _TRAILING_ARGS[prefix])
    return prefix, [args]


def figure(value: float) -> str:
    """A number for people: whole units from 1,000 up, else 3 significant digits, so that a plan kept in
    millions reads "budget 3.40", never "budget 0"; "-" for a missing value."""
    if value is None or not np.isfinite(value):
        return "-" if value is None or np.isnan(value) else str(value)
    if abs(value) >= 1000 or value == 0:
        return f"{value:,.0f}"
    decimals = max(0, 2 - int(np.floor(np.log10(abs(value)))))
    return f"{value:,.{decimals}f}"


money = figure  # amounts of money and counts read the same way


def share(value: float) -> str:
    return f"{value * 100:.1f}%"


def selection_words(label: str) -> str:
    """'group=owned&period=2027-01' -> 'group owned in 2027-01'."""
    parts = []
    for item in label.split("&"):
        key, _, values = item.partition("=")
        values = values.replace("|", " or ")
        parts.append(f"in {values}" if key == "period" else f"{key} {values}")
    return " ".join(parts)


_TEMPLATES = {
    "budget_total": "total spend at most the budget of {money}",
    "capacity_spend": "{a0} spend in {a1} capped at {money}",
    "min_spend": "{a0} spend in {a1} at least {money}",
    "capacity_leads": "{a0} leads in {a1} capped at {money}",
    "sales_capacity": "sales team handles at most {money} leads in {a0}",
    "response_segment": "{a0} response slice {a2} in {a1} is full",
    "roi_floor": "{a0} ROI at least {value}",
    "roi_floor_portfolio": "portfolio ROI at least {value}",
    "if_used_min": "{a0} either off or at least {money}",
    "if_used_max": "{a0} spend only when the channel is on",
}
_TARGETS = {"target_revenue": "revenue", "target_new_customers": "new customers", "target_leads": "leads"}


def limit_text(model: PlanModel, row: int) -> str:
    """What row `row` limits, in words."""
    s = model.scenario
    name = model.lp.row_names[row]
    prefix, args = split_name(name)
    lever = model.row_levers[row]
    current = lever.current if lever is not None else None
    t = s.targets
    if prefix in _TEMPLATES:
        padded = list(args) + [""] * 3
        return _TEMPLATES[prefix].format(a0=padded[0], a1=padded[1], a2=padded[2],
                                         money=money(current) if current is not None else "",
                                         value=f"{current:g}" if current is not None else "")
    if prefix in ("budget_min", "budget_max", "budget_min_share", "budget_max_share"):
        word = "at least" if "_min" in prefix else "at most"
        amount = f"{share(current)} of total spend" if prefix.endswith("_share") else money(current)
        return f"spend on {selection_words(args[0])} {word} {amount}"
    if prefix in _TARGETS:
        noun, committed = _TARGETS[prefix], getattr(t, prefix[len("target_"):])
        return (f"{noun} at least {money(t.planned(committed))} "
                f"(committed {money(committed)} + {share(t.buffer)} buffer)")
    if prefix.startswith("mix_"):
        bound, of = prefix.split("_")[1], prefix.split("_")[2]
        word = "at least" if bound == "min" else "at most"
        return f"{selection_words(args[0])} {word} {share(current)} of {of}"
    if prefix in ("phasing_min", "phasing_max"):
        weights = s.seasonality.target_weights or {}
        w = weights.get(args[0], 0.0)
        tol = s.seasonality.tolerance
        low, high = w * (1 - tol), w * (1 + tol)
        if prefix == "phasing_min":
            return f"{args[0]} revenue at least {share(low)} of the quarter (weight {share(w)} - {share(tol)} tolerance)"
        return f"{args[0]} revenue at most {share(high)} of the quarter (weight {share(w)} + {share(tol)} tolerance)"
    if prefix.startswith("define_"):
        return "definition of " + prefix[len("define_"):].replace("_", " ")
    return name


def lever_factor(model: PlanModel, row: int, x: np.ndarray) -> float:
    """d(row's right-hand side) / d(lever): multiply a dual by this to price the scenario number.

    Exact for rows whose bound is the number (budgets, caps, targets); for
    shares and ROI floors the number multiplies a total, evaluated at plan x.
    """
    name = model.lp.row_names[row]
    prefix, args = split_name(name)
    s = model.scenario
    spend_total = float(x[model.total_spend_col])
    revenue_total = float(x[model.total_revenue_col]) + model.baseline.total
    if prefix in ("target_revenue", "target_new_customers", "target_leads"):
        return 1.0 + s.targets.buffer
    if prefix in ("budget_min_share", "budget_max_share", "mix_min_spend", "mix_max_spend", "roi_floor_portfolio"):
        return spend_total
    if prefix in ("mix_min_revenue", "mix_max_revenue"):
        return revenue_total
    if prefix == "roi_floor":
        lp = model.lp
        start, end = lp.indptr[row], lp.indptr[row + 1]
        return float(x[lp.indices[start:end]].sum())  # the channel's spend
    if prefix in ("phasing_min", "phasing_max"):
        w = (s.seasonality.target_weights or {}).get(args[0], 0.0)
        # Raising the tolerance lowers the min band (rhs down) and raises the max band (rhs up).
        return (-w if prefix == "phasing_min" else w) * revenue_total
    if prefix == "if_used_min":
        used = model.used_cols.get(args[0])
        return float(round(x[used])) if used is not None else 1.0
    return 1.0

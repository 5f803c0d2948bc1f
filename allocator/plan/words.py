"""Constraint rows in plain business words, in the scenario's own names.

`limit_text` says what a row limits ("livestream spend in 2027-02 capped at
300,000"); `lever_factor` converts a row's dual (objective per unit of the
row's right-hand side) into objective per unit of the scenario number behind
it (per unit of budget, of ROI floor, of share...).
"""

from __future__ import annotations

import numpy as np

from allocator.model.build import PlanModel
from allocator.scenario.objectives import objective
from allocator.scenario.schema import Selection


def objective_unit(name: str) -> str:
    """What one unit of objective `name` is, in sentences: revenue, spend, profit, new customers."""
    return objective(name).unit


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


def fit(label: str, width: int) -> str:
    """`label` in at most `width` characters for a terminal column. A cut keeps both ends
    (`mix_min_revenue[st~duction]`), so labels that differ only at the end, as selections do, still differ."""
    label = str(label)
    if len(label) <= width:
        return label
    head = (width - 1) // 2
    return f"{label[:head]}~{label[len(label) - (width - 1 - head):]}"


def share(value: float) -> str:
    return f"{value * 100:.1f}%"


def selection_words(selection: Selection) -> str:
    """group=owned, period=2027-01 -> 'group owned in 2027-01' (names whole, whatever characters they hold)."""
    parts = []
    for key, values in selection.items():
        values = " or ".join(values)
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
_BOUND_WORDS = {"min": "at least", "max": "at most"}
_DEFINITIONS = {"define_total_spend": "definition of total spend", "define_total_revenue": "definition of total revenue"}
# Rows whose right-hand side is a scenario number times a total at the plan (see lever_factor).
_TIMES_SPEND = {"budget_min_share", "budget_max_share", "mix_min_spend", "mix_max_spend", "roi_floor_portfolio"}
_TIMES_REVENUE = {"mix_min_revenue", "mix_max_revenue"}


def limit_text(model: PlanModel, row: int) -> str:
    """What row `row` limits, in words, from its record (never from its name)."""
    record = model.rows[row]
    form, args, lever = record.form, record.args, record.lever
    current = lever.current if lever is not None else None
    if form in _TEMPLATES:
        padded = list(args) + [""] * 3
        return _TEMPLATES[form].format(a0=padded[0], a1=padded[1], a2=padded[2],
                                       money=money(current) if current is not None else "",
                                       value=f"{current:g}" if current is not None else "")
    if record.family == "budget":  # a limit on a selection: the lever is budget.limits[i].<field>
        _, _, index, field = lever.path
        bound, _, is_share = field.partition("_")
        amount = f"{share(current)} of total spend" if is_share else money(current)
        return f"spend on {selection_words(model.scenario.budget.limits[index].select)} {_BOUND_WORDS[bound]} {amount}"
    if record.family == "line":
        return _line_text(model.scenario.budget.lines[lever.path[2]].name, lever.path[3], current)
    if form in _BY_FLOORS or form == "target_by_max_spend":
        return _by_text(model, lever.path[2], lever.path[3], current)
    if form in _TARGETS:
        t = model.scenario.targets
        return (f"{_TARGETS[form]} at least {money(t.planned(current))} "
                f"(committed {money(current)} + {share(t.buffer)} buffer)")
    if record.family == "mix":  # the lever is targets.mix[i].<bound>_share
        _, _, index, field = lever.path
        mix = model.scenario.targets.mix[index]
        bound = field.partition("_")[0]
        return f"{selection_words(mix.select)} {_BOUND_WORDS[bound]} {share(current)} of {mix.of}"
    if record.family == "phasing":
        return _phasing_text(model, form, args[0])
    if form in _DEFINITIONS:
        return _DEFINITIONS[form]
    return model.lp.row_names[row]


_PROMISE_WORDS = {"new_customers": "new customers", "revenue": "revenue", "leads": "leads"}
_BY_FLOORS = {"target_by_revenue": "revenue (baseline included)", "target_by_new_customers": "new customers",
              "target_by_leads": "leads", "target_by_customers": "customers"}


def _line_text(name: str, field: str, current: float) -> str:
    """budget.lines[name].<field> in words: "acquisition: at least 500 new customers from its spend"."""
    if field == "min_roi":
        return f"{name}: ROI at least {current:g} on its own spend"
    if field in _PROMISE_WORDS:
        return f"{name}: at least {money(current)} {_PROMISE_WORDS[field]} from its spend"
    bound, _, is_share = field.partition("_")
    amount = f"{share(current)} of total spend" if is_share else money(current)
    return f"{name}: spend {_BOUND_WORDS[bound]} {amount}"


def _by_text(model: PlanModel, index: int, field: str, current: float) -> str:
    """targets.by[i].<field> in words: "new customers of tier n at least 1,100 (committed 1,000 + 10.0% buffer)"."""
    t = model.scenario.targets
    where = selection_words(t.by[index].select)
    if field == "max_spend":
        return f"spend on {where} at most {money(current)}"
    return (f"{_BY_FLOORS['target_by_' + field]} of {where} at least {money(t.planned(current))} "
            f"(committed {money(current)} + {share(t.buffer)} buffer)")


def _phasing_text(model: PlanModel, form: str, period: str) -> str:
    season = model.scenario.seasonality
    w = (season.target_weights or {}).get(period, 0.0)
    tol = season.tolerance
    if form == "phasing_min":
        return f"{period} revenue at least {share(w * (1 - tol))} of the quarter (weight {share(w)} - {share(tol)} tolerance)"
    return f"{period} revenue at most {share(w * (1 + tol))} of the quarter (weight {share(w)} + {share(tol)} tolerance)"


def lever_factor(model: PlanModel, row: int, x: np.ndarray) -> float:
    """d(row's right-hand side) / d(lever): multiply a dual by this to price the scenario number.

    Exact for rows whose bound is the number (budgets, caps, targets); for
    shares and ROI floors the number multiplies a total, evaluated at plan x.
    """
    record = model.rows[row]
    form, args = record.form, record.args
    s = model.scenario
    spend_total = float(x[model.total_spend_col])
    revenue_total = float(x[model.total_revenue_col]) + model.baseline.total
    if form in _TARGETS or form in _BY_FLOORS:
        return 1.0 + s.targets.buffer
    if form in _TIMES_SPEND or form in ("line_min_share", "line_max_share"):
        return spend_total
    if form in _TIMES_REVENUE:
        return revenue_total
    if form in ("roi_floor", "line_min_roi"):
        lp = model.lp
        start, end = lp.indptr[row], lp.indptr[row + 1]
        return float(x[lp.indices[start:end]].sum())  # the channel's (or the line's) spend
    if record.family == "phasing":
        w = (s.seasonality.target_weights or {}).get(args[0], 0.0)
        # Raising the tolerance lowers the min band (rhs down) and raises the max band (rhs up).
        return (-w if form == "phasing_min" else w) * revenue_total
    if form == "if_used_min":
        used = model.used_cols.get(args[0])
        return float(round(x[used])) if used is not None else 1.0
    return 1.0

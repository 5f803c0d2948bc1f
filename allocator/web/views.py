"""What the page shows of a solved variant: the review's own tables and headline (allocator.review, so
every number is rounded and printed as the command line and the report print it), what moved against
the base in words, and pinned variants side by side (allocator.compare)."""

from __future__ import annotations

import json
import math

from allocator.plan.display import Style, show
from allocator.whatif.compare import binding_names
from allocator.web.variants import Solved

# The review's sections the page shows, in its order (the rest are in the exported report).
SECTIONS = ("targets", "spend_matrix", "phasing", "binding", "by_channel", "marginal")
DIAGNOSIS_SECONDS = 20.0
MOVES_SHOWN = 4


def _number(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def section_view(table) -> dict:
    """A review Table as the page draws it: headers, printed cells and the raw numbers the charts need."""
    return {
        "key": table.key, "title": table.title, "note": table.note, "hidden": table.hidden, "source": table.source,
        "columns": [table.header(c) for c in table.columns], "keys": [c.key for c in table.columns],
        "kinds": [table.kind({}, c) for c in table.columns],
        "rows": [[table.text(row, c) for c in table.columns] for row in table.rows],
        "values": [[_number(row.get(c.key)) for c in table.columns] for row in table.rows],
        "total": [table.text(table.total, c) for c in table.columns] if table.total else None,
    }


def document(plan):
    """The plan as the review reads it (`allocator.review.source.from_plan` without its independent
    verification, which the exported review pack makes: it would double the time of each lever change)."""
    from allocator.review.source import PLAN_TABLES, PlanDocument

    tables = plan.tables
    return PlanDocument(plan.scenario.name, plan.run_record(None), {s: tables[s] for s in PLAN_TABLES if s in tables},
                        json.loads(plan.scenario_record()))


def shown_report(doc):
    """The review's headline, the sections the page shows (SECTIONS) and its costliest limits in words:
    `allocator.review.sections.build_report` less the sections only the exported report has."""
    from allocator.plan.prices import costliest
    from allocator.plan.tolerance import RELATIVE
    from allocator.review.content import Report, breakdown_table, period_spend_matrix, phasing_table, targets_table
    from allocator.review.sections import binding_section, headline, marginal_section

    report = Report(doc, headline(doc))
    candidates = [targets_table(doc) if not doc.table("targets").empty else None]
    if doc.solved:
        candidates += [breakdown_table(doc, "by_channel", "channel", "Spend and revenue by channel"),
                       period_spend_matrix(doc), phasing_table(doc), marginal_section(doc), binding_section(doc)]
    report.sections = [t for t in candidates if t is not None]
    sensitivity = doc.table("sensitivity")
    objective = float(doc.run.get("objective") or 0.0)
    report.statements["costliest"] = costliest(sensitivity, tolerance=RELATIVE * max(1.0, abs(objective))) \
        if not sensitivity.empty else []
    return report


def plan_view(solved: Solved) -> dict:
    """The variant as the page shows it (made once per variant: about 0.1 s on the example)."""
    outcome = solved.outcome
    plan = solved.plan
    report = shown_report(document(plan))
    style = report.sections[0].style if report.sections else Style(plan.scenario.currency, 0)
    view = {
        "scenario": solved.ref.id, "levers": solved.levers, "overrides": list(outcome.overrides),
        "status": outcome.status, "explanation": plan.explanation, "name": plan.scenario.name,
        "currency": plan.scenario.currency, "solver": outcome.solver, "warm": outcome.warm,
        "seconds": round(outcome.seconds, 4),
        "totals": {k: _number(v) for k, v in outcome.totals.items()},
        "headline": [{"label": h.label, "text": show(h.value, h.kind, style)} for h in report.headline],
        "sections": [section_view(t) for t in report.sections if t.key in SECTIONS],
        "costliest": report.statements.get("costliest", []),
        "diagnosis": [],
    }
    if outcome.status == "infeasible":
        view["diagnosis"] = [str(s) for s in outcome.diagnosis(DIAGNOSIS_SECONDS)]
    return view


def style_of(solved: Solved) -> Style:
    totals = solved.outcome.totals
    return Style.for_totals(solved.plan.scenario.currency, totals.get("spend", 0.0), totals.get("revenue_total", 0.0))


def _signed(value: float, kind: str, style: Style) -> str:
    text = show(abs(value), kind, style)
    return ("+" if value > 0 else "-") + text


def _binding(plan) -> dict[str, str]:
    """Binding limits of a plan by constraint name, in words where the sensitivity table has them."""
    constraints = plan.constraints
    if constraints.empty:
        return {}
    words = dict(zip(plan.sensitivity["constraint"], plan.sensitivity["limit"])) if not plan.sensitivity.empty else {}
    # the rule `allocator compare` uses, so that the page and the command agree on what starts binding
    binding = binding_names(constraints)
    names = [name for name in constraints["name"] if name in binding]
    return {name: str(words.get(name, name)) for name in names}


def what_moved(base: Solved, variant: Solved) -> list[str]:
    """What changed against the base, in words: the largest spend moves by channel and period, the
    headline totals, and limits that start or stop binding."""
    if not variant.changes:
        return ["the base plan"]
    if not (base.outcome.has_plan and variant.outcome.has_plan):
        return [f"no plan: {variant.outcome.status}"] if not variant.outcome.has_plan else ["the base has no plan"]
    style = style_of(base)
    tiny = 0.5 * 10 ** -style.money_decimals
    keys = ["channel", "period"]
    spend = (variant.plan.allocation.groupby(keys)["spend"].sum()
             .sub(base.plan.allocation.groupby(keys)["spend"].sum(), fill_value=0.0))
    spend = spend[spend.abs() > tiny]
    moves = spend.reindex(spend.abs().sort_values(ascending=False).index)[:MOVES_SHOWN]
    sentences = [f"{_signed(amount, 'money', style)} to {channel} in {period}" for (channel, period), amount in moves.items()]
    if len(spend) > MOVES_SHOWN:
        sentences.append(f"and {len(spend) - MOVES_SHOWN} smaller spend moves")
    for key, label, kind in (("revenue_total", "revenue", "money"), ("spend", "spend", "money"),
                             ("new_customers", "new customers", "count"), ("roi", "ROI", "multiple")):
        delta = variant.outcome.totals.get(key, 0.0) - base.outcome.totals.get(key, 0.0)
        if show(abs(delta), kind, style) != show(0.0, kind, style):
            sentences.append(f"{label} {_signed(delta, kind, style)}")
    before, after = _binding(base.plan), _binding(variant.plan)
    sentences += [f"{after[n]} now binding" for n in after if n not in before][:MOVES_SHOWN]
    sentences += [f"{before[n]} no longer binding" for n in before if n not in after][:MOVES_SHOWN]
    return sentences if sentences else ["the same plan as the base"]


def comparison_view(pinned: list[tuple[str, Solved]]) -> dict:
    """Pinned variants side by side: `allocator compare`'s lines and tables, and each one's frontier point."""
    import allocator

    comparison = allocator.compare(*[solved.labelled(label) for label, solved in pinned])
    currency = next((s.plan.scenario.currency for _, s in pinned), "")
    points = [{"label": label, "spend": _number(s.outcome.totals.get("spend")),
               "revenue": _number(s.outcome.totals.get("revenue_total")), "status": s.outcome.status,
               "levers": s.levers} for label, s in pinned]
    return {"labels": list(comparison.labels), "summary": comparison.summary(), "frontier": points,
            "currency": currency}

"""Hypothesis strategies for valid `allocator` scenarios, and the oracle that checks a drawn one.

`scenarios()` draws a scenario as the dict a YAML scenario file holds (see
scenarios/README.md and allocator/schema.py): 1-30 channels, 1-5 tiers, 1-6
products, 1-13 periods (consecutive months, or ISO weeks for a quarter of the
draws), sparse funnel overrides with ``eligible: false``, tier channel lists,
concave response curves, ``min_spend_if_used`` binaries, budget limits, mix
shares, hard and soft targets with a buffer, seasonality, baseline revenue, a
sales capacity, both ROI bases and every objective.

Feasibility by construction (most draws): a *reference plan* is worked out
with the funnel arithmetic of docs/model.md (each channel spends a share of
the budget, spread evenly over its eligible cells and filling its response
slices in order), and every cap, floor, target and share is set with slack
around it, so the reference plan satisfies all of them. Then, for half of the
draws, one or two numbers are pushed past the reference ("wild" edits: a
revenue target around what the whole budget could buy in the best cell, an ROI
floor above the channel's reference ROI, a capacity below the reference...).
Those draws may be infeasible or merely tight; either is a useful test case.
In practice 85-95% of draws are feasible.

Numbers stay in realistic ranges (cost per lead 5-500, conversion 0.01-0.5,
order value 50-50000, budgets 1e4-1e7), drawn on an integer grid and rounded to
4 significant digits, so that a failing example reads like a real scenario.

Soft targets (targets.mode / soft / priority, added to the library during this
work) are drawn for about 15% of the scenarios; `soft_targets=False` keeps every
target hard.

The drawing helpers (numbers on a grid, names, periods) are in tests/drawing.py
and the reference plan's arithmetic in tests/reference.py. tests/checks.py
solves a drawn scenario through the library's front door (`solve_outcome`,
`run_case`), checks it (`allocator verify` on the written allocation.csv,
`disagreement`, `not_worse`) and recognises the known library bugs
(`KNOWN_BUGS`, each with an xfail(strict=True) regression test in
tests/regressions/). Both tests/test_properties.py and
benchmarks/fuzz_verify.py use all of it.
"""

from __future__ import annotations

import math

from hypothesis import strategies as st

from drawing import KINDS, STAGES, chance, down, log_uniform, names, periods, selection, sig, uniform, up
from reference import Cell, Drawn, Reference, curve, funnel_numbers, reference_rows
from wild_edits import wild_edit

NEW_KINDS = ("new", "prospect")
OBJECTIVES = ("max_revenue", "min_spend", "max_profit", "max_new_customers")
GROUPS = ("owned", "partner", "emerging", "paid", "direct-sales")
GOALS = ("revenue", "new_customers", "leads", "min_roi", "mix")  # targets that may be soft

MAX_CHANNELS, MAX_TIERS, MAX_PRODUCTS, MAX_PERIODS = 30, 5, 6, 13
# Default cap on channels x tiers x products x periods, so that a normal test run stays fast.
# The full ranges above are all reachable; a draw over the cap has its largest dimensions shrunk.
DEFAULT_MAX_CELLS = 600



# --------------------------------------------------------------------------
# The scenario strategy
# --------------------------------------------------------------------------


def _sizes(draw, max_cells: int) -> tuple[int, int, int, int]:
    dims = [draw(st.integers(1, MAX_CHANNELS)), draw(st.integers(1, MAX_TIERS)),
            draw(st.integers(1, MAX_PRODUCTS)), draw(st.integers(1, MAX_PERIODS))]
    while math.prod(dims) > max_cells:
        i = max(range(4), key=lambda k: dims[k])
        dims[i] = max(1, dims[i] // 2) if dims[i] > 3 else dims[i] - 1
    return tuple(dims)  # type: ignore[return-value]


@st.composite
def scenario_cases(draw, objective: str | None = None, max_cells: int = DEFAULT_MAX_CELLS, wild: float = 0.5,
                   require_revenue_target: bool = False, tricky_names: bool = True, soft_targets: bool = True) -> "Drawn":
    """A valid scenario dict (the YAML structure) with its reference plan. See the module docstring.

    objective: force one objective (else any of the four). max_cells: cap on C x T x P x M.
    wild: share of draws with one or two numbers pushed past the reference plan.
    require_revenue_target: always set targets.revenue (for the min-spend monotonicity property).
    soft_targets: let some draws make targets soft (targets.mode / soft / priority); False: all hard.
    """
    C, T, P, M = _sizes(draw, max_cells)
    objective = objective or draw(st.sampled_from(OBJECTIVES))
    tricky = tricky_names and chance(draw, 0.15)
    channel_names = names(draw, "ch", C, tricky)
    tier_names = names(draw, "tier", T, tricky)
    product_names = names(draw, "prod", P, tricky)
    period_list = draw(periods(M))
    data: dict = {"name": f"fuzz {C}x{T}x{P}x{M}", "periods": period_list, "objective": objective}
    if chance(draw, 0.5):
        data["roi_basis"] = draw(st.sampled_from(["revenue", "lifetime_value"]))
    ltv = data.get("roi_basis") == "lifetime_value"

    # Channels, tiers, products: the funnel defaults.
    group_pool = list(GROUPS[: draw(st.integers(1, len(GROUPS)))])
    channels = []
    for name in channel_names:
        ch = {"name": name, "cost_per_lead": log_uniform(draw, 5, 500)}
        if chance(draw, 0.8):
            ch["group"] = draw(st.sampled_from(group_pool))
        channels.append(ch)
    tiers = []
    for name in tier_names:
        t = {"name": name, "kind": draw(st.sampled_from(KINDS)), "conversion": log_uniform(draw, 0.01, 0.5),
             "order_value": log_uniform(draw, 50, 50000)}
        if chance(draw, 0.4):
            t["value_multiplier"] = uniform(draw, 0.5, 5.0, 3)
        if chance(draw, 0.25):
            if chance(draw, 0.05):
                t["channels"] = []  # no channel may serve this tier: it only has baseline revenue
            else:
                t["channels"] = draw(st.lists(st.sampled_from(channel_names), min_size=1,
                                              max_size=min(4, C), unique=True))
        tiers.append(t)
    products = []
    for name in product_names:
        p = {"name": name, "stage": draw(st.sampled_from(STAGES))}
        if objective == "max_profit" or chance(draw, 0.4):
            p["margin"] = uniform(draw, 0.05, 0.8, 3)
        if chance(draw, 0.4):
            p["order_value_multiplier"] = uniform(draw, 0.5, 2.0, 3)
        products.append(p)
    data.update(channels=channels, tiers=tiers, products=products)

    # Funnel overrides, sparse eligible: false.
    funnel = []
    seen = set()
    for _ in range(draw(st.integers(0, min(15, C * T)))):
        row = {"channel": draw(st.sampled_from(channel_names)), "tier": draw(st.sampled_from(tier_names))}
        if chance(draw, 0.35):
            row["product"] = draw(st.sampled_from(product_names))
        key = (row["channel"], row["tier"], row.get("product"))
        if key in seen:
            continue
        seen.add(key)
        if chance(draw, 0.3):
            row["eligible"] = False
        else:
            if chance(draw, 0.5):
                row["cost_per_lead"] = log_uniform(draw, 5, 500)
            if chance(draw, 0.5):
                row["conversion"] = log_uniform(draw, 0.01, 0.5)
            if chance(draw, 0.4):
                row["order_value"] = log_uniform(draw, 50, 50000)
            if chance(draw, 0.1):
                row["eligible"] = True
        funnel.append(row)
    if funnel:
        data["funnel"] = funnel
    numbers = funnel_numbers(data)

    demand = {}
    if chance(draw, 0.4):
        for period in period_list:
            if chance(draw, 0.8):
                demand[period] = uniform(draw, 0.5, 1.5, 3)
        if demand:
            data["seasonality"] = {"demand_index": demand}

    # Budget and the reference spend per channel and period.
    needs_budget = objective != "min_spend"
    scale = log_uniform(draw, 1e4, 1e7)
    if needs_budget or chance(draw, 0.5):
        data["budget"] = {"total": scale}
    alpha = uniform(draw, 0.2, 0.9, 2)
    eligible_of = {c: [(t, p) for t in tier_names for p in product_names if numbers[(c, t, p)][0]] for c in channel_names}
    weight = {c: (0.0 if chance(draw, 0.2) or not eligible_of[c] else uniform(draw, 0.1, 1.0, 2)) for c in channel_names}
    busy = {m: uniform(draw, 0.5, 1.5, 2) for m in period_list}
    norm = sum(weight[c] * busy[m] for c in channel_names for m in period_list)
    ref_spend = {(c, m): (alpha * scale * weight[c] * busy[m] / norm if norm > 0 else 0.0)
                 for c in channel_names for m in period_list}

    # Response curves (concave), fitted around each channel's busiest reference month.
    for ch in channels:
        c = ch["name"]
        peak = max(ref_spend[(c, m)] for m in period_list) or scale / max(1, C)
        if chance(draw, 0.35):
            k = draw(st.integers(1, 3))
            effs = sorted((uniform(draw, 0.2, 1.0, 2) for _ in range(k)), reverse=True)
            ends = sorted({up(peak * uniform(draw, 0.1, 2.0, 2)) for _ in range(k - 1)})
            segs = [{"up_to": e, "efficiency": effs[i]} for i, e in enumerate(ends)]
            last = {"efficiency": effs[len(segs)] if len(segs) < k else effs[-1]}
            if chance(draw, 0.3):  # a closed last slice: the channel cannot take more than its end
                last["up_to"] = up(max(peak * 1.25, (ends[-1] if ends else 0.0) * 1.1))
            ch["response"] = segs + [last]

    # The reference plan's amounts per cell.
    ref = Reference()
    tier_of = {t["name"]: t for t in tiers}
    product_of = {p["name"]: p for p in products}
    for ch in channels:
        c = ch["name"]
        cells = eligible_of[c]
        for m in period_list:
            eff = curve(ch.get("response"), ref_spend[(c, m)])
            for t, p in cells:
                _, cpl, conv, value = numbers[(c, t, p)]
                tier = tier_of[t]
                spend = ref_spend[(c, m)] / len(cells)
                leads = eff / len(cells) * demand.get(m, 1.0) / cpl
                customers = leads * conv
                revenue = customers * value
                for key, rate in (("leads", demand.get(m, 1.0) / cpl), ("revenue", demand.get(m, 1.0) / cpl * conv * value),
                                  ("new_customers", demand.get(m, 1.0) / cpl * conv if tier["kind"] in NEW_KINDS else 0.0)):
                    ref.best_rate[key] = max(ref.best_rate.get(key, 0.0), rate)
                ref.cells.append(Cell(
                    c, ch.get("group", "other"), t, tier["kind"], p, product_of[p]["stage"], m, spend=spend,
                    leads=leads, customers=customers, new_customers=customers if tier["kind"] in NEW_KINDS else 0.0,
                    revenue=revenue, value=revenue * (tier.get("value_multiplier", 1.0) if ltv else 1.0),
                ))

    def channel_sum(c, attr, m=None):
        return sum(getattr(x, attr) for x in ref.cells if x.channel == c and (m is None or x.period == m))

    # Channel caps, floors and binaries with slack around the reference.
    has_budget = "budget" in data
    for ch in channels:
        c = ch["name"]
        spends = {m: ref_spend[(c, m)] for m in period_list}
        if chance(draw, 0.5):
            f = uniform(draw, 1.1, 3.0, 2)
            if chance(draw, 0.6):
                ch["max_spend"] = up(max(max(spends.values()), 1.0) * f)
            else:
                ch["max_spend"] = {m: up(max(spends[m], 1.0) * f) for m in period_list if chance(draw, 0.8)}
                if not ch["max_spend"]:
                    del ch["max_spend"]
        if chance(draw, 0.15):
            f = uniform(draw, 0.0, 0.8, 2)
            if chance(draw, 0.5):
                ch["min_spend"] = down(min(spends.values()) * f)
            else:
                ch["min_spend"] = {m: down(spends[m] * f) for m in period_list if chance(draw, 0.7)}
                if not ch["min_spend"]:
                    del ch["min_spend"]
        if chance(draw, 0.2):
            f = uniform(draw, 1.1, 3.0, 2)
            leads = {m: channel_sum(c, "leads", m) for m in period_list}
            ch["max_leads"] = up(max(max(leads.values()), 1.0) * f)
        if chance(draw, 0.3):
            spent, value = channel_sum(c, "spend"), channel_sum(c, "value")
            ch["min_roi"] = down(value / spent * uniform(draw, 0.3, 0.97, 2), 3) if spent > 0 else uniform(draw, 0.0, 10.0, 3)
        capped = isinstance(ch.get("max_spend"), float)
        if (has_budget or capped) and chance(draw, 0.15):
            spent = channel_sum(c, "spend")
            if spent > 0:
                ch["min_spend_if_used"] = down(spent * uniform(draw, 0.2, 0.95, 2))
            elif "min_spend" not in ch:
                ch["min_spend_if_used"] = log_uniform(draw, 1e3, scale)  # the reference leaves it off
            if ch.get("min_spend_if_used") == 0.0:
                del ch["min_spend_if_used"]

    # Baseline revenue in any cell (eligible or not).
    baseline = []
    bseen = set()
    for _ in range(draw(st.integers(0, 8)) if chance(draw, 0.4) else 0):
        key = (draw(st.sampled_from(channel_names)), draw(st.sampled_from(tier_names)),
               draw(st.sampled_from(product_names)), draw(st.sampled_from(period_list)))
        if key in bseen:
            continue
        bseen.add(key)
        revenue = 0.0 if chance(draw, 0.05) else log_uniform(draw, 100, scale * 5)
        baseline.append({"channel": key[0], "tier": key[1], "product": key[2], "period": key[3], "revenue": revenue})
        t, p = tier_of[key[1]], product_of[key[2]]
        group = next(ch.get("group", "other") for ch in channels if ch["name"] == key[0])
        ref.baseline.append(Cell(key[0], group, key[1], t["kind"], key[2], p["stage"], key[3], baseline=revenue))
    if baseline:
        data["baseline"] = baseline

    # Seasonal phasing: the reference plan's shares, within a tolerance.
    if chance(draw, 0.3):
        total = ref.revenue_total()
        shares = [ref.revenue_total({"period": m}) / total if total > 0 else 1.0 / M for m in period_list]
        # Rounded to 6 digits; the largest share takes the rounding residue so that they sum to 1.
        weights = [sig(s, 6) for s in shares]
        big = max(range(M), key=lambda i: weights[i])
        weights[big] = 1.0 - sum(w for i, w in enumerate(weights) if i != big)
        season = data.setdefault("seasonality", {})
        season["target_weights"] = dict(zip(period_list, weights))
        season["tolerance"] = uniform(draw, 0.01, 0.3, 2)

    # Targets with a buffer, below what the reference plan achieves.
    targets: dict = {}
    buffer = uniform(draw, 0.0, 0.2, 2) if chance(draw, 0.5) else 0.0
    if buffer:
        targets["buffer"] = buffer
    want_revenue = require_revenue_target or chance(draw, 0.5)
    if want_revenue:
        targets["revenue"] = down(ref.revenue_total() * uniform(draw, 0.2, 0.97, 2) / (1 + buffer))
    if chance(draw, 0.3):
        targets["new_customers"] = down(ref.total("new_customers") * uniform(draw, 0.2, 0.97, 2) / (1 + buffer))
    if chance(draw, 0.3):
        targets["leads"] = down(ref.total("leads") * uniform(draw, 0.2, 0.97, 2) / (1 + buffer))
    if objective == "min_spend" and not any(k in targets for k in ("revenue", "new_customers", "leads")):
        targets["revenue"] = down(ref.revenue_total() * uniform(draw, 0.2, 0.97, 2) / (1 + buffer))
    if chance(draw, 0.25):
        spent = ref.total("spend")
        targets["min_roi"] = down(ref.total("value") / spent * uniform(draw, 0.3, 0.97, 2), 3) if spent > 0 else 0.5
    mix = []
    for _ in range(draw(st.integers(0, 4)) if chance(draw, 0.5) else 0):
        of = draw(st.sampled_from(["revenue", "spend"]))
        sel = selection(draw, data)
        if of == "revenue":
            total, picked = ref.revenue_total(), ref.revenue_total(sel)
        else:
            total, picked = ref.total("spend"), ref.total("spend", sel)
        share = picked / total if total > 0 else 0.0
        entry: dict = {"of": of, "select": sel}
        f = uniform(draw, 0.3, 0.95, 2)
        if chance(draw, 0.7):
            entry["min_share"] = down(share * f, 3)
        if "min_share" not in entry or chance(draw, 0.3):
            entry["max_share"] = min(1.0, up(share / f, 3)) if share > 0 else uniform(draw, 0.0, 0.5, 2)
        mix.append(entry)
    if mix:
        targets["mix"] = mix
    if soft_targets and chance(draw, 0.15):
        present = [g for g in GOALS if g in targets]
        if present:
            if chance(draw, 0.4):
                targets["mode"] = "soft"
            else:
                targets["soft"] = draw(st.lists(st.sampled_from(present), min_size=1, max_size=len(present), unique=True))
            if chance(draw, 0.5):
                order = draw(st.permutations(GOALS))
                targets["priority"] = list(order[: draw(st.integers(1, len(GOALS)))])
    if targets:
        data["targets"] = targets

    # Budget limits on selections.
    limits = []
    for _ in range(draw(st.integers(0, 4)) if chance(draw, 0.4) else 0):
        sel = selection(draw, data)
        picked, total = ref.total("spend", sel), ref.total("spend")
        f = uniform(draw, 0.3, 0.95, 2)
        limit: dict = {"select": sel}
        for key in draw(st.lists(st.sampled_from(["min", "max", "min_share", "max_share"]), min_size=1, max_size=2, unique=True)):
            if key == "min":
                limit["min"] = down(picked * f)
            elif key == "max":
                limit["max"] = up(max(picked, 1.0) / f)
            elif key == "min_share":
                limit["min_share"] = down(picked / total * f, 3) if total > 0 else 0.0
            else:
                limit["max_share"] = min(1.0, up(picked / total / f, 3)) if total > 0 and picked > 0 else uniform(draw, 0.0, 1.0, 2)
        limits.append(limit)
    if limits:
        data.setdefault("budget", {})["limits"] = limits

    # Sales team capacity.
    if chance(draw, 0.2):
        f = uniform(draw, 1.1, 3.0, 2)
        leads = {m: sum(x.leads for x in ref.cells if x.period == m) for m in period_list}
        if chance(draw, 0.5):
            data["sales_capacity"] = up(max(max(leads.values()), 1.0) * f)
        else:
            data["sales_capacity"] = {m: up(max(leads[m], 1.0) * f) for m in period_list if chance(draw, 0.8)}

    edited = bool(wild) and chance(draw, wild)
    if edited:
        for _ in range(draw(st.integers(1, 2))):
            wild_edit(draw, data, ref)
    _check_sums(data)
    return Drawn(data, reference_rows(ref), edited)


def scenarios(objective: str | None = None, max_cells: int = DEFAULT_MAX_CELLS, wild: float = 0.5,
              require_revenue_target: bool = False, tricky_names: bool = True, soft_targets: bool = True):
    """Scenario dicts only (see `scenario_cases` for the arguments)."""
    return scenario_cases(objective, max_cells, wild, require_revenue_target, tricky_names, soft_targets).map(
        lambda case: case.data)


def _check_sums(data: dict) -> None:
    """Safety net for the strategy's own invariants (a failure here is a strategy bug, not a library bug)."""
    weights = data.get("seasonality", {}).get("target_weights")
    if weights:
        assert abs(sum(weights.values()) - 1.0) <= 1e-9 and min(weights.values()) >= 0, weights

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

The second half of the file solves a drawn scenario through the library's front
door (`solve_outcome`, `run_case`), checks it (`allocator verify` on the written
allocation.csv, `disagreement`, `not_worse`) and recognises the known library
bugs (in tests/checks.py: `KNOWN_BUGS`, `known_disagreement`, `known_reference_failure`), each of which has an
xfail(strict=True) regression test in tests/regressions/. Both
tests/test_properties.py and benchmarks/fuzz_verify.py use it.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from hypothesis import strategies as st

KINDS = ("new", "existing", "key_account", "prospect")
NEW_KINDS = ("new", "prospect")
STAGES = ("introduction", "growth", "maturity", "decline")
OBJECTIVES = ("max_revenue", "min_spend", "max_profit", "max_new_customers")
GROUPS = ("owned", "partner", "emerging", "paid", "direct-sales")
GOALS = ("revenue", "new_customers", "leads", "min_roi", "mix")  # targets that may be soft

MAX_CHANNELS, MAX_TIERS, MAX_PRODUCTS, MAX_PERIODS = 30, 5, 6, 13
# Default cap on channels x tiers x products x periods, so that a normal test run stays fast.
# The full ranges above are all reachable; a draw over the cap has its largest dimensions shrunk.
DEFAULT_MAX_CELLS = 600

# Characters a name may hold besides letters and digits (the schema forbids brackets and control
# characters only). Spreadsheet-formula starts (= + - @) and apostrophes exercise the CSV
# neutralising in allocator/csvsafe.py, commas and quotes the CSV quoting, | & = the selection labels.
NAME_EXTRA = " _-.=+@,'\"&|é中"


# --------------------------------------------------------------------------
# Small drawing helpers
# --------------------------------------------------------------------------


def chance(draw, p: float) -> bool:
    """True with probability ~p; shrinks towards False (the simpler scenario)."""
    return draw(st.integers(0, 999)) >= round(1000 * (1.0 - p))


def sig(value: float, digits: int = 4) -> float:
    """`value` rounded to `digits` significant digits (0 stays 0)."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.{digits}g}")


def down(value: float, digits: int = 4) -> float:
    """`value` rounded down to `digits` significant digits (>= 0)."""
    if value <= 0:
        return 0.0
    q = 10.0 ** (math.floor(math.log10(value)) - digits + 1)
    return sig(math.floor(value / q * (1 - 1e-12)) * q, digits + 2)


def up(value: float, digits: int = 4) -> float:
    """`value` rounded up to `digits` significant digits (>= 0)."""
    if value <= 0:
        return 0.0
    q = 10.0 ** (math.floor(math.log10(value)) - digits + 1)
    return sig(math.ceil(value / q * (1 + 1e-12)) * q, digits + 2)


# Numbers are drawn on a grid (integers scaled), never as raw floats: hypothesis' float strategy
# likes values such as 1.6e-280, which are valid but no planner writes them.
GRID = 10_000


def log_uniform(draw, lo: float, hi: float) -> float:
    """A number between lo and hi, uniform in log scale, 4 significant digits; shrinks towards lo."""
    k = draw(st.integers(0, GRID))
    e = math.log10(lo) + (math.log10(hi) - math.log10(lo)) * k / GRID
    return min(hi, max(lo, sig(10.0 ** e)))


def uniform(draw, lo: float, hi: float, digits: int = 4) -> float:
    """A number between lo and hi, uniform, `digits` significant digits; shrinks towards lo."""
    k = draw(st.integers(0, GRID))
    return min(hi, max(lo, sig(lo + (hi - lo) * k / GRID, digits)))


# --------------------------------------------------------------------------
# Names and periods
# --------------------------------------------------------------------------


def _tricky_name():
    return st.text(alphabet=st.sampled_from(list("abxyz019") + list(NAME_EXTRA)), min_size=1, max_size=10)


def names(draw, prefix: str, n: int, tricky: bool) -> list[str]:
    """n unique names: `prefix0`, `prefix1`, ... or, when `tricky`, some odd but valid labels."""
    out: list[str] = []
    for i in range(n):
        name = f"{prefix}{i}"
        if tricky and chance(draw, 0.3):
            name = draw(_tricky_name())
        while name in out:
            name = f"{name}~{i}"
        out.append(name[:80])
    return out


@st.composite
def periods(draw, n: int) -> list[str]:
    """n consecutive months `YYYY-MM` (rolling over the year) or, for ~25% of draws, ISO weeks `YYYY-Www`."""
    year = draw(st.integers(2024, 2030))
    if chance(draw, 0.25):
        last_week = date(year, 12, 28).isocalendar()[1]  # 52 or 53
        week = draw(st.integers(1, last_week))
        start = date.fromisocalendar(year, week, 1)
        out = []
        for i in range(n):
            y, w, _ = (start + timedelta(weeks=i)).isocalendar()
            out.append(f"{y:04d}-W{w:02d}")
        return out
    month = draw(st.integers(1, 12))
    out = []
    for i in range(n):
        y, m = year + (month - 1 + i) // 12, (month - 1 + i) % 12 + 1
        out.append(f"{y:04d}-{m:02d}")
    return out


# --------------------------------------------------------------------------
# The reference plan
# --------------------------------------------------------------------------


@dataclass
class Cell:
    channel: str
    group: str
    tier: str
    kind: str
    product: str
    stage: str
    period: str
    spend: float = 0.0
    leads: float = 0.0
    customers: float = 0.0
    new_customers: float = 0.0
    revenue: float = 0.0
    value: float = 0.0
    baseline: float = 0.0  # only on baseline records

    def get(self, key: str) -> str:
        return getattr(self, key)


@dataclass
class Reference:
    cells: list[Cell] = field(default_factory=list)  # eligible cells with the reference plan's amounts
    baseline: list[Cell] = field(default_factory=list)  # baseline rows (revenue in .baseline)
    best_rate: dict = field(default_factory=dict)  # revenue / new_customers / leads per unit of spend, best cell

    def total(self, attr: str, selection: dict | None = None) -> float:
        rows = self.cells if attr != "baseline" else self.baseline
        return sum(getattr(c, attr) for c in rows if selection is None or _picks(selection, c))

    def revenue_total(self, selection: dict | None = None) -> float:
        return self.total("revenue", selection) + self.total("baseline", selection)


def _picks(selection: dict, cell: Cell) -> bool:
    for key, values in selection.items():
        values = [values] if isinstance(values, str) else values
        if cell.get(key) not in values:
            return False
    return True


def curve(segments: list[dict] | None, spend: float) -> float:
    """Effective spend (spend x efficiency, slice by slice) of `spend` on a response curve."""
    if not segments:
        return spend
    out, start = 0.0, 0.0
    for seg in segments:
        end = seg.get("up_to", math.inf)
        out += max(0.0, min(spend, end) - start) * seg["efficiency"]
        start = end
    return out


def funnel_numbers(data: dict) -> dict:
    """(channel, tier, product) -> (eligible, cost_per_lead, conversion, order value incl. multiplier).

    Written from scenarios/README.md: funnel rows for all products first, product-specific ones after;
    a tier's channel list wins over any funnel row.
    """
    out = {}
    for c in data["channels"]:
        for t in data["tiers"]:
            for p in data["products"]:
                out[(c["name"], t["name"], p["name"])] = [True, c["cost_per_lead"], t["conversion"], t["order_value"]]
    rows = sorted(data.get("funnel", []), key=lambda r: "product" in r)
    for r in rows:
        for p in data["products"]:
            if "product" in r and r["product"] != p["name"]:
                continue
            entry = out[(r["channel"], r["tier"], p["name"])]
            entry[0] = r.get("eligible", True)
            for i, key in ((1, "cost_per_lead"), (2, "conversion"), (3, "order_value")):
                if key in r:
                    entry[i] = r[key]
    for t in data["tiers"]:
        if "channels" in t:
            for c in data["channels"]:
                if c["name"] not in t["channels"]:
                    for p in data["products"]:
                        out[(c["name"], t["name"], p["name"])][0] = False
    multiplier = {p["name"]: p.get("order_value_multiplier", 1.0) for p in data["products"]}
    return {k: (v[0], v[1], v[2], v[3] * multiplier[k[2]]) for k, v in out.items()}


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


def _selection(draw, data: dict, allow_period: bool = True) -> dict:
    """A selection of 1-2 keys, each naming one or a few existing names."""
    pools = {
        "channel": [c["name"] for c in data["channels"]],
        "group": sorted({c.get("group", "other") for c in data["channels"]}),
        "tier": [t["name"] for t in data["tiers"]],
        "kind": list(KINDS),
        "product": [p["name"] for p in data["products"]],
        "stage": list(STAGES),
    }
    if allow_period:
        pools["period"] = list(data["periods"])
    keys = draw(st.lists(st.sampled_from(sorted(pools)), min_size=1, max_size=2, unique=True))
    out = {}
    for key in keys:
        values = draw(st.lists(st.sampled_from(pools[key]), min_size=1, max_size=min(3, len(pools[key])), unique=True))
        out[key] = values[0] if len(values) == 1 and chance(draw, 0.5) else values
    return out


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
        sel = _selection(draw, data)
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
        sel = _selection(draw, data)
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
            _wild_edit(draw, data, ref)
    _check_sums(data)
    return Drawn(data, reference_rows(ref), edited)


def scenarios(objective: str | None = None, max_cells: int = DEFAULT_MAX_CELLS, wild: float = 0.5,
              require_revenue_target: bool = False, tricky_names: bool = True, soft_targets: bool = True):
    """Scenario dicts only (see `scenario_cases` for the arguments)."""
    return scenario_cases(objective, max_cells, wild, require_revenue_target, tricky_names, soft_targets).map(
        lambda case: case.data)


@dataclass
class Drawn:
    """A drawn scenario with the reference plan it was built around."""

    data: dict  # the scenario (YAML structure)
    reference: list[dict] = field(repr=False)  # the reference plan as allocation.csv rows (cells and baseline)
    wild: bool = False  # whether numbers were pushed past the reference (it may then break a limit)


def reference_rows(ref: Reference) -> list[dict]:
    """The reference plan in allocation.csv's columns, baseline merged into its cells."""
    rows: dict[tuple, dict] = {}
    for c in ref.cells:
        rows[(c.channel, c.tier, c.product, c.period)] = {
            "channel": c.channel, "tier": c.tier, "product": c.product, "period": c.period, "spend": c.spend,
            "leads": c.leads, "customers": c.customers, "new_customers": c.new_customers, "revenue": c.revenue,
            "baseline_revenue": 0.0}
    for b in ref.baseline:
        row = rows.setdefault((b.channel, b.tier, b.product, b.period), {
            "channel": b.channel, "tier": b.tier, "product": b.product, "period": b.period, "spend": 0.0,
            "leads": 0.0, "customers": 0.0, "new_customers": 0.0, "revenue": 0.0, "baseline_revenue": 0.0})
        row["baseline_revenue"] += b.baseline
    out = list(rows.values())
    for row in out:
        row["revenue_total"] = row["revenue"] + row["baseline_revenue"]
    return out


def reference_objective(data: dict, rows: list[dict], objective: str | None = None) -> float:
    """The scenario's objective (docs/model.md, Objectives) at the reference plan."""
    objective = objective or data.get("objective", "max_revenue")
    if objective == "max_revenue":
        return sum(r["revenue_total"] for r in rows)
    if objective == "min_spend":
        return sum(r["spend"] for r in rows)
    if objective == "max_new_customers":
        return sum(r["new_customers"] for r in rows)
    margin = {p["name"]: p["margin"] for p in data["products"]}
    return sum(margin[r["product"]] * r["revenue_total"] - r["spend"] for r in rows)


def _wild_edit(draw, data: dict, ref: Reference) -> None:
    """Push one number past the reference plan (keeping the scenario valid)."""
    # Weighted towards edits that can make the problem infeasible (the others make it tight).
    kind = draw(st.sampled_from(["revenue"] * 3 + ["new_customers", "leads", "portfolio_roi"] * 2 + [
        "channel_roi", "max_spend", "sales_capacity", "mix", "budget_min", "if_used", "budget_total"]))
    targets = data.setdefault("targets", {})
    f = log_uniform(draw, 1.05, 1000.0)
    if kind in ("revenue", "new_customers", "leads"):
        base = ref.revenue_total() if kind == "revenue" else ref.total(kind)
        budget = data.get("budget", {}).get("total")
        if budget and chance(draw, 0.5):
            # Around the most the whole budget could buy in the best cell: about half of these are infeasible.
            most = budget * ref.best_rate.get(kind, 0.0) + (ref.total("baseline") if kind == "revenue" else 0.0)
            targets[kind] = up(max(most, 1.0) * uniform(draw, 0.5, 2.0, 3) / (1 + targets.get("buffer", 0.0)))
        else:
            targets[kind] = up(max(base, 1.0) * f)
    elif kind == "channel_roi":
        ch = draw(st.sampled_from(data["channels"]))
        spent = sum(x.spend for x in ref.cells if x.channel == ch["name"])
        value = sum(x.value for x in ref.cells if x.channel == ch["name"])
        ch["min_roi"] = up(value / spent * f, 3) if spent > 0 else uniform(draw, 0.0, 50.0, 3)
    elif kind == "portfolio_roi":
        spent = ref.total("spend")
        targets["min_roi"] = up(ref.total("value") / spent * f, 3) if spent > 0 else uniform(draw, 0.0, 50.0, 3)
    elif kind == "max_spend":
        ch = draw(st.sampled_from(data["channels"]))
        peak = max(sum(x.spend for x in ref.cells if x.channel == ch["name"] and x.period == m) for m in data["periods"])
        ch["max_spend"] = down(peak / f)
        ch.pop("min_spend", None)  # min_spend may not exceed max_spend
    elif kind == "sales_capacity":
        leads = sum(x.leads for x in ref.cells) / max(1, len(data["periods"]))
        data["sales_capacity"] = down(leads / f)
    elif kind == "mix":
        of = draw(st.sampled_from(["revenue", "spend"]))
        sel = _selection(draw, data)
        total = ref.revenue_total() if of == "revenue" else ref.total("spend")
        picked = ref.revenue_total(sel) if of == "revenue" else ref.total("spend", sel)
        share = picked / total if total > 0 else 0.0
        targets.setdefault("mix", []).append({"of": of, "select": sel, "min_share": min(0.99, up(share * f + 0.01, 3))})
        _drop_excess_min_shares(data)
    elif kind == "budget_min" and "total" in data.get("budget", {}):
        sel = _selection(draw, data)
        total = data["budget"]["total"]
        data["budget"].setdefault("limits", []).append(
            {"select": sel, "min": min(total, up(max(ref.total("spend", sel), 1.0) * f))})
    elif kind == "if_used":
        ch = draw(st.sampled_from(data["channels"]))
        capped = isinstance(ch.get("max_spend"), float)
        if capped or "total" in data.get("budget", {}):
            spent = sum(x.spend for x in ref.cells if x.channel == ch["name"])
            ch["min_spend_if_used"] = up(max(spent, 1.0) * f)
    elif kind == "budget_total" and "total" in data.get("budget", {}):
        limits_min = max((lim.get("min", 0.0) for lim in data["budget"].get("limits", [])), default=0.0)
        data["budget"]["total"] = max(limits_min, down(data["budget"]["total"] / f), 1.0)
    if not targets:
        data.pop("targets")


def _min_share_groups(data: dict):
    groups: dict = {}
    for i, mix in enumerate(data.get("targets", {}).get("mix", [])):
        if "min_share" in mix and len(mix["select"]) == 1:
            key = next(iter(mix["select"]))
            groups.setdefault((mix["of"], key), []).append(i)
    return groups


def _drop_excess_min_shares(data: dict) -> None:
    """Keep minimum shares of one selection key summing to at most 1 (the loader's rule), from the last added."""
    mixes = data["targets"]["mix"]
    for indices in _min_share_groups(data).values():
        while sum(mixes[i]["min_share"] for i in indices) > 1.0 - 1e-9:
            i = indices.pop()
            del mixes[i]["min_share"]
            mixes[i]["max_share"] = 1.0
            if not indices:
                break


def _check_sums(data: dict) -> None:
    """Safety net for the strategy's own invariants (a failure here is a strategy bug, not a library bug)."""
    weights = data.get("seasonality", {}).get("target_weights")
    if weights:
        assert abs(sum(weights.values()) - 1.0) <= 1e-9 and min(weights.values()) >= 0, weights


# --------------------------------------------------------------------------
# Mutations for the monotonicity properties
# --------------------------------------------------------------------------


def with_budget(data: dict, factor: float) -> dict:
    out = copy.deepcopy(data)
    out["budget"]["total"] = sig(out["budget"]["total"] * factor, 8)
    return out


def with_channel_roi(data: dict, index: int, new_roi: float) -> dict:
    out = copy.deepcopy(data)
    out["channels"][index]["min_roi"] = new_roi
    return out


def with_revenue_target(data: dict, factor: float) -> dict:
    out = copy.deepcopy(data)
    out["targets"]["revenue"] = sig(out["targets"]["revenue"] * factor, 8) if out["targets"]["revenue"] > 0 else 1.0
    return out

"""Generate a synthetic but plausible scenario YAML of a given size (products x channels x tiers x periods).

The file is small: funnel numbers sit at channel level (cost per lead) and
tier level (conversion, order value), with a handful of inline funnel
overrides and baseline rows. It holds the same kinds of rows as the real
model: a budget total, per-channel max_spend per period, diminishing-returns
curves on some channels, ROI floors on some channels, a portfolio min_roi,
seasonality (demand_index and target_weights summing to 1), a sales-team
capacity, a revenue and a new-customer target with a buffer, mix shares by
channel group and by tier kind, and budget limits.

Feasibility by construction: a reference plan (every channel spending part of
its capacity, spread evenly over its cells, more in busy periods) is worked
out with the same funnel arithmetic as the model, and every target, floor and
limit is set with slack around that plan, so the reference plan satisfies all
of them. ``--check`` proves it by solving the file with the library.

Deterministic for a given size and seed (numpy default_rng).

    python benchmarks/generate.py --products 4 --channels 50 --tiers 4 --periods 12 --seed 1 --out /tmp/x.yaml
"""

from __future__ import annotations

import argparse
import math
import sys
from datetime import date
from pathlib import Path

import numpy as np
import yaml

from numbers_plain import ceil_to, floor_to, money_ceil, money_floor, plain, season_position

# Channel archetypes: base name, group, cost-per-lead range (money per lead).
ARCHETYPES = [
    ("website", "owned", (70, 110)),
    ("mini_program", "owned", (55, 90)),
    ("email", "owned", (40, 70)),
    ("direct_sales", "owned", (120, 200)),
    ("marketplace", "partner", (90, 140)),
    ("distributors", "partner", (110, 180)),
    ("affiliates", "partner", (80, 130)),
    ("search_ads", "paid", (90, 150)),
    ("social_ads", "paid", (70, 120)),
    ("video_ads", "paid", (100, 160)),
    ("livestream", "emerging", (50, 90)),
    ("community_groupbuy", "emerging", (45, 80)),
]
# Tier archetypes: name, kind, conversion range, order value range (money).
TIER_ARCHETYPES = [
    ("new_customers", "new", (0.04, 0.06), (6000, 9000)),
    ("existing_customers", "existing", (0.25, 0.35), (600, 1000)),
    ("key_accounts", "key_account", (0.015, 0.025), (12000, 18000)),
    ("prospects", "prospect", (0.03, 0.05), (5000, 8000)),
    ("lapsed_customers", "existing", (0.10, 0.15), (1500, 2500)),
    ("referrals", "new", (0.06, 0.09), (3500, 5000)),
]
STAGES = ["introduction", "growth", "maturity", "decline"]
PRODUCT_BASES = ["launch_x", "growth_line", "core_range", "clearance"]
STAGE_MARGIN = {"introduction": (0.50, 0.60), "growth": (0.45, 0.55), "maturity": (0.38, 0.46), "decline": (0.12, 0.20)}
STAGE_VALUE_MULTIPLIER = {"introduction": 1.10, "growth": 1.00, "maturity": 1.00, "decline": 0.70}
MAX_CURVED_CHANNELS = 25  # the big media channels saturate; the long tail is linear
TOLERANCE = 0.05  # seasonal phasing tolerance
BUFFER = 0.10  # planning buffer on the committed targets


def periods_for(m: int, first_month: str = "2027-01") -> list[str]:
    """M consecutive months from `first_month` when M <= 12 (rolling over the year), else ISO weeks from 2027-W01."""
    if m < 1 or m > 53:
        raise ValueError("periods must be between 1 and 53")
    if m <= 12:
        year, month = (int(v) for v in first_month.split("-"))
        out = []
        for i in range(m):
            y, mo = year + (month - 1 + i) // 12, (month - 1 + i) % 12 + 1
            out.append(f"{y:04d}-{mo:02d}")
        return out
    monday = date.fromisocalendar(2027, 1, 1)
    out = []
    for i in range(m):
        y, w, _ = date.fromordinal(monday.toordinal() + 7 * i).isocalendar()
        out.append(f"{y:04d}-W{w:02d}")
    return out


def generate(products: int, channels: int, tiers: int, periods: int, seed: int = 1,
             first_month: str = "2027-01", binaries: int = 0) -> dict:
    """The scenario as a dict ready for YAML."""
    if min(products, channels, tiers) < 1:
        raise ValueError("products, channels and tiers must be at least 1")
    rng = np.random.default_rng(seed)
    P, C, T = products, channels, tiers
    period_names = periods_for(periods, first_month)
    M = len(period_names)
    weekly = M > 12
    scale = 12.0 / 52.0 if weekly else 1.0  # money per period relative to a month

    # --- Dimensions -------------------------------------------------------------------------------
    chan = []
    for i in range(C):
        base, group, (lo, hi) = ARCHETYPES[i % len(ARCHETYPES)]
        name = base if C <= len(ARCHETYPES) else f"{base}_{i // len(ARCHETYPES) + 1:02d}"
        cpl = float(round(rng.uniform(lo, hi)))
        cap = money_floor(rng.lognormal(math.log(250_000), 0.5) * scale)  # per period
        cap = max(cap, 5000.0)
        chan.append({"name": name, "group": group, "cost_per_lead": cpl, "cap": cap})
    n_curved = min(MAX_CURVED_CHANNELS, math.ceil(C / 2))
    curved = set(rng.choice(C, size=n_curved, replace=False).tolist())
    for i, c in enumerate(chan):
        if i in curved:
            e2 = floor_to(rng.uniform(0.70, 0.85))
            e3 = floor_to(rng.uniform(0.40, 0.60))
            c["response"] = [
                {"up_to": money_floor(0.35 * c["cap"], 500), "efficiency": 1.0},
                {"up_to": money_floor(0.70 * c["cap"], 500), "efficiency": e2},
                {"efficiency": e3},
            ]

    tier = []
    for i in range(T):
        base, kind, (clo, chi), (vlo, vhi) = TIER_ARCHETYPES[i % len(TIER_ARCHETYPES)]
        name = base if T <= len(TIER_ARCHETYPES) else f"{base}_{i // len(TIER_ARCHETYPES) + 1:02d}"
        tier.append({"name": name, "kind": kind, "conversion": floor_to(rng.uniform(clo, chi), 3),
                     "order_value": money_floor(rng.uniform(vlo, vhi), 50),
                     "value_multiplier": floor_to(rng.uniform(1.5, 3.0), 1)})

    prod = []
    for i in range(P):
        stage = STAGES[i % len(STAGES)]
        base = PRODUCT_BASES[i % len(PRODUCT_BASES)]
        name = base if P <= len(PRODUCT_BASES) else f"{base}_{i // len(PRODUCT_BASES) + 1:02d}"
        lo, hi = STAGE_MARGIN[stage]
        row = {"name": name, "stage": stage, "margin": floor_to(rng.uniform(lo, hi))}
        if STAGE_VALUE_MULTIPLIER[stage] != 1.0:
            row["order_value_multiplier"] = STAGE_VALUE_MULTIPLIER[stage]
        prod.append(row)

    # --- Funnel cube (channel x tier x product), with a few inline overrides ----------------------
    cpl = np.array([c["cost_per_lead"] for c in chan])[:, None, None] * np.ones((C, T, P))
    conv = np.array([t["conversion"] for t in tier])[None, :, None] * np.ones((C, T, P))
    value = (np.array([t["order_value"] for t in tier])[None, :, None]
             * np.array([p.get("order_value_multiplier", 1.0) for p in prod])[None, None, :]) * np.ones((C, T, P))
    eligible = np.ones((C, T, P), dtype=bool)
    funnel = []
    kinds = [t["kind"] for t in tier]
    existing = [j for j, k in enumerate(kinds) if k == "existing"]
    key_acc = [j for j, k in enumerate(kinds) if k == "key_account"]
    n_rows = max(1, C // 10) if T > 1 else 0
    picked = rng.choice(C, size=min(C, 2 * n_rows), replace=False).tolist() if n_rows else []
    for k, c_i in enumerate(picked):
        if k % 2 == 0 and key_acc:  # some channels cannot reach key accounts
            t_i = key_acc[0]
            eligible[c_i, t_i, :] = False
            funnel.append({"channel": chan[c_i]["name"], "tier": tier[t_i]["name"], "eligible": False})
        elif existing:  # existing customers are cheaper to reach
            t_i = existing[0]
            new_cpl = float(round(chan[c_i]["cost_per_lead"] * rng.uniform(0.3, 0.5)))
            cpl[c_i, t_i, :] = new_cpl
            funnel.append({"channel": chan[c_i]["name"], "tier": tier[t_i]["name"], "cost_per_lead": new_cpl})
    if not eligible.any(axis=(1, 2)).all() or not eligible.any():  # pragma: no cover - at most one tier is cut
        raise RuntimeError("generator left a channel without cells")

    # --- Seasonality ------------------------------------------------------------------------------
    phase = rng.uniform(0, 2 * math.pi)
    pos = np.array([season_position(p) for p in period_names])
    demand = np.round(1.0 + 0.12 * np.sin(2 * math.pi * pos + phase) + rng.normal(0, 0.03, M), 2)
    demand = np.clip(demand, 0.7, 1.3)
    spend_pattern = demand * rng.uniform(0.95, 1.05, M)
    spend_pattern = spend_pattern / spend_pattern.max()

    # --- Reference plan (feasible by construction) ------------------------------------------------
    caps = np.array([c["cap"] for c in chan])
    alpha = rng.uniform(0.40, 0.65, C)  # share of capacity used in the busiest period
    ch_spend = alpha[:, None] * caps[:, None] * spend_pattern[None, :]  # C x M
    efficiency = np.ones((C, M))
    for i in curved:
        segs = chan[i]["response"]
        for m in range(M):
            s, start, got = ch_spend[i, m], 0.0, 0.0
            for seg in segs:
                end = seg.get("up_to", math.inf)
                part = max(0.0, min(s, end) - start)
                got += part * seg["efficiency"]
                start = end
            efficiency[i, m] = got / s
    n_cells = eligible.sum(axis=(1, 2))  # per channel
    per_cell = ch_spend / n_cells[:, None]  # C x M, spend per eligible (t, p) cell
    # Per (c, t, p, m): spend, leads, revenue.
    x = eligible[:, :, :, None] * per_cell[:, None, None, :]
    leads = x * (efficiency * demand[None, :])[:, None, None, :] / cpl[:, :, :, None]
    customers = leads * conv[:, :, :, None]
    revenue = customers * value[:, :, :, None]
    is_new = np.array([k in ("new", "prospect") for k in kinds])
    new_customers = float(customers[:, is_new].sum())

    # Baseline: repeat business in a few cells of an existing tier, following the spend pattern.
    baseline = []
    base_rev = np.zeros((C, T, P, M))
    if existing:
        t_i = existing[0]
        for c_i in rng.choice(C, size=min(3, C), replace=False).tolist():
            p_i = int(rng.integers(P))
            level = money_floor(rng.uniform(20_000, 80_000) * scale, 100)
            for m, period in enumerate(period_names):
                amount = money_floor(level * spend_pattern[m] * rng.uniform(0.95, 1.05), 100)
                base_rev[c_i, t_i, p_i, m] = amount
                baseline.append({"channel": chan[c_i]["name"], "tier": tier[t_i]["name"],
                                 "product": prod[p_i]["name"], "period": period, "revenue": amount})

    total_rev = revenue + base_rev
    ref_spend = float(x.sum())
    ref_inc = float(revenue.sum())
    ref_total = float(total_rev.sum())

    # --- Channels as written: capacity, ROI floors, lead caps, optional on/off binaries ------------
    channel_rows = []
    floored = set(rng.choice(C, size=max(1, round(0.4 * C)), replace=False).tolist())
    lead_capped = set(rng.choice(C, size=max(0, round(0.1 * C)), replace=False).tolist())
    with_binary = set(rng.choice(C, size=min(binaries, C), replace=False).tolist()) if binaries else set()
    ch_rev = revenue.sum(axis=(1, 2, 3))
    ch_leads = leads.sum(axis=(1, 2))  # C x M
    for i, c in enumerate(chan):
        row = {"name": c["name"], "group": c["group"], "cost_per_lead": c["cost_per_lead"]}
        roi = ch_rev[i] / ch_spend[i].sum()
        if i in floored and roi > 1.0:
            row["min_roi"] = floor_to(0.9 * roi, 1)
        row["max_spend"] = c["cap"]
        if i in lead_capped:
            row["max_leads"] = float(math.ceil(1.5 * ch_leads[i].max()))
        if i in with_binary:
            row["min_spend_if_used"] = money_floor(0.5 * ch_spend[i].sum(), 1000)
        if "response" in c:
            row["response"] = c["response"]
        channel_rows.append(row)

    # --- Seasonality weights: the reference plan's revenue share per period ------------------------
    by_period = total_rev.sum(axis=(0, 1, 2))
    shares = by_period / by_period.sum()
    weights = [round(float(v), 6) for v in shares[:-1]]
    weights.append(round(1.0 - sum(weights), 9))
    if abs(sum(weights) - 1.0) > 1e-9:  # pragma: no cover - rounding above keeps it exact
        raise RuntimeError(f"target weights sum to {sum(weights)!r}")

    # --- Budget ------------------------------------------------------------------------------------
    tier_spend = x.sum(axis=(0, 2, 3))
    groups = sorted({c["group"] for c in chan})
    group_of = np.array([c["group"] for c in chan])
    group_spend = {g: float(x[group_of == g].sum()) for g in groups}
    stage_of = np.array([p["stage"] for p in prod])
    stage_spend = {s: float(x[:, :, stage_of == s].sum()) for s in STAGES}

    limits = []
    new_tiers = [j for j, k in enumerate(kinds) if k == "new"]
    if new_tiers:
        limits.append({"select": {"tier": tier[new_tiers[0]]["name"]},
                       "min": money_floor(0.8 * tier_spend[new_tiers[0]], 10_000)})
    if existing:
        share = tier_spend[existing[0]] / ref_spend
        if share < 0.75:
            limits.append({"select": {"tier": tier[existing[0]]["name"]}, "max_share": ceil_to(1.3 * share)})
    if key_acc:
        limits.append({"select": {"tier": tier[key_acc[0]]["name"]},
                       "max": money_ceil(1.3 * tier_spend[key_acc[0]], 10_000)})
    if "emerging" in group_spend and group_spend["emerging"] / ref_spend < 0.75:
        limits.append({"select": {"group": "emerging"}, "max_share": ceil_to(1.3 * group_spend["emerging"] / ref_spend)})
    if P > 1:
        if stage_spend["introduction"] > 0 and stage_spend["introduction"] / ref_spend < 0.75:
            limits.append({"select": {"stage": "introduction"},
                           "max_share": ceil_to(1.3 * stage_spend["introduction"] / ref_spend)})
        if stage_spend["decline"] > 0 and stage_spend["decline"] / ref_spend < 0.75:
            limits.append({"select": {"stage": "decline"}, "max_share": ceil_to(1.3 * stage_spend["decline"] / ref_spend)})
        if stage_spend["maturity"] > 0:
            limits.append({"select": {"stage": "maturity"}, "min_share": floor_to(0.8 * stage_spend["maturity"] / ref_spend)})

    # --- Targets -----------------------------------------------------------------------------------
    mix = []
    kind_of = np.array(kinds)
    new_like = [k for k in ("new", "prospect") if k in kinds]
    if new_like:
        share = float(total_rev[:, np.isin(kind_of, new_like)].sum()) / ref_total
        mix.append({"of": "revenue", "select": {"kind": new_like}, "min_share": floor_to(0.85 * share)})
    if key_acc:
        share = float(total_rev[:, kind_of == "key_account"].sum()) / ref_total
        mix.append({"of": "revenue", "select": {"kind": "key_account"}, "min_share": floor_to(0.8 * share)})
    for g in groups:
        share = float(total_rev[group_of == g].sum()) / ref_total
        if share >= 0.05:
            mix.append({"of": "revenue", "select": {"group": g}, "min_share": floor_to(0.85 * share)})
    if "paid" in group_spend:
        mix.append({"of": "spend", "select": {"group": "paid"},
                    "max_share": min(1.0, ceil_to(1.25 * group_spend["paid"] / ref_spend))})

    leads_by_period = leads.sum(axis=(0, 1, 2))
    targets = {
        "revenue": money_floor(0.92 * ref_total / (1 + BUFFER), 10_000),
        "new_customers": float(math.floor(0.9 * new_customers / (1 + BUFFER))),
        "buffer": BUFFER,
        "min_roi": floor_to(0.9 * ref_inc / ref_spend),
        "mix": mix,
    }
    if new_customers < 1:
        del targets["new_customers"]

    label = "weeks" if weekly else "months"
    scenario = {
        "name": f"Synthetic plan {P}x{C}x{T}x{M} (seed {seed})",
        "currency": "CNY",
        "description": (f"Generated by benchmarks/generate.py: {P} products, {C} channels, {T} tiers, "
                        f"{M} {label}, seed {seed}. Feasible by construction."),
        "periods": period_names,
        "objective": "max_revenue",
        "roi_basis": "revenue",
        "channels": channel_rows,
        "tiers": tier,
        "products": prod,
        "funnel": funnel,
        "baseline": baseline,
        "seasonality": {
            "demand_index": {p: float(d) for p, d in zip(period_names, demand)},
            "target_weights": dict(zip(period_names, weights)),
            "tolerance": TOLERANCE,
        },
        "budget": {"total": money_ceil(1.15 * ref_spend, 10_000), "limits": limits},
        "targets": targets,
        "sales_capacity": float(math.ceil(1.3 * leads_by_period.max())),
    }
    return plain(scenario)


def dump(scenario: dict) -> str:
    return yaml.safe_dump(scenario, sort_keys=False, default_flow_style=None, width=120, allow_unicode=True)


def write(path: str | Path, products: int, channels: int, tiers: int, periods: int, seed: int = 1,
          first_month: str = "2027-01", binaries: int = 0) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = dump(generate(products, channels, tiers, periods, seed, first_month, binaries))
    path.write_text(f"# Synthetic scenario {products}x{channels}x{tiers}x{periods}, seed {seed} "
                    f"(benchmarks/generate.py)\n" + text)
    return path


def check(path: Path) -> str:
    """Solve the file with the library; raise if it has no optimal plan. Returns a one-line summary."""
    from allocator.solving.pipeline import solve_file
    from solvers import Status

    solved = solve_file(path)
    lp = solved.model.lp
    if solved.plan.status is not Status.OPTIMAL:
        raise SystemExit(f"{path}: not feasible/optimal: {solved.plan.status.value} ({solved.plan.message})")
    unmet = solved.plan.tables["targets"].query("not met")
    if len(unmet):
        raise SystemExit(f"{path}: targets reported unmet:\n{unmet}")
    return (f"{path}: optimal, {lp.n_cols:,} variables, {lp.n_rows:,} constraints, {lp.n_nonzeros:,} nonzeros, "
            f"objective {solved.plan.objective:,.0f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--products", type=int, required=True)
    ap.add_argument("--channels", type=int, required=True)
    ap.add_argument("--tiers", type=int, required=True)
    ap.add_argument("--periods", type=int, required=True, help="<= 12: months; 13-53: ISO weeks from 2027-W01")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--first-month", default="2027-01", help="first month when periods <= 12 (rolls into the next year)")
    ap.add_argument("--binaries", type=int, default=0,
                    help="channels with min_spend_if_used (each adds a binary; default 0 keeps a pure LP)")
    ap.add_argument("--out", required=True, help="scenario YAML to write")
    ap.add_argument("--check", action="store_true", help="solve the written file and fail unless it is optimal")
    args = ap.parse_args(argv)
    path = write(args.out, args.products, args.channels, args.tiers, args.periods, args.seed, args.first_month,
                 args.binaries)
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    if args.check:
        print(check(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())

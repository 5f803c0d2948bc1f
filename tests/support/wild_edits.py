"""Wild edits for tests/strategies.py: push one number of a drawn scenario past its reference plan.

A revenue target around what the whole budget could buy in the best cell, an ROI floor above the
channel's reference ROI, a capacity below the reference spend... The scenario stays valid; it may
become infeasible or merely tight, and either is a useful test case.
"""

from __future__ import annotations

from hypothesis import strategies as st

from drawing import chance, down, log_uniform, selection, uniform, up
from reference import Reference


def wild_edit(draw, data: dict, ref: Reference) -> None:
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
        sel = selection(draw, data)
        total = ref.revenue_total() if of == "revenue" else ref.total("spend")
        picked = ref.revenue_total(sel) if of == "revenue" else ref.total("spend", sel)
        share = picked / total if total > 0 else 0.0
        targets.setdefault("mix", []).append({"of": of, "select": sel, "min_share": min(0.99, up(share * f + 0.01, 3))})
        _drop_excess_min_shares(data)
    elif kind == "budget_min" and "total" in data.get("budget", {}):
        sel = selection(draw, data)
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

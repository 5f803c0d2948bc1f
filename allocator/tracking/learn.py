"""--learn: the remaining periods' funnel numbers updated from the actuals to date (conjugate updates).

Per channel x tier x product with spend to date, the plan's numbers are the prior's mean:

- conversion gamma: Beta prior worth PRIOR_LEADS leads, Beta(n0 gamma, n0 (1 - gamma)); Q customers of L
  leads give the posterior mean (n0 gamma + Q) / (n0 + L).
- cost per lead kappa: leads are Poisson in effective spend E (spend x demand index) at rate 1/kappa, with a
  Gamma prior worth PRIOR_LEADS leads, Gamma(n0, n0 kappa); the posterior mean of the rate is
  (n0 + L) / (n0 kappa + E), so kappa' = (n0 kappa + E) / (n0 + L).
- order value v: a normal mean with a prior worth PRIOR_CUSTOMERS customers; incremental revenue V (actual
  revenue less the plan's baseline for those days) of Q customers gives v' = (m0 v + V) / (m0 + Q).

Response-curve efficiencies are taken as 1 (spend to date at full efficiency).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.model.cells import funnel_cube
from allocator.scenario.schema import FunnelRow, Scenario

PRIOR_LEADS = 100.0  # the plan's conversion and cost per lead weigh as much as this many leads of actuals
PRIOR_CUSTOMERS = 10.0  # the plan's order value weighs as much as this many customers of actuals
LEARNED_COLUMNS = ["channel", "tier", "product", "funnel_number", "plan_value", "observed", "evidence", "learned"]


def learned_scenario(s: Scenario, elapsed) -> tuple[Scenario, pd.DataFrame]:
    """The scenario with a funnel row per learned cell (most specific: channel, tier, product), and learned.csv."""
    _, cpl, conv, value = funnel_cube(s)
    names = {k: [x.name for x in getattr(s, k)] for k in ("channels", "tiers", "products")}
    demand = s.seasonality.demand_index or {}
    base = {(b.channel, b.tier, b.product, b.period): b.revenue for b in s.baseline}
    spent = elapsed.table[elapsed.table["spend"] > 0].copy()
    spent["effective"] = spent["spend"] * [demand.get(p, 1.0) for p in spent["period"]]
    spent["incremental"] = spent["revenue"] - [elapsed.elapsed_share[k[3]] * base.get(k, 0.0) for k in zip(
        spent["channel"], spent["tier"], spent["product"], spent["period"])]
    rows, added = [], []
    for (channel, tier, product), g in spent.groupby(["channel", "tier", "product"], sort=True):
        c, t, p = names["channels"].index(channel), names["tiers"].index(tier), names["products"].index(product)
        L, Q, E, V = (float(g[k].sum()) for k in ("leads", "customers", "effective", "incremental"))
        prior = {"cost_per_lead": cpl[c, t, p], "conversion": conv[c, t, p], "order_value": value[c, t, p]}
        new = {
            "cost_per_lead": (PRIOR_LEADS * prior["cost_per_lead"] + E) / (PRIOR_LEADS + L),
            "conversion": (PRIOR_LEADS * prior["conversion"] + Q) / (PRIOR_LEADS + L),
            # Revenue without customers (or below the prior's weight in losses) teaches nothing about value.
            "order_value": ((PRIOR_CUSTOMERS * prior["order_value"] + V) / (PRIOR_CUSTOMERS + Q)
                            if Q > 0 and PRIOR_CUSTOMERS * prior["order_value"] + V > 0 else prior["order_value"]),
        }
        observed = {"cost_per_lead": E / L if L else np.nan, "conversion": Q / L if L else np.nan,
                    "order_value": V / Q if Q else np.nan}
        evidence = {"cost_per_lead": L, "conversion": L, "order_value": Q}
        for number in ("cost_per_lead", "conversion", "order_value"):
            rows.append([channel, tier, product, number, float(prior[number]), observed[number], evidence[number],
                         float(new[number])])
        multiplier = s.products[p].order_value_multiplier  # a funnel row's order value is before the multiplier
        added.append(FunnelRow(channel=channel, tier=tier, product=product, cost_per_lead=new["cost_per_lead"],
                               conversion=min(1.0, new["conversion"]) or prior["conversion"],
                               order_value=new["order_value"] / multiplier))
    kept = [r for r in s.funnel if not (r.product is not None and (r.channel, r.tier, r.product) in
                                        {(a.channel, a.tier, a.product) for a in added})]
    eligible = {(r.channel, r.tier, r.product): r.eligible for r in s.funnel}
    added = [r.model_copy(update={"eligible": eligible.get((r.channel, r.tier, r.product), True)}) for r in added]
    return s.model_copy(update={"funnel": kept + added}), pd.DataFrame(rows, columns=LEARNED_COLUMNS)

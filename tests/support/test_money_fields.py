"""The money-scaling helper of the tests (tests/money.py) finds every money field of the schema."""

from money import money_fields, scale_money


def test_every_money_field_of_the_schema_is_found():
    # Read off allocator/schema.py by hand: the fields typed Money, PositiveMoney or per-period money.
    assert sorted(money_fields()) == sorted([
        "channels[].cost_per_lead", "channels[].max_spend", "channels[].min_spend", "channels[].min_spend_if_used",
        "channels[].response[].up_to", "tiers[].order_value",
        # a media-mix curve: its half-saturation spend and its effect (effective spend) are money
        "channels[].response.half_saturation", "channels[].response.max_effect", "funnel[].cost_per_lead", "funnel[].order_value",
        "baseline[].revenue", "budget.total", "budget.limits[].min", "budget.limits[].max", "targets.revenue",
        # budget lines (spend bounds and the revenue a line promises) and absolute targets on selections
        "budget.lines[].min", "budget.lines[].max", "budget.lines[].revenue", "targets.by[].revenue",
        "targets.by[].max_spend", "targets.by[].revenue_base",
        # the annual plan the quarter derives from
        "targets.annual.revenue",
        # milestones: revenue and spend cumulated to a date
        "milestones[].revenue", "milestones[].spend",
    ])


def test_scaling_touches_money_only():
    data = {
        "channels": [{"name": "a", "cost_per_lead": 50, "max_spend": {"2027-01": 10}, "min_roi": 2,
                      "response": [{"up_to": 100, "efficiency": 1}, {"efficiency": 0.5}], "max_leads": 7}],
        "tiers": [{"name": "t", "conversion": 0.1, "order_value": 500}],
        "baseline": [{"channel": "a", "tier": "t", "product": "p", "period": "2027-01", "revenue": 3}],
        "budget": {"total": 1000, "limits": [{"select": {"channel": "a"}, "max": 8, "max_share": 0.5}]},
        "targets": {"revenue": 9000, "new_customers": 40, "leads": 80},
    }
    out = scale_money(data, 1000)
    assert out["channels"][0] == {"name": "a", "cost_per_lead": 50_000, "max_spend": {"2027-01": 10_000},
                                  "min_roi": 2, "response": [{"up_to": 100_000, "efficiency": 1}, {"efficiency": 0.5}],
                                  "max_leads": 7}
    assert out["tiers"][0]["order_value"] == 500_000 and out["tiers"][0]["conversion"] == 0.1
    assert out["baseline"][0]["revenue"] == 3000
    assert out["budget"] == {"total": 1_000_000, "limits": [{"select": {"channel": "a"}, "max": 8000, "max_share": 0.5}]}
    assert out["targets"] == {"revenue": 9_000_000, "new_customers": 40, "leads": 80}
    assert data["budget"]["total"] == 1000  # the input is left as it was


def test_scaling_a_response_curve_scales_its_spend_and_effect_only():
    data = {"channels": [{"name": "a", "cost_per_lead": 50, "response": {
        "curve": "hill", "half_saturation": 200, "slope": 0.7, "max_effect": 90, "max_error": 0.01}}]}
    out = scale_money(data, 1000)
    assert out["channels"][0]["response"] == {"curve": "hill", "half_saturation": 200_000, "slope": 0.7,
                                              "max_effect": 90_000, "max_error": 0.01}

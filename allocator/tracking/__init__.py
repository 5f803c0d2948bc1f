"""Living with the plan: the run store, actuals against the approved plan, re-plans, incentives."""

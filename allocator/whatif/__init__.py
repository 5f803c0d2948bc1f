"""Many variants of a plan: compare, sweep, risk, and the executor that runs them."""

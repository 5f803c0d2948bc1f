"""A solution -> the plan: its tables, prices, words, tolerance, and the independent verifier."""

"""Solving a built model: the solve strategy, lexicographic goals, the tie-break pass."""

"""The scenario: its schema, loading and variants, cross-checks, and the levers behind each number."""

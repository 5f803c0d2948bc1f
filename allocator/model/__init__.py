"""Scenario -> linear program: cells, columns, row blocks, response-curve ordering."""

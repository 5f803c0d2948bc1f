"""``--cold`` on the commands that solve many variants: each says what it does, and it reaches the library
(no warm start is made with it; one is made, and re-solves from a basis, without it).

That warm and cold give the same numbers is checked in tests/analysis/test_warm_explain.py (explain,
solve's diagnosis) and tests/whatif/test_warm_whatif.py (risk, compare, sweep).
"""

from __future__ import annotations

import pytest
from helpers import invoke
from warm_spy import warm_solves, warm_starts  # noqa: F401 (a fixture)

EXAMPLE = "scenarios/example_q1.yaml"
COMMANDS = ("explain", "solve", "risk", "sweep", "compare")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_says_what_cold_does(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "--cold Solve every variant from scratch, as before warm starts; for comparison." in text
    assert "(CBC is always cold)" in text


RUNS = {
    "risk": ("risk", EXAMPLE, "--samples", "500", "--confidence", "0.9", "--objective", "min_spend",
             "--set", "targets.revenue=20e6", "--workers", "1"),
    "sweep": ("sweep", EXAMPLE, "--vary", "budget.total=3e6,3.2e6", "--workers", "1"),
    "compare": ("compare", EXAMPLE, "scenarios/example_q1_budget_4m.yaml"),
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_cold_reaches_the_library(tmp_path, warm_starts, name):
    out = ("--out", tmp_path / "out") if name == "sweep" else ()
    result = invoke(*RUNS[name], *out, "--solver", "highs", "--cold")
    assert result.exit_code == 0, result.output
    assert warm_starts == []
    out = ("--out", tmp_path / "warm") if name == "sweep" else ()
    result = invoke(*RUNS[name], *out, "--solver", "highs")
    assert result.exit_code == 0, result.output
    assert warm_solves(warm_starts) > 0


def test_cold_with_cbc_changes_nothing(tmp_path):
    outs = []
    for flag in ((), ("--cold",)):
        outs.append(tmp_path / str(len(outs)))
        result = invoke("explain", EXAMPLE, "--ranging", "1", "--out", outs[-1], *flag)
        assert result.exit_code == 0, result.output
    assert (outs[0] / "sensitivity.csv").read_bytes() == (outs[1] / "sensitivity.csv").read_bytes()

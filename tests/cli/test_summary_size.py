"""The terminal summary stays a screenful on a large plan, and never ranks a limit worth nothing."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd

from allocator.cli.summary import _channel_lines
from allocator.plan.display import Style
from allocator.plan.prices import costliest
from allocator.plan.words import fit
from tests.support.helpers import invoke

ROOT = Path(__file__).resolve().parents[2]


def _solve_generated(tmp_path, channels: int) -> tuple[str, Path]:
    scenario = tmp_path / "big.yaml"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--products", "1", "--channels",
                    str(channels), "--tiers", "2", "--periods", "4", "--seed", "1", "--out", str(scenario)],
                   check=True, capture_output=True)
    out = tmp_path / "plan"
    result = invoke("solve", scenario, "--out", out)
    assert result.exit_code == 0, result.output
    return result.output, out


def test_a_30_channel_plan_shows_the_10_largest_channels_and_counts_the_rest(tmp_path):
    output, out = _solve_generated(tmp_path, 30)
    by_channel = pd.read_csv(out / "by_channel.csv")
    assert len(by_channel) == 30
    largest = set(by_channel.nlargest(10, "spend")["channel"])
    lines = output.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("channel "))) + 2
    end = lines.index("  ... and 20 more (see by_channel.csv)")
    shown = [line.split()[0] for line in lines[start:end]]
    assert len(shown) == 10
    assert {name for name in largest if len(name) <= 18} <= set(shown)  # names of 18 or fewer are printed whole
    total = next(line for line in lines if line.startswith("total "))
    assert f"{by_channel['spend'].sum():,.0f}" in total  # the total still counts every channel


def test_a_plan_with_many_targets_shows_15_and_counts_the_rest(tmp_path):
    output, out = _solve_generated(tmp_path, 30)
    targets = pd.read_csv(out / "targets.csv")
    assert len(targets) > 17
    lines = output.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("target "))) + 1
    end = lines.index(f"  ... and {len(targets) - 15} more (see targets.csv)")
    assert end - start == 15


def test_the_example_summary_keeps_every_channel_and_target(tmp_path):
    result = invoke("solve", ROOT / "scenarios" / "example_q1.yaml", "--out", tmp_path / "q1")
    assert result.exit_code == 0, result.output
    assert "more (see" not in result.output
    for channel in ("website", "mini_program", "marketplace", "distributors", "livestream", "community_groupbuy",
                    "direct_sales"):
        assert f"\n{channel} " in result.output
    # Was cut to "mix_min_revenue[stage=introduction" at a fixed width of 34 characters.
    assert "mix_min_revenue[stage=introduction] " in result.output


def _sensitivity(gains: list[float], constraints: list[str] | None = None) -> pd.DataFrame:
    n = len(gains)
    return pd.DataFrame({"limit": [f"limit {i}" for i in range(n)], "lever": [f"lever{i}" for i in range(n)],
                         "constraint": constraints or [f"row{i}" for i in range(n)], "gain_if_relaxed_10pct": gains})


def test_costliest_never_ranks_a_limit_worth_nothing_and_still_names_three():
    # The big plan's third costliest gained "-0.00": a negative or noise-sized gain is no price at all,
    # and the next limit that is worth something takes its place.
    table = _sensitivity([900.0, 50.0, -0.004, 0.0005, 7.0])
    lines = costliest(table, tolerance=0.001)
    assert [line.split(":")[0] for line in lines] == ["limit 0", "limit 1", "limit 4"]
    assert not any("-0" in line for line in lines)


def test_costliest_cuts_a_long_list_of_row_names():
    names = "; ".join(f"phasing_min[2027-W{w:02d}]" for w in range(1, 40))  # 39 rows set by one number
    (line,) = costliest(_sensitivity([10.0], [names]))
    assert line.endswith("[phasing_min[2027-W01]; phasing_min[2027-W02]; phasing_min[2027-W03] (36 more)]")


def test_cut_labels_that_differ_at_the_end_still_differ():
    a, b = "mix_min_revenue[stage=introduction]", "mix_min_revenue[stage=intro_growth]"
    assert fit(a, 20) != fit(b, 20) and len(fit(a, 20)) == 20
    assert fit("short", 20) == "short"


def test_a_channel_without_revenue_share_prints_a_dash_not_nan_percent():
    by_channel = pd.DataFrame({"channel": ["web"], "spend": [0.0], "revenue_total": [0.0], "new_customers": [0.0],
                               "roi": [math.nan], "share_of_revenue": [math.nan]})
    totals = {"spend": 0.0, "revenue_total": 0.0, "new_customers": 0.0}
    (line,), hidden = _channel_lines(by_channel, totals, Style.for_plan("CNY", 0.0))
    assert "nan" not in line and line.split()[-1] == "-" and hidden == 0

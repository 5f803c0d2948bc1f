"""Malformed scenarios: the CLI exits 2 with one `error: ` line naming the field and value, and writes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import EXAMPLE, base_scenario, write_scenario

from allocator.cli import main
from allocator.errors import ScenarioError
from allocator.loader import load_scenario

INVALID = Path(__file__).resolve().parent / "invalid"

# file in tests/invalid -> substrings its one-line message must contain (field path, value, expectation).
CASES: dict[str, list[str]] = {
    "empty.yaml": ["empty.yaml: got an empty document", "expected a mapping of scenario fields"],
    "binary_garbage.yaml": ["binary_garbage.yaml: got bytes that are not UTF-8 text", "expected a UTF-8 YAML or JSON file"],
    "yaml_syntax_error.yaml": ["line 3, column 9", "YAML syntax error", "expected valid YAML"],
    "top_level_list.yaml": ["got list", "expected a mapping of scenario fields"],
    "wrong_type.yaml": ["channels[web].cost_per_lead", "got 'cheap'", "valid number"],
    "negative_cost_per_lead.yaml": ["channels[web].cost_per_lead", "got -10", "greater than 0"],
    "nan_money.yaml": ["budget.total", "got nan", "finite number"],
    "inf_money.yaml": ["channels[web].max_spend", "got inf", "finite number"],
    "nan_in_json.json": ["nan_in_json.json", "NaN", "expected a JSON object"],
    "conversion_above_one.yaml": ["tiers[fresh].conversion", "got 1.5", "less than or equal to 1"],
    "unknown_tier_kind.yaml": ["tiers[fresh].kind", "got 'vip'", "'new', 'existing', 'key_account' or 'prospect'"],
    "missing_name.yaml": ["missing_name.yaml: name: got nothing", "required"],
    "funnel_unknown_channel.yaml": ["funnel[0].channel", "got 'tv'", "a channel name (one of: live, web)"],
    "selection_unknown_tier.yaml": ["budget.limits[0].select.tier", "got 'vip'", "a known tier (one of: fresh)"],
    "duplicate_channel.yaml": ["channels[1].name", "got 'web'", "not already used in channels"],
    "periods_out_of_order.yaml": ["periods[1]", "got '2027-01'", "a period after 2027-02"],
    "malformed_period.yaml": ["periods[1]", "got '2027-13'", "YYYY-MM"],
    "months_and_weeks.yaml": ["periods", "2027-01, 2027-W06", "all months or all weeks"],
    "baseline_unknown_period.yaml": ["baseline[0].period", "got '2027-04'", "one of the scenario's periods"],
    "min_spend_above_max_spend.yaml": ["channels[web].min_spend", "got 800", "at most max_spend in 2027-01 (500)"],
    "csv_missing.yaml": ["funnel.file", "got 'no_such_table.csv'", "an existing CSV file"],
    "csv_unknown_column.yaml": ["unknown_column.csv: header", "got 'discount'", "a column among: channel, tier"],
    "csv_bad_value.yaml": ["bad_conversion.csv: line 3, column conversion", "got '2.5'", "less than or equal to 1"],
    "csv_is_folder.yaml": ["baseline.file", "got 'a_folder.csv'", "not a folder"],
    "alias_bomb.yaml": ["alias_bomb.yaml", "YAML anchors expanding to", "alias expansion bombs"],
    "non_concave_response.yaml": ["channels[live].response[1].efficiency", "got 0.9", "at most the previous slice's 0.5"],
    "weights_not_summing_to_one.yaml": ["seasonality.target_weights", "0.9", "weights summing to 1"],
    "min_share_sum_above_one.yaml": ["targets.mix[1].min_share", "got 0.5", "summing to at most 1, not 1.2"],
    "max_revenue_without_budget.yaml": ["budget.total", "got None", "objective max_revenue splits a given budget"],
    "max_profit_without_margin.yaml": ["products[core].margin", "got None", "objective max_profit needs every product's margin"],
    # A misspelt required key ("cost_per_laed"): refused, naming the channel; the did-you-mean hint is
    # checked separately in test_typo_in_required_key_suggests_the_right_key.
    "unknown_key_typo.yaml": ["channels[live].cost_per_l"],
}


def test_every_invalid_file_is_in_the_table():
    files = {p.name for p in INVALID.iterdir() if p.suffix in (".yaml", ".json")}
    assert files == set(CASES)
    assert len(CASES) >= 20


def run_solve(scenario: Path, out: Path, *extra: str):
    return CliRunner().invoke(main, ["solve", str(scenario), "--out", str(out), *extra])


def assert_bad_input(result, out: Path, expected: list[str]) -> str:
    assert result.exit_code == 2, result.output
    text = result.output
    assert "Traceback" not in text
    assert text.startswith("error: "), text
    assert text.count("\n") == 1 and text.endswith("\n"), f"not exactly one line: {text!r}"
    for piece in expected:
        assert piece in text, f"{piece!r} not in {text!r}"
    assert not out.exists(), "an output folder was created for bad input"
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    return text


@pytest.mark.parametrize("name", sorted(CASES))
def test_invalid_scenario_cli(tmp_path, name):
    out = tmp_path / "out"
    result = run_solve(INVALID / name, out)
    assert_bad_input(result, out, CASES[name])


@pytest.mark.parametrize("name", sorted(CASES))
def test_invalid_scenario_library_error(name):
    # The same message comes from the library as one ScenarioError (one line, FILE: ...: got ...; expected ...).
    with pytest.raises(ScenarioError) as info:
        load_scenario(INVALID / name)
    message = str(info.value)
    assert "\n" not in message and "; expected " in message and ": got " in message
    for piece in CASES[name]:
        assert piece in message


@pytest.mark.parametrize("name", ["empty.yaml", "wrong_type.yaml", "csv_missing.yaml"])
def test_validate_rejects_with_exit_2(name):
    result = CliRunner().invoke(main, ["validate", str(INVALID / name)])
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    for piece in CASES[name]:
        assert piece in result.output


def test_scenario_path_is_a_folder(tmp_path):
    out = tmp_path / "out"
    assert_bad_input(run_solve(INVALID, out), out, ["got a folder", "expected a scenario file"])


def test_scenario_path_missing(tmp_path):
    out = tmp_path / "out"
    assert_bad_input(run_solve(tmp_path / "nope.yaml", out), out, ["nope.yaml: got a path that does not exist"])


def test_typo_in_optional_key_suggests_the_right_key(tmp_path):
    data = base_scenario()
    data["channels"][0]["max_spnd"] = 500
    out = tmp_path / "out"
    text = assert_bad_input(run_solve(write_scenario(tmp_path, data), out), out,
                            ["channels[a].max_spnd", "unknown field 'max_spnd'"])
    assert "did you mean 'max_spend'?" in text


def test_typo_in_required_key_suggests_the_right_key(tmp_path):
    out = tmp_path / "out"
    result = run_solve(INVALID / "unknown_key_typo.yaml", out)
    assert_bad_input(result, out, ["channels[live]", "cost_per_laed", "did you mean 'cost_per_lead'?"])


def test_csv_error_line_number_counts_blank_lines(tmp_path):
    shutil.copy(INVALID / "csv_bad_value.yaml", tmp_path / "s.yaml")
    (tmp_path / "bad_conversion.csv").write_text("channel,tier,conversion\n\nweb,fresh,0.2\n\nlive,fresh,2.5\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "s.yaml")
    assert "line 5, column conversion" in str(info.value)


def test_existing_out_folder_without_force_is_refused_untouched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    keep = out / "notes.txt"
    keep.write_text("do not touch")
    before = sorted(p.name for p in out.iterdir())
    result = run_solve(EXAMPLE, out)
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    assert "--force" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == before
    assert keep.read_text() == "do not touch"


def test_out_path_that_is_a_file_is_refused(tmp_path):
    out = tmp_path / "out"
    out.write_text("a file")
    result = run_solve(EXAMPLE, out)
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "not a folder" in result.output
    assert out.read_text() == "a file"


def test_bad_input_with_force_keeps_the_old_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "allocation.csv").write_text("old")
    result = run_solve(INVALID / "wrong_type.yaml", out, "--force")
    assert result.exit_code == 2
    assert (out / "allocation.csv").read_text() == "old"

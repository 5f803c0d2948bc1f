"""Malformed scenarios: the CLI exits 2 with one `error: ` line naming the field and value, and writes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import EXAMPLE, base_scenario, invoke, write_scenario
from robustness_helpers import INVALID, assert_one_error_line

from allocator.errors import ScenarioError
from allocator.scenario.loader import load_scenario

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
    # --- unknown names, in every place a name is referenced
    "funnel_unknown_tier.yaml": ["funnel_unknown_tier.yaml: funnel[0].tier", "got 'vip'", "a tier name (one of: fresh)"],
    "funnel_unknown_product.yaml": ["funnel[0].product", "got 'gadget'", "a product name (one of: core)"],
    "baseline_unknown_channel.yaml": ["baseline[0].channel", "got 'tv'", "a channel name (one of: live, web)"],
    "baseline_unknown_tier.yaml": ["baseline[0].tier", "got 'vip'", "a tier name (one of: fresh)"],
    "baseline_unknown_product.yaml": ["baseline[0].product", "got 'gadget'", "a product name (one of: core)"],
    "tier_channels_unknown.yaml": ["tiers[fresh].channels[1]", "got 'radio'", "a channel name (one of: live, web)"],
    "limit_unknown_channel.yaml": ["budget.limits[0].select.channel", "got 'tv'", "a known channel (one of: live, web)"],
    "limit_unknown_group.yaml": ["budget.limits[0].select.group", "got 'offline'", "a known group (one of: other)"],
    "limit_unknown_kind.yaml": ["budget.limits[0].select.kind", "got 'vip'", "a known kind (one of: existing, key_account, new, prospect)"],
    "limit_unknown_product.yaml": ["budget.limits[0].select.product", "got 'gadget'", "a known product (one of: core)"],
    "limit_unknown_stage.yaml": ["budget.limits[0].select.stage", "got 'sunset'", "a known stage (one of: decline, growth, introduction, maturity)"],
    "limit_unknown_period.yaml": ["budget.limits[0].select.period", "got '2027-03'", "a known period (one of: 2027-01, 2027-02)"],
    "mix_unknown_channel.yaml": ["targets.mix[0].select.channel", "got 'tv'", "a known channel (one of: live, web)"],
    "mix_unknown_group.yaml": ["targets.mix[0].select.group", "got 'offline'", "a known group (one of: other)"],
    "mix_unknown_tier.yaml": ["targets.mix[0].select.tier", "got 'vip'", "a known tier (one of: fresh)"],
    "mix_unknown_kind.yaml": ["targets.mix[0].select.kind", "got 'returning'", "a known kind"],
    "mix_unknown_product.yaml": ["targets.mix[0].select.product", "got 'gadget'", "a known product (one of: core)"],
    "mix_unknown_stage.yaml": ["targets.mix[0].select.stage", "got 'sunset'", "a known stage"],
    "mix_unknown_period.yaml": ["targets.mix[0].select.period", "got '2027-05'", "a known period (one of: 2027-01, 2027-02)"],
    "max_spend_unknown_period.yaml": ["channels[live].max_spend.2027-04", "got '2027-04'", "one of the scenario's periods (one of: 2027-01, 2027-02)"],
    "min_spend_unknown_period.yaml": ["channels[live].min_spend.2027-03", "got '2027-03'", "one of the scenario's periods"],
    "max_leads_unknown_period.yaml": ["channels[live].max_leads.2027-1", "got '2027-1'", "one of the scenario's periods"],
    "sales_capacity_unknown_period.yaml": ["sales_capacity.2027-12", "got '2027-12'", "one of the scenario's periods"],
    "demand_index_unknown_period.yaml": ["seasonality.demand_index.2026-12", "got '2026-12'", "one of the scenario's periods"],
    "target_weights_unknown_period.yaml": ["seasonality.target_weights.2027-03", "got '2027-03'", "one of the scenario's periods"],
    "target_weights_missing_period.yaml": ["seasonality.target_weights", "no weight for 2027-02", "a weight for every period"],
    # --- duplicate names and rows
    "duplicate_tier.yaml": ["tiers[1].name", "got 'fresh'", "a name not already used in tiers"],
    "duplicate_product.yaml": ["products[1].name", "got 'core'", "a name not already used in products"],
    "duplicate_period.yaml": ["periods[1]", "got '2027-01'", "periods in order, each once"],
    "funnel_duplicate_row.yaml": ["funnel[1]", "got 'web/fresh/*'", "each channel x tier (x product) cell at most once"],
    "baseline_duplicate_row.yaml": ["baseline[1]", "got 'web/fresh/core/2027-01'", "at most once"],
    # --- shares and limits that cannot hold
    "mix_min_share_above_one.yaml": ["targets.mix[0].min_share", "got 1.5", "less than or equal to 1"],
    "mix_max_share_below_min_share.yaml": ["targets.mix[0]", "0.6", "0.25"],
    "limit_min_above_max.yaml": ["budget.limits[0]", "700", "300"],
    "limit_max_share_below_min_share.yaml": ["budget.limits[0]", "0.8", "0.4"],
    "limit_max_share_above_one.yaml": ["budget.limits[0].max_share", "got 2", "less than or equal to 1"],
    "limit_min_above_budget_total.yaml": ["budget.limits[0].min", "got 1500", "at most budget.total (1000)"],
    "limit_without_bounds.yaml": ["budget.limits[0]", "at least one of min, max, min_share, max_share"],
    "selection_empty.yaml": ["targets.mix[0].select", "got {}", "at least one of: channel, group, tier"],
    "mix_of_unknown.yaml": ["targets.mix[0].of", "got 'profit'", "'revenue' or 'spend'"],
    # --- referenced tables
    "csv_not_csv.yaml": ["csv_not_csv.yaml: funnel.file", "got 'funnel_table.txt'", "expected a .csv file"],
    "csv_missing_column.yaml": ["baseline_no_revenue.csv: header", "got 'channel, tier, product, period'", "columns including revenue"],
    "csv_not_utf8.yaml": ["latin1_funnel.csv", "bytes that are not UTF-8 text", "a UTF-8 CSV file"],
    "csv_empty.yaml": ["empty_table.csv", "got an empty file", "a header row with columns channel, tier"],
    "csv_ragged_row.yaml": ["ragged_funnel.csv: line 3", "got 4 fields", "3 fields, as in the header"],
    "csv_unknown_tier.yaml": ["funnel_unknown_tier.csv: line 3, column tier", "got 'vip'", "a tier name (one of: fresh)"],
    "csv_spec_extra_key.yaml": ["csv_spec_extra_key.yaml: funnel", "'sep': ';'", "{file: name.csv}"],
    # --- JSON
    "json_infinity.json": ["json_infinity.json", "Infinity is not a number a scenario may hold", "a JSON object"],
    "top_level_list.json": ["top_level_list.json: got list", "a mapping of scenario fields"],
    "json_syntax_error.json": ["json_syntax_error.json", "invalid JSON", "line 2"],
    # --- YAML safety: a Python tag is a YAML error for the safe loader, never a call
    "python_object_tag.yaml": ["python_object_tag.yaml: line 12, column 14", "YAML syntax error",
                               "could not determine a constructor", "expected valid YAML"],
    # --- wrong types and malformed values
    "periods_not_a_list.yaml": ["periods_not_a_list.yaml: periods", "got '2027-01'", "a valid list"],
    "periods_dates.yaml": ["periods[0]", "got 2027-01-01", "a valid string"],
    "channels_not_a_list.yaml": ["channels", "{'web': {'cost_per_lead': 10}}", "a valid list"],
    "objective_unknown.yaml": ["objective", "got 'max_revnue'", "'max_revenue', 'min_spend', 'max_profit' or 'max_new_customers'"],
    "period_week_53_malformed.yaml": ["periods[1]", "got '2027-W54'", "an ISO week YYYY-Www"],
    "name_with_brackets.yaml": ["channels[web[1]].name", "got 'web[1]'"],
    # --- negative / infinite money
    "negative_budget.yaml": ["budget.total", "got -1000", "greater than 0"],
    "negative_revenue_target.yaml": ["targets.revenue", "got -5000", "greater than or equal to 0"],
    "negative_max_spend_per_period.yaml": ["channels[live].max_spend", "-100"],
    "negative_inf_baseline.yaml": ["baseline[0].revenue", "got -inf", "a finite number"],
    # --- typos in nested keys (with the key meant)
    "typo_in_limit.yaml": ["budget.limits[0].max_shar", "unknown field 'max_shar'", "did you mean 'max_share'?"],
    "typo_in_seasonality.yaml": ["seasonality.tolerence", "unknown field 'tolerence'", "did you mean 'tolerance'?"],
    "typo_in_response.yaml": ["channels[live].response[1].effciency", "unknown field 'effciency'", "did you mean 'efficiency'?"],
    "typo_in_selection.yaml": ["targets.mix[0].select.chanel", "unknown field 'chanel'", "did you mean 'channel'?"],
    "typo_in_targets.yaml": ["targets.revenu", "unknown field 'revenu'", "did you mean 'revenue'?"],
    # --- other inconsistencies
    "response_up_to_not_increasing.yaml": ["channels[live].response[1].up_to", "got 200", "more than the previous slice's end (300)"],
    "min_spend_if_used_unbounded.yaml": ["channels[live].min_spend_if_used", "got 100", "a channel max_spend in every period or a budget.total"],
    "min_spend_without_target.yaml": ["min_spend_without_target.yaml: targets", "no revenue, new_customers or leads target", "at least one target"],
    # --- issue 10: periods that are not in the calendar (2027 starts and ends on a Friday: 52 ISO weeks)
    "period_week_53_in_a_52_week_year.yaml": ["periods[1]", "got '2027-W53'", "ISO year 2027 has 52 weeks"],
    "period_year_zero.yaml": ["periods[0]", "got '0000-01'", "a year from 0001 to 9999"],
    # --- issue 10: a repeated CSV column (the last copy used to win); a CSV that is not a table of ours
    "csv_repeated_column.yaml": ["repeated_revenue.csv: header", "got the column revenue 2 times", "each column once"],
    "csv_not_a_table.yaml": ["not_a_table.csv: header", "a first row of 3 cells without the column channel",
                             "a funnel table: a header row with columns channel, tier"],
    # --- issue 10: files outside the scenario's folder need --allow-outside
    "extends_outside.yaml": ["extends_outside.yaml: extends: got '../../", "this one is /etc/passwd",
                             "pass --allow-outside /etc"],
    "csv_outside.yaml": ["csv_outside.yaml: funnel.file: got '/etc/allocator-secret.csv'", "pass --allow-outside /etc"],
    # --- issue 10: nesting that used to end in a RecursionError (500 lists in the top mapping: 501 levels)
    "deep_yaml.yaml": ["deep_yaml.yaml: got YAML nested 501 levels deep", "expected at most 64 levels of nesting"],
    "deep_json.json": ["deep_json.json: got JSON nested 3001 levels deep", "expected at most 64 levels of nesting"],
    # --- issue 12: budget lines and targets on selections
    "line_unknown_tier.yaml": ["budget.lines[acquisition].select.tier", "got 'vip'", "a known tier (one of: fresh)"],
    "line_min_above_max.yaml": ["budget.lines[acquisition].min", "got 800", "at most max (400)"],
    "line_duplicate_name.yaml": ["budget.lines[1].name", "got 'acquisition'", "not already used in budget.lines"],
    "line_negative_promise.yaml": ["budget.lines[acquisition].new_customers", "got -5", "greater than or equal to 0"],
    "by_unknown_channel.yaml": ["targets.by[0].select.channel", "got 'tv'", "a known channel (one of: live, web)"],
    "by_no_target.yaml": ["targets.by[0]", "needs at least one of revenue, new_customers, leads, customers, max_spend"],
    # calendar: and milestones: (weekly.csv, milestones.csv)
    "calendar_unknown_country.yaml": ["calendar.country", "got 'China'", "a country code the holidays package knows"],
    "milestone_after_the_plan.yaml": ["milestones[contracts].date", "got '2027-03-15'",
                                      "a date from 2027-01-01 to 2027-02-28 (the plan's periods)"],
    "milestone_without_calendar.yaml": ["milestones[launch]", "got milestones without a calendar",
                                        "a calendar: section"],
    "milestone_date_not_in_calendar.yaml": ["milestones[upgrade].date", "got '2027-02-30'",
                                            "a date YYYY-MM-DD that exists in the calendar"],
}


def test_every_invalid_file_is_in_the_table():
    files = {p.name for p in INVALID.iterdir() if p.suffix in (".yaml", ".json")}
    assert files == set(CASES)
    assert len(CASES) >= 55


def run_solve(scenario: Path, out: Path, *extra: str):
    return invoke("solve", scenario, "--out", out, *extra)


def assert_bad_input(result, out: Path, expected: list[str]) -> str:
    text = assert_one_error_line(result, 2)
    for piece in expected:
        assert piece in text, f"{piece!r} not in {text!r}"
    assert not out.exists(), "an output folder was created for bad input"
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
    text = assert_one_error_line(invoke("validate", INVALID / name), 2)
    for piece in CASES[name]:
        assert piece in text


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
    text = assert_one_error_line(run_solve(EXAMPLE, out), 2)
    assert "--force" in text
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


# A 100+ MB file is refused by its size, unread (created at run time, never committed).
HUGE_BYTES = 101 * 1024 * 1024


def _huge_yaml(path: Path) -> None:
    head = (INVALID / "wrong_type.yaml").read_text().replace("cost_per_lead: cheap", "cost_per_lead: 10")
    line = "# " + "x" * 1021 + "\n"  # 1 KiB of comment per line
    with path.open("w") as handle:
        handle.write(head)
        handle.write(line * (HUGE_BYTES // len(line) + 1))


def test_huge_scenario_file_is_refused_unread(tmp_path):
    from allocator.scenario.loader import MAX_FILE_BYTES

    scenario = tmp_path / "huge.yaml"
    _huge_yaml(scenario)
    assert scenario.stat().st_size > 100 * 1024 * 1024
    out = tmp_path / "out"
    text = assert_bad_input(run_solve(scenario, out), out, [
        "huge.yaml: got 10", " MB", f"a scenario file of at most {MAX_FILE_BYTES // (1024 * 1024)} MiB",
    ])
    assert "got 10" in text


def test_huge_referenced_csv_is_refused_unread(tmp_path):
    shutil.copy(INVALID / "csv_bad_value.yaml", tmp_path / "s.yaml")
    with (tmp_path / "bad_conversion.csv").open("wb") as handle:
        handle.write(b"channel,tier,conversion\n")
        handle.truncate(HUGE_BYTES)  # sparse: 101 MiB long, nothing to write
    out = tmp_path / "out"
    assert_bad_input(run_solve(tmp_path / "s.yaml", out), out,
                     ["bad_conversion.csv: got 10", " MB", "a CSV file of at most"])


def test_json_scenario_with_nan_inside_a_list_is_refused(tmp_path):
    scenario = tmp_path / "s.json"
    scenario.write_text('{"name": "a", "periods": ["2027-01"], "channels": [{"name": "web", "cost_per_lead": NaN}]}')
    out = tmp_path / "out"
    assert_bad_input(run_solve(scenario, out), out, ["s.json", "NaN is not a number a scenario may hold"])

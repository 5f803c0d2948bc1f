"""Values YAML reads in a way the user did not mean, and names that look alike but differ."""

import pytest
from helpers import EXAMPLE, base_scenario, invoke, write_scenario


def _one_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


@pytest.mark.parametrize("word", ["off", "no", "false", "on", "yes", "true"])
def test_a_yes_no_word_is_not_a_number(tmp_path, word):
    # YAML 1.1 reads `max_spend: off` as False, which a float field took as 0 (the channel silently shut).
    path = write_scenario(tmp_path, base_scenario())
    text = path.read_text().replace("cost_per_lead: 10", f"cost_per_lead: 10\n  max_spend: {word}")
    path.write_text(text)
    line = _one_error(invoke("validate", str(path)))
    assert "channels[a].max_spend" in line and "expected a number" in line


@pytest.mark.parametrize("override", ["targets.new_customers=true", "tiers[prospects].conversion=yes",
                                      "budget.total=on"])
def test_a_yes_no_word_by_set_is_not_a_number(override):
    line = _one_error(invoke("validate", str(EXAMPLE), "--set", override))
    assert line.startswith("error: --set: ") and "expected a number" in line


def test_numbers_written_as_numbers_still_load(tmp_path):
    data = base_scenario(budget={"total": "1.5e3"}, targets={"new_customers": 1})  # YAML keeps 1.5e3 as text
    result = invoke("validate", str(write_scenario(tmp_path, data)))
    assert result.exit_code == 0, result.output


def test_one_name_typed_in_two_unicode_forms_is_one_name(tmp_path):
    composed, decomposed = "caf\u00e9", "cafe\u0301"  # the same word, as an editor may save either
    data = base_scenario(channels=[{"name": composed, "cost_per_lead": 10}, {"name": decomposed, "cost_per_lead": 20}])
    line = _one_error(invoke("validate", str(write_scenario(tmp_path, data))))
    assert "channels" in line and "name" in line  # refused as a repeated name, not two channels


def test_a_name_in_the_other_form_still_finds_its_item(tmp_path):
    data = base_scenario(channels=[{"name": "caf\u00e9", "cost_per_lead": 10}],
                         funnel=[{"channel": "cafe\u0301", "tier": "n", "conversion": 0.2}])
    result = invoke("validate", str(write_scenario(tmp_path, data)))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", ["web\u200bsite", "web\u202esite", "\ufeffwebsite", "web\u2066site\u2069",
                                  "web\u0085site"])
def test_invisible_and_direction_changing_characters_are_refused(tmp_path, name):
    data = base_scenario(channels=[{"name": name, "cost_per_lead": 10}])
    line = _one_error(invoke("validate", str(write_scenario(tmp_path, data))))
    assert "name" in line

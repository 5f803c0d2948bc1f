"""`allocator schema`: the scenario format as JSON Schema, and every bundled scenario valid under it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from allocator.scenario.loader import load_scenario
from tests.support.helpers import invoke

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = sorted(SCENARIOS.glob("*.yaml"))


def _printed_schema() -> dict:
    result = invoke("schema")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_schema_prints_a_valid_json_schema_of_the_scenario():
    schema = _printed_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["title"] == "Scenario"
    assert schema["additionalProperties"] is False  # a misspelt top-level key is flagged in the editor too
    assert {"channels", "budget", "periods"} <= set(schema["properties"])


def test_schema_out_writes_the_same_schema_to_a_file(tmp_path):
    target = tmp_path / "scenario.schema.json"
    result = invoke("schema", "--out", target)
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8")) == _printed_schema()
    assert [p.name for p in tmp_path.iterdir()] == ["scenario.schema.json"]  # no partial file left


def test_schema_out_into_a_missing_folder_is_one_line_and_exit_2(tmp_path):
    result = invoke("schema", "--out", tmp_path / "no" / "such" / "x.json")
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_bundled_scenario_validates_against_the_schema(path):
    assert BUNDLED, "no bundled scenarios found"
    validator = jsonschema.Draft202012Validator(_printed_schema())
    loaded = load_scenario(path).scenario.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert not list(validator.iter_errors(loaded)), [e.message for e in validator.iter_errors(loaded)]
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if "extends" not in raw and "file:" not in path.read_text(encoding="utf-8"):
        # As typed by a person, the way an editor sees it.
        assert not list(validator.iter_errors(raw)), [e.message for e in validator.iter_errors(raw)]


def test_the_schema_rejects_what_the_loader_rejects():
    validator = jsonschema.Draft202012Validator(_printed_schema())
    loaded = load_scenario(SCENARIOS / "example_q1.yaml").scenario.model_dump(mode="json", by_alias=True,
                                                                               exclude_unset=True)
    assert not validator.is_valid({**loaded, "budgte": 1})  # an unknown key
    assert not validator.is_valid({**loaded, "channels": "website"})  # a wrong type

"""Scenario files that try to run code, block the reader, or hide a mistake are refused with one clear line."""

from __future__ import annotations

import os
import threading
from pathlib import Path
import pytest
import yaml
from helpers import base_scenario, write_scenario
from allocator import loader
from allocator.errors import ScenarioError
from allocator.loader import load_scenario
from robustness_helpers import INVALID, invoke, assert_one_error_line

# --------------------------------------------------------------------------------------------
# (f) YAML is loaded safely; nothing in an input is evaluated

PYTHON_TAGS = [
    '!!python/object/apply:os.system ["touch {marker}"]',
    '!!python/object/apply:subprocess.check_call [["touch", "{marker}"]]',
    '!!python/object/new:os.system ["touch {marker}"]',
    "!!python/name:os.system",
    '!!python/object/apply:builtins.exec ["open(\'{marker}\', \'w\').close()"]',
]


@pytest.mark.parametrize("loader_name", ["default", "pure_python"])
@pytest.mark.parametrize("tag", PYTHON_TAGS)
def test_python_tags_are_refused_and_never_run(tmp_path, monkeypatch, tag, loader_name):
    if loader_name == "pure_python":
        monkeypatch.setattr(loader, "_SAFE_LOADER", yaml.SafeLoader)
    marker = tmp_path / "MARKER"
    text = (INVALID / "wrong_type.yaml").read_text().replace("cost_per_lead: cheap", "cost_per_lead: 10")
    text += f"description: {tag.format(marker=marker)}\n"
    scenario = tmp_path / "evil.yaml"
    scenario.write_text(text)
    out = tmp_path / "out"
    for args in (["solve", scenario, "--out", out], ["validate", scenario]):
        message = assert_one_error_line(invoke(*args), 2)
        assert "evil.yaml: line " in message and "YAML syntax error" in message and "expected valid YAML" in message
    assert not marker.exists(), "a YAML tag ran code"
    assert not out.exists()


def test_no_expression_in_a_value_is_evaluated(tmp_path):
    # Strings that look like code or formulas stay strings: a number field refuses them.
    marker = tmp_path / "MARKER"
    for value in [f"__import__('os').system('touch {marker}')", "1e3 + 1", "=1+1", "${HOME}"]:
        data = base_scenario()
        data["budget"]["total"] = value
        with pytest.raises(ScenarioError) as info:
            load_scenario(write_scenario(tmp_path, data))
        assert "budget.total" in str(info.value)
    assert not marker.exists()


# --------------------------------------------------------------------------------------------
# Input that is not a regular file, duplicate keys, and message wording (open defects)

def _load_in_thread(path: Path, fifo: Path, seconds: float = 2.0) -> tuple[bool, dict]:
    outcome: dict = {}

    def target():
        try:
            load_scenario(path)
        except ScenarioError as exc:
            outcome["error"] = str(exc)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion
            outcome["other"] = repr(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    blocked = thread.is_alive()
    if blocked:  # open the FIFO's other end so the reader sees end-of-file and the thread ends
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        thread.join(10)
    return blocked, outcome


# Regression (found at 074b765, allocator/loader.py _read_bytes): st_size is 0 for a FIFO or a device, so a
# FIFO blocked forever and /dev/zero was read until memory ran out.
def test_scenario_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    blocked, outcome = _load_in_thread(fifo, fifo)
    assert not blocked, "loading a FIFO blocked"
    assert "pipe.yaml" in outcome.get("error", ""), outcome


# Regression: the same for a referenced table.
def test_referenced_csv_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    scenario = write_scenario(tmp_path, base_scenario(funnel={"file": "pipe.csv"}))
    blocked, outcome = _load_in_thread(scenario, fifo)
    assert not blocked, "loading a scenario whose table is a FIFO blocked"
    assert "pipe.csv" in outcome.get("error", ""), outcome


# Regression (found at 074b765, allocator/loader.py _parse): a repeated YAML/JSON key was accepted and the
# last value silently won.
@pytest.mark.parametrize("name, text", [
    ("dup.yaml", (INVALID / "weights_not_summing_to_one.yaml").read_text().split("seasonality:")[0]
     + "seasonality:\n  demand_index: {2027-01: 0.5, 2027-02: 1.0, 2027-01: 1.5}\n"),
    ("dup.json", '{"name": "a", "periods": ["2027-01"], "channels": [{"name": "web", "cost_per_lead": 10, '
     '"max_spend": 100, "max_spend": 900}], "tiers": [{"name": "n", "kind": "new", "conversion": 0.1, '
     '"order_value": 500}], "products": [{"name": "p", "stage": "growth"}], "budget": {"total": 1000}}'),
])
def test_repeated_mapping_key_is_refused(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    try:
        load_scenario(path)
    except ScenarioError as exc:
        message = str(exc)
    else:
        message = ""
    assert name in message, "a repeated key was accepted (the last value won)"


def _message(name: str) -> tuple[str, str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(INVALID / name)
    got, _, expected = str(info.value).partition("; expected ")
    return got, expected


# Regression (found at 074b765, allocator/references.py check_scenario): an unknown name in a CSV table was
# reported against the scenario file as funnel[1].tier instead of the CSV file and line.
def test_unknown_name_in_a_csv_table_points_at_the_csv_line():
    got, _ = _message("csv_unknown_tier.yaml")
    assert "funnel_unknown_tier.csv" in got and "line 3" in got


def test_negative_value_in_a_per_period_mapping_names_the_period():
    got, expected = _message("negative_max_spend_per_period.yaml")
    assert "channels[live].max_spend.2027-02" in got and "got -100" in got
    assert "greater than or equal to 0" in expected


@pytest.mark.parametrize("name, field", [
    ("limit_min_above_max.yaml", "budget.limits[0].min"),
    ("limit_max_share_below_min_share.yaml", "budget.limits[0].min_share"),
    ("mix_max_share_below_min_share.yaml", "targets.mix[0].min_share"),
])
def test_min_above_max_message_states_the_expectation(name, field):
    got, expected = _message(name)
    assert field in got
    assert "is above" not in expected


def test_bad_name_message_has_no_regular_expression():
    _, expected = _message("name_with_brackets.yaml")
    assert "pattern" not in expected and "bracket" in expected

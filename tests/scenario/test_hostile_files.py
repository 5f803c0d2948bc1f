"""Scenario files that try to run code, block the reader, or hide a mistake are refused with one clear line."""

from __future__ import annotations

import os
import threading
from pathlib import Path
import pytest
import pandas as pd
import yaml
from helpers import base_scenario, write_scenario
from allocator.scenario import documents
from allocator.errors import ScenarioError
from allocator.scenario.loader import load_scenario
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
        monkeypatch.setattr(documents, "_SAFE_LOADER", yaml.SafeLoader)
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


# --------------------------------------------------------------------------------------------
# Issue 10: repeated CSV columns, names made of digits, files outside the scenario's folder,
# content of foreign files in messages, deep nesting, periods outside the calendar.

FUNNEL_TWO_CELLS = "channel,tier,eligible,eligible\na,n,false,true\n"


# Regression (issue 10 item 3): `eligible,eligible` with false,true left the cell eligible (the last copy won).
def test_repeated_csv_column_is_refused(tmp_path):
    data = base_scenario(funnel={"file": "funnel.csv"})
    (tmp_path / "funnel.csv").write_text(FUNNEL_TWO_CELLS)
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(tmp_path, data))
    assert str(info.value).endswith("funnel.csv: header: got the column eligible 2 times; "
                                    "expected each column once (a repeated column would silently replace the first)")


def _digit_tiers(tmp_path) -> Path:
    tiers = [{"name": str(k), "kind": "new", "conversion": round(0.1 * k, 1), "order_value": 500} for k in (1, 2, 3)]
    return write_scenario(tmp_path, base_scenario(tiers=tiers))


def _conversions(loaded) -> dict[str, float]:
    return {t.name: t.conversion for t in loaded.scenario.tiers}


# Regression (issue 10 item 4): with tiers named "1", "2", "3", tiers[1] changed the tier named "2".
def test_a_name_made_of_digits_wins_over_the_position(tmp_path):
    path = _digit_tiers(tmp_path)
    by_set = load_scenario(path, ["tiers[1].conversion=0.5"])
    assert _conversions(by_set) == {"1": 0.5, "2": 0.2, "3": 0.3}
    variant = tmp_path / "v.yaml"
    variant.write_text(f"extends: {path.name}\ntiers[3].conversion: 0.9\n")
    assert _conversions(load_scenario(variant)) == {"1": 0.1, "2": 0.2, "3": 0.9}


def test_a_position_in_a_list_named_by_numbers_is_refused_with_both_spellings(tmp_path):
    path = _digit_tiers(tmp_path)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, ["tiers[0].conversion=0.5"])
    message = str(info.value)
    assert message.startswith("--set: tiers[0].conversion: got '0'; expected [0] names no item")
    assert "write the name, e.g. [1]" in message and "names that are not numbers" in message


def test_positions_still_pick_items_in_lists_without_number_names(tmp_path):
    path = write_scenario(tmp_path, base_scenario(channels=[{"name": "a", "cost_per_lead": 10},
                                                            {"name": "b", "cost_per_lead": 20}]))
    loaded = load_scenario(path, ["channels[1].cost_per_lead=7"])
    assert [c.cost_per_lead for c in loaded.scenario.channels] == [10, 7]


def _outside_layout(tmp_path) -> tuple[Path, Path]:
    """plans/q1.yaml extends ../shared/base.yaml (a scenario outside the plan's folder)."""
    shared, plans = tmp_path / "shared", tmp_path / "plans"
    shared.mkdir()
    plans.mkdir()
    write_scenario(shared, base_scenario(), "base.yaml")
    variant = plans / "q1.yaml"
    variant.write_text("extends: ../shared/base.yaml\nbudget.total: 2000\n")
    return variant, shared


# Regression (issue 10 item 10): extends: and file: followed any path.
def test_extends_outside_the_folder_needs_an_opt_in(tmp_path, monkeypatch):
    variant, shared = _outside_layout(tmp_path)
    with pytest.raises(ScenarioError) as info:
        load_scenario(variant)
    assert str(info.value) == (
        f"{variant}: extends: got '../shared/base.yaml'; expected a file inside the scenario's folder "
        f"{variant.parent} (this one is {shared / 'base.yaml'}); to read it anyway, pass --allow-outside {shared} "
        "(or list that folder in ALLOCATOR_ALLOW_OUTSIDE)")
    assert load_scenario(variant, allow_outside=[shared]).scenario.budget.total == 2000
    # The command line: refused (exit 2), allowed by the option, or by the environment variable.
    assert "pass --allow-outside" in assert_one_error_line(invoke("validate", variant), 2)
    assert invoke("validate", variant, "--allow-outside", shared).exit_code == 0
    monkeypatch.setenv("ALLOCATOR_ALLOW_OUTSIDE", os.pathsep.join([str(tmp_path / "elsewhere"), str(shared)]))
    assert invoke("validate", variant).exit_code == 0


@pytest.mark.parametrize("command", ["solve", "explain", "verify", "sweep", "risk", "compare"])
def test_every_command_that_reads_a_scenario_refuses_outside_files(tmp_path, command):
    variant, shared = _outside_layout(tmp_path)
    out = tmp_path / "out"
    args = {"solve": ["--out", out], "explain": [], "verify": [out], "sweep": ["--vary", "budget.total=1000,2000",
            "--out", out], "risk": ["--samples", 10], "compare": [variant]}[command]
    message = assert_one_error_line(invoke(command, variant, *args), 2)
    assert "extends: got '../shared/base.yaml'" in message and "--allow-outside" in message
    assert not out.exists()


def test_a_symlink_inside_the_folder_is_followed_before_the_containment_test(tmp_path):
    variant, shared = _outside_layout(tmp_path)
    (variant.parent / "base.yaml").symlink_to(shared / "base.yaml")
    variant.write_text("extends: base.yaml\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(variant)
    assert f"this one is {shared / 'base.yaml'}" in str(info.value)
    data = base_scenario(funnel={"file": "funnel.csv"})
    (shared / "funnel.csv").write_text("channel,tier\na,n\n")
    (variant.parent / "funnel.csv").symlink_to(shared / "funnel.csv")
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(variant.parent, data, "t.yaml"))
    assert "t.yaml: funnel.file: got 'funnel.csv'" in str(info.value) and "--allow-outside" in str(info.value)


SECRET = "S3CRET"
FOREIGN_FILES = {
    "shadow.txt": f"root:$6${SECRET}:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",
    "passwd.txt": f"root:x:0:0:{SECRET}:/root:/bin/bash\n",
    "one_word.txt": f"{SECRET}\n",
    "tab.txt": f"\t{SECRET}: 1\n",
    "alias.txt": f"a: *{SECRET}\n",
    "escape.txt": f'a: "{SECRET}\\q"\n',
    "tag.txt": f"a: !{SECRET} x\n",
    "control.txt": f"a: b\x07{SECRET}\n",
    "repeated.txt": f"{SECRET}: 1\n{SECRET}: 2\n",
    "list.json": f'["{SECRET}"]',
    "repeated.json": f'{{"{SECRET}": 1, "{SECRET}": 2}}',
    "broken.json": f'{{"{SECRET}": tru}}',
}


# Regression (issue 10 item 10): `extends: ../../../etc/shadow` printed the first line of that file.
@pytest.mark.parametrize("name", sorted(FOREIGN_FILES))
def test_a_foreign_file_reached_by_extends_is_never_quoted(tmp_path, name):
    variant, shared = _outside_layout(tmp_path)
    (shared / name).write_text(FOREIGN_FILES[name])
    variant.write_text(f"extends: ../shared/{name}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(variant, allow_outside=[shared])
    message = str(info.value)
    assert name in message and "; expected " in message
    assert SECRET not in message


@pytest.mark.parametrize("text", [
    f"name,{SECRET}\nx,y\n",  # not a table of ours: nothing of it is quoted
    f"{SECRET},a,b\n1,2,3\n",
    f'channel,tier\n"a,{SECRET}\n',  # an unterminated quote
])
def test_a_foreign_csv_is_never_quoted(tmp_path, text):
    (tmp_path / "data.csv").write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(tmp_path, base_scenario(funnel={"file": "data.csv"})))
    assert "data.csv" in str(info.value) and SECRET not in str(info.value)


# Regression (issue 10 item 11): ~500 levels of YAML (or 3,000 of JSON) ended in a RecursionError.
@pytest.mark.parametrize("depth", [500, 3000])
def test_deep_nesting_by_set_or_variant_is_refused(tmp_path, depth):
    path = write_scenario(tmp_path, base_scenario())
    deep = "[" * depth + "]" * depth
    message = assert_one_error_line(invoke("validate", path, "--set", f"description={deep}"), 2)
    if depth == 500:  # libyaml itself stops at 1,000 levels, with its own message
        assert message == f"error: --set: description: got YAML nested {depth} levels deep; expected at most 64 levels of nesting\n"
    variant = tmp_path / "v.json"
    variant.write_text(f'{{"extends": "{path.name}", "description": {deep}}}')
    with pytest.raises(ScenarioError) as info:
        load_scenario(variant)
    assert str(info.value) == f"{variant}: got JSON nested {depth + 1} levels deep; expected at most 64 levels of nesting"


def test_deep_nesting_is_refused_by_the_pure_python_loader_too(tmp_path, monkeypatch):
    monkeypatch.setattr(documents, "_SAFE_LOADER", yaml.SafeLoader)  # PyYAML without libyaml: a recursive composer
    path = tmp_path / "deep.yaml"
    path.write_text("name: deep\ndescription: " + "[" * 500 + "]" * 500 + "\n")
    message = assert_one_error_line(invoke("validate", path), 2)
    assert message == f"error: {path}: got YAML nested too deep to read; expected at most 64 levels of nesting\n"


def test_the_alias_guard_measures_a_deep_alias_chain_without_recursion(tmp_path):
    # 600 anchors, each a list holding the previous one: the last is 600 lists deep (601 levels in the
    # top mapping); expanded, a_k has k + 2 nodes, about 181,000 in all, under the 200,000 size limit.
    lines = ["name: chain", "periods: ['2027-01']", "a0: &a0 [x]"]
    lines += [f"a{k}: &a{k} [*a{k - 1}]" for k in range(1, 600)]
    path = tmp_path / "chain.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert "got YAML nested 601 levels deep" in str(info.value)


# Regression (issue 10 item 17): 2027-W53 and 0000-01 were accepted.
@pytest.mark.parametrize("periods, ok", [
    (["2026-W52", "2026-W53"], True),  # 2026 begins on a Thursday: 53 ISO weeks
    (["2020-W53"], True),  # a leap year beginning on a Wednesday, ending on a Thursday
    (["2027-W53"], False),  # begins and ends on a Friday
    (["2021-W53"], False),
    (["0001-01", "9999-12"], True),
    (["0000-W01"], False),
])
def test_iso_week_53_only_in_years_that_have_it(tmp_path, periods, ok):
    path = write_scenario(tmp_path, base_scenario(periods=periods))
    if ok:
        assert load_scenario(path).scenario.periods == periods
    else:
        with pytest.raises(ScenarioError) as info:
            load_scenario(path)
        assert f"periods[{len(periods) - 1}]: got '{periods[-1]}'" in str(info.value)


@pytest.mark.parametrize("command", ["solve", "explain", "sweep", "risk", "compare"])
def test_every_command_reads_outside_files_with_allow_outside(tmp_path, command):
    variant, shared = _outside_layout(tmp_path)
    out = tmp_path / "out"
    args = {"solve": ["--out", out], "explain": [], "sweep": ["--vary", "budget.total=1000,2000", "--workers", 1,
            "--out", out], "risk": ["--samples", 10], "compare": [variant, "--out", out]}[command]
    result = invoke(command, variant, *args, "--allow-outside", shared)
    assert result.exit_code == 0, result.output
    if command == "solve":  # budget 2000 at 5 revenue per unit of spend (base_scenario)
        assert invoke("verify", variant, out, "--allow-outside", shared).exit_code == 0
        assert invoke("compare", out, variant, "--allow-outside", shared).exit_code == 0
    if command == "sweep":
        frame = pd.read_csv(out / "frontier.csv")
        assert frame["status"].tolist() == ["optimal", "optimal"], frame
        assert frame["revenue_total"].tolist() == pytest.approx([5000, 10000])


def test_an_empty_entry_in_allocator_allow_outside_allows_nothing(tmp_path, monkeypatch):
    # "a::b" or a trailing ":" must not mean the working folder, as an empty PATH entry does.
    variant, shared = _outside_layout(tmp_path)
    monkeypatch.chdir(tmp_path)  # the working folder holds shared/
    monkeypatch.setenv("ALLOCATOR_ALLOW_OUTSIDE", os.pathsep + str(tmp_path / "elsewhere") + os.pathsep)
    assert "pass --allow-outside" in assert_one_error_line(invoke("validate", variant), 2)

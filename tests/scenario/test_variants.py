"""Scenario variants: extends + overrides by path, --set, and errors that name the file holding the bad value."""

import json
from pathlib import Path

import pytest
from helpers import invoke

from allocator.errors import ScenarioError
from allocator.scenario.examples import write_examples
from allocator.scenario.loader import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture()
def folder(tmp_path):
    write_examples(tmp_path)
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_variant_overrides_fields_by_path(folder):
    variant = write(folder, "v.yaml", "extends: example_q1.yaml\nname: bigger\nbudget.total: 4.0e6\n"
                                      "channels[livestream].max_spend: 500000\nseasonality.demand_index.2027-02: 0.9\n")
    base = load_scenario(folder / "example_q1.yaml").scenario
    loaded = load_scenario(variant)
    s = loaded.scenario
    assert s.name == "bigger" and s.budget.total == 4.0e6
    livestream = next(c for c in s.channels if c.name == "livestream")
    assert livestream.max_spend == 500000
    assert s.seasonality.demand_index["2027-02"] == 0.9
    assert s.seasonality.demand_index["2027-01"] == base.seasonality.demand_index["2027-01"]
    assert s.channels[0] == base.channels[0] and s.funnel == base.funnel  # the rest comes from the base
    assert [p.name for p in loaded.sources] == ["example_q1.yaml", "v.yaml"]


def test_set_overrides_after_the_files(folder):
    loaded = load_scenario(folder / "example_q1.yaml", ["budget.total=3.5e6", "channels[0].min_roi=2.5",
                                                        "targets.mix[1].min_share=0.15"])
    s = loaded.scenario
    assert s.budget.total == 3.5e6 and s.channels[0].min_roi == 2.5 and s.targets.mix[1].min_share == 0.15
    assert loaded.overrides == ("budget.total=3.5e6", "channels[0].min_roi=2.5", "targets.mix[1].min_share=0.15")
    assert loaded.sha256 != load_scenario(folder / "example_q1.yaml").sha256


def test_variant_of_a_variant_and_tables_relative_to_their_file(folder):
    sub = folder / "what-ifs"
    sub.mkdir()
    write(sub, "a.yaml", "extends: ../example_q1.yaml\nbudget.total: 3.6e6\n")
    b = write(sub, "b.yaml", "extends: a.yaml\ntargets.revenue: 21000000\n")
    s = load_scenario(b, allow_outside=[folder]).scenario  # ../example_q1.yaml leaves what-ifs/: allowed here
    assert s.budget.total == 3.6e6 and s.targets.revenue == 21e6
    assert len(s.funnel) > 0  # funnel.csv was found next to example_q1.yaml, not next to b.yaml


@pytest.mark.parametrize("base_edit, child, expected_file, expected_field", [
    # a bad value in the base is reported against the base
    (("    cost_per_lead: 110", "    cost_per_lead: -110"), "extends: base.yaml\nbudget.total: 5e6\n",
     "base.yaml", "channels[marketplace].cost_per_lead"),
    # a bad value set by the variant is reported against the variant
    (None, "extends: base.yaml\nchannels[livestream].cost_per_lead: -3\n", "child.yaml",
     "channels[livestream].cost_per_lead"),
    # an unknown name set by the variant (a cross-reference check) is reported against the variant
    (None, "extends: base.yaml\ntargets.mix[0].select.kind: newbies\n", "child.yaml", "targets.mix[0].select.kind"),
    # a path into nothing
    (None, "extends: base.yaml\nchannels[tiktok].cost_per_lead: 3\n", "child.yaml", "channels[tiktok].cost_per_lead"),
])
def test_errors_name_the_file_holding_the_bad_value(folder, base_edit, child, expected_file, expected_field):
    text = (folder / "example_q1.yaml").read_text()
    if base_edit:
        assert base_edit[0] in text
        text = text.replace(base_edit[0], base_edit[1], 1)
    write(folder, "base.yaml", text)
    path = write(folder, "child.yaml", child)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert Path(info.value.file).name == expected_file, str(info.value)
    assert info.value.field == expected_field, str(info.value)


def test_set_errors_name_set(folder):
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder / "example_q1.yaml", ["budget.total=-5"])
    assert info.value.file == "--set" and info.value.field == "budget.total"
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder / "example_q1.yaml", ["budget.total"])
    assert info.value.file == "--set" and "PATH=VALUE" in str(info.value)


def test_extends_cycle_and_paths_without_extends_are_refused(folder):
    loop = write(folder, "loop.yaml", "extends: loop.yaml\n")
    with pytest.raises(ScenarioError, match="without cycles"):
        load_scenario(loop)
    plain = write(folder, "plain.yaml", (folder / "example_q1.yaml").read_text() + "budget.total: 5\n")
    with pytest.raises(ScenarioError, match="allowed only in a file that has extends"):
        load_scenario(plain)


def test_cli_set_and_variant_solve_the_same_plan(folder, tmp_path):
    variant = write(folder, "v.yaml", "extends: example_q1.yaml\nbudget.total: 4.0e6\n")
    a = invoke("solve", variant, "--out", tmp_path / "a")
    b = invoke("solve", folder / "example_q1.yaml", "--out", tmp_path / "b", "--set", "budget.total=4.0e6")
    assert a.exit_code == 0 and b.exit_code == 0, (a.output, b.output)
    assert (tmp_path / "a" / "allocation.csv").read_bytes() == (tmp_path / "b" / "allocation.csv").read_bytes()
    run = json.loads((tmp_path / "b" / "run.json").read_text())
    assert run["scenario"]["overrides"] == ["budget.total=4.0e6"]
    run_a = json.loads((tmp_path / "a" / "run.json").read_text())
    assert [Path(p).name for p in run_a["scenario"]["extends"]] == ["example_q1.yaml"]
    checked = invoke("verify", variant, tmp_path / "a")
    assert checked.exit_code == 0, checked.output


def test_set_leaves_its_input_document_as_it_was():
    # apply_sets copies only the containers on each override's path: a parsed document shared by many
    # variants (the loader keeps one per file content) must come out unchanged, and the variant must not
    # share the containers it changed.
    import copy

    from allocator.scenario.variants import Provenance, apply_sets

    data = {"budget": {"total": 1.0, "limits": [{"max": 5.0}]},
            "channels": [{"name": "a", "max_spend": {"2027-01": 5.0}}, {"name": "b"}], "name": "x"}
    before = copy.deepcopy(data)
    merged, _ = apply_sets(data, Provenance("s.yaml"), ["channels[a].max_spend.2027-01=7",
                                                         "budget.limits[0].max=6", "targets.revenue=9"])
    assert data == before
    assert merged["channels"][0]["max_spend"] == {"2027-01": 7} and merged["budget"]["limits"][0] == {"max": 6}
    assert merged["targets"] == {"revenue": 9} and merged["channels"][1] == {"name": "b"}
    assert merged["channels"] is not data["channels"] and merged["budget"]["limits"] is not data["budget"]["limits"]

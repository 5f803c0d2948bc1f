"""verify checks every column of allocation.csv and the folder's other files a reader relies on.

Was (issue 10): `new_customers`, `roi`, `cost_per_lead`, `conversion`, `order_value`, `group`, `kind`,
`stage` and `eligible` were never compared (new_customers x 0.1 in every row still passed), and
by_*.csv, targets.csv and run.json's objective were never compared with allocation.csv.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from helpers import EXAMPLE, invoke

from allocator.plan.verify import read_allocation


@pytest.fixture
def folder(example_folder, tmp_path):
    out = tmp_path / "plan"
    shutil.copytree(example_folder, out)
    return out


def edit_csv(path, change) -> pd.DataFrame:
    """Rewrite a plan CSV with `change(frame)` applied; cells are kept as the text they were."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame)
    frame.to_csv(path, index=False)
    return frame


def violations(folder) -> list[str]:
    result = invoke("verify", EXAMPLE, folder)
    assert result.exit_code == 1, result.output
    return [line.removeprefix("violation: ") for line in result.output.splitlines() if line.startswith("violation: ")]


def busiest_new_customer_row(frame: pd.DataFrame) -> int:
    spend = frame["spend"].astype(float)
    return int(spend[frame["kind"] == "new"].idxmax())


def test_untouched_example_folder_passes(example_folder):
    result = invoke("verify", EXAMPLE, example_folder)
    assert result.exit_code == 0, result.output


def test_new_customers_scaled_down_in_every_row_is_caught(folder):
    original = read_allocation(folder)
    edit_csv(folder / "allocation.csv", lambda f: f.__setitem__("new_customers", (f["new_customers"].astype(float) * 0.1).map(repr)))
    # The numbers: the tampered column sums to a tenth of the plan's, far below the 550 planned.
    assert read_allocation(folder)["new_customers"].sum() == pytest.approx(original["new_customers"].sum() * 0.1)
    found = [v for v in violations(folder) if v.startswith("new_customers[")]
    counted = original[(original["kind"] == "new") & (original["customers"] > 0)]
    assert len(found) == len(counted) > 0  # one per row with new customers (0 x 0.1 is still 0)


# column -> (new text for the busiest new-customer row, the check verify must name)
ROW_EDITS = {
    "roi": (lambda v: repr(float(v) * 1.01), "roi["),
    "cost_per_lead": (lambda v: repr(float(v) + 1.0), "cost_per_lead["),
    "conversion": (lambda v: repr(float(v) * 2), "conversion["),
    "order_value": (lambda v: repr(float(v) - 100.0), "order_value["),
    "group": (lambda v: v + "x", "group["),
    "kind": (lambda v: "existing", "kind["),
    "stage": (lambda v: v + "x", "stage["),
    "eligible": (lambda v: "False", "eligible["),
    "new_customers": (lambda v: repr(float(v) * 0.9), "new_customers["),
}


@pytest.mark.parametrize("column", sorted(ROW_EDITS))
def test_each_descriptive_column_is_checked(folder, column):
    edit, check = ROW_EDITS[column]
    row = {}

    def change(frame):
        i = busiest_new_customer_row(frame)
        row.update(frame.loc[i, ["channel", "tier", "product", "period"]].to_dict())
        frame.loc[i, column] = edit(frame.loc[i, column])

    edit_csv(folder / "allocation.csv", change)
    cell = ",".join(row[k] for k in ("channel", "tier", "product", "period"))
    assert any(v.startswith(f"{check}{cell}]") for v in violations(folder))


def test_roi_must_be_blank_without_spend(folder):
    def change(frame):
        i = int(frame.index[frame["spend"].astype(float) == 0][0])
        frame.loc[i, "roi"] = "3.0"

    edit_csv(folder / "allocation.csv", change)
    assert any(v.startswith("roi[") and "no spend" in v for v in violations(folder))


@pytest.mark.parametrize("dim", ["channel", "tier", "product", "period"])
def test_breakdown_that_disagrees_with_allocation_is_named_with_both_values(folder, dim):
    allocation = read_allocation(folder)
    first = str(allocation[dim].iloc[0])
    resummed = float(allocation.loc[allocation[dim] == first, "spend"].sum())  # the second method: re-sum by hand

    def change(frame):
        i = int(frame.index[frame[dim] == first][0])
        frame.loc[i, "spend"] = repr(resummed + 1000.0)
        line.append(i + 2)

    line: list[int] = []
    edit_csv(folder / f"by_{dim}.csv", change)
    found = [v for v in violations(folder) if v.startswith(f"by_{dim}.csv line {line[0]} [{first}] spend:")]
    assert len(found) == 1
    got, want = found[0].split(": ", 1)[1].split(" fails")[0].split(" = ")
    assert float(got) == resummed + 1000.0 and float(want) == pytest.approx(resummed, rel=1e-12)


def test_share_and_roi_of_a_breakdown_are_checked(folder):
    edit_csv(folder / "by_channel.csv", lambda f: f.__setitem__("share_of_spend", "0.5"))
    found = [v for v in violations(folder) if "by_channel.csv" in v]
    assert len(found) == len(read_allocation(folder)["channel"].unique())


def test_targets_achieved_and_met_must_agree(folder):
    allocation = read_allocation(folder)
    new_customers = float(allocation.loc[allocation["kind"].isin(["new", "prospect"]), "customers"].sum())

    def change(frame):
        i = int(frame.index[frame["target"] == "new_customers"][0])
        frame.loc[i, "achieved"] = "100.0"
        j = int(frame.index[frame["target"] == "revenue"][0])
        frame.loc[j, "met"] = "False"

    edit_csv(folder / "targets.csv", change)
    found = violations(folder)
    achieved = [v for v in found if v.startswith("targets.csv line") and "[new_customers] achieved" in v]
    assert len(achieved) == 1 and f"100.0 = {new_customers!r}"[:20] in achieved[0]
    assert any("[revenue] met: False but allocation.csv gives True" in v for v in found)


def test_run_objective_must_be_the_allocation_resummed(folder):
    revenue_total = float(read_allocation(folder)["revenue_total"].sum())
    assert round(revenue_total) == 27_931_296  # the example's plan, as the issue states it
    run = json.loads((folder / "run.json").read_text())
    run["objective"] = revenue_total * 1.001
    (folder / "run.json").write_text(json.dumps(run))
    found = [v for v in violations(folder) if v.startswith("run.json objective")]
    assert len(found) == 1

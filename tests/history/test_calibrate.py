"""`allocator calibrate`: estimates worked out by hand on small tables, interval coverage on synthetic history
drawn from known parameters, the demand index recovered, bad input refused, and calibrate -> solve -> verify."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

import history_synth as hs
from helpers import EXAMPLE, REPO, invoke

from allocator.history.calibrate import calibrate, calibrate_frame
from allocator.history.history_table import read_history

HISTORY = REPO / "scenarios" / "history.csv"
HEADER = "date,channel,tier,spend,leads,customers,revenue\n"


def _table(tmp_path, text, name="history.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _row(table: pd.DataFrame, parameter: str, **where) -> pd.Series:
    found = table[table["parameter"] == parameter]
    for key, value in where.items():
        found = found[found[key] == value]
    assert len(found) == 1, (parameter, where, len(found))
    return found.iloc[0]


def _wilson(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    """Wilson's score interval written out (not statsmodels): centre and half-width around it."""
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return centre - half, centre + half


# --- hand-computed small cases --------------------------------------------------------------------------------

TWO_CHANNELS = HEADER + (
    "2026-01-01,web,new,100,10,1,500\n"
    "2026-02-01,web,new,210,20,2,1100\n"
    "2026-03-01,web,new,300,30,4,2000\n"
    "2026-01-01,live,new,60,3,1,700\n"
    "2026-02-01,live,new,90,9,1,500\n"
    "2026-03-01,live,new,30,2,0,0\n"
)


def test_two_channels_three_months_by_hand(tmp_path):
    result = calibrate(_table(tmp_path, TWO_CHANNELS), "2026-04-01", confidence=0.9)
    table = result.calibration
    t2, t1 = stats.t.ppf(0.95, 2), stats.t.ppf(0.95, 1)

    # web cost per lead: 610 / 60; residuals 100 - 10.1667*10 = -1.667, 210 - 203.333 = 6.667, 300 - 305 = -5
    cpl = _row(table, "cost_per_lead", channel="web", product="")
    assert cpl["estimate"] == pytest.approx(610 / 60)
    se = math.sqrt(3 / 2 * ((100 - 610 / 6) ** 2 + (210 - 1220 / 6) ** 2 + (300 - 1830 / 6) ** 2)) / 60
    assert se == pytest.approx(0.173472, rel=1e-5)
    assert (cpl["low"], cpl["high"]) == pytest.approx((610 / 60 - t2 * se, 610 / 60 + t2 * se))
    assert (cpl["count"], cpl["periods"]) == (60, 3)

    conversion = _row(table, "conversion", channel="web", product="")
    assert conversion["estimate"] == pytest.approx(7 / 60)
    assert (conversion["low"], conversion["high"]) == pytest.approx(_wilson(7, 60, 0.9))
    assert conversion["count"] == 60

    # no period without spend: no baseline, so order value is revenue / customers
    assert _row(table, "order_value", channel="web")["estimate"] == pytest.approx(3600 / 7)
    live = _row(table, "order_value", channel="live")  # March won no customer: two periods, 700 and 500
    assert live["estimate"] == pytest.approx(600)
    assert (live["count"], live["periods"]) == (2, 2)
    # residuals 100 and -100: se = sqrt(2/1 * 20000) / 2 = 100
    assert (live["low"], live["high"]) == pytest.approx((600 - 100 * t1, 600 + 100 * t1))
    # a tier of two channels is not shrunk (two cells cannot tell spread from noise)
    assert (live["shrunk"], live["weight"]) == (pytest.approx(600), 1.0)

    funnel = result.funnel.set_index("channel")
    assert funnel.loc["live", "cost_per_lead"] == pytest.approx(180 / 14)
    assert funnel.loc["live", "conversion"] == pytest.approx(2 / 14)
    assert funnel.loc["web", "order_value"] == pytest.approx(3600 / 7)
    assert result.baseline.empty  # no period without spend: no baseline found (taken as 0)
    assert set(_row(table, "baseline", channel="web")[["estimate", "count"]]) == {0}
    assert any("trend taken as 0" in note for note in result.notes)
    assert any("no demand_index by month" in note for note in result.notes)


def test_sparse_cell_is_shrunk_by_the_stated_weight(tmp_path):
    text = HEADER + ("2026-01-01,a,new,100,100,10,1000\n"
                     "2026-01-01,b,new,100,100,30,3000\n"
                     "2026-01-01,c,new,10,10,0,0\n")
    table = calibrate(_table(tmp_path, text), "2026-02-01").calibration
    p = 40 / 210  # the tier's pooled conversion
    raw = [0.1, 0.3, 0.0]
    spread = np.var(raw, ddof=1)  # 0.023333
    noise = np.mean([p * (1 - p) / n for n in (100, 100, 10)])
    tau2 = spread - noise
    weight = tau2 / (tau2 + p * (1 - p) / 10)
    assert weight == pytest.approx(0.52678, abs=1e-4)
    c = _row(table, "conversion", channel="c")
    assert (c["estimate"], c["weight"]) == (0.0, pytest.approx(weight))
    assert c["shrunk"] == pytest.approx((1 - weight) * p)
    assert c["shrunk_toward"] == "tier new: 0.190476"
    a = _row(table, "conversion", channel="a")
    assert a["shrunk"] == pytest.approx(tau2 / (tau2 + p * (1 - p) / 100) * 0.1 + (1 - a["weight"]) * p)


def test_baseline_from_quiet_periods_is_taken_off_order_value(tmp_path):
    text = "date,channel,tier,product,spend,leads,customers,revenue\n" + (
        "2026-01-01,web,old,core,0,0,0,1000\n"      # quiet: baseline only
        "2026-02-01,web,old,core,50,10,2,1650\n"    # 1050 baseline + 2 x 300
        "2026-03-01,web,old,core,0,0,0,1100\n"      # quiet
        "2026-04-01,web,old,core,70,10,4,2250\n")   # 1050 + 4 x 300
    result = calibrate(_table(tmp_path, text), "2026-05-01")  # too short for a trend: carried at 0%
    assert _row(result.calibration, "order_value", channel="web", product="")["estimate"] == pytest.approx(300)
    assert result.baseline.to_dict("list") == {
        "channel": ["web"] * 3, "tier": ["old"] * 3, "product": ["core"] * 3,
        "period": ["2026-05", "2026-06", "2026-07"], "revenue": [pytest.approx(1050)] * 3}
    row = _row(result.calibration, "baseline", channel="web", period="2026-05")
    half = stats.t.ppf(0.95, 1) * np.std([1000, 1100], ddof=1) / math.sqrt(2)
    assert (row["low"], row["high"], row["count"]) == (pytest.approx(1050 - half), pytest.approx(1050 + half), 2)


def test_same_quarter_growth_by_hand(tmp_path):
    rows = []
    for year, scale in ((2024, 1.0), (2025, 1.15), (2026, 1.15 * 1.10)):
        for month in range(1, 13):
            rows.append(f"{year}-{month:02d}-01,web,new,10,10,1,{100 * scale * (1 + month / 10):.6f}\n")
    table = calibrate(_table(tmp_path, HEADER + "".join(rows)), "2027-01-01").calibration
    assert _row(table, "growth", tier="", period="2025-Q1")["estimate"] == pytest.approx(0.15)
    assert _row(table, "growth", tier="", period="2026-Q3")["estimate"] == pytest.approx(0.10)
    assert _row(table, "growth_trend", period="Q1")["estimate"] == pytest.approx(math.sqrt(1.15 * 1.10) - 1)


# --- proof on synthetic history drawn from known parameters ---------------------------------------------------

REPLICATES = 200
TRUE = {("a", "new"): (50, 0.05, 900), ("b", "new"): (80, 0.08, 1200), ("a", "old"): (20, 0.30, 200),
        ("b", "old"): (30, 0.25, 260)}


def _replicated_history() -> pd.DataFrame:
    """REPLICATES independent two-year histories of the four TRUE cells, each replicate under its own channel
    names (a17, b17, ...) so that one calibration estimates them all; the "old" cells have a baseline that
    shows in July and August, when their campaigns pause."""
    frames = []
    for seed in range(REPLICATES):
        cells = [hs.Cell(f"{channel}{seed}", tier, cpl, conversion, value, 6000 if tier == "new" else 1500,
                         baseline=3000 if tier == "old" else 0, quiet_months=(7, 8) if tier == "old" else ())
                 for (channel, tier), (cpl, conversion, value) in TRUE.items()]
        frames.append(hs.synth_history(hs.Truth(cells, growth=0.1), "2025-01-01", "2026-12-31", seed=seed))
    frame = pd.concat(frames, ignore_index=True)
    frame.attrs.update(grain="monthly", has_product=False)
    return frame


@pytest.fixture(scope="module")
def replicated():
    return _replicated_history()


@pytest.mark.parametrize("confidence", [0.90, 0.95])
def test_intervals_cover_the_true_values_at_their_stated_rate(replicated, confidence):
    table = calibrate_frame(replicated, "2027-01-01", confidence=confidence).calibration
    table = table[table["parameter"].isin(["conversion", "order_value", "cost_per_lead"])]
    table = table.assign(base=table["channel"].str[0])
    position = {"cost_per_lead": 0, "conversion": 1, "order_value": 2}
    truth = [TRUE[(base, tier)][position[p]] for base, tier, p in zip(table["base"], table["tier"], table["parameter"])]
    covered = (table["low"] <= truth) & (np.asarray(truth) <= table["high"])
    trials = REPLICATES * len(TRUE)
    band = 3 * math.sqrt(confidence * (1 - confidence) / trials)  # 3 binomial standard errors
    for parameter in ("conversion", "order_value", "cost_per_lead"):
        rate = covered[table["parameter"] == parameter].mean()
        assert (table["parameter"] == parameter).sum() == trials
        assert abs(rate - confidence) <= band, (parameter, rate, confidence, band)


def test_demand_index_is_recovered_within_0_04(tmp_path):
    """Four years with a 15% trend and the example's monthly demand index: every month's recovered index
    is within 0.04 of the true one (normalised to mean 1), in each of 5 seeds."""
    true = pd.Series(hs.EXAMPLE_DEMAND)
    true = true / true.mean()
    cells = [hs.Cell("web", "new", 50, 0.05, 900, 60000), hs.Cell("shop", "new", 80, 0.05, 900, 40000)]
    for seed in range(5):
        frame = hs.synth_history(hs.Truth(cells, demand=hs.EXAMPLE_DEMAND, growth=0.15), seed=seed)
        frame.attrs.update(grain="monthly", has_product=False)
        table = calibrate_frame(frame, "2027-01-01").calibration
        found = table[table["parameter"] == "demand_index"].set_index("period")["estimate"]
        errors = [abs(found[f"M{m:02d}"] - true[m]) for m in range(1, 13)]
        assert max(errors) <= 0.04, (seed, errors)


def test_weekly_history_gives_an_iso_week_index(tmp_path):
    """Weekly rows: the month index still comes out, and one per ISO week, within 0.08 of a weekly pattern."""
    def weekly(dates):
        return 1 + 0.25 * np.sin(2 * np.pi * dates.isocalendar().week.to_numpy() / 52)

    cells = [hs.Cell("web", "new", 20, 0.05, 900, 120000)]
    frame = hs.synth_history(hs.Truth(cells), grain="weekly", seed=3, demand_of=weekly)
    path = hs.write_history(frame, tmp_path / "weekly.csv", with_product=False)
    assert read_history(path).attrs["grain"] == "weekly"
    table = calibrate(path, "2027-01-01").calibration
    weeks = table[(table["parameter"] == "demand_index") & table["period"].str.startswith("W")]
    truth = 1 + 0.25 * np.sin(2 * np.pi * np.arange(1, 53) / 52)
    found = weeks.set_index("period")["estimate"]
    assert max(abs(found[f"W{w:02d}"] - truth[w - 1] / truth.mean()) for w in range(1, 53)) <= 0.08


# --- the command ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body, message", [
    ("date,channel,tier,spend,leads,customers\n2026-01-01,web,new,1,1,0\n", "column revenue: got missing"),
    (HEADER + "2026-01-01,web,new,1,1,0,1\n2026-02-30,web,new,1,1,0,1\n", "line 3, date: got '2026-02-30'"),
    (HEADER + "2026-01-01,web,new,-1,1,0,1\n", "line 2, spend: got '-1'; expected a number >= 0"),
    (HEADER + "2026-01-01,web,new,1,-1,0,1\n", "line 2, leads: got '-1'; expected a whole number >= 0"),
    (HEADER + "2026-01-01,web,new,1,3,4,1\n", "line 2, customers: got 4; expected at most the row's leads (3)"),
    (HEADER + "2027-01-01,web,new,1,3,1,1\n", "--as-of: got '2026-06-01'; expected a date after the history's first"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, body, message):
    path = _table(tmp_path, body)
    result = invoke("calibrate", path, "--as-of", "2026-06-01", "--out", tmp_path / "params")
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and message in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert not (tmp_path / "params").exists()


def test_missing_statsmodels_names_the_extra(tmp_path, monkeypatch):
    import allocator.history.calibrate as module

    monkeypatch.setattr(module, "find_spec", lambda name: None)
    result = invoke("calibrate", HISTORY, "--as-of", "2027-01-01", "--out", tmp_path / "params")
    assert result.exit_code == 2
    assert "pip install 'allocator-lp[history]'" in result.output and result.output.count("\n") == 1


def test_help_has_an_example():
    result = invoke("calibrate", "--help")
    assert result.exit_code == 0 and "Example:" in result.output
    assert "allocator calibrate scenarios/history.csv --as-of 2027-01-01" in result.output


def test_window_and_as_of_are_recorded(tmp_path):
    out = tmp_path / "params"
    result = invoke("calibrate", HISTORY, "--as-of", "2027-01-01", "--window", "8q", "--out", out)
    assert result.exit_code == 0, result.output
    run = json.loads((out / "run.json").read_text())
    assert (run["as_of"], run["window"]) == ("2027-01-01", "8q")
    assert (run["used"]["first"], run["used"]["last"]) == ("2025-01-01", "2026-12-01")
    assert run["history"]["grain"] == "monthly" and len(run["history"]["sha256"]) == 64
    assert sorted(p.name for p in out.iterdir()) == ["README.txt", "baseline.csv", "calibration.csv", "funnel.csv",
                                                      "response.yaml", "run.json", "seasonality.yaml"]
    assert yaml.safe_load((out / "response.yaml").read_text()) == {"channels": {}}  # leads rose with spend
    later = invoke("calibrate", HISTORY, "--as-of", "2026-01-01", "--out", tmp_path / "early")
    assert json.loads((tmp_path / "early" / "run.json").read_text())["used"]["last"] == "2025-12-01"
    assert later.exit_code == 0


def test_bundled_history_has_the_guides_numbers():
    """scenarios/history.csv: Q1 grew about 15% a year, new-customer conversion 5%, existing customers'
    order value 500 (the plan's 600 is a raise), computed here from the file's sums."""
    frame = pd.read_csv(HISTORY, parse_dates=["date"])
    q1 = frame[frame["date"].dt.month <= 3].groupby(frame["date"].dt.year)["revenue"].sum()
    growth = (q1 / q1.shift(1) - 1).dropna()
    assert ((growth > 0.13) & (growth < 0.17)).all(), growth
    new = frame[frame["tier"] == "new_customers"]
    assert new["customers"].sum() / new["leads"].sum() == pytest.approx(0.05, abs=0.003)
    table = calibrate(HISTORY, "2027-01-01").calibration
    value = _row(table, "order_value", tier="existing_customers", channel="mini_program", product="")
    assert value["low"] <= 500 <= value["high"]


def test_calibrate_then_solve_and_verify(tmp_path):
    folder = tmp_path / "plan"
    folder.mkdir()
    result = invoke("calibrate", HISTORY, "--as-of", "2027-01-01", "--window", "8q", "--out", folder / "params")
    assert result.exit_code == 0, result.output
    scenario = yaml.safe_load(EXAMPLE.read_text())
    scenario["funnel"] = {"file": "params/funnel.csv"}
    scenario["baseline"] = {"file": "params/baseline.csv"}
    season = yaml.safe_load((folder / "params" / "seasonality.yaml").read_text())["seasonality"]
    scenario["seasonality"] = {**scenario["seasonality"], **season}
    path = folder / "q1.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    solved = invoke("solve", path, "--out", tmp_path / "out")
    assert solved.exit_code == 0, solved.output
    checked = invoke("verify", path, tmp_path / "out")
    assert checked.exit_code == 0, checked.output
    allocation = pd.read_csv(tmp_path / "out" / "allocation.csv")
    baseline = pd.read_csv(folder / "params" / "baseline.csv")
    assert allocation["baseline_revenue"].sum() == pytest.approx(baseline["revenue"].sum())
    shutil.rmtree(folder / "params")


def test_out_holding_the_history_and_bad_periods_are_refused(tmp_path):
    path = _table(tmp_path, TWO_CHANNELS)
    held = invoke("calibrate", path, "--as-of", "2026-04-01", "--out", tmp_path)
    assert held.exit_code == 2 and f"holds the input {path}" in held.output
    bad = invoke("calibrate", path, "--as-of", "2026-04-01", "--periods", "2026-04,2026-13", "--out", tmp_path / "p")
    assert bad.exit_code == 2
    assert bad.output == "error: --periods: got '2026-13'; expected months YYYY-MM separated by commas, e.g. 2027-01,2027-02\n"
    assert not (tmp_path / "p").exists()


def test_product_books_the_baseline_of_a_history_without_products(tmp_path):
    text = HEADER + ("2026-01-01,web,old,0,0,0,900\n2026-02-01,web,old,10,10,1,1000\n"
                     "2026-03-01,web,old,0,0,0,1100\n")
    path = _table(tmp_path, text)
    result = invoke("calibrate", path, "--as-of", "2026-04-01", "--periods", "2026-06", "--product", "core",
                    "--out", tmp_path / "p")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p" / "baseline.csv").read_text() == (
        "channel,tier,product,period,revenue\nweb,old,core,2026-06,1000.0\n")
    bare = invoke("calibrate", path, "--as-of", "2026-04-01", "--out", tmp_path / "q")
    assert "note: the history names no product: baseline.csv not written" in bare.output
    assert not (tmp_path / "q" / "baseline.csv").exists()


def _curve_leads(curve: dict, spend: float) -> float:
    """Leads a response curve (cost per lead at full efficiency, slices) gives for one month's spend."""
    total, lower = 0.0, 0.0
    for part in curve["response"]:
        upper = part.get("up_to", math.inf)
        total += part["efficiency"] * min(max(spend - lower, 0.0), upper - lower)
        lower = upper
    return total / curve["cost_per_lead"]


def test_response_curve_is_recovered_where_leads_saturate(tmp_path):
    """A channel whose true response is 1.0 up to 100k a month, 0.6 up to 200k, then 0.3 (cost per lead 50):
    the fitted curve is concave, valid as a scenario's response, and its leads are within 12% of the true
    expected leads at the quartiles of the spend seen and within 8% at the median, in each of 4 seeds. A
    channel with leads in proportion to spend gets no curve."""
    from allocator.scenario.schema import Channel

    live = hs.Cell("live", "new", 50, 0.05, 900, 150000, response=((100000, 1.0), (200000, 0.6), (None, 0.3)))
    flat = hs.Cell("web", "new", 50, 0.05, 900, 150000)
    for seed in range(4):
        frame = hs.synth_history(hs.Truth([live, flat], demand=hs.EXAMPLE_DEMAND, spend_noise=0.5), seed=seed)
        frame.attrs.update(grain="monthly", has_product=False)
        result = calibrate_frame(frame, "2027-01-01")
        assert set(result.response) == {"live"}
        curve = result.response["live"]
        Channel.model_validate({"name": "live", **curve})
        assert curve["response"][-1]["efficiency"] < 0.7
        spend = frame.loc[frame["channel"] == "live", "spend"]
        for level, bound in ((spend.quantile(0.25), 0.12), (spend.median(), 0.08), (spend.quantile(0.75), 0.12)):
            true = live.effective(np.array([level]))[0] / 50
            assert abs(_curve_leads(curve, level) / true - 1) <= bound, (seed, level)

"""Media-mix response curves -> concave slices: the slices stay within max_error x max_effect of the curve.

The curves are written out again here from their formulas (docs/model.md, "Response curves from a
media-mix model") and the slices are measured on a fine grid, so neither the curve nor the error comes
from the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import base_scenario, invoke, write_scenario
from hypothesis import example, given, settings
from hypothesis import strategies as st
from robustness_helpers import assert_one_error_line

from allocator.scenario.curves import HillCurve, LogisticCurve, MichaelisMentenCurve, fit_slices
from allocator.scenario.loader import load_scenario


def formula(kind: str, x: np.ndarray, H: float, E: float, s: float = 1.0) -> np.ndarray:
    if kind == "hill":
        return E * x**s / (H**s + x**s)
    if kind == "michaelis_menten":
        return E * x / (H + x)
    return E * (1 - 3.0 ** (-x / H)) / (1 + 3.0 ** (-x / H))


def slices_on(slices: list[dict], x: np.ndarray) -> np.ndarray:
    """Effective spend the LP credits at spend x: spend x efficiency, slice by slice."""
    out, start = np.zeros_like(x), 0.0
    for piece in slices:
        end = math.inf if piece["up_to"] is None else piece["up_to"]
        out += np.clip(np.minimum(x, end) - start, 0, None) * piece["efficiency"]
        start = end
    return out


def grid_error(kind, H, E, s, max_error, reach) -> tuple[float, int, float]:
    """(largest |slices - curve| / E on 0..reach, slice count, the achieved error the fit reports)."""
    curve = {"hill": lambda: HillCurve(curve="hill", half_saturation=H, max_effect=E, slope=s, max_error=max_error),
             "michaelis_menten": lambda: MichaelisMentenCurve(curve="michaelis_menten", half_saturation=H,
                                                              max_effect=E, max_error=max_error),
             "logistic": lambda: LogisticCurve(curve="logistic", half_saturation=H, max_effect=E,
                                               max_error=max_error)}[kind]()
    fit = fit_slices(curve, reach)
    efficiencies = [piece["efficiency"] for piece in fit.slices()]
    assert efficiencies == sorted(efficiencies, reverse=True) and efficiencies[-1] > 0, "concave slices"
    x = np.concatenate([np.linspace(0, reach, 20_001), np.geomspace(reach * 1e-9, reach, 5_001)])
    gap = formula(kind, x, H, E, s) - slices_on(fit.slices(), x)
    assert gap.min() >= -1e-9 * E, "a chord of a concave curve lies below it"
    return float(np.abs(gap).max() / E), len(fit.breakpoints), fit.achieved_error


KINDS = st.sampled_from(["hill", "michaelis_menten", "logistic"])


@settings(max_examples=60, deadline=None)
@given(kind=KINDS, H=st.floats(10, 1e6), E=st.floats(1, 1e6), s=st.floats(0.3, 1.0),
       max_error=st.floats(0.0005, 0.05), reach_over_H=st.floats(0.05, 50))
# A curve so steep at 0 that its first slice ends at ~1e-10 of the range: a search for the slice's end that
# stopped at a precision relative to the range took one slice too long (error 0.000528 for 0.0005).
@example(kind="hill", H=10.0, E=1.0, s=0.30078125, max_error=0.0005, reach_over_H=4.0)
def test_slices_stay_within_max_error_of_the_curve(kind, H, E, s, max_error, reach_over_H):
    measured, _, achieved = grid_error(kind, H, E, s, max_error, reach_over_H * H)
    assert measured <= max_error * (1 + 1e-6)
    # The reported error is the real one: the grid finds it to within its spacing.
    assert measured == pytest.approx(achieved, rel=0.02, abs=1e-9 + 1e-3 * max_error)


@pytest.mark.parametrize("kind,s", [("hill", 0.5), ("hill", 1.0), ("michaelis_menten", 1.0), ("logistic", 1.0)])
def test_fewer_slices_as_max_error_grows(kind, s):
    counts = [grid_error(kind, 100.0, 60.0, s, e, 2000.0)[1] for e in (0.0005, 0.002, 0.01, 0.05)]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1], counts
    # Chords of a smooth curve: the error falls with the square of the slice width, so a 100x smaller
    # error needs about 10x the slices (more than 4x, fewer than 40x).
    assert 4 * counts[-1] <= counts[0] <= 40 * counts[-1], counts


def test_one_slice_when_a_chord_is_enough():
    # E x / (H + x) on [0, 10] with H = 1000: the chord 0 -> 10 is off by at most ~E (10/1000)^2 / 4 ~ 2.5e-5 E.
    _, count, achieved = grid_error("michaelis_menten", 1000.0, 100.0, 1.0, 0.001, 10.0)
    assert count == 1 and achieved < 3e-5


def _curved(response: dict, **overrides) -> dict:
    return base_scenario(channels=[{"name": "a", "cost_per_lead": 10, "response": response}], **overrides)


MM = {"curve": "michaelis_menten", "half_saturation": 500, "max_effect": 400, "max_error": 0.005}


def test_a_loaded_curve_becomes_slices_over_the_budget(tmp_path):
    channel = load_scenario(write_scenario(tmp_path, _curved(MM))).scenario.channels[0]
    slices = [{"up_to": seg.up_to, "efficiency": seg.efficiency} for seg in channel.response]
    # The chords end at the budget of 1000 (the spend range), in order; then an open slice at the
    # curve's slope there, 400 x 500 / (500 + 1000)^2 = 0.0889, below the last chord's.
    ends = [piece["up_to"] for piece in slices]
    assert ends[-1] is None and ends[:-1] == sorted(ends[:-1]) and ends[-2] == 1000
    # At the budget the slices give the curve's value exactly (a breakpoint): 400 x 1000 / 1500.
    assert slices_on(slices, np.array([1000.0]))[0] == pytest.approx(400 * 1000 / 1500, rel=1e-12)


def test_validate_states_the_achieved_error(tmp_path):
    result = invoke("validate", write_scenario(tmp_path, _curved(MM)))
    assert result.exit_code == 0, result.output
    assert "a: michaelis_menten curve as" in result.output
    assert "of max_effect (max_error 0.500%) on spend up to 1,000 per period" in result.output


@pytest.mark.parametrize("response,overrides,pieces", [
    ({"curve": "hill", "half_saturation": 500, "slope": 2.3, "max_effect": 400}, {},
     ["channels[a].response.slope: got 2.3", "slope 2.3 > 1 makes the curve S-shaped", "give `response:` as slices"]),
    (MM, {"budget": {}}, ["channels[a].response: got 'michaelis_menten'", "a spend range", "budget.total"]),
    ({**MM, "max_effect": 4000}, {},
     ["channels[a].response.max_effect: got 4000", "at most one unit of effective spend per unit of spend",
      "multiply max_effect and cost_per_lead both by"]),
    ({**MM, "curve": "gompertz"}, {}, ["channels[a].response", "'hill', 'michaelis_menten', 'logistic'"]),
    ({**MM, "slope": 0.5}, {}, ["channels[a].response.slope", "unknown field 'slope'"]),
    ({**MM, "max_error": 0}, {}, ["channels[a].response.max_error: got 0", "greater than 0"]),
])
def test_a_curve_that_cannot_be_planned_is_refused_in_one_line(tmp_path, response, overrides, pieces):
    path = write_scenario(tmp_path, _curved(response, **overrides))
    for command in (["validate", path], ["solve", path, "--out", tmp_path / "out"]):
        text = assert_one_error_line(invoke(*command), 2)
        for piece in pieces:
            assert piece in text, text
    assert not (tmp_path / "out").exists()


def test_the_scaling_the_refusal_names_keeps_the_leads(tmp_path):
    # E x / (H + x) with E = 4000, H = 500 at cost per lead 10: the first slice buys ~6.9 per unit of spend.
    text = assert_one_error_line(invoke("validate", write_scenario(tmp_path, _curved({**MM, "max_effect": 4000}))), 2)
    factor = float(text.split("both by ")[1].split(" ")[0])
    assert 0.1 < factor < 0.2
    # Scaled by 0.1: E = 400 at cost per lead 1, valid, and still 4000 x 1000 / 1500 / 10 = 266.67 leads at 1000.
    data = _curved({**MM, "max_effect": 400})
    data["channels"][0]["cost_per_lead"] = 1
    channel = load_scenario(write_scenario(tmp_path, data, "scaled.yaml")).scenario.channels[0]
    slices = [{"up_to": seg.up_to, "efficiency": seg.efficiency} for seg in channel.response]
    assert slices[0]["efficiency"] <= 1
    assert slices_on(slices, np.array([1000.0]))[0] / 1 == pytest.approx(4000 * 1000 / 1500 / 10, rel=1e-12)

"""Saturation curves from a media-mix model, turned into a channel's concave `response:` slices.

A curve gives a channel's *effect* per period as a function of its spend per period x (money). The effect
is effective spend: money at full efficiency, i.e. the leads it buys are effect(x) x demand index /
cost_per_lead, exactly what `response:` slices compute (spend x efficiency, slice by slice). A model
whose effect is in leads maps onto this with cost_per_lead 1 and max_effect in leads. The forms:

    hill               effect(x) = E x^s / (H^s + x^s)            (0 < s <= 1; s > 1 is S-shaped: refused)
    michaelis_menten   effect(x) = E x / (H + x)
    logistic           effect(x) = E (1 - 3^(-x/H)) / (1 + 3^(-x/H))  (= E tanh(ln 3 x / 2H))

E is max_effect (money of effective spend), H half_saturation (money per period: effect(H) = E/2 for all
three). Each is concave on x >= 0, so the chords between breakpoints lie below the curve and the LP,
which fills concave slices in order, follows the chords exactly.

Construction (greedy chords): from a = 0, the next breakpoint b is the largest spend in (a, R] whose
chord stays within max_error x E of the curve on [a, b]. For a concave curve the largest gap between
curve and chord is at the point where the curve's slope equals the chord's (found by bisection on the
decreasing derivative), and it grows with b, so b is found by bisection too. R is the channel's spend
range per period (its largest max_spend, or the budget total). After the chords, an open slice continues
at the curve's slope at R (spend beyond R happens only in variants built from the fitted scenario). The
achieved error is the largest of the chords' gaps, over E; it holds on [0, R].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, field_validator

from allocator.scenario.fields import NUMBER, PositiveMoney, Strict

MAX_SLICES = 200  # more means max_error is below what a plan needs; refuse rather than build a huge LP
_LN3 = math.log(3.0)

MaxError = Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False), NUMBER]


class _Curve(Strict):
    half_saturation: PositiveMoney = Field(description="Spend per period at which the effect is half of max_effect (money).")
    max_effect: PositiveMoney = Field(
        description="The effect the curve tends to (money of effective spend: leads x cost_per_lead)."
    )
    max_error: MaxError = Field(
        0.005, description="Largest gap between the LP's slices and the curve, as a share of max_effect (0-1)."
    )


class HillCurve(_Curve):
    """effect(x) = max_effect x^slope / (half_saturation^slope + x^slope)."""

    curve: Literal["hill"] = Field(description="The curve's form (docs/model.md, response curves).")
    slope: Annotated[float, Field(gt=0, allow_inf_nan=False), NUMBER] = Field(
        description="Hill exponent, > 0 and at most 1 (above 1 the curve is S-shaped)."
    )

    @field_validator("slope")
    @classmethod
    def _concave(cls, slope: float) -> float:
        if slope > 1:
            raise ValueError(
                f"at most 1: slope {slope:g} > 1 makes the curve S-shaped (convex below its inflection point), "
                "which concave slices cannot follow; give `response:` as slices, or fit the Hill slope <= 1")
        return slope


class MichaelisMentenCurve(_Curve):
    """effect(x) = max_effect x / (half_saturation + x)."""

    curve: Literal["michaelis_menten"] = Field(description="The curve's form (docs/model.md, response curves).")


class LogisticCurve(_Curve):
    """effect(x) = max_effect (1 - 3^(-x/half_saturation)) / (1 + 3^(-x/half_saturation))."""

    curve: Literal["logistic"] = Field(description="The curve's form (docs/model.md, response curves).")


ResponseCurve = Annotated[HillCurve | MichaelisMentenCurve | LogisticCurve, Field(discriminator="curve")]


def effect(curve: _Curve, x: float) -> float:
    """The curve's effect (money of effective spend) at spend x per period."""
    E, H = curve.max_effect, curve.half_saturation
    if x <= 0:
        return 0.0
    if isinstance(curve, HillCurve):
        return E / (1.0 + (H / x) ** curve.slope)
    if isinstance(curve, MichaelisMentenCurve):
        return E * x / (H + x)
    return E * math.tanh(_LN3 * x / (2.0 * H))


def marginal(curve: _Curve, x: float) -> float:
    """d effect / d spend at x > 0 (decreasing: the curves are concave)."""
    E, H = curve.max_effect, curve.half_saturation
    if isinstance(curve, HillCurve):
        s = curve.slope
        r = (H / x) ** s
        return E * s * r / (x * (1.0 + r) ** 2)
    if isinstance(curve, MichaelisMentenCurve):
        return E * H / (H + x) ** 2
    u = _LN3 * x / (2.0 * H)
    return E * _LN3 / (2.0 * H) / math.cosh(u) ** 2 if u < 350 else 0.0


def chord_gap(curve: _Curve, a: float, b: float) -> float:
    """Largest (curve - chord) on [a, b]: at the point where the curve's slope equals the chord's."""
    fa, fb = effect(curve, a), effect(curve, b)
    slope = (fb - fa) / (b - a)
    lo, hi = a, b
    # The gap is flat at its peak, so x* to 1e-9 of the interval leaves the gap exact to ~1e-18 of it.
    while hi - lo > 1e-9 * (b - a):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:  # no double between them
            break
        if marginal(curve, mid) > slope:
            lo = mid
        else:
            hi = mid
    x = 0.5 * (lo + hi)
    return max(0.0, effect(curve, x) - (fa + slope * (x - a)))


@dataclass(frozen=True)
class CurveFit:
    """The slices a curve became, over which spend range, and how close they follow it."""

    curve: str
    parameters: tuple[tuple[str, float], ...]  # the curve's numbers as given (half_saturation, slope...)
    spend_range: float  # money per period: the slices are fitted on [0, spend_range]
    breakpoints: tuple[float, ...]  # slice ends (money per period), the last one = spend_range
    efficiencies: tuple[float, ...]  # chord slopes: effective spend per unit of spend
    max_error: float  # asked, share of max_effect
    achieved_error: float  # largest gap of the slices below the curve on [0, spend_range], share of max_effect
    beyond: float  # the curve's slope at spend_range: the open last slice's efficiency (0: no such slice)

    def slices(self) -> list[dict]:
        """The `response:` list form: the chords, then an open slice at the curve's slope at the range's end.

        Spend beyond the range happens only in a variant built from the fitted scenario (a lever moved by
        `explain`, say); there the slices follow the curve's tangent, above the curve, not the last chord."""
        if self.beyond <= 0:  # the curve is flat at the range's end (slope < 1e-9 of the first): last chord stays open
            ends = list(self.breakpoints[:-1]) + [None]
            return [{"up_to": end, "efficiency": eff} for end, eff in zip(ends, self.efficiencies)]
        chords = [{"up_to": end, "efficiency": eff} for end, eff in zip(self.breakpoints, self.efficiencies)]
        return chords + [{"up_to": None, "efficiency": self.beyond}]


def fit_slices(curve: _Curve, spend_range: float) -> CurveFit:
    """Greedy chords on [0, spend_range], each within max_error x max_effect of the curve."""
    tolerance = curve.max_error * curve.max_effect
    ends: list[float] = []
    gaps: list[float] = []
    a = 0.0
    while a < spend_range and len(ends) < MAX_SLICES:
        b = spend_range if chord_gap(curve, a, spend_range) <= tolerance else _farthest_end(curve, a, spend_range, tolerance)
        gaps.append(chord_gap(curve, a, b))
        ends.append(b)
        a = b
    if a < spend_range:
        raise ValueError(f"at most {MAX_SLICES} slices; max_error {curve.max_error:g} needs more over "
                         f"spend up to {spend_range:g}: raise max_error")
    starts = [0.0] + ends[:-1]
    chords = [(effect(curve, b) - effect(curve, s)) / (b - s) for s, b in zip(starts, ends)]
    # Chord slopes of a concave curve fall; rounding must not make one rise by an ulp (the slice check refuses it).
    efficiencies = tuple(min(chords[: k + 1]) for k in range(len(chords)))
    beyond = min(marginal(curve, spend_range), efficiencies[-1])
    parameters = tuple((k, v) for k, v in curve.model_dump().items() if k not in ("curve", "max_error"))
    return CurveFit(curve.curve, parameters, spend_range, tuple(ends), efficiencies, curve.max_error,
                    max(gaps) / curve.max_effect, beyond if beyond > 1e-9 * efficiencies[0] else 0.0)


def _farthest_end(curve: _Curve, a: float, limit: float, tolerance: float) -> float:
    """The largest b in (a, limit) whose chord from a is within tolerance (the gap grows with b)."""
    lo, hi = a, limit
    while hi - lo > 1e-10 * (hi - a):  # relative to the slice, which may be tiny where the curve is steep
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if chord_gap(curve, a, mid) <= tolerance:
            lo = mid
        else:
            hi = mid
    return lo if lo > a else hi  # lo == a only when no double fits between: take the shortest chord there is


def spend_range(scenario, channel) -> float | None:
    """Most the channel can spend in one period: its max_spend (the budget total where it has none), the
    largest over periods; None when neither bounds it."""
    budget = scenario.budget.total if scenario.budget.total is not None else math.inf
    cap = channel.max_spend
    per_period = [cap.get(p) if isinstance(cap, dict) else cap for p in scenario.periods]
    largest = max(budget if c is None else min(c, budget) for c in per_period)
    return largest if math.isfinite(largest) and largest > 0 else None


def curve_fit(scenario, channel) -> CurveFit | None:
    """The channel's curve fitted over its spend range; None without a range (the cross-checks say so)."""
    reach = spend_range(scenario, channel)
    return None if reach is None else fit_slices(channel.response, reach)


def with_curve_slices(scenario, segment_type):
    """The scenario with each curve replaced by its slices (`segment_type`: the schema's ResponseSegment).

    A curve that cannot become valid slices (no spend range, too many slices, a first slice above full
    efficiency) is left as it is: `allocator.scenario.references` refuses it with the field's name."""
    if not any(isinstance(channel.response, _Curve) for channel in scenario.channels):
        return scenario
    channels = []
    for channel in scenario.channels:
        if not isinstance(channel.response, _Curve):
            channels.append(channel)
            continue
        try:
            fit = curve_fit(scenario, channel)
        except ValueError:
            fit = None
        if fit is None or fit.efficiencies[0] > 1:
            channels.append(channel)
            continue
        fitted = channel.model_copy(update={"response": [segment_type(**piece) for piece in fit.slices()]})
        fitted._response_fit = fit
        channels.append(fitted)
    return scenario.model_copy(update={"channels": channels})


def curve_problem(scenario, channel) -> tuple[str, object, str] | None:
    """(field under the channel's response, value, expected) when its curve cannot be planned, else None."""
    try:
        fit = curve_fit(scenario, channel)
    except ValueError as exc:
        return "max_error", channel.response.max_error, str(exc)
    if fit is None:
        return "", channel.response.curve, ("a spend range to fit the curve over: the channel's max_spend "
                                           "in every period, or budget.total")
    if fit.efficiencies[0] > 1:
        return "max_effect", channel.response.max_effect, (
            f"a curve that buys at most one unit of effective spend per unit of spend (its first slice, up to "
            f"{fit.breakpoints[0]:.6g}, buys {fit.efficiencies[0]:.4g}): effect is money at full efficiency "
            f"(leads x cost_per_lead); multiply max_effect and cost_per_lead both by {1 / fit.efficiencies[0]:.4g} "
            "or less (the same leads, bought at most at full efficiency)")
    return None


def fit_rows(scenario) -> list[dict]:
    """response_fit.csv: per channel whose response was a curve, the curve, its slices and its error."""
    rows = []
    for channel in scenario.channels:
        fit = channel._response_fit
        if fit is None:
            continue
        given = dict(fit.parameters)
        rows.append({"channel": channel.name, "curve": fit.curve, "half_saturation": given["half_saturation"],
                     "slope": given.get("slope"), "max_effect": given["max_effect"],
                     "spend_range": fit.spend_range, "slices": len(fit.slices()), "max_error": fit.max_error,
                     "achieved_error": fit.achieved_error})
    return rows

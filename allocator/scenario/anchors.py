"""Targets anchored outside the quarter: the annual plan split by quarter weights, growth over last year's
same quarter, and the history file those growths (and `allocator check-targets`) read.

A derived number is filled in at validation, so every later stage (model, verify, targets.csv) reads the
quarter's committed targets as plain numbers. A scenario that states a target *and* what it derives from
must give the same number: `check_anchors` refuses one that does not, naming both values. The history
file itself is read by `allocator.history` (a layer above this one); here it is only found and hashed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from allocator.errors import ScenarioError
from allocator.scenario.fields import NUMBER, Money, Name, PositiveMoney, Share, Strict

QUARTERS = ("Q1", "Q2", "Q3", "Q4")
NEW_KINDS = ("new", "prospect")  # the tiers whose customers are new (allocator.scenario.schema.NEW_CUSTOMER_KINDS)
WEIGHT_SUM_TOLERANCE = 1e-6
AGREEMENT = 1e-9  # relative: a stated target and its derivation agree when this close (float rounding only)
Growth = Annotated[float, Field(gt=-1, le=100, allow_inf_nan=False), NUMBER]


class AnnualTarget(Strict):
    """The year's plan and the quarter this scenario plans: its committed targets derive from these."""

    revenue: PositiveMoney = Field(
        description="The year's revenue target (money); the quarter commits revenue x its quarter weight.")
    new_customers: Annotated[float, Field(ge=0, allow_inf_nan=False), NUMBER] | None = Field(
        None, description="The year's new customers; the quarter commits this x its quarter weight.")
    new_customer_share: Share | None = Field(
        None, description="Share of the year's revenue new customers should bring (0-1).")
    quarter_new_customer_share: Share | None = Field(
        None, description="The quarter's step toward new_customer_share (default: the year's share): a floor on "
                          "the revenue share of tiers of kind new and prospect.")
    quarter_weights: dict[Literal[QUARTERS], Share] | list[Share] = Field(
        description="Each quarter's share of the year, {Q1: 0.2, Q2: 0.25, ...} or a list of 4; sums to 1.")
    quarter: Literal[QUARTERS] = Field(description="The quarter this scenario plans (Q1-Q4).")

    @field_validator("quarter_weights")
    @classmethod
    def _four_summing_to_one(cls, given):
        weights = given if isinstance(given, list) else list(given.values())
        if len(weights) != 4:
            raise ValueError(f"a weight for each of the four quarters Q1-Q4 (got {len(weights)})")
        if abs(sum(weights) - 1.0) > WEIGHT_SUM_TOLERANCE:
            raise ValueError(f"quarter weights that sum to 1 (they sum to {sum(weights):g})")
        return given

    def weights(self) -> dict[str, float]:
        given = self.quarter_weights
        return dict(zip(QUARTERS, given)) if isinstance(given, list) else dict(given)

    @property
    def weight(self) -> float:
        return self.weights()[self.quarter]

    @property
    def quarter_share(self) -> float | None:
        """The floor on the quarter's new-customer revenue share, or None."""
        return self.quarter_new_customer_share if self.quarter_new_customer_share is not None \
            else self.new_customer_share


class HistoryFile(Strict):
    """The history table targets are checked against and growth targets grow from."""

    file: Annotated[str, Field(min_length=1, max_length=1000)] = Field(
        description="CSV or Parquet history (date, channel, tier, [product], spend, leads, customers, revenue), "
                    "relative to the scenario file.")


class GrowthFields(Strict):
    """What a target on a selection adds to grow from last year (mixed into `SelectionTarget`)."""

    revenue_growth: Growth | None = Field(
        None, description="Committed revenue = the selection's revenue in the same quarter last year x (1 + this); "
                          "0.30 = +30%. Last year's revenue is revenue_base, or read from history: when omitted.")
    revenue_base: Money | None = Field(
        None, description="The selection's revenue in the same quarter last year (money); filled in from the "
                          "scenario's history file when omitted.")

    @model_validator(mode="before")
    @classmethod
    def _from_base(cls, data):
        return growth_from_base(data)


class AnchorFields(Strict):
    """What `Targets` adds: the annual plan, the named growth drivers and the buffer's reason."""

    annual: AnnualTarget | None = Field(None, description="The annual plan the quarter's targets derive from.")
    drivers: list[Name] = Field(
        default_factory=list, description="Named growth drivers (new channel, new product...): growth above the "
                                          "trend, or an order value above history's, is then explained.")
    buffer_reason: Annotated[str, Field(min_length=1, max_length=500)] | None = Field(
        None, description="Why the buffer is outside the guide's 10-15%.")

    @model_validator(mode="before")
    @classmethod
    def _from_annual(cls, data):
        return targets_from_annual(data)


def _number(value) -> float | None:
    """A raw value as a float when it is one (before validation; a bad one is left for validation to report)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def targets_from_annual(data):
    """Raw ``targets`` with the quarter's revenue (and new customers, new-customer share) filled in from
    ``annual`` where not stated; stated ones are compared by `check_anchors`."""
    if not isinstance(data, dict) or not isinstance(data.get("annual"), dict):
        return data
    try:
        annual = AnnualTarget.model_validate(data["annual"])
    except ValidationError:
        return data  # reported where it is, by the field's own validation
    data = dict(data)
    if data.get("revenue") is None:
        data["revenue"] = annual.revenue * annual.weight
    if annual.new_customers is not None and data.get("new_customers") is None:
        data["new_customers"] = annual.new_customers * annual.weight
    mix = data.get("mix", [])
    if annual.quarter_share is not None and isinstance(mix, list) and _share_mix(mix) is None:
        data["mix"] = [*mix, {"of": "revenue", "select": {"kind": list(NEW_KINDS)},
                              "min_share": annual.quarter_share}]
    return data


def _share_mix(mix: list) -> int | None:
    """Where `mix` (raw rows or validated ones) has the revenue floor on exactly the new-customer kinds."""
    for i, item in enumerate(mix):
        if isinstance(item, BaseModel):
            item = item.model_dump(exclude_none=True)  # a validated MixTarget
        if not isinstance(item, dict):
            continue  # a malformed row: validation reports it
        select = item.get("select")
        if item.get("of") == "revenue" and item.get("min_share") is not None and isinstance(select, dict) \
                and set(select) == {"kind"} and sorted(_names(select["kind"])) == sorted(NEW_KINDS):
            return i
    return None


def _names(value) -> list:
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []


def growth_from_base(data):
    """A raw target on a selection with its revenue filled in from revenue_base x (1 + revenue_growth)."""
    if not isinstance(data, dict) or data.get("revenue") is not None:
        return data
    growth, base = _number(data.get("revenue_growth")), _number(data.get("revenue_base"))
    if growth is None or base is None:
        return data
    return {**data, "revenue": base * (1.0 + growth)}


def _agree(stated: float, derived: float) -> bool:
    return abs(stated - derived) <= AGREEMENT * max(abs(stated), abs(derived), 1.0)


def check_anchors(s, file: str) -> None:
    """Stated targets agree with what they derive from; a growth target has something to grow from."""
    t = s.targets
    if t.annual is not None:
        a = t.annual
        for field, year in (("revenue", a.revenue), ("new_customers", a.new_customers)):
            stated = getattr(t, field)
            if year is not None and stated is not None and not _agree(stated, year * a.weight):
                raise ScenarioError(file, f"targets.{field}", stated, f"the annual plan's {show_figure(year * a.weight)} "
                                    f"(targets.annual: {show_figure(year)} x {a.quarter} weight {show_percent(a.weight)}); "
                                    f"state one of them, or both agreeing")
        found = _share_mix(t.mix)
        if a.quarter_share is not None and found is not None and not _agree(t.mix[found].min_share, a.quarter_share):
            raise ScenarioError(file, f"targets.mix[{found}].min_share", t.mix[found].min_share,
                                f"the annual plan's new-customer share for {a.quarter} ({show_percent(a.quarter_share)}); "
                                f"state one of them, or both agreeing")
    for i, target in enumerate(t.by):
        if target.revenue_growth is None:
            continue
        where = f"targets.by[{i}]"
        if target.revenue_base is not None and target.revenue is not None:
            derived = target.revenue_base * (1.0 + target.revenue_growth)
            if not _agree(target.revenue, derived):
                raise ScenarioError(file, f"{where}.revenue", target.revenue,
                                    f"{show_figure(derived)} (revenue_base {show_figure(target.revenue_base)} x "
                                    f"(1 + {show_percent(target.revenue_growth)})); state one of them, or both agreeing")
        elif target.revenue_base is None and s.history is None:
            raise ScenarioError(file, f"{where}.revenue_growth", target.revenue_growth,
                                "last year's revenue to grow from: history: {file: history.csv} in the scenario, "
                                "or revenue_base on the target")


def history_file(data: dict, path: Path, provenance, reach, digest) -> dict[str, Path]:
    """``{"history": path}`` for the history file `data` names (found like a ``file:`` table, relative to
    the file that names it and within `reach`), its bytes added to `digest`; ``{}`` without one."""
    spec = data.get("history")
    if not isinstance(spec, dict) or not isinstance(spec.get("file"), str) or not spec["file"].strip():
        return {}  # absent, or malformed: the schema says what is wrong
    defined_in = provenance.file_for(("history", "file"))
    base = path if defined_in == "--set" else Path(defined_in)
    written = spec["file"]
    target = reach.check(base.parent / written, base, "history.file", written)
    if not target.is_file():
        raise ScenarioError(base, "history.file", written, f"an existing CSV or Parquet file (looked for {target})")
    try:
        digest.update(target.read_bytes())
    except OSError as exc:
        raise ScenarioError(base, "history.file", written, f"a readable file ({exc.strerror})") from None
    return {"history": target}


# --- the derivations, as targets.csv shows them ---------------------------------------------------------


def derivations(s) -> dict[str, str]:
    """targets.csv target name -> how its committed number was derived ("annual 100,000,000 x Q1 weight 20%
    = 20,000,000"); targets stated as plain numbers are not in it."""
    out: dict[str, str] = {}
    t = s.targets
    if t.annual is not None:
        a = t.annual
        for field, year in (("revenue", a.revenue), ("new_customers", a.new_customers)):
            if year is not None and getattr(t, field) is not None:
                out[field] = (f"annual {show_figure(year)} x {a.quarter} weight {show_percent(a.weight)} = "
                              f"{show_figure(year * a.weight)}")
        found = _share_mix(t.mix)
        if a.quarter_share is not None and found is not None:
            year = f"annual new-customer share {show_percent(a.new_customer_share)}, " if a.new_customer_share else ""
            out[f"mix_min_revenue[{t.mix[found].select.label()}]"] = \
                f"{year}{a.quarter} share {show_percent(a.quarter_share)}"
    for target in t.by:
        if target.revenue_growth is not None and target.revenue_base is not None:
            out[f"by_revenue[{target.select.label()}]"] = (
                f"{window_label(last_year(s.periods))} revenue of {target.select.label()} "
                f"{show_figure(target.revenue_base)} x (1 + {show_percent(target.revenue_growth)}) = "
                f"{show_figure(target.revenue_base * (1.0 + target.revenue_growth))}")
    return out


def last_year(periods, years: int = 1) -> list[str]:
    """The same periods `years` years earlier (2027-01 -> 2026-01, 2027-W05 -> 2026-W05)."""
    return [f"{int(p[:4]) - years:04d}{p[4:]}" for p in periods]


def window_label(periods) -> str:
    """``2026-Q1`` for the three months of a calendar quarter, else ``first..last``."""
    periods = list(periods)
    if len(periods) == 3 and all("W" not in p for p in periods):
        year, month = periods[0][:4], int(periods[0][5:7])
        if month % 3 == 1 and periods == [f"{year}-{month + k:02d}" for k in range(3)]:
            return f"{year}-Q{month // 3 + 1}"
    return periods[0] if len(periods) == 1 else f"{periods[0]}..{periods[-1]}"


def show_figure(value: float) -> str:
    """Whole units with thousands separators from 1,000 up, 3 significant digits below (as the summary)."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def show_percent(share: float) -> str:
    return f"{share * 100:.4g}%"

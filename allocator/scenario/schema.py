"""The scenario file's schema: frozen pydantic models, every field bounded and described.

Units: money is in the scenario's currency; "per period" means per entry of
``periods``; shares and rates are fractions 0-1. Cross-references between
sections (a funnel row naming a channel, say) are checked in `allocator.scenario.references`.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, Field, PrivateAttr, model_validator

from allocator.scenario.anchors import AnchorFields, GrowthFields, HistoryFile
from allocator.scenario.calendar import Calendar, Milestone
from allocator.scenario.curves import CurveFit, ResponseCurve, with_curve_slices
from allocator.scenario.fields import (  # noqa: F401 (re-exported: the schema's field types)
    NAME_PATTERN, NUMBER, Count, Factor, Money, Name, NameOrNames, PerPeriodCount, PerPeriodMoney, PositiveMoney,
    Rate, Share, Strict,
)
from allocator.scenario.objectives import OBJECTIVE_NAMES

TIER_KINDS = ("new", "existing", "key_account", "prospect")
STAGES = ("introduction", "growth", "maturity", "decline")
# Tiers whose converted customers count toward the new-customer target.
NEW_CUSTOMER_KINDS = ("new", "prospect")
# Targets that may be goals (soft), in their default priority order.
GOALS = ("revenue", "new_customers", "leads", "min_roi", "mix", "by")
# Quarter targets that `targets.owners` may name an owner for (min_roi: the portfolio floor).
OWNED_TARGETS = ("revenue", "new_customers", "leads", "min_roi")


class ResponseSegment(Strict):
    """One slice of a channel's spend in a period, with its own efficiency."""

    up_to: PositiveMoney | None = Field(
        None, description="Spend per period at which this slice ends (money); omit on the last slice for no end."
    )
    efficiency: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False), NUMBER] = Field(
        description="Leads per unit of spend in this slice, relative to the channel's cost per lead (0-1]."
    )


class Channel(Strict):
    name: Name = Field(description="Channel name, unique (e.g. website, livestream).")
    group: Name = Field("other", description="Channel group used in selections and mix shares (owned, partner, emerging...).")
    cost_per_lead: PositiveMoney = Field(description="Money per lead at full efficiency.")
    min_roi: Annotated[float, Field(ge=0, allow_inf_nan=False), NUMBER] | None = Field(
        None, description="Floor on the channel's quarter return: incremental revenue (or value) per unit of spend."
    )
    max_spend: PerPeriodMoney | None = Field(None, description="Most the channel can take per period (money).")
    min_spend: PerPeriodMoney | None = Field(None, description="Least the channel must get per period (money).")
    max_leads: PerPeriodCount | None = Field(None, description="Most leads the channel can deliver per period.")
    min_spend_if_used: PositiveMoney | None = Field(
        None, description="Over the quarter the channel is either off or gets at least this much (adds a binary)."
    )
    response: Annotated[list[ResponseSegment], Field(min_length=1)] | ResponseCurve | None = Field(
        None,
        description="Diminishing returns on the channel's spend per period: slices in increasing order, "
        "efficiency non-increasing (concave); or a media-mix curve (hill, michaelis_menten, logistic) that "
        "becomes such slices (allocator.scenario.curves).",
    )
    _response_fit: CurveFit | None = PrivateAttr(None)  # set when `response` was fitted from a curve


class Tier(Strict):
    name: Name = Field(description="Customer tier name, unique.")
    kind: Literal["new", "existing", "key_account", "prospect"] = Field(
        description="Segment kind: new, existing, key_account or prospect."
    )
    conversion: Rate = Field(description="Share of leads that become customers (0-1].")
    order_value: PositiveMoney = Field(description="Average revenue per converted customer in the quarter (money).")
    value_multiplier: Factor = Field(
        1.0, description="Lifetime value per unit of quarter revenue; used when roi_basis is lifetime_value."
    )
    channels: list[Name] | None = Field(None, description="Only these channels may serve the tier (default: all).")
    order_value_lever: Name | None = Field(None, description="What lifts the order value above history's (cross-sell...).")


class Product(Strict):
    name: Name = Field(description="Product (line) name, unique.")
    stage: Literal["introduction", "growth", "maturity", "decline"] = Field(description="Lifecycle stage.")
    margin: Share | None = Field(None, description="Gross margin as a share of revenue (0-1); needed for max_profit.")
    order_value_multiplier: Factor = Field(1.0, description="Multiplies the tier's order value for this product.")


class FunnelRow(Strict):
    """Overrides for one channel x tier (optionally x product) cell; blank fields keep the defaults."""

    channel: Name
    tier: Name
    product: Name | None = Field(None, description="Omit to apply to every product.")
    cost_per_lead: PositiveMoney | None = None
    conversion: Rate | None = None
    order_value: PositiveMoney | None = Field(None, description="Replaces the tier's order value (still times the product multiplier).")
    eligible: bool = Field(True, description="false: this cell gets no spend variable.")


class BaselineRow(Strict):
    """Revenue that comes without marketing spend (repeat business), in one cell."""

    channel: Name
    tier: Name
    product: Name
    period: str
    revenue: Money


class Seasonality(Strict):
    demand_index: dict[str, Factor] | None = Field(
        None, description="Per-period multiplier on leads per unit of spend (default 1)."
    )
    target_weights: dict[str, Share] | None = Field(
        None, description="Share of the quarter's revenue each period should carry; must sum to 1."
    )
    tolerance: Share = Field(0.05, description="Each period's revenue share may be within weight x (1 +/- tolerance).")


class Selection(Strict):
    """Cells picked by name; keys combine with AND, a list within a key with OR."""

    channel: NameOrNames | None = None
    group: NameOrNames | None = None
    tier: NameOrNames | None = None
    kind: NameOrNames | None = Field(None, description="Tier kind(s).")
    product: NameOrNames | None = None
    stage: NameOrNames | None = Field(None, description="Product lifecycle stage(s).")
    period: NameOrNames | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> "Selection":
        if not any(getattr(self, key) is not None for key in SELECTION_KEYS):
            raise ValueError(f"a selection needs at least one of: {', '.join(SELECTION_KEYS)}")
        return self

    def items(self) -> list[tuple[str, tuple[str, ...]]]:
        out = []
        for key in SELECTION_KEYS:
            value = getattr(self, key)
            if value is not None:
                out.append((key, (value,) if isinstance(value, str) else tuple(value)))
        return out

    def label(self) -> str:
        """Stable readable label, e.g. ``group=owned&period=2027-01|2027-02``."""
        return "&".join(f"{key}={'|'.join(values)}" for key, values in self.items())


SELECTION_KEYS = ("channel", "group", "tier", "kind", "product", "stage", "period")


class BudgetLimit(Strict):
    select: Selection
    min: Money | None = Field(None, description="Least spend on the selection (money).")
    max: Money | None = Field(None, description="Most spend on the selection (money).")
    min_share: Share | None = Field(None, description="Least share of total spend (0-1).")
    max_share: Share | None = Field(None, description="Most share of total spend (0-1).")

    @model_validator(mode="after")
    def _bounds(self) -> "BudgetLimit":
        if all(v is None for v in (self.min, self.max, self.min_share, self.max_share)):
            raise ValueError("a budget limit needs at least one of min, max, min_share, max_share")
        return self  # min <= max is checked in allocator.scenario.references, which can name the field


# What a budget line may promise, in the order its rows are built and reported.
LINE_PROMISES = ("new_customers", "revenue", "leads", "min_roi")


class BudgetLine(BudgetLimit):
    """A named budget line: a selection's spend bounds and the outcomes its own spend promises."""

    name: Name
    owner: Name | None = Field(None, description="Who answers for the line (shown in lines.csv).")
    new_customers: Count | None = Field(None, description="Least new customers bought by the line's spend.")
    revenue: Money | None = Field(None, description="Least incremental revenue bought by the line's spend (money).")
    leads: Count | None = Field(None, description="Least leads bought by the line's spend.")
    min_roi: Annotated[float, Field(ge=0, allow_inf_nan=False), NUMBER] | None = Field(
        None, description="Least incremental revenue (or value) per unit of the line's spend."
    )

    @model_validator(mode="after")
    def _bounds(self) -> "BudgetLine":
        return self  # a line may only name a selection, to report what it buys


class Budget(Strict):
    total: PositiveMoney | None = Field(None, description="The quarter's marketing budget (money); a cap on spend.")
    limits: list[BudgetLimit] = Field(default_factory=list, description="Min/max spend on selections.")
    lines: list[BudgetLine] = Field(default_factory=list, description="Named budget lines with their own promises.")
    owner: Name | None = Field(None, description="Who answers for the budget total (targets.csv budget_total).")


class MixTarget(Strict):
    of: Literal["revenue", "spend"] = Field(description="Share of total revenue (baseline included) or of spend.")
    select: Selection
    min_share: Share | None = None
    max_share: Share | None = None
    owner: Name | None = Field(None, description="Who answers for the share (shown in targets.csv).")

    @model_validator(mode="after")
    def _bounds(self) -> "MixTarget":
        if self.min_share is None and self.max_share is None:
            raise ValueError("a mix target needs min_share or max_share")
        return self  # min <= max is checked in allocator.scenario.references, which can name the field


# What a target on a selection may set: a floor on each outcome, a ceiling on spend.
BY_FLOORS = ("revenue", "new_customers", "leads", "customers")


class SelectionTarget(GrowthFields):
    """Absolute targets on a selection's cells (floors with the buffer; a spend ceiling as given)."""

    select: Selection
    revenue: Money | None = Field(None, description="Least revenue of the selection, baseline included (money).")
    new_customers: Count | None = Field(None, description="Least new customers in the selection.")
    leads: Count | None = Field(None, description="Least leads in the selection.")
    customers: Count | None = Field(None, description="Least customers (every tier) in the selection.")
    max_spend: Money | None = Field(None, description="Most spend on the selection (money); no buffer.")
    owner: Name | None = Field(None, description="Who answers for the selection's targets (shown in targets.csv).")

    @model_validator(mode="after")
    def _some(self) -> "SelectionTarget":
        if all(getattr(self, f) is None for f in BY_FLOORS + ("max_spend", "revenue_growth")):
            raise ValueError("a target on a selection needs at least one of revenue, new_customers, leads, "
                             "customers, max_spend (or revenue_growth)")
        return self


class Targets(AnchorFields):
    revenue: Money | None = Field(None, description="Committed quarter revenue, baseline included (money).")
    new_customers: Count | None = Field(None, description="Committed new customers (tiers of kind new and prospect).")
    leads: Count | None = Field(None, description="Committed leads.")
    buffer: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False), NUMBER] = Field(
        0.0, description="Plan this share above each committed target (0.10 = 10%)."
    )
    min_roi: Annotated[float, Field(ge=0, allow_inf_nan=False), NUMBER] | None = Field(
        None, description="Portfolio floor: incremental revenue (or value) per unit of total spend."
    )
    mix: list[MixTarget] = Field(default_factory=list, description="Min/max shares of revenue or spend.")
    by: list[SelectionTarget] = Field(default_factory=list, description="Absolute targets on selections (hard or soft as `by`).")
    owners: dict[Literal[OWNED_TARGETS], Name] = Field(
        default_factory=dict, description="Who answers for each quarter target, e.g. {revenue: Sales VP} (targets.csv)."
    )
    mode: Literal["hard", "soft"] = Field(
        "hard", description="hard: every target must hold (else no plan); soft: targets are goals, shortfalls allowed."
    )
    soft: list[Literal[GOALS]] = Field(
        default_factory=list, description="Targets that are goals even when mode is hard (mix: every mix share; by: every target on a selection)."
    )
    priority: list[Literal[GOALS]] = Field(
        default_factory=lambda: list(GOALS),
        description="Lexicographic order of soft targets: shortfalls of the first are minimised first.",
    )

    def planned(self, committed: float | None) -> float | None:
        return None if committed is None else committed * (1.0 + self.buffer)

    def is_soft(self, goal: str) -> bool:
        return self.mode == "soft" or goal in self.soft

    def level(self, goal: str) -> int:
        """Priority level of a goal (0 first); goals not listed come after the listed ones, in GOALS order."""
        if goal in self.priority:
            return self.priority.index(goal)
        return len(self.priority) + GOALS.index(goal)


class Uncertainty(Strict):
    """A random multiplier on one funnel number for the cells a selection picks (1.0 = as planned)."""

    what: Literal["cost_per_lead", "conversion", "order_value", "demand_index"] = Field(
        description="The funnel number that is uncertain."
    )
    select: Selection | None = Field(None, description="The cells it applies to (default: all).")
    dist: Literal["uniform", "triangular", "normal", "lognormal"] = Field(description="Distribution of the multiplier.")
    low: Factor | None = Field(None, description="uniform/triangular: smallest multiplier.")
    mode: Factor | None = Field(None, description="triangular: most likely multiplier.")
    high: Factor | None = Field(None, description="uniform/triangular: largest multiplier.")
    mean: Factor | None = Field(None, description="normal/lognormal: mean multiplier.")
    sd: Annotated[float, Field(gt=0, allow_inf_nan=False), NUMBER] | None = Field(None, description="normal/lognormal: standard deviation.")

    @model_validator(mode="after")
    def _parameters(self) -> "Uncertainty":
        needs = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high"), "normal": ("mean", "sd"),
                 "lognormal": ("mean", "sd")}[self.dist]
        missing = [k for k in needs if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.dist} distribution needs {', '.join(needs)} (missing {', '.join(missing)})")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low at most high (here {self.low:g} > {self.high:g})")
        if self.mode is not None and not (self.low <= self.mode <= self.high):
            raise ValueError(f"mode within [low, high] (here {self.mode:g} outside [{self.low:g}, {self.high:g}])")
        return self


class Scenario(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)] = Field(description="Scenario name.")
    currency: Annotated[str, Field(min_length=1, max_length=10)] = Field("CNY", description="Currency label.")
    description: str = Field("", max_length=5000)
    periods: list[str] = Field(min_length=1, max_length=400, description="Ordered periods: YYYY-MM or YYYY-Www.")
    roi_basis: Literal["revenue", "lifetime_value"] = Field(
        "revenue", description="What ROI floors measure: quarter revenue, or revenue x tier value_multiplier."
    )
    channels: list[Channel] = Field(min_length=1)
    tiers: list[Tier] = Field(min_length=1)
    products: list[Product] = Field(min_length=1)
    funnel: list[FunnelRow] = Field(default_factory=list, description="Per-cell overrides and eligibility.")
    baseline: list[BaselineRow] = Field(default_factory=list, description="Revenue not driven by spend.")
    seasonality: Seasonality = Field(default_factory=Seasonality)
    budget: Budget = Field(default_factory=Budget)
    targets: Targets = Field(default_factory=Targets)
    sales_capacity: PerPeriodCount | None = Field(None, description="Leads the sales team can handle per period.")
    objective: Literal[OBJECTIVE_NAMES] = Field("max_revenue")  # the registry in allocator.scenario.objectives
    uncertainty: list[Uncertainty] = Field(default_factory=list, description="Random multipliers for `allocator risk`.")
    calendar: Calendar | None = Field(None, description="Split the plan into days and ISO weeks (weekly.csv).")
    milestones: list[Milestone] = Field(default_factory=list, description="Key dates with cumulative targets.")
    history: HistoryFile | None = Field(None, description="Past results: growth targets and target checks read it.")

    @model_validator(mode="wrap")
    @classmethod
    def _curves_as_slices(cls, data, handler) -> "Scenario":
        """A channel's media-mix curve becomes its `response:` slices, fitted over its spend range."""
        return with_curve_slices(handler(data), ResponseSegment)


@cache
def field_names() -> frozenset[str]:
    """Every field name of the scenario schema, at any depth (the words a scenario file's keys are made of)."""
    names: set[str] = set()
    seen: set[type] = set()
    todo: list = [Scenario]
    while todo:
        annotation = todo.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in seen:
                seen.add(annotation)
                names.update(annotation.model_fields)
                todo.extend(info.annotation for info in annotation.model_fields.values())
        else:
            todo.extend(get_args(annotation))
    return frozenset(names)

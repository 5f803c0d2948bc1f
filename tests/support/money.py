"""The same scenario in another currency: every money amount multiplied by one factor.

Which fields hold money is read from the schema itself (the `Money`, `PositiveMoney` and per-period money
annotations of allocator/schema.py), so a money field added later is scaled without touching this file.
Counts (leads, customers), rates, shares, ROI floors and multipliers stay as they are: scaled by f, the
plan spends and earns f times as much and wins exactly the same leads and customers.
"""

from __future__ import annotations

import copy
import types
import typing
from dataclasses import replace

from pydantic import BaseModel

from allocator.scenario.schema import Scenario


def _is_money(annotation) -> bool:
    """Whether an annotation is (or contains, in a union or a mapping's values) a money amount."""
    if typing.get_origin(annotation) is typing.Annotated:
        return any(str(getattr(m, "description", "") or "").startswith("Money") for m in annotation.__metadata__)
    return any(_is_money(arg) for arg in typing.get_args(annotation))


def _model_of(annotation) -> type[BaseModel] | None:
    """The pydantic model an annotation holds (directly, in a list or in an Optional), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def money_fields(model: type[BaseModel] = Scenario, prefix: str = "") -> list[str]:
    """Dotted paths of the money fields (``channels[].cost_per_lead``, ``budget.total``...)."""
    out = []
    # The annotations as written (pydantic folds a field's own `Annotated` metadata into its FieldInfo).
    hints = typing.get_type_hints(model, include_extras=True)
    for name in model.model_fields:
        annotation = hints[name]
        path = f"{prefix}{name}"
        if _is_money(annotation):
            out.append(path)
            continue
        # Each alternative of a union on its own: a response is a list of slices or a curve (a mapping).
        for alternative in _alternatives(annotation):
            sub = _model_of(alternative)
            if sub is not None:
                listed = typing.get_origin(alternative) is list
                out.extend(f for f in money_fields(sub, f"{path}[]." if listed else f"{path}.") if f not in out)
    return out


def _alternatives(annotation) -> list:
    """The members of a union (through Annotated and nested unions), or the annotation itself."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _alternatives(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [leaf for arg in typing.get_args(annotation) for leaf in _alternatives(arg)]
    return [annotation]


def _scale_value(value, factor: float):
    if isinstance(value, dict):  # a per-period mapping
        return {k: v * factor for k, v in value.items()}
    return value * factor


def _apply(node, parts: list[str], factor: float) -> None:
    if node is None:
        return
    head, rest = parts[0], parts[1:]
    listed = head.endswith("[]")
    key = head[:-2] if listed else head
    if not isinstance(node, dict) or key not in node or node[key] is None:
        return
    if listed:
        for item in node[key] if isinstance(node[key], list) else ():
            _apply(item, rest, factor)
    elif rest:
        _apply(node[key], rest, factor)
    else:
        node[key] = _scale_value(node[key], factor)


def scale_money(data: dict, factor: float) -> dict:
    """A copy of scenario `data` (inline tables only) with every money amount times `factor`."""
    if any(isinstance(data.get(k), dict) and "file" in data[k] for k in ("funnel", "baseline")):
        raise ValueError("scale_money works on inline tables only")
    out = copy.deepcopy(data)
    for path in money_fields():
        _apply(out, path.replace("[].", "[]|").replace(".", "|").split("|"), factor)
    return out


MONEY_COLUMNS = ("spend", "revenue", "baseline_revenue", "revenue_total")


def scale_drawn(case, factor: float):
    """A drawn case (tests/reference.py `Drawn`) in another currency: its scenario and its reference plan."""
    rows = [{k: (v * factor if k in MONEY_COLUMNS else v) for k, v in row.items()} for row in case.reference]
    return replace(case, data=scale_money(case.data, factor), reference=rows)

"""Scenario variants: `extends: base.yaml` plus overrides by field path, and `--set` on the command line.

A variant file holds ``extends: base.yaml`` and either plain top-level fields
(replacing the base's) or overrides by path::

    extends: example_q1.yaml
    name: Q1 with a bigger budget
    budget.total: 3.5e6
    channels[livestream].max_spend: 400000
    seasonality.demand_index.2027-02: 0.8

``[name]`` picks a list item by its ``name`` (or ``[2]`` by position; a name made of digits wins
over the position, and a position is refused in a list whose names are numbers). Every
value remembers the file it came from (`Provenance`), so a validation error
names the file that holds the bad value, not only the one that was run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from allocator.scenario.documents import DocumentError, NestingTooDeep, parse_yaml, plain_copy
from allocator.errors import ScenarioError, Text

TABLE_SECTIONS = ("funnel", "baseline")
_SEGMENT = re.compile(r"^(?P<key>[^\[\]]*)(?P<selectors>(\[[^\[\]]+\])*)$")


@dataclass
class Provenance:
    """Which file each part of the merged scenario came from (longest matching path wins)."""

    default: str
    paths: dict[tuple, str] = field(default_factory=dict)

    def file_for(self, path: tuple) -> str:
        for cut in range(len(path), 0, -1):
            found = self.paths.get(tuple(path[:cut]))
            if found is not None:
                return found
        return self.default


def is_path(key: str) -> bool:
    return isinstance(key, str) and ("." in key or "[" in key)


def parse_path(text: str) -> list:
    """``channels[livestream].max_spend`` -> ['channels', ('name', 'livestream'), 'max_spend']."""
    out: list = []
    for segment in _split_dots(text):
        match = _SEGMENT.match(segment)
        if not match or (not match.group("key") and not match.group("selectors")):
            raise ValueError(f"malformed path segment {segment!r}")
        if match.group("key"):
            out.append(match.group("key"))
        for selector in re.findall(r"\[([^\[\]]+)\]", match.group("selectors")):
            out.append(("index", selector.strip()) if _is_integer(selector) else ("name", selector))
    return out


def _split_dots(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "." and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def apply_override(data: dict, path_text: str, value, source: str, copy_path: bool = False) -> tuple:
    """Set the value at `path_text` in `data` (in place); returns the concrete path (keys and indices).

    ``copy_path``: every list and mapping on the way to the value is replaced by a copy of itself first,
    so that containers `data` shares with another document (a cached parse) are never changed."""
    try:
        steps = parse_path(path_text)
    except ValueError as exc:
        raise ScenarioError(source, path_text, Text(str(exc)), "a field path like budget.total or channels[livestream].max_spend") from None
    node = data
    concrete: list = []
    for position, step in enumerate(steps):
        last = position == len(steps) - 1
        if isinstance(step, tuple):
            if not isinstance(node, list):
                raise ScenarioError(source, path_text, Text(f"a selector on {_show(concrete)}, which is not a list"),
                                    "[name] or [position] only after a list field")
            try:
                index = find_item(node, step)
            except AmbiguousSelector as exc:
                raise ScenarioError(source, path_text, step[1], str(exc)) from None
            if index is None:
                names = ", ".join(str(item.get("name")) for item in node if isinstance(item, dict))
                raise ScenarioError(source, path_text, step[1], f"an item of {_show(concrete)} (one of: {names})")
            concrete.append(index)
            if last:
                node[index] = value
            else:
                node = _own(node, index) if copy_path else node[index]
        else:
            if not isinstance(node, dict):
                raise ScenarioError(source, path_text, Text(f"{_show(concrete)} is not a mapping"), "a path through mappings and lists")
            concrete.append(step)
            if last:
                node[step] = value
            else:
                if node.get(step) is None:
                    node[step] = {}
                node = _own(node, step) if copy_path else node[step]
    return tuple(concrete)


def _own(parent, key):
    """parent[key], replaced by a shallow copy of itself when it is a list or a mapping."""
    child = parent[key]
    if isinstance(child, (dict, list)):
        child = type(child)(child)
        parent[key] = child
    return child


def find_item(items: list, selector: tuple) -> int | None:
    """The position of the list item a path step selects, or None when there is no such item.

    ``("name", x)`` picks the item named x. ``("index", "2")`` picks the item *named* "2" if there is
    one (a name always wins over a position), else the item at position 2; in a list where some
    names are numbers a position would be a guess between the two readings, so it is refused
    (`AmbiguousSelector`) with both spellings explained.
    """
    kind, text = selector
    for i, item in enumerate(items):
        if isinstance(item, dict) and str(item.get("name")) == text:
            return i
    if kind == "name":
        return None
    numbered = [str(item["name"]) for item in items if isinstance(item, dict) and _is_integer(str(item.get("name", "x")))]
    if numbered:
        raise AmbiguousSelector(
            f"[{text}] names no item, and positions are not used where names are numbers "
            f"(write the name, e.g. [{numbered[0]}]; to pick by position, give the items names that are not numbers)"
        )
    position = int(text)
    return position if -len(items) <= position < len(items) else None


class AmbiguousSelector(ValueError):
    """A [number] selector in a list whose item names are numbers and none is that number."""


def _is_integer(text: str) -> bool:
    return re.fullmatch(r"-?\d+", text.strip()) is not None


def _show(path: list) -> str:
    return ".".join(str(p) for p in path) or "the scenario"


def absolutise_tables(data: dict, folder: Path) -> None:
    """Make `{file: x.csv}` table references absolute, relative to the file that wrote them."""
    for section in TABLE_SECTIONS:
        value = data.get(section)
        if isinstance(value, dict) and isinstance(value.get("file"), str):
            data[section] = {**value, "file": str((folder / value["file"]).resolve())}


def merge_variant(base: dict, base_provenance: Provenance, child: dict, child_file: str) -> tuple[dict, Provenance]:
    """The base with the child's fields and path overrides applied (neither input is changed)."""
    merged = plain_copy(base)
    provenance = Provenance(base_provenance.default, dict(base_provenance.paths))
    for key, value in child.items():
        if is_path(key):
            concrete = apply_override(merged, key, value, child_file)
            provenance.paths[concrete] = child_file
        else:
            merged[key] = value
            provenance.paths[(key,)] = child_file
    return merged, provenance


def apply_sets(data: dict, provenance: Provenance, assignments: list[str]) -> tuple[dict, Provenance]:
    """``--set path=value`` overrides; values are read as YAML scalars (3.5e6, true, 2027-02, [a, b]).
    `data` is not changed: only the lists and mappings on each override's path are copied."""
    merged = dict(data)
    provenance = Provenance(provenance.default, dict(provenance.paths))
    for assignment in assignments:
        path_text, sep, raw = assignment.partition("=")
        if not sep or not path_text.strip():
            raise ScenarioError("--set", assignment, Text("no '='"), "PATH=VALUE, e.g. --set budget.total=3.5e6")
        try:
            value = parse_yaml(raw)
        except NestingTooDeep as exc:
            raise ScenarioError("--set", path_text, Text(exc.what), exc.expected) from None
        except DocumentError:
            raise ScenarioError("--set", path_text, raw, "a YAML value (a number, text, true/false, or [a, b])") from None
        concrete = apply_override(merged, path_text.strip(), value, "--set", copy_path=True)
        provenance.paths[concrete] = "--set"
    return merged, provenance

"""Parse a scenario document (YAML or JSON text) into plain Python data, safely.

Guards, each reported as one `DocumentError` (a description, never a quote of
the file's content, since the file may not be a scenario at all):

- YAML is read with the safe loader (no tags that construct objects);
- a repeated key in one mapping is refused (the last copy would silently win);
- anchors that expand into a huge tree ("billion laughs") are refused before
  anything is built;
- nesting deeper than `MAX_NESTING` is refused before anything is built (the
  constructors, pydantic and deepcopy all recurse; a real scenario nests ~6 deep).

The node-graph walks are iterative, so no input can exhaust Python's stack here.
"""

from __future__ import annotations

import functools
import json
import re

import numpy as np
import yaml

MAX_YAML_NODES = 200_000  # nodes after expanding aliases; a real scenario has a few thousand
MAX_NESTING = 64  # lists/mappings within each other; the deepest real field (a response slice) is 5


class DocumentError(Exception):
    """The text is not a usable document; ``where`` is a position ("line 3, column 9") or ""."""

    def __init__(self, what: str, expected: str, where: str = ""):
        super().__init__(what)
        self.what = what
        self.expected = expected
        self.where = where


class NestingTooDeep(DocumentError):
    """Lists and mappings nested deeper than MAX_NESTING."""


def parse_json(text: str):
    """A JSON document, refusing NaN/Infinity, repeated keys and deep nesting."""
    check_json_nesting(text)
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except _RepeatedKey as exc:
        raise DocumentError(f"{_key(exc.key)} twice in one object", "each key once") from None
    except json.JSONDecodeError as exc:
        # exc.msg is a fixed phrase ("Expecting value"); the position is all that is said about the text.
        raise DocumentError(f"invalid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})", "a JSON object") from None
    except ValueError as exc:
        raise DocumentError(f"invalid JSON ({exc})", "a JSON object") from None


def parse_yaml(text: str):
    """One YAML document, node graph checked (size with aliases expanded, nesting) before it is built."""
    loader = _SAFE_LOADER(text)
    try:
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            size, depth = _measure(node)
            if size > MAX_YAML_NODES:
                raise DocumentError(f"YAML anchors expanding to {size:,} nodes (more than {MAX_YAML_NODES:,})",
                                    "a scenario without alias expansion bombs")
            if depth > MAX_NESTING:
                raise NestingTooDeep(f"YAML nested {depth} levels deep", f"at most {MAX_NESTING} levels of nesting")
            return loader.construct_document(node)
        except RecursionError:  # PyYAML's pure-Python composer recurses (libyaml stops at 1,000 levels itself)
            raise NestingTooDeep("YAML nested too deep to read", f"at most {MAX_NESTING} levels of nesting") from None
        except _RepeatedKey as exc:
            raise DocumentError(f"{_key(exc.key)} twice in one mapping",
                                "each key once (the second would silently replace the first)",
                                f"line {exc.line}") from None
        except yaml.reader.ReaderError as exc:  # a character YAML does not allow; it has a position, no mark
            line = text.count("\n", 0, max(exc.position, 0)) + 1
            raise DocumentError(f"a YAML syntax error ({_plain(exc.reason)})", "valid YAML", f"line {line}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise DocumentError(f"a YAML syntax error ({_problem(exc)})", "valid YAML", where) from None
    finally:
        loader.dispose()


def _problem(exc: yaml.YAMLError) -> str:
    """The parser's description without the bits it quotes from the text (a character, a tag, an alias name).

    str(exc) would add the offending line itself, so only ``problem`` is used, and quoted parts are cut.
    """
    return _plain(getattr(exc, "problem", None) or "")


def _plain(problem: str) -> str:
    # Quoted text that may come from the file (a character, a tag, an alias name) is cut; quoted
    # punctuation the parser expected ("',' or '}'") is kept.
    problem = re.sub(r"""(['"])(.*?)\1""", lambda m: m.group(0) if re.fullmatch(r"[^\w\s'\"]{1,3}", m.group(2)) else "",
                     problem)
    problem = re.sub(r"[^\x20-\x7e]", "", problem)  # libyaml may name an unprintable character itself
    return " ".join(problem.split())[:120] or "unreadable YAML"


_PERIOD_KEY = re.compile(r"^\d{4}-(\d{2}|W\d{2})$")


def _key(key) -> str:
    """A repeated key, quoted only when it is a word of the scenario vocabulary (a field or a period):
    the file may not be a scenario at all, and its keys are its content."""
    from allocator.scenario.schema import field_names

    if isinstance(key, str) and (key in field_names() or _PERIOD_KEY.match(key)):
        return f"the key '{key}'"
    return "a key"


def _measure(root) -> tuple[int, int]:
    """(nodes with every alias expanded, deepest nesting) of a composed YAML node graph, without recursion.

    Shared nodes (aliases) are measured once and counted every time they are used;
    a node reached again while it is being measured (a recursive anchor) counts as 1.
    Only lists and mappings go on the stack: a scalar is one node at depth 0, counted where it stands.
    """
    if not isinstance(root, yaml.CollectionNode):
        return 1, 0
    done: dict[int, tuple[int, int]] = {}
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if not expanded:
            if key in done:
                continue
            done[key] = (1, 1)  # provisional: a recursive anchor sees this
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node)
                         if isinstance(child, yaml.CollectionNode) and id(child) not in done)
            continue
        size, depth = 1, 1  # a list or mapping is one level
        for child in _children(node):
            child_size, child_depth = done[id(child)] if isinstance(child, yaml.CollectionNode) else (1, 0)
            size += child_size
            depth = max(depth, child_depth + 1)
        done[key] = (min(size, MAX_YAML_NODES + 1), depth)  # capped: the count is only compared with the limit
    return done[id(root)]


def _children(node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def check_json_nesting(text: str) -> None:
    """Refuse JSON text nested deeper than MAX_NESTING before `json` recurses into it (any JSON the tool reads)."""
    depth = _json_depth(text)
    if depth > MAX_NESTING:
        raise NestingTooDeep(f"JSON nested {depth} levels deep", f"at most {MAX_NESTING} levels of nesting")


# A JSON string (escapes included); brackets inside one do not nest.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _json_depth(text: str) -> int:
    """Deepest nesting of [ and { in JSON text (outside strings), counted without parsing.

    Vectorised (strings cut by a regular expression, the brackets' running sum by numpy), so that a
    16 MiB file is measured in a fraction of a second."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)).encode("ascii")
    if not brackets:
        return 0
    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(np.cumsum(steps).max())


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number a scenario may hold")


class _RepeatedKey(Exception):
    def __init__(self, key, line: int | None = None):
        super().__init__(key)
        self.key = key
        self.line = line


def _unique_keys(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise _RepeatedKey(key)
        out[key] = value
    return out


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml's safe loader when PyYAML was built with it (ten times faster), refusing repeated keys."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                hashable = key in seen
            except TypeError:
                continue
            if hashable:
                raise _RepeatedKey(key, key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _timestamp_or_text(loader, node):
    """A date YAML cannot build (2027-02-30) stays the text typed, for the schema to refuse by its field."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)
_SAFE_LOADER = _UniqueKeyLoader  # a module attribute so that tests can run the pure-Python loader too


def parsed_copy(text: str, is_json: bool):
    """`text` parsed (JSON or YAML), once per distinct text: a what-if session loads its scenario for every
    variant. Each caller gets its own copy, free to change."""
    return plain_copy(_parsed(text, is_json))


def plain_copy(value):
    """A copy of a parsed document's dicts and lists (their other values, scalars and dates, are immutable
    and shared): what copy.deepcopy gives for such data, several times faster."""
    if isinstance(value, dict):
        return {k: plain_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_copy(v) for v in value]
    return value


@functools.lru_cache(maxsize=32)
def _parsed(text: str, is_json: bool):
    return parse_json(text) if is_json else parse_yaml(text)

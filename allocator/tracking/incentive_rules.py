"""The incentive rules file (YAML): bonus tiers, commission, awards, consequences of missed months, people.

Public API: `load_rules(path) -> LoadedRules` (the validated `Rules` and the files read) and
`IncentiveError`, the one-line error every bad value raises (an `InputError`: exit 2, nothing written).

Units: attainment thresholds are fractions of the month's target (1.0 = 100%, 1.2 = 120%); a bonus tier
pays a share of the payee's monthly pay (0.10 = 10%); commission is a share of attributed sales; pay,
prizes and sales are money in the rules' currency. The guide's numbers (DOMAIN.md 4.3) as rules:
10% of monthly pay at 100%, 20% at 120%, 1% commission, an improvement plan after 2 missed months, a
role review after 3 (scenarios/incentives/rules.yaml).
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import Field, ValidationError, model_validator

from allocator.errors import InputError, Text
from allocator.scenario.documents import DocumentError, parse_yaml
from allocator.scenario.fields import NUMBER, Money, Name, Share, Strict

MAX_RULES_BYTES = 1024 * 1024
MAX_PEOPLE_BYTES = 50 * 1024 * 1024
RuleId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$",
                              description="The rule's id, shown in payouts.csv `rule_ids` (letters, digits, _ . -).")]
Words = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
Threshold = Annotated[float, Field(gt=0, le=100, allow_inf_nan=False, description="Attainment as a fraction of "
                                   "target (1.0 = 100%)."), NUMBER]
PayShare = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False, description="A share of monthly pay "
                                  "(0.10 = 10%)."), NUMBER]


class IncentiveError(InputError):
    """A rules file, people table or attainment table that cannot be used: file, field or row, value, expected."""


class BonusTier(Strict):
    id: RuleId
    at: Threshold = Field(description="Reached when attainment >= at (inclusive; compared unrounded).")
    pay_share: PayShare = Field(description="Bonus as a share of the month's pay (0.10 = 10%).")


class Bonus(Strict):
    tiers: list[BonusTier] = Field(min_length=1, description="Tiers in increasing order of `at`.")
    stack: bool = Field(False, description="false: only the highest tier reached pays; true: every tier reached pays.")

    @model_validator(mode="after")
    def _increasing(self) -> Bonus:
        thresholds = [tier.at for tier in self.tiers]
        if any(b <= a for a, b in pairwise(thresholds)):
            raise ValueError(f"tiers|at {', '.join(f'{t:g}' for t in thresholds)}|tiers in strictly increasing order of at")
        return self


class CommissionRate(Strict):
    """A rate for attributed sales of one product and/or channel (attainment table rows naming them)."""

    id: RuleId
    product: Name | None = None
    channel: Name | None = None
    rate: Share = Field(description="Share of the row's attributed sales (0.02 = 2%).")

    @model_validator(mode="after")
    def _selects(self) -> CommissionRate:
        if self.product is None and self.channel is None:
            raise ValueError("|neither product nor channel|a rate by product, channel or both")
        return self


class Commission(Strict):
    id: RuleId = "commission"
    rate: Share = Field(description="Share of attributed sales paid as commission (0.01 = 1%).")
    by: list[CommissionRate] = Field(default_factory=list, description="Other rates by product/channel; the first "
                                     "that matches a row applies, else `rate`.")


AWARD_MEASURES = ("new_customers", "sales", "actual", "attainment")


class Award(Strict):
    id: RuleId
    name: Words = Field(description="What the award is called (shown in payouts.csv `award`).")
    rule: Literal["most", "first_to"] = Field(
        description="most: the highest `measure` over the period; first_to: the first month (then the earliest "
                    "`reached_on`) in the period with attainment >= `threshold`.")
    measure: Literal["new_customers", "sales", "actual", "attainment"] | None = Field(None, description="For most.")
    threshold: Threshold = Field(1.0, description="For first_to: the attainment to reach.")
    period: Literal["month", "quarter"] = Field("quarter", description="One award per month or per calendar quarter.")
    prize: Money = Field(0, description="Money paid to the winner; tied winners split it equally.")

    @model_validator(mode="after")
    def _measure(self) -> Award:
        if self.rule == "most" and self.measure is None:
            raise ValueError(f"measure|nothing|for rule most, a measure: one of {', '.join(AWARD_MEASURES)}")
        if self.rule == "first_to" and self.measure is not None:
            raise ValueError(f"measure|{self.measure}|none for rule first_to (it counts attainment against threshold)")
        return self


class Consequence(Strict):
    id: RuleId
    after_misses: Annotated[int, Field(ge=1, le=24)] = Field(
        description="Missed months in a row after which the action is flagged, in the month after the last miss.")
    action: Words = Field(description="What happens, in words (improvement plan, role review).")


class Person(Strict):
    """A payee: a person, or a team paid as one; `team` groups payees in totals.csv."""

    name: Name
    monthly_pay: Money = Field(description="The pay a bonus tier's pay_share applies to (money per month).")
    team: Name | None = None


class PeopleFile(Strict):
    file: Annotated[str, Field(min_length=1, max_length=500)] = Field(
        description="A CSV table name, monthly_pay[, team], relative to the rules file.")


class Rules(Strict):
    currency: Annotated[str, Field(min_length=1, max_length=12, pattern=r"^[A-Za-z]+$")] | None = None
    miss_below: Threshold = Field(1.0, description="A month is missed when attainment < miss_below (1.0 = 100%).")
    bonus: Bonus | None = None
    commission: Commission | None = None
    awards: list[Award] = Field(default_factory=list)
    consequences: list[Consequence] = Field(default_factory=list)
    people: list[Person] | PeopleFile = Field(description="Payees with their monthly pay: a list, or {file: people.csv}.")

    @model_validator(mode="after")
    def _unique(self) -> Rules:
        ids = [r.id for r in self.rule_list()]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"|the rule id {repeated[0]} twice|each rule id once")
        counts = [c.after_misses for c in self.consequences]
        if len(set(counts)) < len(counts):
            raise ValueError("consequences|after_misses repeated|each consequence at its own after_misses")
        if isinstance(self.people, list):
            if not self.people:  # as a people table with no rows is refused
                raise ValueError("people|none|at least one payee")
            names = [p.name for p in self.people]
            if len(set(names)) < len(names):
                raise ValueError(f"people|{next(n for n in names if names.count(n) > 1)} twice|each payee once")
        return self

    def rule_list(self) -> list:
        """Every rule with an id, in the file's order."""
        bonus = list(self.bonus.tiers) if self.bonus else []
        commission = [self.commission, *self.commission.by] if self.commission else []
        return [*bonus, *commission, *self.awards, *self.consequences]


@dataclass(frozen=True)
class LoadedRules:
    rules: Rules
    people: dict[str, Person]
    path: Path
    files: tuple[Path, ...]  # every file read: the rules file and the people table


def load_rules(path: str | Path) -> LoadedRules:
    """The rules file at `path`, validated, with its people (inline or from their table)."""
    path = Path(path)
    raw = read_bytes(path, "rules file (YAML)", MAX_RULES_BYTES)
    try:
        data = parse_yaml(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise IncentiveError(path, "", Text("bytes that are not UTF-8"), "a UTF-8 YAML file") from None
    except DocumentError as exc:
        raise IncentiveError(path, exc.where, Text(exc.what), exc.expected) from None
    if not isinstance(data, dict):
        raise IncentiveError(path, "", Text(f"a YAML {type(data).__name__}"), "a mapping of rules (bonus:, people:...)")
    try:
        rules = Rules.model_validate(data)
    except ValidationError as exc:
        raise _translate(exc, path, data) from None
    if isinstance(rules.people, PeopleFile):
        table = (path.parent / rules.people.file)
        people, files = read_people(table), (path, table)
    else:
        people, files = {p.name: p for p in rules.people}, (path,)
    return LoadedRules(rules, people, path, files)


def read_people(path: Path) -> dict[str, Person]:
    """people.csv: name, monthly_pay and optionally team, one payee a row (line numbers in errors)."""
    frame = read_csv_text(path, "people table (CSV)", MAX_PEOPLE_BYTES)
    columns = {str(c).strip().lower(): c for c in frame.columns}
    for name in ("name", "monthly_pay"):
        if name not in columns:
            raise IncentiveError(path, f"column {name}", Text("missing"), "the columns name, monthly_pay (and optionally team)")
    people: dict[str, Person] = {}
    for number, row in enumerate(frame.to_dict("records"), start=2):
        item = {key: str(row[columns[key]]).strip() for key in ("name", "monthly_pay", "team") if key in columns}
        if not item.get("team"):
            item.pop("team", None)
        try:
            person = Person.model_validate({**item, "monthly_pay": _number(item["monthly_pay"])})
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            field = str(error["loc"][0]) if error["loc"] else ""
            raise IncentiveError(path, f"line {number}, {field}", item.get(field, ""), _expected(error)) from None
        if person.name in people:
            raise IncentiveError(path, f"line {number}, name", person.name, "each payee once")
        people[person.name] = person
    if not people:
        raise IncentiveError(path, "rows", Text("none"), "at least one payee")
    return people


def read_bytes(path: Path, what: str, limit: int) -> bytes:
    """The file's bytes: refuses a missing file, a folder, a pipe or device, and anything over `limit`."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise IncentiveError(path, "", Text("a path that does not exist"), f"an existing {what}") from None
    except OSError as exc:
        raise IncentiveError(path, "", Text(exc.strerror or "unreadable"), f"an existing {what}") from None
    if not stat.S_ISREG(info.st_mode):
        raise IncentiveError(path, "", Text("a folder" if path.is_dir() else "not a regular file"), f"a {what}")
    if info.st_size > limit:
        raise IncentiveError(path, "", Text(f"{info.st_size} bytes"), f"a {what} of at most {limit} bytes")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IncentiveError(path, "", Text(exc.strerror or "unreadable"), f"a readable {what}") from None


def read_csv_text(path: Path, what: str, limit: int) -> pd.DataFrame:
    """A CSV table with every cell as text (blank cells ""), header on line 1."""
    import io

    raw = read_bytes(path, what, limit)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IncentiveError(path, "", Text("bytes that are not UTF-8"), f"a UTF-8 {what}") from None
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise IncentiveError(path, "", Text("not a readable CSV table"),
                             f"a CSV table with a header row ({' '.join(str(exc).split())})") from None


def _number(text: str):
    """A number cell as a float when it reads as one (else left for validation to report)."""
    try:
        return float(text)
    except ValueError:
        return text


def _translate(exc: ValidationError, path: Path, data: dict) -> IncentiveError:
    """pydantic's first error as one line, the field path naming list items by their id (or name)."""
    errors = exc.errors(include_url=False)
    error = min(errors, key=lambda e: (e["type"] != "extra_forbidden", e["type"].endswith("_type"), -len(e["loc"])))
    loc = [part for part in error["loc"] if isinstance(part, int) or part not in _UNION_TAGS]
    field, node = "", data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            label = next((item[k] for k in ("id", "name") if isinstance(item, dict) and isinstance(item.get(k), str)
                          and item[k].isprintable()), str(part))
            field, node = field + f"[{label}]", item
        else:
            field += ("." if field else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    if error["type"] == "missing":
        return IncentiveError(path, field, Text("nothing"), "a value (this field is required)")
    if error["type"] == "extra_forbidden":
        return IncentiveError(path, field, Text(f"unknown field '{loc[-1]}'"), "a field of the rules format "
                              "(scenarios/README.md, 'Incentive rules')")
    message = _expected(error)
    if error["type"] == "value_error" and message.count("|") == 2:  # a model's own check: field|got|expected
        sub, got, expected = message.split("|")
        return IncentiveError(path, ".".join(p for p in (field, sub) if p), Text(got), expected)
    if loc == ["people"]:
        return IncentiveError(path, field, Text(f"a value of type {type(error.get('input')).__name__}"),
                              "a list of payees (name, monthly_pay, team) or {file: people.csv}")
    value = error.get("input")
    if isinstance(value, (dict, list)):
        value = Text(f"a {type(value).__name__}")
    return IncentiveError(path, field, value, _expected(error))


_UNION_TAGS = {"list[Person]", "PeopleFile"}


def _expected(error: dict) -> str:
    message = error["msg"]
    for prefix in ("Input should be ", "Value error, "):
        message = message.removeprefix(prefix)
    return message

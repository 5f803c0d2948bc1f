"""Pay incentives from attainment: bonus tiers, commission, awards, and consequences of missed months.

Public API: `pay_incentives(loaded, table) -> Incentives` (payouts, totals, expected cost at plan).

Rules as computed (each payouts.csv row names the rules that applied, by id and in words):

- attainment = the month's actual / its target, kept unrounded; a threshold is reached when
  actual >= threshold x target, compared exactly on the decimal numbers as read (no float error, no
  rounding first): 119.9% does not reach 120%, 120% exactly does;
- bonus: the highest tier reached pays its pay_share x monthly pay (`stack: true`: every tier reached);
- commission: each attainment-table row's attributed sales x the first `by:` rate matching its product
  and channel, else the default rate; paid whatever the attainment;
- a month is missed when attainment < miss_below; after n missed months in a row (consecutive calendar
  months; a month absent from the table ends the run) the consequence with the largest after_misses <= n
  is flagged in the month after the last miss (a row of its own when the table ends before it);
- awards: `most` goes to the highest measure over the period (month or calendar quarter; attainment over
  a quarter = its actuals / its targets), none when the highest is 0; `first_to` to the payee reaching the
  threshold in the earliest month of the period, then on the earliest reached_on when every candidate has
  one; tied winners each win, and split the prize equally. A `most` award is shown in the winner's last
  month of the period, a `first_to` award in the month it was reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

import pandas as pd

from allocator.plan.words import figure
from allocator.tracking.incentive_rules import Award, IncentiveError, LoadedRules

PAYOUT_COLUMNS = ["person", "team", "month", "target_amount", "actual_amount", "attainment", "missed",
                  "monthly_pay", "sales", "bonus", "commission", "award", "award_amount", "incentive_total",
                  "flag", "rule_ids", "rules"]
AMOUNTS = ["bonus", "commission", "award_amount", "incentive_total"]


@dataclass(frozen=True)
class Incentives:
    payouts: pd.DataFrame  # one row per payee x month (PAYOUT_COLUMNS)
    totals: pd.DataFrame  # level (person/team/all), name, month (or "all"), AMOUNTS
    expected: pd.DataFrame  # part, amount, basis: the cost at planned attainment (100%)
    left_out: tuple[str, ...] = ()  # channels of a track run's kpis_monthly.csv that are no payee


def reached(actual: float, target: float, threshold: float) -> bool:
    """actual >= threshold x target, in exact decimal arithmetic on the numbers as written."""
    return _exact(actual) >= _exact(threshold) * _exact(target)


def percent(actual: float, target: float) -> str:
    """Attainment in words, cut (never rounded up) to 4 decimals: 23,998/20,000 reads 119.99%, not 120%."""
    value = (_exact(actual) * 100 / _exact(target)).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)
    return f"{value.normalize():f}%"


def _exact(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def pay_incentives(loaded: LoadedRules, table: pd.DataFrame) -> Incentives:
    """Every payee's months of `table` (read by `read_attainment`) paid under `loaded`'s rules."""
    rows = _payee_months(loaded, table)
    flags = _consequences(loaded, rows)
    awards = _awards(loaded, table, rows)
    for key, (rule_id, words) in flags.items():
        if key not in rows:  # the flag falls after the payee's last month in the table
            rows[key] = _flag_only_row(loaded, *key)
        rows[key]["flag"] = words.split(":")[0]
        rows[key]["ids"].append(rule_id)
        rows[key]["words"].append(words)
    for key, won in awards.items():
        rows[key]["award"] = "; ".join(name for name, _, _, _ in won)
        rows[key]["award_amount"] = float(sum(amount for _, amount, _, _ in won))
        rows[key]["ids"] += [rule_id for _, _, rule_id, _ in won]
        rows[key]["words"] += [words for _, _, _, words in won]
    records = []
    for key in sorted(rows):
        row = rows[key]
        row["incentive_total"] = row["bonus"] + row["commission"] + row["award_amount"]
        row["rule_ids"], row["rules"] = ";".join(row.pop("ids")), "; ".join(row.pop("words"))
        records.append(row)
    payouts = pd.DataFrame(records, columns=PAYOUT_COLUMNS)
    return Incentives(payouts, _totals(payouts), _expected_cost(loaded, table), tuple(table.attrs.get("left_out", ())))


def _payee_months(loaded: LoadedRules, table: pd.DataFrame) -> dict[tuple[str, str], dict]:
    """(person, month) -> the payout row so far: amounts summed over the month's rows, bonus, commission."""
    rows = {}
    for (person, month), group in table.groupby(["person", "month"], sort=True):
        payee = loaded.people[person]
        target, actual = float(group["target"].sum()), float(group["actual"].sum())
        row = {"person": person, "team": payee.team or "", "month": month, "target_amount": target,
               "actual_amount": actual, "attainment": actual / target,
               "missed": not reached(actual, target, loaded.rules.miss_below), "monthly_pay": payee.monthly_pay,
               "sales": float(group["sales"].sum()), "award": "", "award_amount": 0.0, "flag": "",
               "ids": [], "words": []}
        row["bonus"] = _bonus(loaded, row)
        row["commission"] = _commission(loaded, group, row)
        rows[(person, month)] = row
    return rows


def _flag_only_row(loaded: LoadedRules, person: str, month: str) -> dict:
    nan = float("nan")
    return {"person": person, "team": loaded.people[person].team or "", "month": month, "target_amount": nan,
            "actual_amount": nan, "attainment": nan, "missed": "", "monthly_pay": loaded.people[person].monthly_pay,
            "sales": nan, "bonus": 0.0, "commission": 0.0, "award": "", "award_amount": 0.0, "flag": "",
            "ids": [], "words": [f"no attainment row for {month}: the flag only"]}


def _bonus(loaded: LoadedRules, row: dict) -> float:
    """The bonus of the tiers reached (the highest only, unless stacked); notes the rule in `row`."""
    bonus = loaded.rules.bonus
    if bonus is None:
        return 0.0
    hit = [t for t in bonus.tiers if reached(row["actual_amount"], row["target_amount"], t.at)]
    shown = percent(row["actual_amount"], row["target_amount"])
    if not hit:
        row["words"].append(f"no bonus: attainment {shown} is below the first tier ({_pct(bonus.tiers[0].at)})")
        return 0.0
    paid = hit if bonus.stack else hit[-1:]
    for tier in paid:
        row["ids"].append(tier.id)
        row["words"].append(f"bonus {_pct(tier.pay_share)} of monthly pay {figure(row['monthly_pay'])} at "
                            f"attainment >= {_pct(tier.at)} (attainment {shown}"
                            + (", tiers stack)" if bonus.stack else ", highest tier reached)"))
    return float(sum(tier.pay_share * row["monthly_pay"] for tier in paid))


def _commission(loaded: LoadedRules, group: pd.DataFrame, row: dict) -> float:
    """Sum over rules of rate x the attributed sales of the rows it applies to; notes each rule in `row`."""
    commission = loaded.rules.commission
    if commission is None:
        return 0.0
    base: dict[str, float] = {}
    rules = {commission.id: commission, **{rate.id: rate for rate in commission.by}}
    for product, channel, sales in zip(group["product"], group["channel"], group["sales"]):
        rule = next((rate for rate in commission.by if rate.product in (None, product)
                     and rate.channel in (None, channel)), commission)
        base[rule.id] = base.get(rule.id, 0.0) + float(sales)
    total = 0.0
    for rule_id, sales in base.items():
        amount = rules[rule_id].rate * sales
        total += amount
        row["ids"].append(rule_id)
        row["words"].append(f"commission {_pct(rules[rule_id].rate)} of {figure(sales)} attributed sales"
                            + _scope(rules[rule_id]) + f" = {figure(amount)}")
    return total


def _scope(rule) -> str:
    parts = [f"{key} {getattr(rule, key)}" for key in ("product", "channel") if getattr(rule, key, None)]
    return f" ({', '.join(parts)})" if parts else ""


def _consequences(loaded: LoadedRules, rows: dict) -> dict[tuple[str, str], tuple[str, str]]:
    """(person, month) -> (rule id, words) of the consequence flagged in that month."""
    rules = sorted(loaded.rules.consequences, key=lambda c: c.after_misses)
    flags = {}
    if not rules:
        return flags
    for person in sorted({person for person, _ in rows}):
        run: list[str] = []
        for month in sorted(m for p, m in rows if p == person):
            if run and _next_month(run[-1]) != month:
                run = []  # a month absent from the table ends the run
            run = run + [month] if rows[(person, month)]["missed"] else []
            applies = [c for c in rules if c.after_misses <= len(run)]
            if applies:
                rule = applies[-1]
                flags[(person, _next_month(month))] = (rule.id, (
                    f"{rule.action}: missed {len(run)} months in a row ({', '.join(run)}; a miss is attainment "
                    f"below {_pct(loaded.rules.miss_below)}), after_misses {rule.after_misses}"))
    return flags


def _next_month(month: str) -> str:
    return f"{pd.Period(month, 'M') + 1}"


def _quarter(month: str) -> str:
    return f"{pd.Period(month, 'M').asfreq('Q')}".replace("Q", "-Q")


def _awards(loaded: LoadedRules, table: pd.DataFrame, rows: dict) -> dict[tuple[str, str], list]:
    """(person, month) -> [(award name, prize share, rule id, words)] for every award won."""
    won: dict[tuple[str, str], list] = {}
    for award in loaded.rules.awards:
        if award.measure == "new_customers" and table["new_customers"].isna().all():
            raise IncentiveError(loaded.path, f"awards[{award.id}].measure", award.measure,
                                 "a measure the attainment table has (it has no new_customers column)")
        keyed = table.assign(period=table["month"] if award.period == "month" else table["month"].map(_quarter))
        for period, group in keyed.groupby("period", sort=True):
            winners, words = (_most if award.rule == "most" else _first_to)(award, group)
            for person, month in winners:
                share = award.prize / len(winners)
                prize = f"prize {figure(award.prize)}" if award.prize else "no prize"
                if len(winners) > 1:
                    prize = f"tied {len(winners)} ways: {prize} split, {figure(share)} each"
                text = f"award {award.name} ({period}): {words}; {prize}"
                won.setdefault((person, month), []).append((award.name, share, award.id, text))
    return won


def _most(award: Award, group: pd.DataFrame) -> tuple[list[tuple[str, str]], str]:
    sums = group.groupby("person", sort=True)[["target", "actual", "sales", "new_customers"]].sum()
    values = sums["actual"] / sums["target"] if award.measure == "attainment" else sums[award.measure]
    best = float(values.max())
    if not best > 0:
        return [], ""
    last_month = group.groupby("person")["month"].max()
    winners = [(person, last_month[person]) for person in values.index[values.to_numpy() == best]]
    shown = _pct(best) if award.measure == "attainment" else f"{best:,.0f}" if best == round(best) else figure(best)
    return winners, f"the most {award.measure.replace('_', ' ')}, {shown}"


def _first_to(award: Award, group: pd.DataFrame) -> tuple[list[tuple[str, str]], str]:
    months = group.groupby(["person", "month"], sort=True).agg(
        target=("target", "sum"), actual=("actual", "sum"), reached_on=("reached_on", "min")).reset_index()
    hits = months[[reached(a, t, award.threshold) for a, t in zip(months["actual"], months["target"])]]
    if hits.empty:
        return [], ""
    first = hits[hits["month"] == hits["month"].min()]
    how = f"first to {_pct(award.threshold)} of target, in {first['month'].iat[0]}"
    if first["reached_on"].notna().all():
        first = first[first["reached_on"] == first["reached_on"].min()]
        how += f" on {first['reached_on'].iat[0]:%Y-%m-%d}"
    return list(zip(first["person"], first["month"])), how


def _totals(payouts: pd.DataFrame) -> pd.DataFrame:
    """Per person, per team (when payees have one) and in all; each month and the whole table ("all")."""
    frames = []
    every = payouts.assign(all="all", month_all="all")
    for level, key in (("person", "person"), ("team", "team"), ("all", "all")):
        source = every[every[key] != ""] if level == "team" else every
        for month_key in ("month", "month_all"):
            summed = source.groupby([key, month_key], sort=True)[AMOUNTS].sum().reset_index()
            frames.append(summed.rename(columns={key: "name", month_key: "month"}).assign(level=level))
    totals = pd.concat(frames, ignore_index=True)
    return totals[["level", "name", "month", *AMOUNTS]]


def _expected_cost(loaded: LoadedRules, table: pd.DataFrame) -> pd.DataFrame:
    """The cost if every payee's month lands at exactly 100% of target with sales equal to the target."""
    rules = loaded.rules
    bonus = 0.0
    months = table.groupby(["person", "month"], sort=True)["target"].sum()
    if rules.bonus is not None:
        hit = [t for t in rules.bonus.tiers if reached(1.0, 1.0, t.at)]
        share = sum(t.pay_share for t in (hit if rules.bonus.stack else hit[-1:]))
        bonus = float(sum(share * loaded.people[person].monthly_pay for person, _ in months.index))
    commission = 0.0
    if rules.commission is not None:
        for product, channel, target in zip(table["product"], table["channel"], table["target"]):
            rule = next((rate for rate in rules.commission.by if rate.product in (None, product)
                         and rate.channel in (None, channel)), rules.commission)
            commission += rule.rate * float(target)
    prizes = 0.0
    for award in rules.awards:
        periods = table["month"] if award.period == "month" else table["month"].map(_quarter)
        prizes += award.prize * periods.nunique()
    parts = [
        ("bonus", bonus, f"the tiers reached at 100% attainment, on {len(months)} payee-months of pay"),
        ("commission", commission, "commission on sales equal to each row's target"),
        ("awards", prizes, "every award's prize, once per period (month or quarter) in the table"),
        ("total", bonus + commission + prizes, "bonus + commission + awards"),
    ]
    return pd.DataFrame(parts, columns=["part", "amount", "basis"])


def _pct(value: float) -> str:
    return f"{Decimal(repr(float(value))) * 100:f}".rstrip("0").rstrip(".") + "%"

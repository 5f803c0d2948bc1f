"""Small hypothesis drawing helpers for tests/strategies.py: chances, rounded numbers on a grid, names, periods.

Numbers are drawn on an integer grid and rounded to a few significant digits, so that a failing
example reads like a real scenario; names may hold the characters a CSV or a spreadsheet trips on.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from hypothesis import strategies as st

KINDS = ("new", "existing", "key_account", "prospect")
STAGES = ("introduction", "growth", "maturity", "decline")

# Characters a name may hold besides letters and digits (the schema forbids brackets and control
# characters only). Spreadsheet-formula starts (= + - @) and apostrophes exercise the CSV
# neutralising in allocator/csvsafe.py, commas and quotes the CSV quoting, | & = the selection labels.
NAME_EXTRA = " _-.=+@,'\"&|é中"


# --------------------------------------------------------------------------
# Small drawing helpers
# --------------------------------------------------------------------------


def chance(draw, p: float) -> bool:
    """True with probability ~p; shrinks towards False (the simpler scenario)."""
    return draw(st.integers(0, 999)) >= round(1000 * (1.0 - p))


def sig(value: float, digits: int = 4) -> float:
    """`value` rounded to `digits` significant digits (0 stays 0)."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.{digits}g}")


def down(value: float, digits: int = 4) -> float:
    """`value` rounded down to `digits` significant digits (>= 0)."""
    if value <= 0:
        return 0.0
    q = 10.0 ** (math.floor(math.log10(value)) - digits + 1)
    return sig(math.floor(value / q * (1 - 1e-12)) * q, digits + 2)


def up(value: float, digits: int = 4) -> float:
    """`value` rounded up to `digits` significant digits (>= 0)."""
    if value <= 0:
        return 0.0
    q = 10.0 ** (math.floor(math.log10(value)) - digits + 1)
    return sig(math.ceil(value / q * (1 + 1e-12)) * q, digits + 2)


# Numbers are drawn on a grid (integers scaled), never as raw floats: hypothesis' float strategy
# likes values such as 1.6e-280, which are valid but no planner writes them.
GRID = 10_000


def log_uniform(draw, lo: float, hi: float) -> float:
    """A number between lo and hi, uniform in log scale, 4 significant digits; shrinks towards lo."""
    k = draw(st.integers(0, GRID))
    e = math.log10(lo) + (math.log10(hi) - math.log10(lo)) * k / GRID
    return min(hi, max(lo, sig(10.0 ** e)))


def uniform(draw, lo: float, hi: float, digits: int = 4) -> float:
    """A number between lo and hi, uniform, `digits` significant digits; shrinks towards lo."""
    k = draw(st.integers(0, GRID))
    return min(hi, max(lo, sig(lo + (hi - lo) * k / GRID, digits)))


# --------------------------------------------------------------------------
# Names and periods
# --------------------------------------------------------------------------


def _tricky_name():
    return st.text(alphabet=st.sampled_from(list("abxyz019") + list(NAME_EXTRA)), min_size=1, max_size=10)


def names(draw, prefix: str, n: int, tricky: bool) -> list[str]:
    """n unique names: `prefix0`, `prefix1`, ... or, when `tricky`, some odd but valid labels."""
    out: list[str] = []
    for i in range(n):
        name = f"{prefix}{i}"
        if tricky and chance(draw, 0.3):
            name = draw(_tricky_name())
        while name in out:
            name = f"{name}~{i}"
        out.append(name[:80])
    return out


@st.composite
def periods(draw, n: int) -> list[str]:
    """n consecutive months `YYYY-MM` (rolling over the year) or, for ~25% of draws, ISO weeks `YYYY-Www`."""
    year = draw(st.integers(2024, 2030))
    if chance(draw, 0.25):
        last_week = date(year, 12, 28).isocalendar()[1]  # 52 or 53
        week = draw(st.integers(1, last_week))
        start = date.fromisocalendar(year, week, 1)
        out = []
        for i in range(n):
            y, w, _ = (start + timedelta(weeks=i)).isocalendar()
            out.append(f"{y:04d}-W{w:02d}")
        return out
    month = draw(st.integers(1, 12))
    out = []
    for i in range(n):
        y, m = year + (month - 1 + i) // 12, (month - 1 + i) % 12 + 1
        out.append(f"{y:04d}-{m:02d}")
    return out


def selection(draw, data: dict, allow_period: bool = True) -> dict:
    """A selection of 1-2 keys, each naming one or a few existing names."""
    pools = {
        "channel": [c["name"] for c in data["channels"]],
        "group": sorted({c.get("group", "other") for c in data["channels"]}),
        "tier": [t["name"] for t in data["tiers"]],
        "kind": list(KINDS),
        "product": [p["name"] for p in data["products"]],
        "stage": list(STAGES),
    }
    if allow_period:
        pools["period"] = list(data["periods"])
    keys = draw(st.lists(st.sampled_from(sorted(pools)), min_size=1, max_size=2, unique=True))
    out = {}
    for key in keys:
        values = draw(st.lists(st.sampled_from(pools[key]), min_size=1, max_size=min(3, len(pools[key])), unique=True))
        out[key] = values[0] if len(values) == 1 and chance(draw, 0.5) else values
    return out

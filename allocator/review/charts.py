"""The report's charts as inline SVG, drawn by matplotlib (no pyplot, no display, no files).

Each chart is drawn from the section it illustrates (`Table` rows, already rounded where they are
printed) and labelled with the same formatting the tables use (`allocator.plan.display.show`). The SVG
keeps its labels as text (`svg.fonttype: none`) in the page's own font, and its ids are prefixed with the
chart's name, so three charts in one page never share an id; a fixed hash salt keeps the output the same
from run to run.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
import math
import re

import matplotlib
from matplotlib.figure import Figure
from markupsafe import escape
from matplotlib.ticker import FuncFormatter, MaxNLocator

from allocator.plan.display import show
from allocator.review.content import Table

# Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), then greys for "other".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
OTHER = "#B0B0B0"
MOST_SERIES = len(PALETTE)  # channels stacked by name; the rest are summed into "other"
MOST_BARS = 20  # channels the ROI chart shows, the largest by spend
WIDTH = 7.0  # inches; the SVG scales to the page, this only sets the text size relative to the plot
RC = {"svg.fonttype": "none", "font.family": "sans-serif", "font.size": 10, "axes.spines.top": False,
      "axes.spines.right": False, "axes.edgecolor": "#666666", "axes.labelcolor": "#333333",
      "xtick.color": "#333333", "ytick.color": "#333333", "legend.frameon": False}


def is_value(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _number(value) -> float:
    return float(value) if is_value(value) else 0.0


def to_svg(figure: Figure, name: str) -> str:
    """The figure as an <svg> element to inline: no XML prolog or doctype, no fixed size (the viewBox
    stays, so CSS scales it), no font of its own, every id and reference prefixed with `name`."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', r'<svg \1', svg, count=1)
    svg = svg.replace("<svg ", f'<svg role="img" aria-labelledby="{name}-title" ', 1)
    svg = re.sub(r"font-family: [^;\"]*;? ?", "", svg)  # the page's font stack applies instead
    svg = re.sub(r'\bid="', f'id="{name}-', svg)
    return re.sub(r'(url\(#|href="#)', rf"\1{name}-", svg)


@contextmanager
def _drawing(name: str):
    """matplotlib's settings for one chart: read while it is drawn and while it is written out."""
    with matplotlib.rc_context({**RC, "svg.hashsalt": f"allocator-{name}"}):
        yield


def _figure(height: float) -> tuple[Figure, object]:
    figure = Figure(figsize=(WIDTH, height), layout="constrained")
    return figure, figure.add_subplot()


def _money_axis(axis, table: Table) -> None:
    axis.set_major_formatter(FuncFormatter(lambda value, _: show(value, "money", table.style)))
    axis.set_major_locator(MaxNLocator(nbins=6))


def _period_ticks(ax, periods: list[str]) -> None:
    """Every period named while they fit; every k-th one (and rotated) for a year of weeks."""
    step = max(1, math.ceil(len(periods) / 13))
    ax.set_xticks(range(0, len(periods), step), [periods[i] for i in range(0, len(periods), step)],
                  rotation=0 if len(periods) <= 6 else 45, ha="center" if len(periods) <= 6 else "right")
    ax.set_xlim(-0.6, len(periods) - 0.4)


def spend_by_period(table: Table) -> Figure:
    """Stacked bars: each period's spend by channel; the largest channels by name, the rest as "other"."""
    periods = [c.key for c in table.columns if c.kind == "money"]
    spent = [(row["channel"], [_number(row.get(p)) for p in periods]) for row in table.rows]
    spent = sorted((s for s in spent if sum(s[1]) > 0), key=lambda s: -sum(s[1]))
    named = spent if len(spent) <= MOST_SERIES else spent[: MOST_SERIES - 1]
    rest = spent[len(named):]
    if rest:
        named = named + [(f"other ({len(rest)} channels)", [sum(v) for v in zip(*(s[1] for s in rest))])]
    figure, ax = _figure(3.8)
    bottom = [0.0] * len(periods)
    for i, (channel, values) in enumerate(named):
        colour = OTHER if rest and i == len(named) - 1 else PALETTE[i % len(PALETTE)]
        ax.bar(range(len(periods)), values, 0.7, bottom=bottom, label=str(channel), color=colour)
        bottom = [b + v for b, v in zip(bottom, values)]
    _period_ticks(ax, periods)
    _money_axis(ax.yaxis, table)
    ax.set_ylabel(f"spend ({table.style.currency})")
    if named:
        figure.legend(loc="outside upper center", ncols=4, fontsize=9)
    return figure


def revenue_vs_target(table: Table) -> Figure:
    """Bars: revenue by period; line: the phased target; shaded: the band the plan must keep."""
    periods = [str(row["period"]) for row in table.rows]
    x = list(range(len(periods)))
    keys = {c.key for c in table.columns}
    figure, ax = _figure(3.4)
    if {"band_low", "band_high"} <= keys:
        low = [_number(row.get("band_low")) for row in table.rows]
        high = [_number(row.get("band_high")) for row in table.rows]
        ax.bar(x, [h - lo for h, lo in zip(high, low)], 0.92, bottom=low, color="#E69F00", alpha=0.28,
               label="band the plan keeps", zorder=1)
    ax.bar(x, [_number(row.get("revenue_total")) for row in table.rows], 0.55, color="#0072B2",
           label="revenue", zorder=2)
    if "phased_target" in keys:
        ax.plot(x, [row.get("phased_target", math.nan) for row in table.rows], color="#D55E00", marker="o",
                linewidth=2, label="phased target", zorder=3)
    _period_ticks(ax, periods)
    _money_axis(ax.yaxis, table)
    ax.set_ylabel(f"revenue ({table.style.currency})")
    figure.legend(loc="outside upper center", ncols=3, fontsize=9)
    return figure


def roi_by_channel(table: Table) -> Figure:
    """Horizontal bars per channel: ROI of the spend made and ROI of the next unit, the largest by spend."""
    rows = sorted(table.rows, key=lambda row: -_number(row.get("spend")))[:MOST_BARS]
    rows.reverse()  # barh draws bottom-up: the largest channel ends on top
    names = [str(row["name"]) for row in rows]
    figure, ax = _figure(1.2 + 0.42 * len(rows))
    y = range(len(rows))
    for offset, key, label, colour in ((0.2, "roi", "ROI", "#0072B2"),
                                       (-0.2, "marginal_roi", "ROI of the next unit", "#E69F00")):
        values = [row.get(key) for row in rows]
        bars = ax.barh([i + offset for i in y], [_number(v) for v in values], 0.38, color=colour, label=label)
        ax.bar_label(bars, [show(v, "multiple", table.style) if is_value(v) else "" for v in values],
                     padding=3, fontsize=8)
    ax.set_yticks(list(y), names)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: show(value, "multiple", table.style)))
    ax.margins(x=0.12)
    ax.set_xlabel("revenue per unit of spend (x)")
    if len(table.rows) > len(rows):
        ax.set_title(f"the {len(rows)} channels with the most spend, of {len(table.rows)}", loc="left", fontsize=9)
    figure.legend(loc="outside upper center", ncols=2, fontsize=9)
    return figure


def _titled(svg: str, name: str, title: str) -> str:
    """The chart's accessible name, as the first child of the <svg> its aria-labelledby points at."""
    head_end = svg.index(">") + 1
    return f'{svg[:head_end]}<title id="{name}-title">{escape(title)}</title>{svg[head_end:]}'


# Which section each chart draws, under what name (its ids' prefix).
CHARTS = {"spend_matrix": ("chart-spend", spend_by_period), "phasing": ("chart-phasing", revenue_vs_target),
          "marginal": ("chart-roi", roi_by_channel)}


def chart_svg(table: Table, title: str) -> str | None:
    """The chart of this section as an inline <svg> titled `title`, or None when the section has none."""
    if table.key not in CHARTS or not table.rows:
        return None
    name, draw = CHARTS[table.key]
    with _drawing(name):
        svg = to_svg(draw(table), name)
    return _titled(svg, name, title)

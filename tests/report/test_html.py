"""The HTML report (allocator.review.html), read as markup: self-contained, escaped, numbers as printed.

No browser here (tests/report/test_report_browser.py opens the page in Chromium). The plans are solved
by the CLI into tmp folders and read back as `allocator report` reads them.
"""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from allocator.plan.display import Style
from allocator.review.charts import MOST_BARS, chart_svg
from allocator.review.content import Column, Table
from allocator.review.html import CELL_PADDING_PX, CHAR_PX, PART_COLUMNS, PRINT_WIDTH, report_html, table_view
from allocator.review.sections import build_report
from allocator.review.source import read_plan_folder
from helpers import EXAMPLE, base_scenario, invoke, write_scenario

SCRIPT_NAME = "<script>alert(1)</script>"


class Page(HTMLParser):
    """The parts of the markup the tests read: every tag with its attributes, the headline cards, and
    each section's table rows as cell texts (the total row marked)."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.cards: dict[str, str] = {}
        self.tables: dict[str, list[tuple[bool, list[str]]]] = {}  # section id -> [(is_total, body cells)]
        self.text: list[str] = []
        self._section = None
        self._row = None
        self._cell = None
        self._card_label = None
        self._in = None  # "dt" or "dd" while inside one
        self._in_head = False
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "section":
            self._section = attrs.get("id")
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self._section and not self._in_head:
            self._row = ("total" in (attrs.get("class") or "").split(), [])
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag in ("dt", "dd"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row[1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables.setdefault(self._section, []).append(self._row)
            self._row = None
        elif tag in ("dt", "dd"):
            self._in = None
        elif tag == "thead":
            self._in_head = False

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._in == "dt":
            self._card_label = data.strip()
        elif self._in == "dd":
            self.cards[self._card_label] = data.strip()

    def rows(self, section: str) -> list[list[str]]:
        return [cells for total, cells in self.tables[section] if not total]

    def total(self, section: str) -> list[str]:
        return next(cells for total, cells in self.tables[section] if total)


def solved(folder, *args):
    result = invoke("solve", *args, "--out", folder)
    return result, folder


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    result, folder = solved(tmp_path_factory.mktemp("q1") / "plan", EXAMPLE)
    assert result.exit_code == 0, result.output
    report = build_report(read_plan_folder(folder))
    return folder, report, report_html(report)


@pytest.fixture(scope="module")
def infeasible(tmp_path_factory):
    result, folder = solved(tmp_path_factory.mktemp("q1_40m") / "plan", EXAMPLE, "--set", "targets.revenue=40000000")
    assert result.exit_code == 1, result.output
    return report_html(build_report(read_plan_folder(folder)))


def test_the_page_loads_nothing_from_anywhere(example):
    markup = example[2]
    page = Page(markup)
    names = {tag for tag, _ in page.tags}
    assert "link" not in names and "script" not in names and "iframe" not in names and "img" not in names
    for tag, attrs in page.tags:
        for name in ("src", "href", "xlink:href", "srcset", "poster", "data", "action"):
            value = attrs.get(name)
            if value is not None:  # only the page's own anchors: "#by_channel", an SVG's "#chart-roi-m1..."
                assert value.startswith("#"), f"<{tag} {name}={value!r}>"
    assert "@import" not in markup
    # url(...) in CSS or SVG may only point inside the page (a clip path's #id) or hold data itself.
    assert all(target.startswith(("#", "data:")) for target in re.findall(r"url\(\s*['\"]?([^)'\"]*)", markup))
    assert not re.search(r"(src|href)\s*=\s*['\"]?\s*(https?:)?//", markup)
    assert "@font-face" not in markup


def test_every_id_is_unique_and_the_page_is_the_same_each_time(example):
    _, report, markup = example
    ids = re.findall(r'\bid="([^"]+)"', markup)
    assert len(ids) == len(set(ids)) and len(ids) > 50  # three charts' SVG ids never collide
    assert report_html(report) == markup  # no random ids, no clock


def test_headline_numbers_and_totals_read_as_show_prints_them(example):
    folder, report, markup = example
    page = Page(markup)
    # Worked out from the CSVs, not from the report: the budget (hand-known), revenue summed from the
    # allocation rows, ROI = revenue from spend / spend.
    allocation = pd.read_csv(folder / "allocation.csv")
    revenue = math.fsum(allocation["revenue_total"])
    assert page.cards["spend"] == "3,400,000"
    assert page.cards["revenue"] == f"{revenue:,.0f}"
    assert page.cards["ROI"] == f"{math.fsum(allocation['revenue']) / 3_400_000:.2f}x"
    assert page.cards["new customers"] == f"{math.fsum(allocation['new_customers']):,.0f}"
    targets = pd.read_csv(folder / "targets.csv")
    assert page.cards["targets met"] == f"{int(targets['met'].sum())} of {len(targets)}"
    by_channel = pd.read_csv(folder / "by_channel.csv")
    assert page.total("by_channel") == [
        "total", "3,400,000", f"{revenue:,.0f}", f"{math.fsum(by_channel['new_customers']):,.0f}",
        f"{math.fsum(by_channel['leads']):,.0f}", page.cards["ROI"], "100.0%", "100.0%"]
    # Every total row of every section and every headline as the shared formatter prints it.
    for table in report.sections:
        if table.total:
            assert page.total(table.key) == [table.text(table.total, c) for c in table.columns], table.key
    style = report.document.style
    from allocator.plan.display import show
    for item in report.headline:
        if item.label != "status":
            assert page.cards[item.label] == show(item.value, item.kind, style)


def test_rows_add_up_to_the_total_row_as_printed(example):
    page = Page(example[2])
    rows, total = page.rows("by_channel"), page.total("by_channel")
    for column in (1, 2, 3, 4):  # spend, revenue, new customers, leads
        assert sum(int(r[column].replace(",", "")) for r in rows) == int(total[column].replace(",", ""))
    for column in (6, 7):  # shares in 0.1% steps
        assert sum(round(float(r[column].rstrip("%")) * 10) for r in rows) == 1000
    matrix_rows, matrix_total = page.rows("spend_matrix"), page.total("spend_matrix")
    for column in range(1, len(matrix_total)):
        assert sum(int(r[column].replace(",", "")) for r in matrix_rows) == int(matrix_total[column].replace(",", ""))
    assert sum(int(v.replace(",", "")) for v in matrix_total[1:]) == 3_400_000


def test_numbers_are_right_aligned_and_sections_come_in_order(example):
    markup = example[2]
    cells = re.findall(r'<td class="([a-z]+)">([^<]*)</td>', markup)
    assert all(cls == "num" for cls, text in cells if re.fullmatch(r"-?[\d,]+(\.\d+)?[%x]?", text))
    assert ".num { text-align: right; font-variant-numeric: tabular-nums;" in markup
    order = [m for m in re.findall(r'<section id="([a-z_]+)"', markup)]
    # the example has a calendar with milestones: its weeks follow the phasing, its milestones the targets
    assert order == ["headline", "targets", "milestones", "by_channel", "spend_matrix", "phasing", "weekly",
                     "marginal", "budget_lines", "binding", "by_tier", "by_product"]
    assert markup.count("<svg ") == 3
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in markup
    assert "@page { size: A4;" in markup


def test_rows_left_out_are_named_with_the_file_that_has_them(example):
    _, report, markup = example
    binding = report.section("binding")
    assert binding.hidden > 0  # the example has more binding limits than a section shows
    assert f'<p class="more">and {binding.hidden} more (see sensitivity.csv)</p>' in markup


def test_scenario_text_is_escaped_in_tables_and_charts(tmp_path):
    path = write_scenario(tmp_path, base_scenario(
        name='Q1 <b>bold</b> & "quoted"', channels=[{"name": SCRIPT_NAME, "cost_per_lead": 10}]))
    assert invoke("solve", path, "--out", tmp_path / "plan").exit_code == 0
    markup = report_html(build_report(read_plan_folder(tmp_path / "plan")))
    assert "<script" not in markup.lower() and "<b>" not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    page = Page(markup)
    assert page.rows("by_channel")[0][0] == SCRIPT_NAME  # read back as the text it is
    assert "Q1 <b>bold</b> & \"quoted\"" in "".join(page.text)
    assert markup.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # tables and the charts' labels


def test_a_plan_without_a_solution_renders_its_diagnosis(infeasible):
    page = Page(infeasible)
    text = "".join(page.text)
    assert "infeasible" in text and "Why there is no plan: what must move" in text
    revenue_row = next(r for r in page.rows("diagnosis") if r[1] == "targets.revenue")
    assert revenue_row[2:5] == ["40,000,000", "25,392,075", "-14,607,925"]  # as `solve` prints it
    assert "<svg" not in infeasible and not page.cards.get("revenue")


def test_a_large_plan_charts_its_largest_channels_and_sums_the_rest():
    style = Style("CNY", 0)
    channels = [f"ch{i:03d}" for i in range(30)]
    spend = Table("spend_matrix", "Spend", [Column("channel", "channel", "text")] + [
        Column(p, p, "money") for p in ("w1", "w2")], [{"channel": c, "w1": 100.0 + i, "w2": 1.0}
                                                          for i, c in enumerate(channels)], style)
    svg = chart_svg(spend, "Spend")
    # The seven largest by name (ch029 down to ch023), the other 23 as one series.
    assert "ch029" in svg and "ch023" in svg and "ch022" not in svg
    assert "other (23 channels)" in svg
    marginal = Table("marginal", "ROI", [Column("name", "channel", "text"), Column("spend", "spend", "money"),
                                         Column("roi", "ROI", "multiple")],
                     [{"name": c, "spend": float(i), "roi": 2.37, "marginal_roi": 1.13} for i, c in enumerate(channels)],
                     style)
    svg = chart_svg(marginal, "ROI")
    shown = [c for c in channels if f">{c}<" in svg]
    assert shown == channels[-MOST_BARS:]  # the 20 with the most spend
    assert svg.count(">2.37x<") == MOST_BARS and svg.count(">1.13x<") == MOST_BARS
    assert f">the {MOST_BARS} channels with the most spend, of 30<" in svg


def test_risk_frontier_and_what_if_sections_follow_the_plan_when_given(example):
    folder, _, _ = example
    risk = pd.DataFrame({"metric": ["revenue_total", "new_customers"], "as_planned": [27931296.44, 1145.13],
                         "p10": [24883645.05, 868.01], "p50": [26871517.8, 1058.99], "p90": [29545345.9, 1320.81],
                         "committed": [20e6, 500.0], "probability_meets_committed": [0.985, 1.0]})
    frontier = pd.DataFrame({"budget.total": [2e6, 4e6], "status": ["infeasible", "optimal"],
                             "spend": [math.nan, 3466336.2], "revenue_total": [math.nan, 28236000.0],
                             "message": ["These demands cannot all hold at once", ""]})
    comparison = pd.DataFrame({"section": ["totals", "totals"], "item": ["plan", "plan"], "metric": ["spend", "roi"],
                               "q1": [3399999.9999, 5.7151], "other": [3476241.52, 5.68], "delta_other": [76241.52, -0.035]})
    markup = report_html(build_report(read_plan_folder(folder), comparison=comparison,
                                      studies={"risk": risk, "frontier": frontier}))
    page = Page(markup)
    assert re.findall(r'<section id="([a-z_]+)"', markup)[-3:] == ["risk", "frontier", "deltas"]
    assert page.rows("risk") == [["revenue_total", "27,931,296", "24,883,645", "26,871,518", "29,545,346", "20,000,000",
                                  "98.5%"], ["new_customers", "1,145", "868", "1,059", "1,321", "500", "100.0%"]]
    assert page.rows("frontier")[0] == ["2,000,000", "infeasible", "-", "-", "These demands cannot all hold at once"]
    assert page.rows("deltas") == [["spend", "3,400,000", "3,476,242", "76,242"], ["roi", "5.72x", "5.68x", "-0.04x"]]


def year_of_weeks(style: Style) -> Table:
    """A channel x week spend table as a 200-channel, 52-week plan has: far wider than a page."""
    weeks = [f"2027-W{w:02d}" for w in range(1, 53)]
    rows = [{"channel": f"community_groupbuy_{c:02d}", **{w: 123_456.0 + c for w in weeks}} for c in range(5)]
    total = {"channel": "total", **{w: sum(r[w] for r in rows) for w in weeks}}
    return Table("spend_matrix", "Spend by channel and period", [Column("channel", "channel", "text")] + [
        Column(w, w, "money") for w in weeks], rows, style, total, source="allocation.csv")


def test_a_table_wider_than_a_page_is_printed_in_parts_that_fit(example):
    _, report, _ = example
    table = year_of_weeks(report.document.style)
    view = table_view(table)
    assert len(view.parts) > 1
    # Every week once, in order, each part led by the channel names and closed by its totals.
    assert [h.text for part in view.parts for h in part.headers[1:]] == [table.header(c) for c in table.columns[1:]]
    for part in view.parts:
        assert part.headers[0].text == "channel" and [r[0].text for r in part.rows][:1] == ["community_groupbuy_00"]
        assert part.total[0].text == "total" and len(part.total) == len(part.headers) <= PART_COLUMNS + 1
        # Worked by hand from the print sizes: a name of 21 characters, each week 8 characters wide (its
        # header word "2027-W01", with "(CNY)" wrapped below it, is wider than its numbers: 123,456 to
        # 123,460, and their total 617,290, are 7).
        width = 21 * CHAR_PX["small"] + CELL_PADDING_PX + (len(part.headers) - 1) * (8 * CHAR_PX["small"] + CELL_PADDING_PX)
        assert width <= PRINT_WIDTH
    assert view.parts[0].caption == "2027-W01 to " + view.parts[0].headers[-1].text.split()[0]
    assert len(view.parts[0].headers) - 1 == int((PRINT_WIDTH - 21 * CHAR_PX["small"] - CELL_PADDING_PX)
                                                // (8 * CHAR_PX["small"] + CELL_PADDING_PX))
    small = table_view(report.section("by_channel"))  # the example's tables print whole
    assert len(small.parts) == 1 and small.parts[0].caption == ""

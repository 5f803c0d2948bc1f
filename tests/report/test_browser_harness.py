"""The browser harness (tests/support/browser.py) must catch what the HTML report must not do.

Each test writes a small page that breaks one rule (or none) and checks the harness says so: a harness
that passes every page would let a broken report through.
"""

from __future__ import annotations

import http.server
import sys
import threading

import browser
import pytest

CLEAN = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { font-family: sans-serif; margin: 1rem; } th, td { padding: .2rem .5rem; border: 1px solid #888; }
h1 { color: #1f4e79; } .bar { height: 2rem; background: #2e75b6; width: 60%; }</style></head>
<body><h1>Q1 plan</h1><p>Revenue 12,345,678</p><div class="bar"></div>
<table><tr><th>Channel</th><th>Spend</th></tr><tr><td>search</td><td>1,000,000</td></tr></table>
<svg width="200" height="80"><rect x="0" y="10" width="150" height="60" fill="#c55a11"/></svg>
</body></html>"""


def page(tmp_path, body: str, name: str = "page.html", head: str = ""):
    path = tmp_path / name
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>")
    return path


def test_a_clean_page_passes_and_its_text_reads_back(chromium, tmp_path):
    html = tmp_path / "clean.html"
    html.write_text(CLEAN)
    check = chromium.open(html)
    assert check.problems() == []
    assert check.text.splitlines()[0] == "Q1 plan"
    assert "Revenue 12,345,678" in check.text.splitlines()
    assert "search\t1,000,000" in check.text  # innerText joins table cells with a tab
    assert check.screenshot.is_file() and not browser.is_blank(check.screenshot)
    assert not check.overflows and check.scroll_width == browser.DESKTOP.width


def test_console_errors_warnings_and_uncaught_exceptions_are_caught(chromium, tmp_path):
    html = page(tmp_path, '<p>x</p><script>console.error("x"); console.warn("careful");'
                          'console.log("fine"); throw new Error("boom");</script>')
    check = chromium.open(html)
    assert [m.text for m in check.console_errors] == ["x"]
    assert [m.text for m in check.console_warnings] == ["careful"]
    assert len(check.page_errors) == 1 and "boom" in check.page_errors[0]
    assert check.requests == []
    assert len(check.problems()) == 3


def test_every_request_but_the_file_itself_is_recorded_and_blocked(chromium, tmp_path):
    (tmp_path / "beside.png").write_bytes(b"")
    markup = {  # one page holding every kind of leak, so the suite loads it once
        "http://example.com/x.png": '<img src="http://example.com/x.png">',
        "https://cdn.example/x.css": '<link rel=stylesheet href="https://cdn.example/x.css">',
        "https://cdn.example/chart.js": '<script src="https://cdn.example/chart.js"></script>',
        "https://fonts.example/f.woff2": "<style>@font-face { font-family: F; src: url(https://fonts.example/f.woff2) }"
                                         " p { font-family: F }</style>",
        "https://api.example/q": '<script>fetch("https://api.example/q").catch(() => {})</script>',
        # Another local file is a request too: the report must be one file.
        (tmp_path / "beside.png").as_uri(): '<img src="beside.png">',
    }
    check = chromium.open(page(tmp_path, "<p>x</p>" + "".join(markup.values())))
    assert sorted(check.requests) == sorted(markup)
    blocked = [m.location.rsplit(":", 2)[0] for m in check.console_errors if "ERR_BLOCKED_BY_CLIENT" in m.text]
    assert sorted(blocked) == sorted(markup)


def test_a_clean_page_with_inline_data_makes_no_request(chromium, tmp_path):
    # Inline images and fonts as data: URLs are part of the file, not requests.
    pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQ"
             "DwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    check = chromium.open(page(tmp_path, f'<p>x</p><img src="{pixel}"><script>URL.createObjectURL(new Blob(["a"]))</script>'))
    assert check.problems() == []


def test_a_blocked_request_never_reaches_the_server(chromium, tmp_path):
    # Two walls stop it, each enough alone (checked by disabling either): the route aborts every request
    # but the file's, and Chromium is launched resolving no host name (IP literals included).
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/x.css"
        check = chromium.open(page(tmp_path, f'<link rel=stylesheet href="{url}"><img src="{url}.png">'))
    finally:
        server.shutdown()
        server.server_close()
    assert sorted(check.requests) == [url, url + ".png"]
    assert hits == []


PHONE_READY = '<meta name="viewport" content="width=device-width, initial-scale=1">'


def test_a_wide_table_overflows_at_phone_width_only_where_it_does(chromium, tmp_path):
    wide = chromium.open(page(tmp_path, '<table style="width:2000px"><tr><td>a</td></tr></table>', head=PHONE_READY),
                         viewport=browser.PHONE)
    assert wide.overflows and wide.scroll_width >= 2000
    narrow = chromium.open(page(tmp_path, "<p>a short line</p>", name="narrow.html", head=PHONE_READY),
                           viewport=browser.PHONE)
    assert not narrow.overflows and narrow.scroll_width == narrow.inner_width == 390
    # The same short line without the viewport tag: a phone lays it out 980 px wide and shrinks it to fit.
    unready = chromium.open(page(tmp_path, "<p>a short line</p>", name="unready.html"), viewport=browser.PHONE)
    assert unready.overflows and unready.scroll_width == unready.inner_width == 980
    assert not chromium.open(tmp_path / "unready.html", viewport=browser.DESKTOP).overflows


@pytest.mark.parametrize("body", [
    "",  # white
    '<p style="color:white">text nobody can see</p>',
    '<style>html { background: #123456; }</style>',  # one colour, not white
])
def test_a_page_showing_nothing_is_judged_blank(chromium, tmp_path, body):
    check = chromium.open(page(tmp_path, body))
    assert browser.is_blank(check.screenshot)


def test_a_single_word_is_below_the_default_drawn_share(chromium, tmp_path):
    # About 0.1% of a 1280x900 screenshot is ink: too little for a report, enough once the bar is lowered.
    check = chromium.open(page(tmp_path, "<p>hello</p>"))
    colours, drawn = browser.colour_census(check.screenshot)
    assert colours > 2 and 0 < drawn < 0.005  # anti-aliased glyphs: greys between ink and paper
    assert browser.is_blank(check.screenshot)
    assert not browser.is_blank(check.screenshot, min_colours=2, min_drawn=drawn / 2)


def test_printing_counts_a4_pages(chromium, tmp_path):
    # Playwright prints with no page margin: an A4 page holds 297 mm; 800 mm of content needs ceil(800/297) = 3.
    tall = chromium.pdf(page(tmp_path, '<div style="height:800mm; background:#eee"></div>',
                             head="<style>body{margin:0}</style>"))
    assert tall.pages == 3 and tall.path.is_file()
    short = chromium.pdf(page(tmp_path, "<p>one page</p>", name="short.html"))
    assert short.pages == 1 and short.requests == ()


def test_print_layout_can_be_checked_at_a4_width(chromium, tmp_path):
    css = "<style>@media print { .screen-only { display: none } }</style>"
    check = chromium.open(page(tmp_path, '<p>kept</p><p class="screen-only">dropped</p>', head=css),
                          viewport=browser.A4_PORTRAIT, media="print")
    assert check.text.strip() == "kept"
    assert not check.overflows


def test_a_missing_browser_skips_by_hand_and_fails_in_ci(monkeypatch):
    monkeypatch.setenv(browser.CHROMIUM_ENV, "/nonexistent/chromium")
    assert browser.find_chromium() is None
    assert browser.why_no_browser(None) == "headless Chromium not found (/nonexistent/chromium)"
    assert browser.why_no_browser("/usr/bin/chromium") is None
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # makes the import raise ImportError
    assert browser.why_no_browser("/usr/bin/chromium").startswith("Playwright is not installed")
    monkeypatch.delenv(browser.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        browser.missing_browser("headless Chromium not found")
    monkeypatch.setenv(browser.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="ALLOCATOR_REQUIRE_BROWSER is set"):
        browser.missing_browser("headless Chromium not found")

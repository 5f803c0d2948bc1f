"""Render a local HTML file in headless Chromium and report what a reader (or a leak) would see.

The HTML report must open offline, without errors, readable on a desktop, a phone and on A4 paper.
These helpers open one file in the system's Chromium (Debian's `chromium`, driven by Playwright; never a
browser that Playwright downloads) and collect: console errors and warnings, uncaught exceptions, every
request other than the file itself (each one blocked, so nothing leaves the machine), the visible text,
a full-page screenshot and whether the page is wider than the viewport. `pdf()` prints it to A4.

Tests get one browser per session from the `chromium` fixture (tests/conftest.py exposes it):

    def test_report_opens_clean(chromium, tmp_path):
        page = chromium.open(report_html, viewport=browser.PHONE)
        assert page.problems() == []
        assert not page.overflows
        assert not browser.is_blank(page.screenshot)

Without Chromium or Playwright the fixture skips, saying how to install it; with
ALLOCATOR_REQUIRE_BROWSER=1 (set by .ci/run) it fails instead, so CI cannot pass by skipping.
"""

from __future__ import annotations

import itertools
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pytest


class Viewport(NamedTuple):
    width: int  # CSS px
    height: int
    # A phone: honours <meta name="viewport">, and lays a page without one out 980 px wide, shrunk to fit,
    # as phones do. The pixel ratio stays 1 so screenshots stay small; layout is in CSS px either way.
    mobile: bool = False


DESKTOP = Viewport(1280, 900)
PHONE = Viewport(390, 844, mobile=True)
A4_PORTRAIT = Viewport(794, 1123)  # 210 x 297 mm at CSS's 96 px per inch, for checking the print layout on screen

CHROMIUM_ENV = "ALLOCATOR_CHROMIUM"
REQUIRE_ENV = "ALLOCATOR_REQUIRE_BROWSER"
INSTALL_HINT = ("apt-get install chromium (Debian) or chromium-browser (Ubuntu), or point "
                f"{CHROMIUM_ENV} at a Chromium binary; Playwright's own browser download is not used")
# URLs the page may load without a request leaving the page: its own inline data, blobs it makes.
LOCAL_SCHEMES = ("data:", "blob:", "about:")


@dataclass(frozen=True)
class ConsoleMessage:
    type: str  # "error" or "warning"
    text: str
    location: str  # "url:line:column" as Chromium reports it


@dataclass
class PageCheck:
    """What one load of one HTML file showed, at one viewport."""

    url: str
    viewport: Viewport
    media: str  # "screen" or "print"
    console: list[ConsoleMessage] = field(default_factory=list)  # errors and warnings only
    page_errors: list[str] = field(default_factory=list)  # uncaught exceptions and rejections
    requests: list[str] = field(default_factory=list)  # every URL other than the file itself; all blocked
    text: str = ""  # document.body.innerText: what a reader sees, as laid out
    screenshot: Path | None = None  # full-page PNG
    scroll_width: int = 0  # document.documentElement.scrollWidth, CSS px
    inner_width: int = 0  # window.innerWidth: on a phone, wider than the screen when the page was shrunk to fit

    @property
    def console_errors(self) -> list[ConsoleMessage]:
        return [m for m in self.console if m.type == "error"]

    @property
    def console_warnings(self) -> list[ConsoleMessage]:
        return [m for m in self.console if m.type == "warning"]

    @property
    def overflows(self) -> bool:
        """True when the page is wider than the screen: a reader must scroll sideways, or (on a phone, where
        Chromium shrinks a wide page to fit, and so `inner_width` grows too) zoom in to read it."""
        return self.scroll_width > self.viewport.width

    def problems(self) -> list[str]:
        """One line per console error or warning, uncaught exception and request: [] for a clean page."""
        return ([f"console {m.type}: {m.text} ({m.location})" for m in self.console]
                + [f"page error: {e}" for e in self.page_errors]
                + [f"request: {url}" for url in self.requests])


@dataclass(frozen=True)
class PdfCheck:
    path: Path
    pages: int
    requests: tuple[str, ...]  # as PageCheck.requests: any one is a leak


def find_chromium() -> str | None:
    """The Chromium to drive: $ALLOCATOR_CHROMIUM if set (it must exist), else chromium on PATH."""
    override = os.environ.get(CHROMIUM_ENV)
    if override:
        return override if Path(override).is_file() else shutil.which(override)
    return shutil.which("chromium") or shutil.which("chromium-browser")


def why_no_browser(executable: str | None) -> str | None:
    """Why the browser tests cannot run here (Playwright or Chromium missing), or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if executable is None:
        where = os.environ.get(CHROMIUM_ENV) or "chromium or chromium-browser on PATH"
        return f"headless Chromium not found ({where})"
    return None


def browser_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def missing_browser(reason: str) -> None:
    """Skip the test, or fail it where a browser is required (CI): raises either way."""
    if browser_required():
        pytest.fail(f"{reason} and {REQUIRE_ENV} is set: {INSTALL_HINT}", pytrace=False)
    pytest.skip(f"{reason}: {INSTALL_HINT}")


class Chromium:
    """One headless Chromium; every `open`/`pdf` gets a fresh context, so pages share nothing."""

    def __init__(self, executable: str, out_dir: Path):
        from playwright.sync_api import sync_playwright

        self.executable = executable
        self.out_dir = Path(out_dir)
        self._names = itertools.count(1)
        self._playwright = sync_playwright().start()
        try:
            # --no-sandbox: tests run as root (CI does), where Chromium's sandbox refuses to start.
            # The resolver rule is a second wall behind the request blocking: no host name resolves, and
            # of addresses only 127.0.0.1 (where `site` finds a local server) is reached.
            self._browser = self._playwright.chromium.launch(
                executable_path=executable, headless=True,
                args=["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
        except Exception:
            self._playwright.stop()
            raise

    def close(self) -> None:
        self._browser.close()
        self._playwright.stop()

    def open(self, html: Path, *, viewport: Viewport = DESKTOP, media: str = "screen",
             screenshot: Path | None = None) -> PageCheck:
        """Load `html` (a local file) at `viewport`, wait until it has drawn, and report what it showed.

        `media="print"` lays it out as for printing (use A4_PORTRAIT to check the print layout's width).
        The screenshot goes to `screenshot`, or to a new file in the harness's folder.
        """
        url = Path(html).resolve().as_uri()
        viewport = Viewport(*viewport)
        check = PageCheck(url=url, viewport=viewport, media=media)
        with self._page(url, viewport, check.console, check.page_errors, check.requests) as page:
            page.emulate_media(media=media)
            page.goto(url, wait_until="load")
            self._settle(page)
            check.text = page.evaluate("document.body ? document.body.innerText : ''")
            check.scroll_width, check.inner_width = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]")
            check.screenshot = Path(screenshot) if screenshot else self._new_path(html, f"{viewport.width}px", "png")
            page.screenshot(path=str(check.screenshot), full_page=True)
        return check

    def pdf(self, html: Path, out: Path | None = None) -> PdfCheck:
        """Print `html` to an A4 PDF with its backgrounds, as a reader's "Save as PDF" would; count pages."""
        url = Path(html).resolve().as_uri()
        path = Path(out) if out else self._new_path(html, "a4", "pdf")
        requests: list[str] = []
        with self._page(url, DESKTOP, [], [], requests) as page:
            page.goto(url, wait_until="load")
            self._settle(page)
            page.pdf(path=str(path), format="A4", print_background=True)
        return PdfCheck(path=path, pages=pdf_page_count(path), requests=tuple(requests))

    @contextmanager
    def site(self, origin: str, *, viewport: Viewport = DESKTOP):
        """A page that may load only `origin` (a local server, e.g. ``http://127.0.0.1:8765``) and blobs it
        makes: yields (page, check) for the test to drive; check collects console messages, uncaught
        exceptions and every other request (each one blocked), as `open` does."""
        viewport = Viewport(*viewport)
        check = PageCheck(url=origin, viewport=viewport, media="screen")
        prefix = origin.rstrip("/") + "/"
        with self._page(origin, viewport, check.console, check.page_errors, check.requests,
                        inside=lambda url: url == origin or url.startswith(prefix)) as page:
            yield page, check

    @contextmanager
    def _page(self, url, viewport, console, page_errors, requests, inside=None):
        """A page in a context of its own, recording into the lists given; the context closes after.
        `inside(url)`: which URLs may load besides local data (default: `url` alone)."""
        context = self._browser.new_context(
            viewport={"width": viewport.width, "height": viewport.height},
            is_mobile=viewport.mobile, has_touch=viewport.mobile, service_workers="block")
        page = context.new_page()

        def on_console(message):
            if message.type in ("error", "warning"):
                loc = message.location
                console.append(ConsoleMessage(message.type, message.text,
                                              f"{loc.get('url', '')}:{loc.get('lineNumber')}:{loc.get('columnNumber')}"))

        def is_outside(request_url: str) -> bool:
            allowed = inside(request_url) if inside is not None else request_url == url
            return not allowed and not request_url.startswith(LOCAL_SCHEMES)

        def on_request(request):
            if is_outside(request.url):
                requests.append(request.url)

        def route(route):
            # Only the file itself may load; anything else, another local file included, is aborted.
            if is_outside(route.request.url):
                route.abort("blockedbyclient")
            else:
                route.continue_()

        page.on("console", on_console)
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        page.on("request", on_request)
        page.on("websocket", lambda ws: requests.append(ws.url))
        page.route("**/*", route)
        try:
            yield page
        finally:
            context.close()

    @staticmethod
    def _settle(page) -> None:
        """Wait for web fonts and two animation frames, so script-drawn charts are on screen."""
        page.evaluate("""async () => {
            if (document.fonts) await document.fonts.ready;
            await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        }""")

    def _new_path(self, html: Path, tag: str, suffix: str) -> Path:
        return self.out_dir / f"{next(self._names):03d}-{Path(html).stem}-{tag}.{suffix}"


def pdf_page_count(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


def colour_census(png_path: Path) -> tuple[int, float]:
    """(distinct colours, share 0-1 of pixels unlike the most common colour) of a PNG.

    Pillow's C loops, not numpy: a full-page screenshot of a long report holds ten million pixels.
    """
    from PIL import Image, ImageChops

    with Image.open(png_path) as image:
        rgb = image.convert("RGB")
    colours = rgb.getcolors(maxcolors=rgb.width * rgb.height)
    background = max(colours)[1]
    # Per pixel, the largest difference from the background in any channel; more than a few steps counts,
    # so faint anti-aliasing fringes do not.
    red, green, blue = ImageChops.difference(rgb, Image.new("RGB", rgb.size, background)).split()
    unlike = ImageChops.lighter(ImageChops.lighter(red, green), blue).point(lambda v: 255 if v > 8 else 0)
    drawn = unlike.histogram()[255] / (rgb.width * rgb.height)
    return len(colours), drawn


def is_blank(png_path: Path, *, min_colours: int = 16, min_drawn: float = 0.005) -> bool:
    """True when a screenshot shows next to nothing: fewer than `min_colours` distinct colours, or less
    than `min_drawn` (share 0-1) of its pixels unlike its most common colour (whatever that colour is)."""
    colours, drawn = colour_census(png_path)
    return colours < min_colours or drawn < min_drawn


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    """One headless Chromium for the whole session; skips (or fails under ALLOCATOR_REQUIRE_BROWSER=1)
    when Chromium or Playwright is missing."""
    executable = find_chromium()
    reason = why_no_browser(executable)
    if reason:
        missing_browser(reason)
    harness = Chromium(executable, tmp_path_factory.mktemp("browser"))
    yield harness
    harness.close()

# The session's headless Chromium (tests/support/browser.py) for every test of the HTML report.
from browser import chromium  # noqa: F401  (a pytest fixture: importing it here makes it visible)

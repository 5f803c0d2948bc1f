# The session's headless Chromium (tests/support/browser.py) comes from tests/conftest.py, one for every
# browser test of the session (the report's and the workspace's).

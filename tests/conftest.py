import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

# Shared test helpers live in tests/support/ and are imported by name (`import helpers`).
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

# One headless Chromium for the whole session (tests/support/browser.py), for the report's and the
# workspace's browser tests alike: Playwright's sync API runs one at a time in a thread.
from browser import chromium  # noqa: E402, F401  (a pytest fixture: importing it here makes it visible)

# Every run the tests record goes into a store of this session, never the user's own (~/.local/share/...);
# a test that needs its own store passes --store or sets the variable itself.
_STORE_FOLDER = tempfile.mkdtemp(prefix="allocator-test-store-")
atexit.register(shutil.rmtree, _STORE_FOLDER, True)
os.environ["ALLOCATOR_STORE"] = str(Path(_STORE_FOLDER) / "runs.sqlite")
# Likewise the cache of the `holidays` package's answers (allocator.scenario.holiday_cache): this session's.
os.environ["ALLOCATOR_CACHE_DIR"] = str(Path(_STORE_FOLDER) / "cache")

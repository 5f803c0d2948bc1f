import sys
from pathlib import Path

# Shared test helpers live in tests/support/ and are imported by name (`import helpers`).
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

"""Which run store a command uses, decided without opening it (nor importing SQLAlchemy): `--store`, else
$ALLOCATOR_STORE, else the SQLite file under $XDG_DATA_HOME; ``none`` turns recording off."""

from __future__ import annotations

import os
from pathlib import Path

ENVIRONMENT = "ALLOCATOR_STORE"
DISABLED = "none"


def default_location() -> Path:
    """The SQLite file used when neither --store nor ALLOCATOR_STORE says otherwise."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "allocator" / "runs.sqlite"


def resolve_target(target: str | Path | None = None) -> str | None:
    """The store to use: `target`, else $ALLOCATOR_STORE, else `default_location()`; None when it is
    ``none`` (recording off)."""
    chosen = str(target) if target is not None else os.environ.get(ENVIRONMENT) or str(default_location())
    return None if chosen.strip().lower() == DISABLED else chosen

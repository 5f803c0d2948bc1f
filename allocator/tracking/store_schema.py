"""The run store's tables (SQLAlchemy Core) and its versioned schema.

Versioning is a stated scheme, not Alembic: the table ``allocator_meta`` holds ``schema_version``. Opening a
store brings it to `SCHEMA_VERSION` inside one write transaction (on PostgreSQL under an advisory lock, so
two processes opening a fresh database at once do not both create it):

- no allocator tables yet: they are created and the version written;
- an older version: each step of `MIGRATIONS` runs in order, in that same transaction (all or nothing);
- a newer version than this code knows: refused (`SchemaTooNew`), never read with the wrong layout;
- allocator tables without a version: refused, it is not a store this code wrote.

Versions:
  1  runs, run_files (inputs and outputs with SHA-256), approvals.
  2  runs.periods: the scenario's periods (JSON list), so `track` and `replan` know the plan's span
     without its folder. A version-1 row gets an empty list (its folder's scenario.json still has them).
  3  runs.targets: each target's committed, achieved and attainment from targets.csv (JSON list), so
     `runs diff` can compare targets after a folder is gone. Older rows get an empty list.

Table names carry the prefix ``allocator_`` so that the store can share a PostgreSQL database with others.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column, Connection, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text, inspect, select, text,
)

SCHEMA_VERSION = 3
PREFIX = "allocator_"
# Any fixed number: the key of the PostgreSQL advisory lock held while a store's schema is created or upgraded.
SCHEMA_LOCK_KEY = 0x616C6C6F  # "allo"

metadata = MetaData()

meta = Table(
    f"{PREFIX}meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# One row per recorded run. `seq` is the counter of the run id ("seq-digest[:8]"); JSON columns are text
# (portable between SQLite and PostgreSQL, and read back exactly as written).
runs = Table(
    f"{PREFIX}runs", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("digest", String(64), nullable=False),  # SHA-256 of what was recorded (see store.record)
    Column("kind", String(16), nullable=False),  # solve | replan | track
    Column("created_at", String(32), nullable=False),  # UTC, ISO 8601 with +00:00
    Column("who", Text, nullable=False),  # user@host
    Column("scenario_name", Text, nullable=False),
    Column("quarter", String(64), nullable=False),  # 2027-Q1, or a span, or the scenario's name
    Column("periods", Text, nullable=False, server_default="[]"),  # version 2
    Column("status", String(32), nullable=False),
    Column("objective", Float, nullable=True),
    Column("objective_kind", String(32), nullable=False),
    Column("solver", String(32), nullable=False),
    Column("versions", Text, nullable=False),  # JSON object: package -> version (solver version included)
    Column("overrides", Text, nullable=False),  # JSON list of --set lines
    Column("totals", Text, nullable=False),  # JSON object: run.json's headline totals
    Column("targets", Text, nullable=False, server_default="[]"),  # version 3: JSON list, from targets.csv
    Column("folder", Text, nullable=False),  # the output folder's absolute path when recorded
    Column("note", Text, nullable=False),
)
Index(f"{PREFIX}runs_digest", runs.c.digest)

# The scenario's input files (role "scenario", "extends", "table:funnel"...) and the output folder's files
# (role "output"), each with its SHA-256 when recorded.
run_files = Table(
    f"{PREFIX}run_files", metadata,
    Column("seq", Integer, ForeignKey(runs.c.seq, ondelete="CASCADE"), primary_key=True),
    Column("role", String(64), primary_key=True),
    Column("path", Text, primary_key=True),
    Column("sha256", String(64), nullable=False),
)

# Every approval is kept; the latest of a quarter is its reference plan.
approvals = Table(
    f"{PREFIX}approvals", metadata,
    Column("number", Integer, primary_key=True, autoincrement=True),
    Column("seq", Integer, ForeignKey(runs.c.seq), nullable=False),
    Column("quarter", String(64), nullable=False),
    Column("approved_at", String(32), nullable=False),
    Column("who", Text, nullable=False),
    Column("note", Text, nullable=False),
)
Index(f"{PREFIX}approvals_quarter", approvals.c.quarter)


class SchemaTooNew(Exception):
    """The store was written by a newer allocator (its schema version is above SCHEMA_VERSION)."""

    def __init__(self, version: int):
        self.version = version
        super().__init__(version)


class NotAStore(Exception):
    """The database holds allocator tables but no schema version: not a store this code wrote."""


def _add_periods(connection: Connection) -> None:
    """1 -> 2: runs.periods, empty for the runs already recorded."""
    connection.execute(text(f"ALTER TABLE {runs.name} ADD COLUMN periods TEXT NOT NULL DEFAULT '[]'"))


def _add_targets(connection: Connection) -> None:
    """2 -> 3: runs.targets, empty for the runs already recorded."""
    connection.execute(text(f"ALTER TABLE {runs.name} ADD COLUMN targets TEXT NOT NULL DEFAULT '[]'"))


# MIGRATIONS[n] upgrades a version-n store to version n + 1.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _add_periods, 2: _add_targets}


def stored_version(connection: Connection) -> int | None:
    """The store's schema version; None when it has no allocator tables at all."""
    names = set(inspect(connection).get_table_names())
    if meta.name not in names:
        if names & {table.name for table in metadata.sorted_tables}:
            raise NotAStore()
        return None
    value = connection.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    if value is None or not str(value).isdigit():
        raise NotAStore()
    return int(value)


def bring_up_to_date(connection: Connection) -> int:
    """Create or upgrade the schema inside the caller's write transaction; the version it was found at
    (0 for a new store). Raises SchemaTooNew or NotAStore."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
    found = stored_version(connection)
    if found is None:
        metadata.create_all(connection)
        connection.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
        return 0
    if found > SCHEMA_VERSION:
        raise SchemaTooNew(found)
    for version in range(found, SCHEMA_VERSION):
        MIGRATIONS[version](connection)
    if found < SCHEMA_VERSION:
        connection.execute(meta.update().where(meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))
    return found

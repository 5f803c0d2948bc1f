"""Shared by the run store's tests: a store target on SQLite or on the PostgreSQL server of
ALLOCATOR_TEST_POSTGRES, hand-made run folders and old-version stores."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

POSTGRES_VARIABLE = "ALLOCATOR_TEST_POSTGRES"
EMPTY_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # SHA-256 of no bytes
ABC_SHA = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # FIPS 180-2 test vector "abc"


def postgres_url() -> str:
    """The test server's URL; skips (or fails, with ALLOCATOR_REQUIRE_POSTGRES=1) when none is set."""
    url = os.environ.get(POSTGRES_VARIABLE)
    if url:
        return url
    reason = f"no PostgreSQL server: set {POSTGRES_VARIABLE}=postgresql+psycopg://... (.ci/run starts one)"
    if os.environ.get("ALLOCATOR_REQUIRE_POSTGRES") == "1":
        pytest.fail(reason + "; ALLOCATOR_REQUIRE_POSTGRES=1 requires it")
    pytest.skip(reason)


def empty_postgres() -> str:
    """The test server with no allocator tables (each test starts from an empty store)."""
    from sqlalchemy import create_engine, inspect, text

    url = postgres_url()
    engine = create_engine(url)
    with engine.begin() as connection:
        for name in inspect(connection).get_table_names():
            if name.startswith("allocator_"):
                connection.execute(text(f"DROP TABLE IF EXISTS {name} CASCADE"))
    engine.dispose()
    return url


def target_for(kind: str, tmp_path: Path) -> str:
    return str(tmp_path / "runs.sqlite") if kind == "sqlite" else empty_postgres()


def make_folder(root: Path, name: str = "plan", periods=("2027-01", "2027-02", "2027-03")) -> Path:
    """A plan folder by hand: an empty file, one holding "abc", scenario.json with the periods, targets.csv."""
    folder = Path(root) / name
    folder.mkdir(parents=True)
    (folder / "empty.csv").write_bytes(b"")
    (folder / "abc.csv").write_bytes(b"abc")
    (folder / "scenario.json").write_text(json.dumps({"name": "by hand", "periods": list(periods)}))
    (folder / "targets.csv").write_text("target,committed,achieved,attainment,met\nrevenue,100,120,1.2,True\n")
    return folder


def run_json(status: str = "optimal", objective: float | None = 5000.0, spend: float = 1000.0, **scenario) -> dict:
    return {"status": status, "objective": objective, "objective_kind": "max_revenue", "solver": "cbc",
            "solver_version": "2.10.3", "versions": {"allocator": "0.1.0"},
            "scenario": {"name": "by hand", "overrides": ["budget.total=1000"],
                         "inputs": [{"role": "scenario", "path": "/plans/q1.yaml", "sha256": "cd" * 32}], **scenario},
            "totals": {"spend": spend, "revenue_total": objective}}


# The layout of schema version 1 (the first one released), written by hand: no runs.periods, no runs.targets.
VERSION_1 = """
CREATE TABLE allocator_meta (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE allocator_runs (seq {serial}, digest VARCHAR(64) NOT NULL, kind VARCHAR(16) NOT NULL,
  created_at VARCHAR(32) NOT NULL, who TEXT NOT NULL, scenario_name TEXT NOT NULL, quarter VARCHAR(64) NOT NULL,
  status VARCHAR(32) NOT NULL, objective FLOAT, objective_kind VARCHAR(32) NOT NULL, solver VARCHAR(32) NOT NULL,
  versions TEXT NOT NULL, overrides TEXT NOT NULL, totals TEXT NOT NULL, folder TEXT NOT NULL, note TEXT NOT NULL);
CREATE TABLE allocator_run_files (seq INTEGER NOT NULL REFERENCES allocator_runs (seq), role VARCHAR(64) NOT NULL,
  path TEXT NOT NULL, sha256 VARCHAR(64) NOT NULL, PRIMARY KEY (seq, role, path));
CREATE TABLE allocator_approvals (number {serial}, seq INTEGER NOT NULL REFERENCES allocator_runs (seq),
  quarter VARCHAR(64) NOT NULL, approved_at VARCHAR(32) NOT NULL, who TEXT NOT NULL, note TEXT NOT NULL);
INSERT INTO allocator_meta VALUES ('schema_version', '1');
INSERT INTO allocator_runs (digest, kind, created_at, who, scenario_name, quarter, status, objective, objective_kind,
  solver, versions, overrides, totals, folder, note) VALUES ('{digest}', 'solve', '2027-01-02T09:00:00+00:00',
  'ana@plans', 'Q1 2027', '2027-Q1', 'optimal', 4321.5, 'max_revenue', 'cbc', '{{}}', '[]', '{{"spend": 999.0}}',
  '/gone/q1', 'from version 1');
INSERT INTO allocator_run_files VALUES (1, 'scenario', '/plans/q1.yaml', '{digest}');
INSERT INTO allocator_approvals (seq, quarter, approved_at, who, note) VALUES (1, '2027-Q1',
  '2027-01-03T10:00:00+00:00', 'ana@plans', 'old approval');
"""
OLD_DIGEST = "f" * 64


def write_version_1(target: str) -> None:
    """A version-1 store by hand at `target` (a SQLite path or a PostgreSQL URL): one run, one approval."""
    from sqlalchemy import create_engine, text

    postgres = "://" in target
    engine = create_engine(target if postgres else f"sqlite:///{target}")
    ddl = VERSION_1.format(serial="SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY AUTOINCREMENT",
                           digest=OLD_DIGEST)
    with engine.begin() as connection:
        for statement in filter(str.strip, ddl.split(";")):
            connection.execute(text(statement))
    engine.dispose()


def set_version(target: str, version: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(target if "://" in target else f"sqlite:///{target}")
    with engine.begin() as connection:
        connection.execute(text("UPDATE allocator_meta SET value = :v WHERE key = 'schema_version'"), {"v": version})
    engine.dispose()

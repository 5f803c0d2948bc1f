"""The run store: every solve, replan and track run recorded in a database, and which plan is approved.

Where it is (`resolve_target`): ``--store`` when given, else the environment variable ``ALLOCATOR_STORE``,
else the SQLite file ``$XDG_DATA_HOME/allocator/runs.sqlite`` (``~/.local/share/allocator/runs.sqlite``
when XDG_DATA_HOME is unset). A target is a file path (SQLite) or a SQLAlchemy URL
(``postgresql+psycopg://user@host/db``, ``sqlite:////abs/path.sqlite``); ``none`` turns recording off.

Python API, for the commands that record or read runs::

    store = open_store()                       # or open_store("runs.sqlite"), open_store("postgresql+psycopg://...")
    run_id = store.record("solve", "out/q1", run_json_dict, note="first cut")   # -> "1-3fa2c19b"
    record = store.get(run_id)                 # RunRecord; "1" (the counter alone) finds it too
    store.approve(run_id, note="signed off")   # Approval; the reference plan of record.quarter
    store.approved("2027-Q1")                  # RunRecord of the latest approval of that quarter, or None
    store.approved()                           # ... of the latest approval of any quarter
    store.approvals("2027-Q1")                 # every approval, newest first (history is kept)
    store.reference(run_id=None, quarter=None) # what track/replan use: run_id if given, else the approved plan
    store.record_folder("track", "out/track", quarter="2027-Q1")  # record() with FOLDER/run.json read back
    store.list(kind="solve", quarter="2027-Q1", limit=20)   # RunRecords, newest first
    record.folder, record.outputs, record.folder_changes(), record.input_changes()

A quarter is the text `store_records.quarter_of` makes of a scenario's periods (``2027-Q1``); pass the
same to `approved`, `approvals` and `reference`.

Every failure is a `StoreError` (an `InputError`: exit 2, one line): a target that is not a path or a URL,
a database that cannot be opened, a store written by a newer allocator, an unknown run id, approving a run
without a plan.

Two processes may write at once: each record is one transaction (a run and its files, or nothing). On
SQLite the file is in WAL mode, writers take the lock when they begin (BEGIN IMMEDIATE, so a reader never
has to upgrade and fail) and wait up to `BUSY_SECONDS` for it. The schema is versioned (store_schema.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from allocator.errors import InputError, PlanFolderError, Text
from allocator.io.run_record import read_run_record
from allocator.tracking import store_schema as schema
from allocator.tracking.store_target import DISABLED, ENVIRONMENT, default_location, resolve_target  # noqa: F401
from allocator.tracking.store_records import (
    KINDS, PLAN_STATUSES, Approval, FileEntry, RunRecord, hash_folder, quarter_of, targets_in, utc_now, who_is_running,
)

PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")  # the password of a URL, never echoed
BUSY_SECONDS = 60
EXPECTED_TARGET = "a file path or a SQLAlchemy URL (sqlite:///runs.sqlite, postgresql+psycopg://user@host/db), or none"


class StoreError(InputError):
    """The run store cannot be used as asked (bad target, unreachable, too new, unknown run...): exit 2."""


def check_target(target: str | Path | None = None) -> None:
    """Refuse, before any work is done, a target that names no usable store (not a path or a URL, an
    unknown database kind or driver, a folder that does not exist); nothing is connected to."""
    resolved = resolve_target(target)
    if resolved is not None:
        _engine(resolved, create_folder=False, check_folder=target is not None
                or os.environ.get(ENVIRONMENT) is not None).dispose()


def open_store(target: str | Path | None = None) -> Store:
    """Open (creating or upgrading when needed) the store `target` names; see `resolve_target`."""
    resolved = resolve_target(target)
    if resolved is None:
        raise StoreError("--store", "", DISABLED, "a store to read runs from (recording is off)")
    return Store(resolved, create_folder=target is None and os.environ.get(ENVIRONMENT) is None)


class Store:
    """An open run store. Use `open_store`; close with `close()` or a ``with`` block."""

    def __init__(self, target: str, create_folder: bool = False):
        self.target = target
        self.engine = _engine(target, create_folder)
        self.url = self.engine.url.render_as_string(hide_password=True)
        try:
            with self._errors("open"), self.engine.connect() as connection:
                current = schema.stored_version(connection) == schema.SCHEMA_VERSION
            if not current:  # create or upgrade: under the write lock, which bring_up_to_date checks again
                with self._errors("open"), self._write() as connection:
                    schema.bring_up_to_date(connection)
        except schema.SchemaTooNew as exc:
            raise StoreError(self.url, "schema_version", exc.version,
                             f"at most {schema.SCHEMA_VERSION} (written by a newer allocator; upgrade it)") from None
        except schema.NotAStore:
            raise StoreError(self.url, "", Text("allocator tables without a schema version"),
                             "a run store written by allocator") from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __str__(self) -> str:
        return self.url

    def close(self) -> None:
        """Release the store's connections."""
        self.engine.dispose()

    def record(self, kind: str, folder: str | Path, run: dict, note: str = "", *,
               periods: list[str] | None = None, quarter: str | None = None) -> str:
        """Record a run whose output is `folder` and whose run.json is `run`; its id.

        The folder's files are hashed now; the scenario's periods come from `periods`, else from
        FOLDER/scenario.json, else from run["scenario"]["periods"]; the quarter from `quarter`, else
        from the periods (`quarter_of`)."""
        if kind not in KINDS:
            raise StoreError("kind", "", kind, "one of " + ", ".join(KINDS))
        folder = Path(folder).resolve()
        scenario = run.get("scenario") if isinstance(run.get("scenario"), dict) else {}
        name = str(scenario.get("name") or folder.name)
        periods = list(periods) if periods is not None else _periods_in(folder) or _periods_of(scenario)
        row = {
            "kind": kind, "created_at": utc_now(), "who": who_is_running(), "scenario_name": name,
            "quarter": quarter or quarter_of(periods, name), "periods": json.dumps(periods),
            "status": str(run.get("status", "")), "objective": _number(run.get("objective")),
            "objective_kind": str(run.get("objective_kind", "")), "solver": str(run.get("solver", "")),
            "versions": json.dumps(_versions(run), sort_keys=True),
            "overrides": json.dumps([str(line) for line in scenario.get("overrides") or []]),
            "totals": json.dumps(run.get("totals") or {}, sort_keys=True), "targets": json.dumps(targets_in(folder)),
            "folder": str(folder), "note": note,
        }
        files = [FileEntry(str(i.get("role", "")), str(i.get("path", "")), str(i.get("sha256", "")))
                 for i in scenario.get("inputs") or [] if isinstance(i, dict)] + hash_folder(folder)
        row["digest"] = hashlib.sha256(json.dumps([row, [f.__dict__ for f in files]], sort_keys=True)
                                       .encode()).hexdigest()
        with self._errors("write to"), self._write() as connection:
            seq = connection.execute(schema.runs.insert().values(**row)).inserted_primary_key[0]
            if files:
                connection.execute(schema.run_files.insert(), [{"seq": seq, **f.__dict__} for f in _unique(files)])
        return f"{seq}-{row['digest'][:8]}"

    def record_folder(self, kind: str, folder: str | Path, note: str = "", *, quarter: str | None = None) -> str:
        """Record the run written into `folder` (its run.json read back); its id. `quarter` as for `record`
        (a track run's folder has no scenario.json: pass its plan's quarter). Raises PlanFolderError when
        the folder has no readable run.json."""
        run = read_run_record(Path(folder))
        if run is None:
            raise PlanFolderError(Path(folder) / "run.json", "", Text("no such file"), "the run.json allocator writes")
        return self.record(kind, folder, run, note, quarter=quarter)

    def get(self, run_id: str) -> RunRecord:
        """The run `run_id` names (``7-3fa2c19b``, or the counter ``7``). Raises StoreError when unknown."""
        seq, digest = _parse_id(run_id)
        found = self._select(schema.runs.c.seq == seq) if seq is not None else []
        if not found or (digest and not found[0].id.endswith("-" + digest)):
            raise StoreError(self.url, "run", str(run_id), "a run id from `allocator runs list`")
        return found[0]

    def list(self, kind: str | None = None, quarter: str | None = None, limit: int | None = None) -> list[RunRecord]:
        """Recorded runs, newest first, of one kind and quarter when given."""
        conditions = [c for c in (schema.runs.c.kind == kind if kind else None,
                                  schema.runs.c.quarter == quarter if quarter else None) if c is not None]
        return self._select(*conditions, limit=limit)

    def approve(self, run_id: str, note: str = "") -> Approval:
        """Make run `run_id` the reference plan of its quarter (a later approval supersedes it; both are
        kept). Raises StoreError for a run without a plan (infeasible, failed) or a track run."""
        record = self.get(run_id)
        if record.kind == "track" or not record.has_plan:
            what = f"a {record.kind} run" + (f" with status {record.status}" if record.status else " (no plan)")
            raise StoreError(self.url, f"run {record.id}", Text(what),
                             "a solve or replan run with a plan (status " + " or ".join(PLAN_STATUSES) + ")")
        row = {"seq": record.seq, "quarter": record.quarter, "approved_at": utc_now(), "who": who_is_running(),
               "note": note}
        with self._errors("write to"), self._write() as connection:
            number = connection.execute(schema.approvals.insert().values(**row)).inserted_primary_key[0]
        return Approval(number, record.id, record.quarter, row["approved_at"], row["who"], note)

    def approvals(self, quarter: str | None = None) -> list[Approval]:
        """Every approval, newest first (of one quarter when given)."""
        table = schema.approvals
        query = select(table, schema.runs.c.digest).join(schema.runs, schema.runs.c.seq == table.c.seq)
        if quarter:
            query = query.where(table.c.quarter == quarter)
        with self._errors("read"), self.engine.connect() as connection:
            rows = connection.execute(query.order_by(table.c.number.desc())).mappings().all()
        return [Approval(r["number"], f"{r['seq']}-{r['digest'][:8]}", r["quarter"], r["approved_at"], r["who"],
                         r["note"]) for r in rows]

    def approved(self, quarter: str | None = None) -> RunRecord | None:
        """The reference plan: the run of the latest approval of `quarter` (of any quarter when None)."""
        latest = self.approvals(quarter)
        return self.get(latest[0].run_id) if latest else None

    def reference(self, run_id: str | None = None, quarter: str | None = None) -> RunRecord:
        """The plan `track` and `replan` work against: run `run_id` when given, else the approved plan of
        `quarter` (of the latest approved quarter when None). Raises StoreError when there is none."""
        if run_id is not None:
            return self.get(run_id)
        found = self.approved(quarter)
        if found is None:
            raise StoreError(self.url, "approved plan", Text(f"none for {quarter or 'any quarter'}"),
                             "an approved run (allocator runs approve RUN), or name one with --run RUN")
        return found

    def _select(self, *conditions, limit: int | None = None) -> list[RunRecord]:
        query = select(schema.runs).where(*conditions).order_by(schema.runs.c.seq.desc()).limit(limit)
        with self._errors("read"), self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
            seqs = [row["seq"] for row in rows]
            files = connection.execute(select(schema.run_files).where(schema.run_files.c.seq.in_(seqs))
                                       .order_by(schema.run_files.c.role, schema.run_files.c.path)).mappings().all()
        by_run: dict[int, list[FileEntry]] = {}
        for f in files:
            by_run.setdefault(f["seq"], []).append(FileEntry(f["role"], f["path"], f["sha256"]))
        return [_record(row, by_run.get(row["seq"], [])) for row in rows]

    @contextmanager
    def _write(self):
        """A write transaction (on SQLite: BEGIN IMMEDIATE, see the module docstring)."""
        with self.engine.execution_options(allocator_write=True).begin() as connection:
            yield connection

    @contextmanager
    def _errors(self, doing: str):
        """The database's own errors as one StoreError line (the driver's first line, nothing more)."""
        try:
            yield
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
            expected = "a database it can open" if doing == "open" else "a store it can read and write"
            raise StoreError(self.url, "", Text(f"a store it cannot {doing}"), f"{expected} ({reason})") from None


def _engine(target: str, create_folder: bool, check_folder: bool = True) -> Engine:
    """A SQLAlchemy engine for a path or URL; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE writes."""
    if not target.strip():
        raise StoreError("--store", "", target, EXPECTED_TARGET)
    try:
        url = make_url(target) if "://" in target else None
    except (ArgumentError, ValueError):  # unparseable, or a port that is not a number
        raise StoreError("--store", "", PASSWORD.sub(r"\1***@", target), EXPECTED_TARGET) from None
    if url is not None and url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise StoreError("--store", "", target, "a SQLite file (an in-memory database keeps no runs)")
    if url is None:
        path = Path(target).expanduser().absolute()
        if path.is_dir():
            raise StoreError("--store", "", target, "a file path for the SQLite store, not a folder")
        if create_folder:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError("--store", "", target, f"a folder that can be created ({exc.strerror})") from None
        if check_folder and not path.parent.is_dir():
            raise StoreError("--store", "", target, f"a file in an existing folder ({path.parent} does not exist)")
        url = make_url(f"sqlite:///{path}")
    try:
        engine = create_engine(url)
    except (ArgumentError, SQLAlchemyError, ImportError) as exc:  # unknown dialect, driver not installed
        raise StoreError("--store", "", url.render_as_string(hide_password=True),
                         f"{EXPECTED_TARGET} ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})") from None
    if engine.dialect.name == "sqlite":
        _sqlite_settings(engine)
    return engine


def _retry_while_locked(step) -> None:
    """Run `step`, again while SQLite says the database is locked: switching to WAL can fail at once, without
    the busy timeout, while another process is creating the same store (seen in CI with two writers)."""
    import sqlite3
    import time

    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_settings(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # the driver's own BEGIN off: `_begin` emits it
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
        _retry_while_locked(lambda: cursor.execute("PRAGMA journal_mode = WAL"))
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        write = connection.get_execution_options().get("allocator_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _parse_id(run_id: str) -> tuple[int | None, str]:
    counter, _, digest = str(run_id).strip().partition("-")
    return (int(counter) if counter.isdigit() else None), digest.lower()


def _record(row, files: list[FileEntry]) -> RunRecord:
    return RunRecord(
        id=f"{row['seq']}-{row['digest'][:8]}", seq=row["seq"], kind=row["kind"], created_at=row["created_at"],
        who=row["who"], scenario_name=row["scenario_name"], quarter=row["quarter"],
        periods=tuple(json.loads(row["periods"])), status=row["status"], objective=row["objective"],
        objective_kind=row["objective_kind"], solver=row["solver"], versions=json.loads(row["versions"]),
        overrides=tuple(json.loads(row["overrides"])), totals=json.loads(row["totals"]),
        targets=tuple(json.loads(row["targets"])),
        inputs=tuple(f for f in files if f.role != "output"), outputs=tuple(f for f in files if f.role == "output"),
        folder=Path(row["folder"]), note=row["note"])


def _versions(run: dict) -> dict:
    versions = {str(k): str(v) for k, v in (run.get("versions") or {}).items()}
    if run.get("solver") and run.get("solver_version"):
        versions[str(run["solver"])] = str(run["solver_version"])
    return versions


def _periods_in(folder: Path) -> list[str]:
    """The periods FOLDER/scenario.json names (the scenario as solved), or none."""
    try:
        periods = json.loads((folder / "scenario.json").read_text(encoding="utf-8")).get("periods")
    except (OSError, ValueError, AttributeError):
        return []
    return [str(p) for p in periods] if isinstance(periods, list) else []


def _periods_of(scenario: dict) -> list[str]:
    periods = scenario.get("periods")
    return [str(p) for p in periods] if isinstance(periods, list) else []


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _unique(files: list[FileEntry]) -> list[FileEntry]:
    """One entry per (role, path): a file named twice (a base extended by two files) is recorded once."""
    return list({(f.role, f.path): f for f in files}.values())

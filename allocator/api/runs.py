"""The API of the run store: open it, record a run folder, find the plan to work against, compare two runs.

The store itself is `allocator.tracking.store` (where it lives, how it is versioned, what it records).
`allocator.solve` never records; the command line records each run through `record_run`.
"""

from __future__ import annotations

from pathlib import Path

from allocator.tracking import run_diff
from allocator.tracking.run_diff import RunDiff
from allocator.tracking.store import Store, StoreError, open_store as _open, resolve_target
from allocator.tracking.store_records import RunRecord


def open_store(store: str | Path | None = None) -> Store:
    """Open the run store, creating it (or upgrading an older one) when needed.

    Parameters
    ----------
    store : str or Path, optional
        A SQLite file path or a SQLAlchemy URL (``postgresql+psycopg://user@host/db``). Default: the
        environment variable ``ALLOCATOR_STORE``, else ``$XDG_DATA_HOME/allocator/runs.sqlite``
        (``~/.local/share/allocator/runs.sqlite``).

    Returns
    -------
    Store
        ``record``, ``get``, ``list``, ``approve``, ``approved``, ``approvals``, ``reference``; ``close()``.

    Raises
    ------
    StoreError
        ``none`` (recording off), a target that is neither a path nor a URL, a database that cannot be
        opened, or a store written by a newer allocator.

    Examples
    --------
    >>> import allocator
    >>> with allocator.open_store("/tmp/runs.sqlite") as store:  # doctest: +SKIP
    ...     [run.id for run in store.list(limit=3)]
    ['3-9b1c0d2e', '2-77aa01f3', '1-28f82cea']
    """
    return _open(store)


def record_run(kind: str, folder: str | Path, *, store: str | Path | None = None, note: str = "") -> str | None:
    """Record the run written into `folder` (solve, replan or track) in the run store.

    Parameters
    ----------
    kind : {"solve", "replan", "track"}
        What wrote the folder.
    folder : str or Path
        The output folder; its run.json is read back and each of its files hashed (SHA-256).
    store : str or Path, optional
        As for `open_store`; ``none`` records nothing.
    note : str, default ""
        Free text kept with the run.

    Returns
    -------
    str or None
        The run's id (``<counter>-<8 hex>``), or None when recording is off.

    Raises
    ------
    StoreError
        The store cannot be opened or written, or `kind` is not one of the three.
    PlanFolderError
        The folder has no readable run.json.

    Examples
    --------
    >>> import allocator
    >>> plan = allocator.solve("scenarios/example_q1.yaml", out="out/q1", force=True)  # doctest: +SKIP
    >>> allocator.record_run("solve", "out/q1", store="/tmp/runs.sqlite")  # doctest: +SKIP
    '1-28f82cea'
    """
    if resolve_target(store) is None:
        return None
    with _open(store) as opened:
        return opened.record_folder(kind, folder, note)


def reference_plan(run: str | None = None, *, quarter: str | None = None,
                   store: str | Path | None = None) -> RunRecord:
    """The plan that `track` and `replan` work against: the run named, else the approved plan.

    Parameters
    ----------
    run : str, optional
        A run id (``7-3fa2c19b``, or the counter ``7``); when given, approval does not matter.
    quarter : str, optional
        The quarter whose approved plan is wanted (``2027-Q1``); default: the latest approval of any quarter.
    store : str or Path, optional
        As for `open_store`.

    Returns
    -------
    RunRecord
        The run as recorded: ``folder``, ``quarter``, ``periods``, ``totals``, ``inputs``, ``outputs``...

    Raises
    ------
    StoreError
        An unknown run id, no approved plan for the quarter, or a store that cannot be opened.

    Examples
    --------
    >>> import allocator
    >>> allocator.reference_plan(quarter="2027-Q1", store="/tmp/runs.sqlite").folder  # doctest: +SKIP
    PosixPath('/home/me/out/q1')
    """
    with _open(store) as opened:
        return opened.reference(run, quarter)


def diff_runs(first: str, second: str, *, store: str | Path | None = None) -> RunDiff:
    """Compare two recorded runs: totals, target attainment, settings, inputs and output files that differ.

    Parameters
    ----------
    first, second : str
        Run ids (``7-3fa2c19b``, or the counter ``7``); differences read from `first` to `second`.
    store : str or Path, optional
        As for `open_store`.

    Returns
    -------
    RunDiff
        ``totals`` and ``targets`` (name, first, second), ``inputs``, ``files`` and ``settings`` (one line
        each that differs), ``compared`` (the folders compared as `compare` does, when both are still as
        recorded), ``note`` (why not); ``lines()`` is what ``allocator runs diff`` prints.

    Raises
    ------
    StoreError
        An unknown run id, or a store that cannot be opened.

    Examples
    --------
    >>> import allocator
    >>> allocator.diff_runs("1", "2", store="/tmp/runs.sqlite").inputs  # doctest: +SKIP
    ['table:funnel /home/me/plan/funnel.csv: differs (sha256 73deda919640 -> 0c1d2e3f4a5b)']
    """
    with _open(store) as opened:
        return run_diff.diff_runs(opened, first, second)


__all__ = ["RunRecord", "Store", "StoreError", "diff_runs", "open_store", "record_run", "reference_plan"]

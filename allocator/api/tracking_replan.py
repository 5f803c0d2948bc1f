"""The API of re-planning: what `allocator replan` does, without printing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from allocator.api.planning import Source, load
from allocator.errors import UsageError
from allocator.io.output import prepare_target, run_inputs
from allocator.solving.pipeline import require_solver

if TYPE_CHECKING:
    from allocator.tracking.replan import Replan


def replan(scenario: Source, actuals: str | Path, as_of: date | str, *, against: str | Path | None = None,
           run: str | None = None, store: str | Path | None = "none", learn: bool = False, solver: str = "cbc",
           set: Mapping | Iterable[str] | None = None, allow_outside: str | Path | Iterable[str | Path] | None = None,
           diagnose_seconds: float | None = None, out: str | Path | None = None, force: bool = False) -> Replan:
    """Re-plan the quarter: the days before `as_of` fixed at the `actuals`, the days left re-optimised.

    Parameters
    ----------
    scenario : the scenario (what `load` takes).
    actuals : a daily actuals table (CSV or Parquet: date, channel, tier, [product], spend, leads, customers,
        revenue); a repeated date + channel + tier + product replaces the earlier row.
    as_of : the first day not yet elapsed (``"2027-02-01"``).
    against : the approved plan's folder; else run `run` of the `store`, else its approved plan of the
        scenario's quarter, else the scenario solved fresh (``Replan.approved_from`` says which).
    store : a run store (path or SQLAlchemy URL); ``"none"`` (default here) reads none, None the default one.
    learn : update conversion, cost per lead and order value of the days left from the actuals.
    out, force : write the re-plan's folder there.

    Examples
    --------
    >>> from allocator.api.tracking_replan import replan
    >>> result = replan("scenarios/example_q1.yaml", "scenarios/actuals_q1.csv", "2027-02-01")  # doctest: +SKIP
    >>> result.sentences[0]  # doctest: +SKIP
    '2027-02: cut 7,243 from website'
    """
    from allocator.history.actuals import PlanScope, read_actuals
    from allocator.tracking.replan import replan as run_replan, write_replan
    from allocator.plan.verify import read_allocation

    require_solver(solver)
    day = _day(as_of)
    loaded = load(scenario, set=set, allow_outside=allow_outside)
    against = Path(against) if against is not None else _approved_folder(store, run, loaded.scenario)
    inputs = (run_inputs(loaded) if loaded.sources else []) + [Path(actuals)] + ([against] if against else [])
    if out is not None:
        prepare_target(Path(out), force, inputs)
    table = read_actuals(actuals, PlanScope.from_scenario(loaded.scenario)).table  # names and days the plan has
    approved = read_allocation(against) if against is not None else None
    result = run_replan(loaded, table, day, solver=solver, approved=approved,
                        approved_from=str(against) if against is not None else "", learn=learn,
                        actuals_file=actuals, diagnose_seconds=diagnose_seconds)
    if out is not None:
        write_replan(result, out, inputs, force=force)
    return result


def _day(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UsageError("as_of", "", value, "a day as YYYY-MM-DD") from None


def _approved_folder(store, run_id, scenario) -> Path | None:
    """The folder of run `run_id`, else of the store's approved plan of the scenario's quarter; None when
    the store is off or has no approved plan for it (the scenario is then solved fresh, and said so)."""
    from allocator.tracking.store import open_store, resolve_target
    from allocator.tracking.store_records import quarter_of

    if resolve_target(store) is None:
        if run_id is not None:
            raise UsageError("--run", "", run_id, "a run store to find it in (--store)")
        return None
    quarter = quarter_of(list(scenario.periods), scenario.name)
    with open_store(store) as opened:
        if run_id is None and opened.approved(quarter) is None:
            return None
        return Path(opened.reference(run_id, quarter).folder)

"""A solved scenario for scripts and notebooks: status, objective and every table as a pandas DataFrame.

`Plan` wraps what the pipeline returns (`SolvedScenario`) with the solver settings it was solved with,
so that it can write its folder (exactly the files ``allocator solve`` writes), be checked by the
independent verifier, and diagnose itself when no plan exists.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from solvers import SolveOptions, Status

from allocator.errors import UsageError
from allocator.io.output import prepare_target, run_inputs, write_folder
from allocator.plan.units import with_units
from allocator.plan.words import figure
from allocator.scenario.schema import Scenario
from allocator.solving.pipeline import SolvedScenario, explain_status, run_record

if TYPE_CHECKING:  # diagnosing, explaining and verifying load their modules when asked for
    from allocator.analysis.diagnose import Diagnosis
    from allocator.analysis.explain import Explanation
    from allocator.plan.verify import Report


class _Table:
    """A plan table as a read-only property: a copy, so that editing it cannot change what `write` writes."""

    def __init__(self, doc: str):
        self.__doc__ = doc

    def __set_name__(self, owner, name: str) -> None:
        self.stem = name

    def __get__(self, plan: Plan | None, owner=None):
        return self if plan is None else plan.table(self.stem)


class Plan:
    """A solved scenario: its status, objective and tables.

    Returned by `allocator.solve`; not made directly. Each table is a `pandas.DataFrame` holding what
    the file of the same name holds (``plan.by_channel`` is ``by_channel.csv``), at full precision; a
    table the plan does not have (every table when no plan exists, ``shortfalls`` without soft targets,
    ``diagnosis`` unless diagnosed) is an empty DataFrame.

    Examples
    --------
    >>> import allocator
    >>> plan = allocator.solve("scenarios/example_q1.yaml")
    >>> plan.status
    'optimal'
    >>> float(plan.by_channel["spend"].sum())  # doctest: +SKIP
    3400000.0
    """

    allocation = _Table("One row per channel x tier x product x period: spend, leads, customers, revenue.")
    by_channel = _Table("Amounts per channel, with ROI and shares of revenue and spend.")
    by_tier = _Table("Amounts per customer tier, with ROI and shares of revenue and spend.")
    by_product = _Table("Amounts per product, with ROI and shares of revenue and spend.")
    by_period = _Table("Amounts per period, with ROI and shares of revenue and spend.")
    targets = _Table("Every target and floor: committed, buffer, planned, achieved, attainment, met.")
    budget_lines = _Table("Each channel x tier budget line and what it buys, in words.")
    lines = _Table("With budget.lines: each named line, what its spend buys and whether its promises are met.")
    weekly = _Table("With a calendar: each ISO week x month of the plan, split by working days (weekly.csv).")
    milestones = _Table("With milestones: each milestone's cumulative amounts, required vs planned by its date.")
    constraints = _Table("Every constraint by name: lhs, sense, rhs, slack, binding, shadow price.")
    sensitivity = _Table("Each binding limit, what one more unit of the number behind it is worth.")
    marginal = _Table("Per channel and period: ROI, ROI of the next unit, what unfunded channels lack.")
    shortfalls = _Table("With soft targets: how far the plan falls short of each goal.")
    diagnosis = _Table("When no plan exists and it was diagnosed: the conflicting demands and fixes.")

    def __init__(self, solution: SolvedScenario, solver: str, options: SolveOptions,
                 diagnosis: Diagnosis | None = None):
        self.solution = solution  # the pipeline's record: loaded scenario, model, plan tables, timings
        self.solver = solver
        self.options = options
        self._diagnosis = diagnosis

    @property
    def status(self) -> str:
        """``optimal``, ``infeasible``, ``unbounded``, ``time_limit_with_solution``, ``no_solution`` or ``error``."""
        return self.solution.plan.status.value

    @property
    def solved(self) -> bool:
        """True when the plan has a solution (optimal, or the best found within the time limit)."""
        return self.solution.plan.solved

    @property
    def objective(self) -> float | None:
        """The objective's value (money, customers or profit, by `objective_kind`); None without a plan."""
        return self.solution.plan.objective

    @property
    def objective_kind(self) -> str:
        """The objective solved for, e.g. ``max_revenue`` or ``min_spend``."""
        return self.solution.plan.objective_kind

    @property
    def explanation(self) -> str:
        """One line saying what the status means (and what the solver said when it is not optimal)."""
        return explain_status(self.solution.plan)

    @property
    def scenario(self) -> Scenario:
        """The validated scenario that was solved (overrides applied)."""
        return self.solution.loaded.scenario

    @property
    def totals(self) -> dict[str, float]:
        """Plan-wide sums of the allocation (spend, leads, customers, revenue...) and the overall ROI."""
        return dict(self.solution.plan.totals)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table the plan has, by file stem, in the order `write` writes them (copies)."""
        tables = {stem: frame.copy() for stem, frame in self.solution.plan.tables.items()}
        if self._diagnosis is not None:
            tables["diagnosis"] = self._diagnosis.table()
        return tables

    def table(self, stem: str) -> pd.DataFrame:
        """The table written as ``<stem>.csv`` (a copy); an empty DataFrame when the plan has none."""
        if stem == "diagnosis" and self._diagnosis is not None:
            return self._diagnosis.table()
        table = self.solution.plan.tables.get(stem)
        return pd.DataFrame() if table is None else table.copy()

    def diagnose(self, time_limit: float | None = None) -> Diagnosis:
        """Find which demands of an infeasible scenario conflict and how far each must move.

        Parameters
        ----------
        time_limit : float, optional
            Seconds the diagnosis may take in all (default 60); when they run out it returns what it
            found so far, with ``complete`` False.

        Returns
        -------
        Diagnosis
            ``table()`` (also ``plan.diagnosis`` and ``diagnosis.csv`` from then on) and ``summary()``.

        Raises
        ------
        UsageError
            The plan is not infeasible: there is no conflict to explain.
        """
        if self.solution.plan.status is not Status.INFEASIBLE:
            raise UsageError("Plan.diagnose()", "status", self.status, "an infeasible plan (nothing conflicts here)")
        if self._diagnosis is None or time_limit is not None:
            from allocator.analysis.diagnose import diagnose

            self._diagnosis = diagnose(self.solution.model, self.solver, self.options, time_budget=time_limit)
        return self._diagnosis

    def verify(self) -> Report:
        """Re-check every constraint of the scenario against this plan's allocation, independently of the model.

        Returns
        -------
        Report
            ``ok``, ``violations`` (one line each), ``checks`` and ``shortfalls`` of soft targets.

        Raises
        ------
        UsageError
            There is no plan to check (infeasible, unbounded, no solution).
        """
        if not self.solved:
            raise UsageError("Plan.verify()", "status", self.status, "a solved plan to check")
        from allocator.plan.verify import verify

        return verify(self.scenario, self.solution.plan.tables["allocation"])

    def explain(self, ranging: int = 5, diagnose_seconds: float | None = None) -> Explanation:
        """What binds, what one more unit of each limit is worth and over which range; the diagnosis when no
        plan exists. `ranging`: how many of the costliest limits get a price range (a few dozen re-solves each)."""
        from allocator.analysis.explain import explain

        return explain(self.solution, self.solver, self.options, ranged=ranging, diagnose_seconds=diagnose_seconds)

    def write_explanation(self, folder: str | Path, explanation: Explanation, force: bool = False) -> list[str]:
        """Write what `explain` found (sensitivity.csv and marginal.csv, or diagnosis.csv) and run.json."""
        out = Path(folder)
        record = {**run_record(self.solution, out), "explain_solves": explanation.solves}
        if explanation.diagnosis is not None:
            d = explanation.diagnosis
            record["diagnosis"] = {"solves": d.solves, "seconds": round(d.seconds, 3), "complete": d.complete,
                                   "note": d.note}
        tables = with_units(explanation.tables, self.scenario.currency)
        write_folder(out, tables, record, inputs=self.inputs(), force=force)
        return [f"{stem}.csv" for stem in tables] + ["run.json"]

    def run_record(self, folder: str | Path | None = None) -> dict:
        """What run.json holds: status, objective, solver, timings, the inputs' SHA-256, versions."""
        record = run_record(self.solution, folder)
        if self._diagnosis is not None:
            d = self._diagnosis
            record["diagnosis"] = {"summary": d.summary(), "solves": d.solves, "seconds": round(d.seconds, 3),
                                   "complete": d.complete, "note": d.note}
        return record

    def scenario_record(self) -> str:
        """scenario.json: the scenario's parameters as entered (bases merged, tables read, --set applied;
        defaults left out), so the plan folder shows what it was solved from even when the files move."""
        data = self.scenario.model_dump(mode="json", exclude_unset=True)
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"

    def inputs(self) -> list[Path]:
        """The files the scenario was read from (none for a scenario given in memory)."""
        return run_inputs(self.solution.loaded) if self.solution.loaded.sources else []

    @property
    def diagnosis_lines(self) -> list[str]:
        """The diagnosis in words, as the command line prints it (empty when not diagnosed)."""
        return [] if self._diagnosis is None else self._diagnosis.summary()

    def files(self, export_model: bool = False) -> list[str]:
        """The names of the files `write` writes, in order."""
        names = [f"{stem}.csv" for stem in self.solution.plan.tables]
        names += ["diagnosis.csv"] if self._diagnosis is not None else []
        return names + ["units.csv", "scenario.json", "run.json"] + (["model.lp", "model.mps", "model_names.csv"] if export_model else [])

    def write(self, folder: str | Path, force: bool = False, export_model: bool = False,
              extra_files: dict[str, bytes] | None = None) -> list[str]:
        """Write the plan's folder: exactly the files ``allocator solve`` writes, all at once or none.

        Parameters
        ----------
        folder : str or Path
            The folder to write (created; replaced only with ``force`` and only if allocator wrote it).
        force : bool, default False
            Replace an existing, non-empty plan folder.
        export_model : bool, default False
            Also write model.lp, model.mps and model_names.csv (the linear program; its LP-safe names
            mapped to the readable ones).
        extra_files : dict, optional
            More files by name, written with the rest (``solve --report``: plan.xlsx, report.html).

        Returns
        -------
        list of str
            The names of the files written.

        Raises
        ------
        OutputError
            The folder holds one of the inputs, is not empty without ``force``, or cannot be written.
        """
        out = Path(folder)
        inputs = self.inputs()
        prepare_target(out, force, inputs)
        extra = {"scenario.json": self.scenario_record()}
        if export_model:
            from allocator.io.export import export_texts

            extra.update(export_texts(self.solution.model.lp))
        extra.update(extra_files or {})
        tables = with_units(self.tables, self.scenario.currency)
        write_folder(out, tables, self.run_record(out), inputs=inputs, extra_files=extra, force=force)
        return self.files(export_model)[:-1] + sorted(extra_files or {}) + ["run.json"]

    def __repr__(self) -> str:
        value = "" if self.objective is None else f", {self.objective_kind} = {figure(self.objective)}"
        return f"<Plan {self.scenario.name!r}: {self.status}{value}>"

    def _repr_html_(self) -> str:
        """Jupyter: the headline and the targets table."""
        head = f"<p><b>{html.escape(self.scenario.name)}</b>: {html.escape(self.explanation)}"
        if self.objective is not None:
            head += f"<br>{html.escape(self.objective_kind)} = {html.escape(figure(self.objective))}"
            t = self.totals
            head += (f"<br>spend {html.escape(figure(t['spend']))}, revenue {html.escape(figure(t['revenue_total']))}"
                     f", new customers {html.escape(figure(t['new_customers']))}")
        head += "</p>"
        targets = self.targets
        if targets.empty:
            return head
        shown = targets[[c for c in ("target", "committed", "planned", "achieved", "met") if c in targets.columns]]
        return head + shown.to_html(index=False, float_format=lambda v: figure(v))

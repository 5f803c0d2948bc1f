"""Property-based tests (hypothesis) over random valid scenarios drawn by tests/strategies.py.

(a) every plan CBC (and HiGHS) reports as optimal passes `allocator verify` (checked from the
    allocation.csv written as `allocator solve` writes it);
(b) HiGHS agrees with CBC: the same status class (optimal / infeasible / unbounded) and, when
    optimal, the same objective within 1e-6 relative (+1e-6 absolute, for objectives near 0);
(c) monotonicity: more budget never lowers the max_revenue optimum; a higher channel ROI floor never
    raises it; a higher revenue target never lowers the min_spend optimum (relative tolerance 1e-7).
    A tighter problem may become infeasible, never the reverse;
(d) no false verdicts: each scenario is drawn around a reference plan (tests/strategies.py); when that
    plan passes `allocator verify`, every solver must report an optimal plan, at least as good unless
    the reference misses a soft target.

A default run exercises 150 scenarios for (a), (b) and (d) (at most 300 cells each), 50 per
monotonicity property (at most 200 cells) and 150 draws checked for validity only: about 45 s on
2 cores. ALLOCATOR_FUZZ_EXAMPLES=N runs N examples per property on scenarios of up to 3,000 cells
(the full 30 x 5 x 6 x 13 ranges are always reachable; the cap shrinks the largest dimensions of
a bigger draw), e.g.

    ALLOCATOR_FUZZ_EXAMPLES=1000 .venv/bin/python -m pytest -q tests/test_properties.py

benchmarks/fuzz_verify.py runs the same checks as a 1,000-scenario campaign with a summary.
Soft targets are drawn for (a), (b), (d) only; the monotonicity properties use hard targets.

Known library bugs (KNOWN_BUGS in tests/checks.py, each an xfail(strict=True) regression in
tests/regressions/) are tolerated only in their exact signature and counted with `event()`
(see them with --hypothesis-show-statistics).
"""

from __future__ import annotations

import os

from helpers import backends
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

import checks as C
import mutations as M
import strategies as S

SCALE = int(os.environ.get("ALLOCATOR_FUZZ_EXAMPLES", "0") or 0)
AGREEMENT_EXAMPLES = SCALE or 150
MONOTONE_EXAMPLES = SCALE or 50
MAX_CELLS = 3000 if SCALE else 300
MONOTONE_MAX_CELLS = 3000 if SCALE else 200
BACKENDS = tuple(backends())

SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    print_blob=True,
)


def _check_plans(outcomes: dict[str, C.Outcome]) -> None:
    for outcome in outcomes.values():
        assert not outcome.violations, (
            f"{outcome.solver} plan ({outcome.status}, objective {outcome.objective!r}, tie-break "
            f"{outcome.tie_break!r}) fails verify:\n" + "\n".join(outcome.violations[:20]))


@settings(max_examples=AGREEMENT_EXAMPLES, **SETTINGS)
@given(case=S.scenario_cases(max_cells=MAX_CELLS))
def test_plans_pass_verify_and_solvers_agree(case):
    data = case.data
    note(C.dump(data))
    outcomes = C.run_case(data, solvers=BACKENDS)
    cbc = outcomes["cbc"]
    event(f"cbc status: {cbc.status}")
    event(f"objective: {data['objective']}")
    assert cbc.status in C.STATUS_CLASSES, f"CBC: {cbc.status} ({cbc.message})"
    _check_plans(outcomes)  # (a)
    if "highs" in outcomes:  # (b)
        why = C.disagreement(outcomes)
        known = C.known_disagreement(data, outcomes) if why is not None else None
        if known:
            event(f"known bug: {known}")
        else:
            assert why is None, why
    # (d) the reference plan the scenario was built around: when it passes verify, the scenario has a plan,
    # so no solver may call it infeasible or find a worse optimum.
    usable, failure = C.check_reference(case, outcomes)
    event(f"reference plan passes verify: {usable}")
    known = C.known_reference_failure(case, outcomes) if failure is not None else None
    if known:
        event(f"known bug: {known}")
        return
    assert failure is None, failure


def _solve(data: dict, objective: str | None = None) -> C.Outcome:
    outcome = C.solve_outcome(data, "cbc", objective, write=False)
    assert outcome.status in C.STATUS_CLASSES, f"CBC: {outcome.status} ({outcome.message})"
    event(f"status: {outcome.status}")
    return outcome


def _assert_monotone(looser: C.Outcome, tighter: C.Outcome, sense: str) -> None:
    """The looser problem is at least as good; infeasible only if the tighter one is too."""
    note(f"looser: {looser.status} {looser.objective!r}; tighter: {tighter.status} {tighter.objective!r}")
    if looser.status == "infeasible":
        assert tighter.status == "infeasible", "the looser problem is infeasible but the tighter one is not"
    if looser.status == "optimal" and tighter.status == "optimal":
        assert C.not_worse(looser.objective, tighter.objective, sense), (
            f"looser optimum {looser.objective!r} is {'below' if sense == 'max' else 'above'} "
            f"the tighter one {tighter.objective!r}")


# Factors on a grid (shrinks towards small changes).
FACTORS = st.integers(1, 200).map(lambda k: 1.0 + k / 100.0)


@settings(max_examples=MONOTONE_EXAMPLES, **SETTINGS)
@given(data=S.scenarios(objective="max_revenue", max_cells=MONOTONE_MAX_CELLS, soft_targets=False), factor=FACTORS)
def test_more_budget_never_lowers_max_revenue(data, factor):
    note(C.dump(data))
    bigger = M.with_budget(data, factor)
    note(f"budget {data['budget']['total']!r} -> {bigger['budget']['total']!r}")
    _assert_monotone(_solve(bigger), _solve(data), "max")


@settings(max_examples=MONOTONE_EXAMPLES, **SETTINGS)
@given(data=S.scenarios(objective="max_revenue", max_cells=MONOTONE_MAX_CELLS, soft_targets=False),
       pick=st.integers(0, 10_000), factor=FACTORS, step=st.integers(1, 500).map(lambda k: k / 100.0))
def test_higher_channel_roi_floor_never_raises_max_revenue(data, pick, factor, step):
    note(C.dump(data))
    i = pick % len(data["channels"])
    old = data["channels"][i].get("min_roi")
    new = S.sig((old or 0.0) * factor + step, 8)
    note(f"channels[{i}].min_roi {old!r} -> {new!r}")
    _assert_monotone(_solve(data), _solve(M.with_channel_roi(data, i, new)), "max")


@settings(max_examples=MONOTONE_EXAMPLES, **SETTINGS)
@given(data=S.scenarios(objective="min_spend", max_cells=MONOTONE_MAX_CELLS, require_revenue_target=True,
                        soft_targets=False), factor=FACTORS)
def test_higher_revenue_target_never_lowers_min_spend(data, factor):
    note(C.dump(data))
    higher = M.with_revenue_target(data, factor)
    note(f"targets.revenue {data['targets']['revenue']!r} -> {higher['targets']['revenue']!r}")
    _assert_monotone(_solve(data), _solve(higher), "min")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=S.scenarios(max_cells=3000))
def test_strategy_draws_only_valid_scenarios(data):
    """The strategy's own contract: every draw loads (a failure here is a bug in tests/strategies.py)."""
    import tempfile
    from pathlib import Path

    from allocator.scenario.loader import load_scenario

    with tempfile.TemporaryDirectory(prefix="allocator-draw-") as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(C.dump(data), encoding="utf-8")
        s = load_scenario(path).scenario
    assert 1 <= len(s.channels) <= S.MAX_CHANNELS and 1 <= len(s.tiers) <= S.MAX_TIERS
    assert 1 <= len(s.products) <= S.MAX_PRODUCTS and 1 <= len(s.periods) <= S.MAX_PERIODS

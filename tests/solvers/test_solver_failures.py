"""A solver that hangs, dies or returns garbage gives exit 3 with one clear line, never a plan."""

from __future__ import annotations

import json
import struct
import sys
import textwrap
import time
from pathlib import Path
import pytest
from helpers import EXAMPLE, base_scenario, write_scenario
import solvers.cbc as cbc
from allocator.scenario.loader import load_scenario
from robustness_helpers import assert_one_error_line, invoke, leftovers, occupied, snapshot

# --------------------------------------------------------------------------------------------
# (e) a solver that hangs, dies or writes garbage: exit 3, one line, no plan


def _arg_prelude() -> str:
    return textwrap.dedent("""\
        #!/bin/sh
        sol=""; bin=""; prev=""
        for a in "$@"; do
          case "$prev" in -solution) sol="$a";; -saveSolution) bin="$a";; esac
          prev="$a"
        done
        """)


def _fake(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(_arg_prelude() + textwrap.dedent(body))
    path.chmod(0o755)
    return path


def _python_fake(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    header = f"#!{sys.executable}\nimport struct, sys\nargs = sys.argv\n" \
             "sol = args[args.index('-solution') + 1]\nbin_ = args[args.index('-saveSolution') + 1]\n"
    path.write_text(header + textwrap.dedent(body))
    path.chmod(0o755)
    return path


def _lp_size(scenario: Path) -> tuple[int, int]:
    from allocator.model.build import build_model

    s = load_scenario(scenario).scenario
    lp = build_model(s, s.objective).lp
    return lp.n_rows, lp.n_cols


def _solution_bytes(rows: int, cols: int, value: float, header: tuple[int, int] | None = None) -> bytes:
    r, c = header or (rows, cols)
    return struct.pack("<ii", r, c) + struct.pack("<d", 0.0) + struct.pack(f"<{2 * rows + 2 * cols}d",
                                                                         *([value] * (2 * rows + 2 * cols)))


SOLVER_FAKES = {
    # name: (kind, body, substrings of the message)
    "hangs": ("sh", "exec sleep 60\n", ["time limit", "stopped"]),
    "exit_137": ("sh", "exit 137\n", ["exited with code 137"]),
    "killed_by_signal": ("sh", "kill -9 $$\n", ["ended by SIGKILL"]),
    "writes_nothing": ("sh", "echo 'Welcome to the CBC MILP Solver'\nexit 0\n", ["without writing a solution"]),
    "empty_solution": ("sh", ': > "$sol"\n', ["solution file is empty"]),
    "garbage_status": ("sh", 'printf "\\217garbage \\377 not a status\\n" > "$sol"\n', ["solution file could not be read"]),
    "garbage_words": ("sh", 'echo "Segmentation fault (core dumped)" > "$sol"\n',
                      ["unrecognised CBC status line", "Segmentation fault"]),
    "truncated_values": ("sh", 'echo "Optimal - objective value 5000.00" > "$sol"\nprintf "0123456789" > "$bin"\n',
                         ["solution values have 10 bytes, expected"]),
    "no_values_file": ("sh", 'echo "Optimal - objective value 5000.00" > "$sol"\n',
                       ["no readable solution values"]),
    "nan_values": ("py", "open(sol, 'w').write('Optimal - objective value 0\\n')\n"
                   "open(bin_, 'wb').write(SOLUTION_NAN)\n", ["not finite"]),
    "wrong_shape": ("py", "open(sol, 'w').write('Optimal - objective value 0\\n')\n"
                    "open(bin_, 'wb').write(SOLUTION_SHAPE)\n", ["solution is for"]),
}


@pytest.fixture
def small_lp(tmp_path) -> Path:
    return write_scenario(tmp_path, base_scenario(periods=["2027-01", "2027-02"]), "small.yaml")


@pytest.mark.parametrize("name", sorted(SOLVER_FAKES))
def test_failing_solver_exits_3_without_a_plan(tmp_path, monkeypatch, small_lp, name):
    kind, body, expected = SOLVER_FAKES[name]
    if kind == "py":
        rows, cols = _lp_size(small_lp)
        body = (f"SOLUTION_NAN = {_solution_bytes(rows, cols, float('nan'))!r}\n"
                f"SOLUTION_SHAPE = {_solution_bytes(rows, cols, 1.0, header=(rows + 1, cols))!r}\n" + body)
        fake = _python_fake(tmp_path, f"cbc_{name}", body)
    else:
        fake = _fake(tmp_path, f"cbc_{name}", body)
    monkeypatch.setattr(cbc, "binary_path", lambda: fake)
    monkeypatch.setattr(cbc, "GRACE_SECONDS", 1.0)
    out = tmp_path / "out"
    started = time.perf_counter()
    result = invoke("solve", small_lp, "--out", out, "--time-limit", "1")
    assert time.perf_counter() - started < 20
    text = assert_one_error_line(result, 3)
    for piece in ["solver cbc failed", *expected]:
        assert piece in text, f"{piece!r} not in {text!r}"
    assert not out.exists()
    assert leftovers(out) == []


def test_missing_solver_binary_exits_3(tmp_path, monkeypatch, small_lp):
    monkeypatch.setattr(cbc, "binary_path", lambda: tmp_path / "no-such-cbc")
    out = tmp_path / "out"
    text = assert_one_error_line(invoke("solve", small_lp, "--out", out), 3)
    assert "no-such-cbc" in text and not out.exists()


def test_solver_failure_keeps_the_existing_folder(tmp_path, monkeypatch, small_lp):
    fake = _fake(tmp_path, "cbc_dies", "exit 137\n")
    monkeypatch.setattr(cbc, "binary_path", lambda: fake)
    out = tmp_path / "out"
    before = occupied(out)
    assert_one_error_line(invoke("solve", small_lp, "--out", out, "--force"), 3)
    assert snapshot(out) == before and leftovers(out) == []


def test_solver_dying_on_the_second_solve_gives_exit_3(tmp_path, monkeypatch):
    # The example has a binary (livestream on/off): after the MIP, the LP with the integers fixed is
    # solved for the shadow prices. The first call runs the real CBC; the second dies.
    real = cbc.binary_path()
    counter = tmp_path / "calls"
    fake = _fake(tmp_path, "cbc_second_dies", f"""\
        echo x >> "{counter}"
        if [ "$(wc -l < "{counter}")" -ge 2 ]; then kill -9 $$; fi
        exec "{real}" "$@"
        """)
    monkeypatch.setattr(cbc, "binary_path", lambda: fake)
    out = tmp_path / "out"
    text = assert_one_error_line(invoke("solve", EXAMPLE, "--out", out), 3)
    assert "ended by SIGKILL" in text and not out.exists()
    assert counter.read_text().count("x") == 2


# Regression (found at 074b765, solvers/cbc.py solve): a solution file that parses was trusted unchecked;
# values breaking the budget and capacity rows became a plan written with exit 0.
@pytest.mark.parametrize("value", [1e6, -5.0], ids=["breaks_rows", "negative_spend"])
def test_wellformed_but_wrong_solution_is_not_a_plan(tmp_path, monkeypatch, small_lp, value):
    rows, cols = _lp_size(small_lp)
    body = (f"SOLUTION = {_solution_bytes(rows, cols, value)!r}\n"
            "open(sol, 'w').write('Optimal - objective value 0\\n')\nopen(bin_, 'wb').write(SOLUTION)\n")
    fake = _python_fake(tmp_path, "cbc_liar", body)
    monkeypatch.setattr(cbc, "binary_path", lambda: fake)
    out = tmp_path / "out"
    text = assert_one_error_line(invoke("solve", small_lp, "--out", out), 3)
    assert "solver cbc failed" in text and "solution" in text
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# HiGHS's numerical trouble is a solver failure with what to try, never "infeasible" (issue 10, item 2)


@pytest.mark.parametrize("status", ["kSolveError", "kPostsolveError", "kUnknown"])
def test_highs_numerical_trouble_exits_3_saying_what_to_try(tmp_path, monkeypatch, small_lp, status):
    pytest.importorskip("highspy")
    import solvers.highs as highs

    monkeypatch.setattr(highs, "_status", lambda model_status: highs.STATUS_TABLE[status])
    out = tmp_path / "out"
    result = invoke("solve", small_lp, "--out", out, "--solver", "highs")
    text = assert_one_error_line(result, 3)
    assert "solver highs failed" in text and "try --solver cbc" in text, text
    assert "infeasible" not in text
    assert not out.exists()


def test_an_interrupted_caller_leaves_no_cbc_behind(monkeypatch):
    """Ctrl-C (or a stopped sweep worker) while CBC runs: the child is killed, not left to finish alone."""
    from solvers import cbc_process

    seen = {}

    def interrupted(proc, hard_limit, echo):
        seen["proc"] = proc
        raise KeyboardInterrupt

    monkeypatch.setattr(cbc_process, "wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cbc_process.run([sys.executable, "-c", "import time; time.sleep(60)"], hard_limit=100, echo=False)
    assert seen["proc"].poll() is not None  # ended (killed), not still running


@pytest.mark.parametrize("code, words", [
    (-11, "CBC was ended by SIGSEGV (it crashed); its log ends: Coin0506I Presolve"),
    (-9, "CBC was ended by SIGKILL; its log ends: Coin0506I Presolve"),
    (1, "CBC exited with code 1 (Coin0506I Presolve)"),
])
def test_a_cbc_ending_is_told_in_words(code, words):
    from solvers.cbc_process import exited

    assert str(exited(code, "Coin0506I Presolve\n")) == words
    assert "()" not in str(exited(code, ""))  # an empty log is said, not shown as empty parentheses


def test_a_cbc_that_crashes_in_mip_preprocessing_is_run_again_without_it(tmp_path, monkeypatch):
    # CBC 2.10 segfaults on some programs in its MIP preprocessing (a diagnosis sub-problem of a generated
    # 60-channel model did, every time; with -preprocess off it solved). A stand-in crashes the way it did
    # unless preprocessing is off, and runs the real binary otherwise.
    real = cbc.binary_path()
    fake = tmp_path / "cbc_crashes_in_preprocessing"
    fake.write_text(f'#!/bin/sh\ncase " $* " in *" -solve "*) case " $* " in *" -preprocess off "*) ;; '
                    f'*) kill -SEGV $$ ;; esac ;; esac\nexec {real} "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setattr(cbc, "binary_path", lambda: fake)
    data = base_scenario(channels=[{"name": "a", "cost_per_lead": 10, "min_spend_if_used": 300}])
    result = invoke("solve", write_scenario(tmp_path, data), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert "without MIP preprocessing" in run["lp_method"] and "SIGSEGV" in run["lp_method"], run["lp_method"]
    assert run["objective"] == pytest.approx(5000, rel=1e-9)  # all 1,000 of the budget at 5 revenue per unit

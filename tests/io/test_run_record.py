"""run.json is read by one reader with limits: size, nesting, UTF-8 and an object, each refused in one line."""

from __future__ import annotations

import shutil

import pytest
from helpers import EXAMPLE, invoke

from allocator.errors import PlanFolderError
from allocator.io.run_record import MAX_RUN_JSON_BYTES, read_run_record

SECRET = "s3cr3t-token"


def bad_runs() -> dict[str, bytes]:
    return {
        "deep": b"[" * 100_000 + b"]" * 100_000,
        "deep_object": b'{"a":' * 65 + b"1" + b"}" * 65,
        "not_utf8": b'{"status": "' + SECRET.encode() + b'\xff\xfe"}',
        "not_object": f'["{SECRET}"]'.encode(),
        "not_json": f"{SECRET} {{".encode(),
        "huge": b'{"pad": "' + b"x" * MAX_RUN_JSON_BYTES + b'"}',
    }


@pytest.mark.parametrize("kind", sorted(bad_runs()))
def test_reader_refuses_without_quoting(tmp_path, kind):
    (tmp_path / "run.json").write_bytes(bad_runs()[kind])
    with pytest.raises(PlanFolderError) as caught:
        read_run_record(tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "run.json") in message and "\n" not in message
    assert SECRET not in message and "xxxx" not in message


def test_reader_accepts_nesting_up_to_the_limit_and_missing_file(tmp_path):
    assert read_run_record(tmp_path) is None
    (tmp_path / "run.json").write_text('{"a":' * 63 + "1" + "}" * 63)
    assert isinstance(read_run_record(tmp_path), dict)
    (tmp_path / "run.json").write_text('{"status": "[[[[", "x": "\\"]]]"}')  # brackets in strings do not nest
    assert read_run_record(tmp_path)["status"] == "[[[["


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("rr") / "plan"
    assert invoke("solve", EXAMPLE, "--out", out).exit_code == 0
    return out


@pytest.mark.parametrize("kind", ["deep", "huge", "not_utf8", "not_object"])
@pytest.mark.parametrize("command", ["verify", "compare"])
def test_commands_exit_2_on_a_bad_run_json(plan, tmp_path, kind, command):
    folder = tmp_path / "plan"
    shutil.copytree(plan, folder)
    (folder / "run.json").write_bytes(bad_runs()[kind])
    args = ("verify", EXAMPLE, folder) if command == "verify" else ("compare", plan, folder, "--out", tmp_path / "cmp")
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "run.json" in lines[0] and SECRET not in lines[0]
    assert not (tmp_path / "cmp").exists()

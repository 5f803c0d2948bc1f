"""The cache of the `holidays` package's answers (allocator.scenario.holiday_cache).

Every cached answer is checked against the package itself, asked directly here; a run with a warm cache is
checked in a fresh process not to import the package and to write the same weekly.csv as a run without
the cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest
from helpers import EXAMPLE, REPO, base_scenario, write_scenario

from allocator.scenario import holiday_cache

VERSION = holidays.__version__  # the installed package's own word for its version


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ALLOCATOR_CACHE_DIR", str(folder))
    return folder


def _days(years):
    first, last = date(min(years), 1, 1), date(max(years), 12, 31)
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def _assert_same_as_package(found, country, subdivision, years):
    public = holidays.country_holidays(country, subdiv=subdivision, years=years)
    assert found.holidays == dict(public.items())
    for day in _days(years):
        assert (day in found, found.is_working_day(day)) == (day in public, public.is_working_day(day)), day


@pytest.mark.parametrize("country, subdivision, years", [
    ("CN", None, [2026, 2027]),  # make-up working Saturdays 14 and 28 Feb 2026; Spring Festival 5-10 Feb 2027
    ("US", "CA", [2024, 2025]),
    ("DE", "BY", [2025]),
    ("GB", "SCT", [2026]),
    ("AE", None, [2021, 2022]),  # the weekend moved from Fri-Sat to Sat-Sun on 1 January 2022
])
def test_a_cached_calendar_is_the_packages(cache_dir, monkeypatch, country, subdivision, years):
    cold = holiday_cache.public_days(country, subdivision, years)
    _assert_same_as_package(cold, country, subdivision, years)
    assert holiday_cache.subdivisions(country) == tuple(holidays.country_holidays(country).subdivisions)
    # the second answers come from the file: the package is not asked again
    monkeypatch.setattr(holiday_cache, "_days_from_package", None)
    monkeypatch.setattr(holiday_cache, "_subdivisions_from_package", None)
    warm = holiday_cache.public_days(country, subdivision, list(reversed(years)))
    _assert_same_as_package(warm, country, subdivision, years)
    assert holiday_cache.subdivisions(country) == tuple(holidays.country_holidays(country).subdivisions)
    stored = json.loads((cache_dir / f"holidays-{VERSION}.json").read_text())
    assert stored["holidays_version"] == VERSION


def test_unknown_countries_are_cached_as_unknown(cache_dir, monkeypatch):
    assert holiday_cache.subdivisions("XX") is None and holiday_cache.subdivisions("China") is None
    assert "CA" in holiday_cache.subdivisions("US")
    monkeypatch.setattr(holiday_cache, "_subdivisions_from_package", None)
    assert holiday_cache.subdivisions("XX") is None and holiday_cache.subdivisions("China") is None
    assert "CA" in holiday_cache.subdivisions("US")


def _cli(args, cache: Path | str, store: Path) -> tuple[str, bool]:
    """The command run in a fresh process: its output and whether `holidays` was imported."""
    code = ("import sys\nfrom allocator.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n"
            "    pass\nprint('holidays imported:', 'holidays' in sys.modules)")
    env = {**os.environ, "ALLOCATOR_CACHE_DIR": str(cache), "ALLOCATOR_STORE": str(store)}
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], check=False, capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    output, _, last = done.stdout.rstrip("\n").rpartition("\n")
    return output + done.stderr, last == "holidays imported: True"


def test_a_warm_cache_does_not_import_holidays_and_writes_the_same_weeks(tmp_path):
    cache, store = tmp_path / "cache", tmp_path / "runs.sqlite"
    runs = {}
    for name, folder in [("off", "none"), ("cold", cache), ("warm", cache)]:
        _, imported = _cli(["solve", EXAMPLE, "--out", tmp_path / name, "--solver", "highs"], folder, store)
        runs[name] = imported
    assert runs == {"off": True, "cold": True, "warm": False}
    for table in ("weekly.csv", "milestones.csv"):
        off = (tmp_path / "off" / table).read_bytes()
        assert off == (tmp_path / "cold" / table).read_bytes() == (tmp_path / "warm" / table).read_bytes()
    assert [p.name for p in cache.iterdir()] == [f"holidays-{VERSION}.json"]  # no temporary file left


def test_an_unknown_country_is_the_same_one_line_error_from_a_warm_cache(tmp_path):
    scenario = write_scenario(tmp_path, base_scenario(calendar={"country": "XX"}))
    cache, store = tmp_path / "cache", tmp_path / "runs.sqlite"
    texts = []
    for folder in ("none", cache, cache):
        text, _ = _cli(["solve", scenario, "--out", tmp_path / "out"], folder, store)
        texts.append(text)
    assert texts[0] == texts[1] == texts[2], texts
    assert texts[0].startswith("error: ") and texts[0].count("\n") == 1, texts[0]
    assert "calendar.country" in texts[0] and "got 'XX'" in texts[0]
    assert "a country code the holidays package knows (ISO 3166-1 alpha-2, e.g. CN, US, DE)" in texts[0]
    assert not (tmp_path / "out").exists()
    assert json.loads((cache / f"holidays-{VERSION}.json").read_text())["countries"]["XX"] is None


@pytest.mark.parametrize("content", [
    b'{"format": 1, "holidays_version": "' + VERSION.encode() + b'", "countries": {"CN": ["FA',  # half written
    b"\x00\xff\xfe garbage",
    b"[1, 2, 3]",
    b"[" * 100_000,
    json.dumps({"format": 1, "holidays_version": VERSION, "countries": {"CN": [1, 2]}, "public_days": {
        "CN||2027": {"holidays": {"2027-02-30": "x"}, "working": {"2027": "1" * 365}}}}).encode(),
    json.dumps({"format": 1, "holidays_version": VERSION, "countries": [], "public_days": {
        "CN||2027": {"holidays": {}, "working": {"2027": "1" * 364}}}}).encode(),
])
def test_a_corrupt_cache_file_is_ignored_and_written_afresh(cache_dir, content):
    cache_dir.mkdir()
    path = cache_dir / f"holidays-{VERSION}.json"
    path.write_bytes(content)
    assert holiday_cache.subdivisions("CN") == ()
    _assert_same_as_package(holiday_cache.public_days("CN", None, [2027]), "CN", None, [2027])
    stored = json.loads(path.read_text())
    assert stored["countries"]["CN"] == [] and "CN||2027" in stored["public_days"]


def test_another_versions_answers_are_not_used_nor_deleted(cache_dir):
    cache_dir.mkdir()
    fake = {"format": 1, "holidays_version": "0.1", "countries": {"CN": ["FAKE"], "XX": ["FAKE"]},
            "public_days": {"CN||2027": {"holidays": {}, "working": {"2027": "1" * 365}}}}
    other = cache_dir / "holidays-0.1.json"
    other.write_text(json.dumps(fake))
    # the same answers in the file of this version's name, but saying another version inside
    (cache_dir / f"holidays-{VERSION}.json").write_text(json.dumps(fake))
    assert holiday_cache.subdivisions("CN") == () and holiday_cache.subdivisions("XX") is None
    _assert_same_as_package(holiday_cache.public_days("CN", None, [2027]), "CN", None, [2027])
    assert json.loads(other.read_text()) == fake


def test_the_version_is_read_without_importing_the_package():
    code = ("import sys, importlib.metadata as m; from allocator.scenario.holiday_cache import holidays_version; "
            "print(holidays_version() == m.version('holidays') == '" + VERSION + "', 'holidays' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=REPO)
    assert done.stdout.split() == ["True", "False"]


def test_the_version_is_the_name_of_the_dist_info_folder_beside_the_package(monkeypatch):
    from importlib import metadata

    monkeypatch.setattr(metadata, "version", None)  # not the slower metadata reader: the folder's name
    holiday_cache.holidays_version.cache_clear()
    try:
        assert holiday_cache.holidays_version() == VERSION
    finally:
        holiday_cache.holidays_version.cache_clear()


def test_the_cache_goes_under_xdg_cache_home_and_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.delenv("ALLOCATOR_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert holiday_cache.cache_file() == tmp_path / "xdg" / "allocator" / f"holidays-{VERSION}.json"
    monkeypatch.setenv("ALLOCATOR_CACHE_DIR", "None")
    _assert_same_as_package(holiday_cache.public_days("CN", None, [2027]), "CN", None, [2027])
    assert holiday_cache.subdivisions("CN") == ()
    assert holiday_cache.cache_file() is None and not (tmp_path / "xdg").exists()


def test_a_cache_folder_that_cannot_be_made_leaves_the_answers_right(tmp_path, monkeypatch):
    (tmp_path / "a file").write_text("the user's")
    monkeypatch.setenv("ALLOCATOR_CACHE_DIR", str(tmp_path / "a file" / "cache"))
    _assert_same_as_package(holiday_cache.public_days("CN", None, [2027]), "CN", None, [2027])
    assert holiday_cache.subdivisions("US") == tuple(holidays.country_holidays("US").subdivisions)
    assert (tmp_path / "a file").read_text() == "the user's"


def test_readers_never_see_half_a_file_while_others_write(cache_dir):
    holiday_cache.public_days("CN", None, [2027])
    path, stop, bad = cache_dir / f"holidays-{VERSION}.json", threading.Event(), []

    def read():
        while not stop.is_set():
            try:
                json.loads(path.read_text())
            except ValueError as error:
                bad.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for year in range(2000, 2030):
            holiday_cache.public_days("CN", None, [year])
    finally:
        stop.set()
        reader.join()
    assert bad == []
    assert set(json.loads(path.read_text())["public_days"]) >= {f"CN||{year}" for year in range(2000, 2030)}

"""What the calendar reads from the `holidays` package, kept in a small JSON file between runs.

Importing `holidays` and making its first calendar loads every country it knows (a tenth to a quarter of
a second), and a command needs two small answers from it: the subdivision codes of the scenario's country
(or that it knows no such country), and the public holidays and official working days of the plan's
years. Both are kept in `holidays-<version>.json` under $ALLOCATOR_CACHE_DIR, else
$XDG_CACHE_HOME/allocator, else ~/.cache/allocator; ALLOCATOR_CACHE_DIR=none turns the file off (every
answer is then read from the package, as on a first run).

The file is named by, and records, the installed version of `holidays` (read from its installed
distribution, without importing the package): another version's answers are never used. It is replaced whole (a temporary file renamed
over it), so a reader sees the old file or the new one, never half of one. A file that cannot be read or
does not hold what is expected counts as empty and is written afresh; a file that cannot be written
leaves the answers as they are. Nothing here is ever an error to the user.
"""

from __future__ import annotations

import functools
import json
import os
import re
from datetime import date, timedelta
from pathlib import Path

ENVIRONMENT = "ALLOCATOR_CACHE_DIR"
DISABLED = "none"
FORMAT = 1
MAX_ENTRIES = 256  # per section; a file grown past it starts again from the answers just found
_VERSION = re.compile(r"^[A-Za-z0-9.+!_-]{1,64}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PublicDays:
    """The `holidays` calendar of a country (and subdivision) for some years, as the day split asks it:
    `d in days` (a public holiday) and `days.is_working_day(d)` for a day `d` of those years."""

    __slots__ = ("holidays", "working")

    def __init__(self, holidays: dict[date, str], working: dict[int, str]):
        # every holiday of the package's calendar for the years, with its name (the split reads only dates)
        self.holidays = holidays
        # per year: "1" or "0" for each of its days from 1 January, 1 = an official working day
        self.working = working

    def __contains__(self, day: date) -> bool:
        return day in self.holidays

    def is_working_day(self, day: date) -> bool:
        return self.working[day.year][day.toordinal() - date(day.year, 1, 1).toordinal()] == "1"


def cache_file() -> Path | None:
    """The cache file of the installed `holidays` version, or None when the cache is off or the version
    cannot be told."""
    chosen = os.environ.get(ENVIRONMENT, "").strip()
    if chosen.lower() == DISABLED:
        return None
    base = os.environ.get("XDG_CACHE_HOME", "")
    try:
        if chosen:
            folder = Path(chosen).expanduser()
        else:
            folder = (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "allocator"
    except RuntimeError:  # "~" and no home folder to be found
        return None
    version = holidays_version()
    return None if version is None else folder / f"holidays-{version}.json"


@functools.lru_cache(maxsize=1)
def holidays_version() -> str | None:
    """The version of the `holidays` distribution that `import holidays` would load, read without importing
    it: from the name of the one `holidays-<version>.dist-info` folder beside the package (as pip installs
    it), else from the distribution's metadata (which takes a few milliseconds more)."""
    from importlib import metadata, util

    try:
        spec, found = util.find_spec("holidays"), []
        if spec is not None and spec.origin:
            site = Path(spec.origin).parents[1]  # site-packages/holidays/__init__.py
            names = [entry.name for entry in os.scandir(site)
                     if entry.name.startswith("holidays-") and entry.name.endswith(".dist-info")]
            found = [version for version in (name[len("holidays-"):-len(".dist-info")] for name in names)
                     if "-" not in version]  # "holidays-x-1.0" is another distribution's
        version = found[0] if len(found) == 1 else metadata.version("holidays")
    except Exception:  # noqa: BLE001  (not installed as a distribution, or unreadable metadata)
        return None
    return version if isinstance(version, str) and _VERSION.match(version) else None


def subdivisions(country: str) -> tuple[str, ...] | None:
    """The subdivision codes `holidays` knows for `country`, or None when it knows no such country."""
    path = cache_file()
    stored = _read(path).get("countries", {}).get(country, False) if path is not None else False
    if stored is None or (isinstance(stored, list) and all(isinstance(code, str) for code in stored)):
        return None if stored is None else tuple(stored)
    found = _subdivisions_from_package(country)
    if path is not None:
        _add(path, "countries", country, None if found is None else list(found))
    return found


def public_days(country: str, subdivision: str | None, years: list[int]) -> PublicDays:
    """The holidays and working days of `years` by `holidays.country_holidays(country, subdiv=subdivision,
    years=years)`, from the cache file when it holds them."""
    years = sorted(set(years))
    key = "|".join([country, subdivision or "", ",".join(str(year) for year in years)])
    path = cache_file()
    if path is not None:
        stored = _decode_days(_read(path).get("public_days", {}).get(key), years)
        if stored is not None:
            return stored
    found = _days_from_package(country, subdivision, years)
    if path is not None:
        _add(path, "public_days", key, {
            "holidays": {day.isoformat(): name for day, name in sorted(found.holidays.items())},
            "working": {str(year): text for year, text in found.working.items()},
        })
    return found


def _subdivisions_from_package(country: str) -> tuple[str, ...] | None:
    import holidays

    try:
        found = holidays.country_holidays(country, years=[])
    except (NotImplementedError, KeyError, AttributeError):
        return None
    # the package also takes its class names ("China"): only the ISO code is the scenario's word for it
    return tuple(found.subdivisions) if found.country == country else None


def _days_from_package(country: str, subdivision: str | None, years: list[int]) -> PublicDays:
    import holidays

    public = holidays.country_holidays(country, subdiv=subdivision, years=years)
    working = {}
    for year in years:
        first, count = date(year, 1, 1), date(year + 1, 1, 1).toordinal() - date(year, 1, 1).toordinal()
        working[year] = "".join("1" if public.is_working_day(first + timedelta(days=k)) else "0"
                                for k in range(count))
    return PublicDays(holidays={day: str(name) for day, name in public.items()}, working=working)


def _decode_days(entry, years: list[int]) -> PublicDays | None:
    """A stored calendar, or None unless it is exactly what `_days_from_package` gives for `years`."""
    if not isinstance(entry, dict) or not isinstance(entry.get("holidays"), dict):
        return None
    working = entry.get("working")
    if not isinstance(working, dict) or sorted(working) != sorted(str(year) for year in years):
        return None
    try:
        holidays = {date.fromisoformat(day): name for day, name in entry["holidays"].items()
                    if _ISO_DATE.match(day) and isinstance(name, str)}
    except ValueError:
        return None
    if len(holidays) != len(entry["holidays"]):
        return None
    for year in years:
        text = working[str(year)]
        days = date(year + 1, 1, 1).toordinal() - date(year, 1, 1).toordinal()
        if not isinstance(text, str) or len(text) != days or set(text) - {"0", "1"}:
            return None
    return PublicDays(holidays=holidays, working={year: working[str(year)] for year in years})


def _read(path: Path) -> dict:
    """The cache file's sections, or {} when it is missing, unreadable or not of this version."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if (not isinstance(content, dict) or content.get("format") != FORMAT
            or content.get("holidays_version") != holidays_version()):
        return {}
    return {name: section for name, section in content.items()
            if name in ("countries", "public_days") and isinstance(section, dict)}


def _add(path: Path, section: str, key: str, value) -> None:
    """Write the file anew with `value` under `section`/`key` beside what it held (read again just before,
    so that an answer another process added meanwhile is kept), by a rename: readers never see half of it."""
    import tempfile  # only a run that found something new writes

    content = _read(path)
    entries = content.setdefault(section, {})
    if len(entries) >= MAX_ENTRIES:
        entries.clear()
    entries[key] = value
    content.update(format=FORMAT, holidays_version=holidays_version())
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.stem}-",
                                         suffix=".tmp", delete=False) as handle:
            temporary = handle.name
            json.dump(content, handle, sort_keys=True, separators=(",", ":"))
        os.replace(temporary, path)
        temporary = None
    except OSError:
        pass  # a cache that cannot be written: the answer stands, the next run asks the package again
    finally:
        if temporary is not None:  # only the temporary file made above
            try:
                os.unlink(temporary)
            except OSError:
                pass

"""What every run.json records to trace its numbers: each file's SHA-256 and the versions that made them."""

from __future__ import annotations

import functools
import hashlib
import platform
from importlib import metadata
from pathlib import Path

from solvers.errors import DISTRIBUTION

# The packages whose versions a run records, by the name shown -> the distribution to ask.
VERSIONED_PACKAGES = {"allocator": DISTRIBUTION, **{name: name for name in (
    "pulp", "pandas", "numpy", "pydantic", "click", "PyYAML", "highspy")}}
CHUNK = 1 << 20


def file_sha256(path: str | Path) -> str | None:
    """The file's SHA-256 (hex), read in 1 MiB blocks; None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(CHUNK):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def _package_versions() -> tuple[tuple[str, str], ...]:
    out = [("python", platform.python_version())]
    for name, distribution in VERSIONED_PACKAGES.items():
        try:
            out.append((name, metadata.version(distribution)))
        except metadata.PackageNotFoundError:
            continue
    return tuple(out)


def versions() -> dict[str, str]:
    """Python's version and each installed package's of VERSIONED_PACKAGES."""
    return dict(_package_versions())

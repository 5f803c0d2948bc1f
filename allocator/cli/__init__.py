"""The command line: a thin click layer over the public API."""

from allocator.cli.app import main

__all__ = ["main"]

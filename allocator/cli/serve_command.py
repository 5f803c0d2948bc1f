"""`allocator serve`: the planner's workspace in the browser, on this machine (allocator.web)."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from urllib.parse import quote

import click

from allocator.cli.exits import guard
from allocator.errors import OutputError, Text, UsageError


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_port(host: str, port: int) -> None:
    """Say in one line that the port is taken, before the server starts and fails with a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            raise OutputError(f"--port: cannot listen on {host}:{port} ({exc.strerror}); pick another --port") from None


@click.command("serve")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--store", metavar="PATH|URL", default=None,
              help="A run store (SQLite file or SQLAlchemy URL): the page then shows the quarter's tracking "
                   "(its latest track run against the approved plan) and can re-plan from those actuals.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs --token.")
@click.option("--token", default=None, metavar="TEXT",
              help="A secret every request must carry (the page's address has it as ?token=); required with "
                   "a --host other than loopback.")
@click.option("--solver", type=click.Choice(["highs", "cbc"]), default=None,
              help="Solver of the what-if sessions (default: highs when installed, which re-solves warm).")
@guard
def serve(scenarios, store, port, host, token, solver):
    """Open the planner's workspace: the plan of each SCENARIO, its levers, what-ifs
    side by side, saving a variant as a scenario file and exporting its review pack.
    The page reads and writes only the folders of the scenarios given. Stop with Ctrl+C.

    \b
    Example:
      pip install 'allocator-lp[web]'
      allocator serve scenarios/example_q1.yaml
      allocator serve my-plan/example_q1.yaml --store runs.sqlite   # with tracking
      (then open http://127.0.0.1:8765/ in a browser)
    """
    try:
        import uvicorn

        from allocator.web.app import make_app
    except ImportError as exc:
        raise UsageError("serve", "", Text(f"{exc.name or 'starlette'} not installed"),
                         "the web extra: pip install 'allocator-lp[web]'") from None
    if not _is_loopback(host) and not token:
        raise UsageError("serve", "--host", host, "--token TEXT as well, when listening beyond this machine (loopback)")
    if token is not None and (len(token) < 8 or not token.isprintable() or " " in token):
        raise UsageError("serve", "--token", Text("(hidden)"), "at least 8 printable characters, no spaces")
    import allocator

    for scenario in scenarios:  # a scenario that does not load is said now, in one line
        allocator.load(scenario)
    if store is not None and store.strip().lower() != "none":
        allocator.open_store(store).close()  # a store that cannot be opened is said now, in one line
    else:
        store = None
    app = make_app(list(scenarios), token=token, solver=solver, store=store)
    _check_port(host, port)
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    click.echo(f"Planner's workspace on http://{shown}:{port}/" + (f"?token={quote(token)}" if token else ""))
    click.echo("Press Ctrl+C to stop.")
    uvicorn.run(app, host=host.strip("[]"), port=port, log_level="warning")


COMMANDS = [serve]

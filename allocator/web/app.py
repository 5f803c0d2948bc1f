"""The workspace's web application (Starlette): one page with its script and style inlined, and a JSON API.

Every API answer is JSON; bad input gets the command line's one-line message as ``{"error": ...}`` (400,
409 for a file that exists), never a traceback. Solves run in worker threads (`Variants`), so the event
loop keeps answering while one runs; a solve is cancelled by its ticket (``/api/cancel``): its request
answers at once and the solve's result is dropped when it ends.

Requests are refused (403) unless they carry the token, when the server has one, or else name a loopback
host (a page of another site cannot reach the API through a name it points at 127.0.0.1). A POST must be
``application/json``, which a page of another site cannot send without asking first.
"""

from __future__ import annotations

import functools
import hmac
import json
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from allocator.errors import AllocatorError, InputError, Text, UsageError
from allocator.web import files, views
from allocator.web.folders import Folders
from allocator.web.levers import levers_of
from allocator.web.runs import Runs, RunVariants, as_saved, is_run
from allocator.web.variants import changes_of

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
TOKEN_HEADER = "x-allocator-token"
MAX_BODY = 256 * 1024
MAX_PINNED = 8
EXPORTS = {"html": ("report.html", "text/html; charset=utf-8"),
           "xlsx": ("plan.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


def page_html() -> str:
    """index.html with app.css and app.js inlined: one response, nothing else to fetch."""
    folder = resources.files("allocator.web") / "static"
    html = (folder / "index.html").read_text(encoding="utf-8")
    return (html.replace("/*APP_CSS*/", (folder / "app.css").read_text(encoding="utf-8"))
            .replace("//APP_JS", (folder / "app.js").read_text(encoding="utf-8")))


class Workspace:
    """What one `allocator serve` holds: its folders, its solved variants and the solves in flight."""

    def __init__(self, scenarios: list[str | Path], solver: str | None = None, store: str | None = None):
        self.folders = Folders(scenarios)
        self.variants = RunVariants(solver)
        self.store = store
        self.runs = Runs(self.folders, store)
        self.tickets: dict[str, anyio.Event] = {}
        self.page = page_html()

    def ref(self, scenario_id):
        """The scenario ("0/example_q1.yaml") or approved run ("run/7-3fa2c19b") the browser named."""
        return self.runs.ref(scenario_id) if is_run(scenario_id) else self.folders.scenario(scenario_id)

    def solve(self, body: dict):
        ref = self.ref(body.get("scenario"))
        return self.variants.solve(ref, changes_of(body.get("levers")))


def _failure(exc: BaseException) -> JSONResponse:
    if isinstance(exc, files.FileExists):
        return JSONResponse({"error": str(exc), "exists": True}, status_code=409)
    if isinstance(exc, InputError):
        return JSONResponse({"error": str(exc)}, status_code=400)
    from solvers.errors import SolverError

    if isinstance(exc, (AllocatorError, SolverError)):  # the solver failed: its one line, as the CLI says it
        return JSONResponse({"error": " ".join(str(exc).split())}, status_code=500)
    message = " ".join(str(exc).split()) or type(exc).__name__
    return JSONResponse({"error": f"unexpected {type(exc).__name__}: {message}"}, status_code=500)


def api(handler):
    """A JSON endpoint: the body read and checked, the library's errors turned into one-line answers."""

    @functools.wraps(handler)
    async def endpoint(request: Request):
        try:
            body = {}
            if request.method == "POST":
                if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
                    raise UsageError("request", "content-type", Text(request.headers.get("content-type", "none")),
                                     "application/json")
                raw = await request.body()
                if len(raw) > MAX_BODY:
                    raise UsageError("request", "body", Text(f"{len(raw):,} bytes"), f"at most {MAX_BODY:,} bytes")
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    raise UsageError("request", "body", Text("not JSON"), "a JSON object") from None
                if not isinstance(body, dict):
                    raise UsageError("request", "body", Text(type(body).__name__), "a JSON object")
            return await handler(request.app.state.workspace, body, request)
        except Exception as exc:  # every error answers in one line
            return _failure(exc)

    return endpoint


async def in_thread(function, *args, ticket=None, workspace: Workspace | None = None):
    """Run `function(*args)` in a worker thread; with a ticket, `/api/cancel` ends the wait at once.
    Returns (cancelled, value); an exception of the function is raised here."""
    if ticket is None or workspace is None:
        return False, await anyio.to_thread.run_sync(function, *args)
    if not isinstance(ticket, str) or len(ticket) > 80:
        raise UsageError("request", "ticket", Text(str(ticket)[:80]), "a short text naming the request")
    cancel = workspace.tickets[ticket] = anyio.Event()
    outcome: dict = {}

    async def work(scope):
        try:
            outcome["value"] = await anyio.to_thread.run_sync(function, *args, abandon_on_cancel=True)
        except Exception as exc:
            outcome["error"] = exc
        scope.cancel()

    async def watch(scope):
        await cancel.wait()
        outcome["cancelled"] = True
        scope.cancel()

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(work, group.cancel_scope)
            group.start_soon(watch, group.cancel_scope)
    finally:
        workspace.tickets.pop(ticket, None)
    if "error" in outcome:
        raise outcome["error"]
    return "value" not in outcome, outcome.get("value")


def _variant_answer(workspace: Workspace, body: dict) -> dict:
    solved = workspace.solve(body)
    view = workspace.variants.view(solved, "plan", views.plan_view)
    base = workspace.variants.base(solved.ref)
    return {**view, "moved": views.what_moved(base, solved)}


@api
async def scenarios(workspace: Workspace, body, request):
    return JSONResponse({"scenarios": [{"id": r.id, "file": r.name} for r in workspace.folders.listing()],
                         "store": bool(workspace.store)})


@api
async def open_scenario(workspace: Workspace, body, request):
    def work():
        named = request.query_params.get("scenario")
        ref = workspace.runs.open(named) if is_run(named) else workspace.folders.scenario(named)
        solved = workspace.variants.base(ref)
        return {"levers": [lever.as_dict() for lever in levers_of(solved.outcome.loaded.scenario)],
                "base": {**workspace.variants.view(solved, "plan", views.plan_view), "moved": ["the base plan"]},
                "run": workspace.runs.about(ref)}

    return JSONResponse((await in_thread(work))[1])


@api
async def solve(workspace: Workspace, body, request):
    cancelled, answer = await in_thread(_variant_answer, workspace, body, ticket=body.get("ticket"),
                                        workspace=workspace)
    return JSONResponse({"cancelled": True, "ticket": body.get("ticket")} if cancelled else answer)


@api
async def cancel(workspace: Workspace, body, request):
    event = workspace.tickets.get(body.get("ticket"))
    if event is not None:
        event.set()
    return JSONResponse({"cancelled": event is not None})


@api
async def compare(workspace: Workspace, body, request):
    pinned = body.get("variants")
    if not isinstance(pinned, list) or not 2 <= len(pinned) <= MAX_PINNED:
        raise UsageError("compare", "variants", Text(type(pinned).__name__ if not isinstance(pinned, list)
                                                     else f"{len(pinned)} variants"), f"2 to {MAX_PINNED} pinned variants")

    def work():
        solved = []
        for number, item in enumerate(pinned, 1):
            item = item if isinstance(item, dict) else {}
            label = str(item.get("label") or f"variant {number}")[:60]
            solved.append((label, workspace.solve({"scenario": body.get("scenario"), "levers": item.get("levers")})))
        return views.comparison_view(solved)

    return JSONResponse((await in_thread(work))[1])


@api
async def save(workspace: Workspace, body, request):
    def work():
        solved = workspace.solve(body)
        path = files.save_variant(workspace.folders, as_saved(solved), body.get("file"), body.get("title"),
                                  replace=body.get("replace") is True)
        return {"saved": path.name, "scenario": f"{workspace.folders.folders.index(path.parent)}/{path.name}",
                "command": f"allocator solve {path.name} --out out/{path.stem}"}

    return JSONResponse((await in_thread(work))[1])


@api
async def export(workspace: Workspace, body, request):
    kind = body.get("kind")
    if kind not in EXPORTS:
        raise UsageError("export", "kind", Text(str(kind)[:20]), "html or xlsx")

    def work():
        solved = workspace.solve(body)
        return workspace.variants.view(solved, "pack", files.review_pack)

    pack = (await in_thread(work))[1]
    name, media = EXPORTS[kind]
    stem = Path(workspace.ref(body.get("scenario")).name).stem
    return Response(pack[name], media_type=media,
                    headers={"content-disposition": f'attachment; filename="{stem}-variant-{name}"'})


@api
async def tracking(workspace: Workspace, body, request):
    from allocator.web.tracking import dashboard

    return JSONResponse((await in_thread(dashboard, workspace.store))[1])


@api
async def replan(workspace: Workspace, body, request):
    from allocator.web.tracking import replan_view

    return JSONResponse((await in_thread(replan_view, workspace.folders, workspace.store))[1])


@api
async def approved_runs(workspace: Workspace, body, request):
    return JSONResponse((await in_thread(workspace.runs.listing))[1])


async def page(request: Request):
    return HTMLResponse(request.app.state.workspace.page, headers={"cache-control": "no-store"})


def guarded(app, token: str | None):
    """Refuse (403, JSON) a request without the token, or, with no token, one not naming a loopback host."""

    async def asgi(scope, receive, send):
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
            refusal = None
            if token is not None:
                query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
                given = headers.get(TOKEN_HEADER) or (query.get("token") or [""])[0]
                if not hmac.compare_digest(given.encode(), token.encode()):
                    refusal = "token: missing or wrong; open the address allocator serve printed (it carries ?token=)"
            elif _host_name(headers.get("host", "")) not in LOOPBACK_HOSTS:
                refusal = f"host: got {headers.get('host', '')!r}; expected 127.0.0.1 or localhost"
            if refusal:
                await JSONResponse({"error": refusal}, status_code=403)(scope, receive, send)
                return
        await app(scope, receive, send)

    return asgi


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


ROUTES = [Route("/", page), Route("/api/scenarios", scenarios), Route("/api/open", open_scenario),
          Route("/api/solve", solve, methods=["POST"]), Route("/api/cancel", cancel, methods=["POST"]),
          Route("/api/compare", compare, methods=["POST"]), Route("/api/save", save, methods=["POST"]),
          Route("/api/export", export, methods=["POST"]), Route("/api/tracking", tracking),
          Route("/api/replan", replan, methods=["POST"]), Route("/api/runs", approved_runs)]


def make_app(scenarios: list[str | Path], *, token: str | None = None, solver: str | None = None,
             store: str | None = None):
    """The workspace over `scenarios` (files; their folders are all it reads and writes), as an ASGI app."""
    app = Starlette(routes=ROUTES)
    app.state.workspace = Workspace(list(scenarios), solver, store)
    guarded_app = guarded(app, token)
    guarded_app.state = app.state
    return guarded_app



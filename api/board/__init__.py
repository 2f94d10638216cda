"""The dispatcher's board: web pages served by the service itself.

The pages are server-rendered shells (Jinja2); a little plain JavaScript (`static/board.js`)
fetches the plans with the API key the user signs in with, which stays in the tab's
`sessionStorage`, and draws the Gantt and the map as SVG. Every script and style is in
`static/`; a page never loads anything from another address.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from api.errors import ApiError
from api.schemas import SolveOptions

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"

templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)

CONTENT_SECURITY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
"""Pages may load only from the service itself."""


def presets() -> dict[str, dict[str, Any]]:
    """Solver presets (`optimizer/presets/*.toml`), reduced to the options a submission takes."""
    from optimizer.params import PRESETS  # no solver: params is pydantic and TOML only

    fields = set(SolveOptions.model_fields)
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(PRESETS.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        out[path.stem] = {k: v for k, v in data.items() if k in fields}
    return out


def page(request: Request, template: str, **context: Any) -> HTMLResponse:
    """A board page, allowed to load only from this service."""
    response = templates.TemplateResponse(request, template, context)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/", response_class=HTMLResponse)
def board_home(request: Request) -> HTMLResponse:
    """Sign in, the plans list and the form to submit a day."""
    return page(request, "home.html", presets=presets())


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def board_plan(
    request: Request, plan_id: Annotated[str, PathParam(max_length=64)]
) -> HTMLResponse:
    """One plan: Gantt, map, unassigned orders, KPIs, versions, emergencies."""
    return page(request, "plan.html", plan_id=plan_id)


@router.get("/static/{name}")
def board_static(name: Annotated[str, PathParam(max_length=100)]) -> FileResponse:
    """A vendored script, style or image of the board (a flat folder: no sub-paths)."""
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise ApiError(404, f"no board file '{name}'")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=300"})

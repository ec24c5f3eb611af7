"""The HTML pages: the playground, the ConvNet, trainers, autoencoder, painting and jobs pages.

Each page names its entry module; the page head lists every module that entry imports, directly or
not, as ``modulepreload`` links, so the browser fetches them all at once instead of discovering them
one import level at a time, and ``preload`` links for the API answers the page fetches as it starts
(its modules need them before they can do anything). The body carries the server's settings the pages need
(``data-pause-when-unwatched``: the ``pause_when_unwatched`` they give their jobs), and the templates
render the engine's catalogue (engine.catalogue: trainer methods, input features) instead of copies.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from engine.catalogue import catalogue


def _site_dir(name: str) -> Path:
    """The pages' `name` folder: inside the installed package (app/static, app/templates in a wheel),
    else at the top of the checkout (static/, templates/)."""
    app_dir = Path(__file__).resolve().parents[1]
    installed = app_dir / name
    return installed if installed.is_dir() else app_dir.parent / name


TEMPLATES = Jinja2Templates(directory=_site_dir("templates"))
STATIC_DIR = _site_dir("static")

router = APIRouter(tags=["pages"], include_in_schema=False)
IMPORT = re.compile(r"""^import\s[^;]*?from\s+["']\./([\w.-]+\.js)["']""", re.MULTILINE)


@lru_cache
def module_graph(entry: str) -> tuple[str, ...]:
    """`entry` (a file in static/js) and every module it imports, directly or not, as static URLs."""
    seen: list[str] = []
    pending = [entry]
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.append(name)
            pending.extend(IMPORT.findall((STATIC_DIR / "js" / name).read_text()))
    return tuple(f"/static/js/{name}" for name in seen)


def _page(request: Request, template: str, page: str, fetches: tuple[str, ...]) -> HTMLResponse:
    modules = module_graph(f"{page}.js")
    idle = request.app.state.settings.page_pause_when_unwatched
    context = {
        "page": page,
        "entry": modules[0],
        "modules": modules,
        "fetches": fetches,
        "pause_when_unwatched": idle,
        "catalogue": catalogue(),  # trainer methods and input features, as the engine has them
    }
    return TEMPLATES.TemplateResponse(request, template, context)


@router.get("/", response_class=HTMLResponse)
def playground_page(request: Request) -> HTMLResponse:
    """The 2D playground: pick data, shape a net, watch its decision boundary train live."""
    return _page(request, "playground.html", "playground", ("/api/datasets",))


@router.get("/convnet", response_class=HTMLResponse)
def convnet_page(request: Request) -> HTMLResponse:
    """Convolutional nets on image sets: activations, filters, predictions, a drawing pad."""
    return _page(request, "convnet.html", "convnet", ("/api/datasets", "/api/presets"))


@router.get("/trainers", response_class=HTMLResponse)
def trainers_page(request: Request) -> HTMLResponse:
    """ConvNetJS's trainer comparison: one net, data and seed, trained side by side by several trainers."""
    return _page(request, "trainers.html", "trainers", ("/api/presets", "/api/catalogue"))


@router.get("/autoencoder", response_class=HTMLResponse)
def autoencoder_page(request: Request) -> HTMLResponse:
    """ConvNetJS's autoencoder: images squeezed through a 2-number code, the codes and rebuilt images live."""
    return _page(request, "autoencoder.html", "autoencoder", ("/api/datasets", "/api/presets"))


@router.get("/painting", response_class=HTMLResponse)
def painting_page(request: Request) -> HTMLResponse:
    """ConvNetJS's image painting: a net learns (x, y) -> (r, g, b) of a picture, drawn as it trains."""
    return _page(request, "painting.html", "painting", ("/api/presets", "/api/datasets"))


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request) -> HTMLResponse:
    """Every job, with links to watch them and loss curves to compare."""
    return _page(request, "jobs.html", "jobs", ("/api/datasets", "/api/catalogue"))

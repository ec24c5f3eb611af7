"""The HTML pages: the 2D playground, the ConvNet page and the jobs page (templates/, static/)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = Jinja2Templates(directory=ROOT / "templates")
STATIC_DIR = ROOT / "static"

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def playground_page(request: Request) -> HTMLResponse:
    """The 2D playground: pick data, shape a net, watch its decision boundary train live."""
    return TEMPLATES.TemplateResponse(request, "playground.html", {"page": "playground"})


@router.get("/convnet", response_class=HTMLResponse)
def convnet_page(request: Request) -> HTMLResponse:
    """Convolutional nets on image sets: activations, filters, predictions, a drawing pad."""
    return TEMPLATES.TemplateResponse(request, "convnet.html", {"page": "convnet"})


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request) -> HTMLResponse:
    """Every job, with links to watch them and loss curves to compare."""
    return TEMPLATES.TemplateResponse(request, "jobs.html", {"page": "jobs"})

"""Exception handlers: every expected failure becomes a specific status with a message, never a 500.

422 bodies have FastAPI's own shape, ``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``, whether
Pydantic or the engine found the problem, so a client reads one format. Pydantic's errors go out without
the rejected ``input``: it can be a value JSON cannot carry (a ``NaN`` learning rate would turn the 422
into a 500) or a whole saved net echoed back.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.checks import SpecInvalid
from app.database import StoreDamaged, StoreUnwritable
from app.jobs.manager import JobNotFound
from app.jobs.states import JobConflict
from app.owners import Forbidden
from app.quotas import TooMany
from app.ready import UnknownReadyNet
from app.security import MULTIPART_ROUTES, SAFE_METHODS
from app.store import JobUnreadable
from engine import SpecError


class ErrorOut(BaseModel):
    """Why a request was refused."""

    detail: str


MEANINGS = {
    400: "The Host header names a host this server does not answer to, or the body cannot be read.",
    403: "It belongs to someone else (send its owner token), or the request came from another site.",
    404: "No such job, upload or ready net.",
    408: "The request body stopped arriving.",
    409: "The job's state does not allow it now, or its stored row cannot be read; the detail says why.",
    413: "The request body is over the limit.",
    415: "A request that changes something must send a JSON body.",
    429: "This client went past a limit (jobs a minute, jobs training at once, jobs kept, connections "
    "of one address).",
    503: "The server holds as many connections as it allows (NETPLAY_MAX_CONNECTIONS): try again; or "
    "its database was damaged while it ran (the detail says so): its operator must restore it.",
    507: "Nothing could be saved: the server's disk is full (or it started read-only); nothing changed.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for a route's error statuses (422 keeps FastAPI's validation model)."""
    return {
        status: {"description": "A field or value is not accepted; loc names it."}
        if status == 422
        else {"model": ErrorOut, "description": MEANINGS[status]}
        for status in statuses
    }


def document_common_errors(router: APIRouter) -> None:
    """Add to each route's OpenAPI responses the statuses answered before the route runs: 400, 429 and
    503 anywhere (app.security's Host check, app.connections' share of one address, uvicorn's connection
    cap), 409 for a route of one job (its stored row may be damaged); for requests that change something,
    403 (another site), 408 and 413 (app.limits), 415 (a body that is not JSON, except the multipart
    upload) and 507 (nothing can be saved). Call it before the router is included."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        statuses = [400, 429, 503] + ([409] if "{job_id}" in route.path else [])
        if not route.methods <= SAFE_METHODS:
            statuses += [403, 408, 413, 507] + ([] if route.path in MULTIPART_ROUTES else [415])
        route.responses = {**errors(*statuses), **route.responses}


def invalid_response(loc: tuple, msg: str) -> JSONResponse:
    """A 422 in FastAPI's validation-error shape."""
    return JSONResponse({"detail": [{"loc": list(loc), "msg": msg, "type": "value_error"}]}, status_code=422)


async def _request_invalid(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]
    return JSONResponse({"detail": detail}, status_code=422)


async def _spec_invalid(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, SpecInvalid)
    return invalid_response(error.loc, error.msg)


async def _spec_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, SpecError)
    return invalid_response(("body", *error.path), error.message)


async def _not_found(_: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=404)


async def _conflict(_: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=409)


async def _forbidden(_: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=403)


async def _too_many(_: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=429)


async def _unwritable(_: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=507)


async def _damaged(_: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=503)


def add_error_handlers(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(SpecInvalid, _spec_invalid)
    app.add_exception_handler(SpecError, _spec_error)
    app.add_exception_handler(JobNotFound, _not_found)
    app.add_exception_handler(UnknownReadyNet, _not_found)
    app.add_exception_handler(JobConflict, _conflict)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(TooMany, _too_many)
    app.add_exception_handler(StoreUnwritable, _unwritable)
    app.add_exception_handler(StoreDamaged, _damaged)  # a StoreUnwritable too: the narrower one answers
    app.add_exception_handler(JobUnreadable, _conflict)

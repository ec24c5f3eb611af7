"""The ASGI application: ``uvicorn app.main:app`` or ``netplay serve``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from app.api import access, catalogue, datasets, jobs, pages, presets, ready, stream
from app.errors import add_error_handlers, document_common_errors
from app.hub import Hub
from app.jobs.manager import JobManager
from app.limits import BodyLimits
from app.quotas import CreationQuota
from app.ready import ReadyNets
from app.security import SiteGuard
from app.settings import Settings, get_settings
from app.store import JobStore
from app.uploads import UploadSpace


def create_app(settings: Settings | None = None, *, read_only: bool = False) -> FastAPI:
    """A netplay server with `settings` (default: from NETPLAY_* environment variables); `read_only`:
    nothing is written (the disk was full at start, app.database)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = JobStore(settings.database_path, read_only=read_only)
        hub = Hub()
        manager = JobManager(settings, store, hub)
        app.state.settings, app.state.store, app.state.hub, app.state.manager = settings, store, hub, manager
        app.state.ready = ReadyNets(manager, store, settings)
        await run_in_threadpool(manager.start, asyncio.get_running_loop())
        try:
            yield
        finally:
            await run_in_threadpool(manager.shutdown)
            store.close()

    # FastAPIOffline serves /docs and /redoc with the Swagger UI and ReDoc assets its package ships,
    # so they work offline (FastAPI's own pages load them from a CDN).
    app = FastAPIOffline(
        title="netplay",
        summary="A neural-network playground: jobs over REST, live training streams over WebSockets.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.quota = CreationQuota(settings)
    app.state.uploads = UploadSpace(settings.uploads_dir, settings.max_uploads_bytes)
    add_error_handlers(app)
    app.add_middleware(
        BodyLimits,
        max_bytes=settings.max_upload_bytes,
        timeout=settings.body_timeout_seconds,
        deadline=settings.body_deadline_seconds,
    )
    app.add_middleware(SiteGuard, allowed_hosts=settings.host_allow_list)  # outermost: checked first
    for module in (jobs, stream, datasets, presets, catalogue, ready, access, pages):
        document_common_errors(module.router)  # the same every time: a second app changes nothing
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")

    return app


app = create_app()

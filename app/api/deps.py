"""What route handlers get injected: the job manager and the settings of the running app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.jobs.manager import JobManager
from app.settings import Settings


def get_manager(request: Request) -> JobManager:
    """The app's job manager (made in the lifespan)."""
    return request.app.state.manager


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


Manager = Annotated[JobManager, Depends(get_manager)]
AppSettings = Annotated[Settings, Depends(get_settings)]

"""What route handlers get injected: the job manager, the ready nets, the settings, the creating
client, and the check that a request may change the job it names (app.owners)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.jobs.manager import JobManager
from app.owners import check_owner, is_teacher
from app.quotas import Client
from app.ready import ReadyNets
from app.settings import Settings
from app.store import JobUnreadable

# Documents the bearer scheme in OpenAPI (the docs' Authorize button); a missing token is not an error
# here: `owner_check` says why it is needed.
bearer = HTTPBearer(auto_error=False, description="A job's owner token, or the teacher's admin token.")


def get_manager(request: Request) -> JobManager:
    """The app's job manager (made in the lifespan)."""
    return request.app.state.manager


def get_ready_nets(request: Request) -> ReadyNets:
    """The app's ready nets (made in the lifespan)."""
    return request.app.state.ready


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


def get_client(request: Request) -> Client:
    """Who sends the request: its address, and the page's ``X-Netplay-Client`` id when given."""
    address = request.client.host if request.client is not None else None
    return Client.of(address, request.headers.get("x-netplay-client"))


Manager = Annotated[JobManager, Depends(get_manager)]
Ready = Annotated[ReadyNets, Depends(get_ready_nets)]
AppSettings = Annotated[Settings, Depends(get_settings)]
RequestClient = Annotated[Client, Depends(get_client)]


def owner_check(
    job_id: str,
    manager: Manager,
    settings: AppSettings,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> None:
    """403 unless the request carries the job's owner token or the teacher's (404 for no such job)."""
    token = credentials.credentials if credentials is not None else None
    try:
        owner_hash = manager.get(job_id).owner_hash
    except JobUnreadable:  # a damaged row: its owner (or the teacher) may still delete it
        owner_hash = manager.store.owner_hash(job_id)
    check_owner(job_id, owner_hash, token, settings.admin_token)


OwnerOnly = Annotated[None, Depends(owner_check)]


def teacher_check(
    settings: AppSettings, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> bool:
    """Whether the request carries the teacher's token."""
    return is_teacher(credentials.credentials if credentials is not None else None, settings.admin_token)


ByTeacher = Annotated[bool, Depends(teacher_check)]

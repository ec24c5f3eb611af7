"""REST route that tells a page what its token may do (the jobs page's teacher box checks one here)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Security
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from app.api.deps import AppSettings, bearer
from app.owners import is_teacher

router = APIRouter(prefix="/api/access", tags=["access"])


class AccessOut(BaseModel):
    """What the request's token may do."""

    teacher: bool = Field(description="It is the teacher's token: it may change every job and upload.")


@router.get("", response_model=AccessOut)
def access(
    settings: AppSettings, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> AccessOut:
    """Whether the ``Authorization: Bearer`` token is the teacher's (`NETPLAY_ADMIN_TOKEN`)."""
    token = credentials.credentials if credentials is not None else None
    return AccessOut(teacher=is_teacher(token, settings.admin_token))

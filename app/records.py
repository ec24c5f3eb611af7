"""A row of the jobs table as the server reads it: `JobRecord`, and what a damaged row reads as.

A text column whose bytes are not UTF-8 reads as `UNREADABLE` (SQLite's own decoding would fail the
whole query), and a JSON column that is not JSON fails `read_record`; the store leaves such a row out of
lists and answers `JobUnreadable` for it alone (app.store).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

UNREADABLE = object()  # what a text column that is not UTF-8 reads as


@dataclass
class JobRecord:
    """One job as stored: its spec, where it stands, and its latest metrics (`progress`)."""

    id: str
    name: str
    status: str
    spec: dict[str, Any]
    trainer: dict[str, Any]
    num_parameters: int
    progress: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    stop_reason: str | None = None
    message: str | None = None
    pause_reason: str | None = None
    view: dict[str, Any] = field(default_factory=dict)
    owner_hash: str | None = None  # SHA-256 of the owner token (app.owners); None: made before owners
    client: str | None = None  # who created it (app.quotas)
    address: str | None = None
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)


class JobUnreadable(Exception):
    """The job's row is in the database but cannot be read (the file is damaged there)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(
            f"job '{job_id}' cannot be read from the database (it is damaged there): delete it "
            f"(DELETE /api/jobs/{job_id}) or restore a copy of the database"
        )


def read_text(raw: bytes) -> str | object:
    """A text column's value; `UNREADABLE` when its bytes are not UTF-8 (a damaged file)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return UNREADABLE


def read_json(text: Any, default: Any) -> Any:
    """`text` parsed as JSON, or `default` when it is not JSON text (a damaged row)."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


def read_record(row: sqlite3.Row) -> JobRecord:
    return JobRecord(
        id=row["id"],
        name=row["name"],
        status=row["status"],
        spec=json.loads(row["spec"]),
        trainer=json.loads(row["trainer"]),
        num_parameters=row["num_parameters"],
        progress=json.loads(row["progress"]),
        error=row["error"],
        stop_reason=row["stop_reason"],
        message=row["message"],
        pause_reason=row["pause_reason"],
        view=json.loads(row["view"]),
        owner_hash=row["owner_hash"],
        client=row["client"],
        address=row["address"],
        created=row["created"],
        updated=row["updated"],
    )

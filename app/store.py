"""SQLite persistence: jobs, their metric history and their latest checkpoint, in one file.

One connection shared by the server's threads behind a lock (SQLite serialises writers anyway); WAL
mode lets readers go on while a checkpoint is written. JSON columns hold the spec, the latest progress,
the metric history, the view choices and the checkpoint, which are always read and written whole.
``ready_jobs`` names the jobs that are the server's ready nets (app.ready).
`save_state` writes a job's progress, history and checkpoint in one transaction, so a stored job never
shows a step its stored checkpoint cannot go back to (a failed job's last progress excepted: it never
goes back). Checkpoints are stored as the JSON text the workers made. A database made by an older
version gains the newer columns when it is opened.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    spec TEXT NOT NULL,
    trainer TEXT NOT NULL,
    progress TEXT NOT NULL,
    error TEXT,
    stop_reason TEXT,
    num_parameters INTEGER NOT NULL,
    history TEXT NOT NULL DEFAULT '[]',
    message TEXT,
    pause_reason TEXT,
    view TEXT NOT NULL DEFAULT '{}',
    owner_hash TEXT,
    client TEXT,
    address TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE TABLE IF NOT EXISTS uploads (
    file TEXT PRIMARY KEY,
    created REAL NOT NULL,
    owner_hash TEXT
);
CREATE TABLE IF NOT EXISTS ready_jobs (
    name TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS checkpoints (
    job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    saved REAL NOT NULL,
    state TEXT NOT NULL
);
"""


class DatabaseDamaged(Exception):
    """The database file exists but SQLite cannot read it as a netplay database."""


def check_database(path: Path) -> str | None:
    """Look at the database before the server starts: a note to show when it starts empty (no file, or
    an empty one), None when it holds jobs, DatabaseDamaged when SQLite cannot read it (the file is
    left exactly as it is)."""
    if not path.exists() or path.stat().st_size == 0:
        what = "no database" if not path.exists() else "an empty database file"
        return f"{what} at {path}: starting with no jobs"
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "jobs" in tables:
                db.execute("SELECT COUNT(*) FROM jobs").fetchone()
    except sqlite3.DatabaseError as error:
        raise DatabaseDamaged(
            f"the database {path} cannot be read ({error}); it was left untouched: move it aside or "
            "restore a copy, and start again"
        ) from None
    return None


JSON_FIELDS = ("spec", "trainer", "progress", "view")
UPDATABLE = {
    "status", "spec", "trainer", "progress", "error", "stop_reason", "num_parameters", "message",
    "pause_reason", "view",
}  # fmt: skip
# Columns added since the first version, with their definitions (for databases made before them).
ADDED_COLUMNS = {
    "message": "TEXT",
    "pause_reason": "TEXT",
    "view": "TEXT NOT NULL DEFAULT '{}'",
    "owner_hash": "TEXT",
    "client": "TEXT",
    "address": "TEXT",
}
FINISHED = ("completed", "stopped", "failed")
FINISHED_SQL = "(" + ", ".join(f"'{status}'" for status in FINISHED) + ")"


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


class JobStore:
    """The jobs table and its checkpoints. Every method is safe to call from any thread."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
            present = {row["name"] for row in self._db.execute("PRAGMA table_info(jobs)")}
            for column, definition in ADDED_COLUMNS.items():
                if column not in present:
                    self._db.execute(f"ALTER TABLE jobs ADD COLUMN {column} {definition}")

    def close(self) -> None:
        """Close the database (the store cannot be used afterwards)."""
        with self._lock:
            self._db.close()

    def insert(self, record: JobRecord) -> None:
        """Add a new job."""
        with self._lock:
            seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs").fetchone()[0]
            self._db.execute(
                "INSERT INTO jobs (id, seq, created, updated, name, status, spec, trainer, progress, error,"
                " stop_reason, num_parameters, pause_reason, owner_hash, client, address)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    seq,
                    record.created,
                    record.updated,
                    record.name,
                    record.status,
                    json.dumps(record.spec),
                    json.dumps(record.trainer),
                    json.dumps(record.progress),
                    record.error,
                    record.stop_reason,
                    record.num_parameters,
                    record.pause_reason,
                    record.owner_hash,
                    record.client,
                    record.address,
                ),
            )

    def get(self, job_id: str) -> JobRecord | None:
        """The job `job_id`, or None."""
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _record(row) if row is not None else None

    def list(self, status: str | None, limit: int, offset: int) -> tuple[list[JobRecord], int]:
        """Jobs newest first, optionally of one status: (one page, total matching)."""
        where, args = ("WHERE status = ?", (status,)) if status else ("", ())
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM jobs {where}", args).fetchone()[0]
            rows = self._db.execute(
                f"SELECT * FROM jobs {where} ORDER BY seq DESC LIMIT ? OFFSET ?", (*args, limit, offset)
            ).fetchall()
        return [_record(row) for row in rows], total

    def count(self, address: str | None = None, client: str | None = None) -> int:
        """How many jobs are stored (created from `address`, and by the page `client`, when given)."""
        where, args = _owned(address, client)
        with self._lock:
            return self._db.execute(f"SELECT COUNT(*) FROM jobs WHERE {where}", args).fetchone()[0]

    def held(self, address: str | None = None, client: str | None = None) -> list[tuple[str, str, bool]]:
        """(id, status, marked keep) of every stored job (of `address` and `client`, when given)."""
        where, args = _owned(address, client)
        query = f"SELECT id, status, COALESCE(json_extract(spec, '$.keep'), 0) FROM jobs WHERE {where}"
        with self._lock:
            return [(row[0], row[1], bool(row[2])) for row in self._db.execute(query, args)]

    def update(self, job_id: str, **changes: Any) -> None:
        """Change some of a job's columns (`UPDATABLE`); `updated` is set to now."""
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        values = [json.dumps(v) if k in JSON_FIELDS else v for k, v in changes.items()]
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self._lock:
            self._db.execute(
                f"UPDATE jobs SET {assignments}, updated = ? WHERE id = ?", (*values, time.time(), job_id)
            )

    def save_state(
        self, job_id: str, progress: dict[str, Any], history_json: str, checkpoint: str | None
    ) -> None:
        """Write a job's latest progress, its metric history and the checkpoint of the same step (both
        already JSON; None: keep the stored checkpoint) in one transaction."""
        progress_json = json.dumps(progress)
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "UPDATE jobs SET progress = ?, history = ?, updated = ? WHERE id = ?",
                (progress_json, history_json, time.time(), job_id),
            )
            if checkpoint is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO checkpoints (job_id, step, saved, state) VALUES (?, ?, ?, ?)",
                    (job_id, progress.get("step", 0), time.time(), checkpoint),
                )

    def reset_state(self, job_id: str, spec: dict[str, Any], trainer: dict[str, Any]) -> None:
        """Start a job's record over with `spec` and `trainer`: no progress, history, checkpoint, error
        or stop reason, in one transaction."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM checkpoints WHERE job_id = ?", (job_id,))
            self._db.execute(
                "UPDATE jobs SET spec = ?, trainer = ?, progress = '{}', history = '[]', error = NULL, "
                "stop_reason = NULL, updated = ? WHERE id = ?",
                (json.dumps(spec), json.dumps(trainer), time.time(), job_id),
            )

    def history(self, job_id: str) -> list[dict[str, Any]]:
        """A job's stored metric history, oldest first."""
        with self._lock:
            row = self._db.execute("SELECT history FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return json.loads(row[0]) if row is not None else []

    def checkpoint(self, job_id: str) -> str | None:
        """The job's latest checkpoint as the JSON text it was saved as (app.jobs.protocol), or None."""
        with self._lock:
            row = self._db.execute("SELECT state FROM checkpoints WHERE job_id = ?", (job_id,)).fetchone()
        return row[0] if row is not None else None

    def delete(self, job_id: str) -> None:
        """Remove a job, its history and its checkpoint."""
        with self._lock:
            self._db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def ready_job(self, name: str) -> str | None:
        """The id of the job that is the server's ready net `name` (app.ready), None when there is none
        (never made, or deleted: deleting the job forgets it)."""
        with self._lock:
            row = self._db.execute("SELECT job_id FROM ready_jobs WHERE name = ?", (name,)).fetchone()
        return row["job_id"] if row is not None else None

    def set_ready_job(self, name: str, job_id: str) -> None:
        """Make the stored job `job_id` the ready net `name`."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO ready_jobs (name, job_id) VALUES (?, ?)", (name, job_id))

    def add_upload(self, file: str, owner_hash: str) -> None:
        """Remember who uploaded `file` (the hash of its owner token)."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO uploads (file, created, owner_hash) VALUES (?, ?, ?)",
                (file, time.time(), owner_hash),
            )

    def upload_owner(self, file: str) -> str | None:
        """The owner hash of an upload (None: uploaded before owners existed, or unknown)."""
        with self._lock:
            row = self._db.execute("SELECT owner_hash FROM uploads WHERE file = ?", (file,)).fetchone()
        return row[0] if row is not None else None

    def remove_upload(self, file: str) -> None:
        """Forget an upload's owner (its file was deleted)."""
        with self._lock:
            self._db.execute("DELETE FROM uploads WHERE file = ?", (file,))

    def removable(
        self, count: int, spared: set[str], address: str | None = None, client: str | None = None
    ) -> list[str]:
        """Up to `count` jobs that may be deleted to make room (of `address` and `client`, when given),
        in the order to delete them: finished jobs, oldest first, then paused or interrupted jobs,
        longest at rest first. Never a job marked ``keep``, never one in `spared` (watched, or in
        use); queued and running jobs are never candidates."""
        chosen: list[str] = []
        owned, args = _owned(address, client)
        not_kept = f"COALESCE(json_extract(spec, '$.keep'), 0) = 0 AND {owned}"
        queries = (
            f"SELECT id FROM jobs WHERE status IN {FINISHED_SQL} AND {not_kept} ORDER BY updated, seq",
            f"SELECT id FROM jobs WHERE status IN ('paused', 'interrupted') AND {not_kept} "
            "ORDER BY updated, seq",
        )
        with self._lock:
            for query in queries:
                for (job_id,) in self._db.execute(query, args):
                    if len(chosen) == count:
                        return chosen
                    if job_id not in spared:
                        chosen.append(job_id)
        return chosen

    def unfinished_using(self, file: str) -> list[str]:
        """Ids of the jobs not finished whose dataset reads the upload `file`, oldest first."""
        with self._lock:
            unfinished = f"SELECT id, spec FROM jobs WHERE status NOT IN {FINISHED_SQL}"
            rows = self._db.execute(f"{unfinished} AND instr(spec, ?) ORDER BY seq", (file,)).fetchall()
        uses = ("file", "images", "labels")
        return [row[0] for row in rows if file in (json.loads(row[1])["dataset"].get(key) for key in uses)]

    def ids_with_status(self, status: str) -> list[str]:
        """Ids of the jobs in `status`, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT id FROM jobs WHERE status = ? ORDER BY seq", (status,))
            return [row[0] for row in rows]


def _owned(address: str | None, client: str | None) -> tuple[str, tuple[str, ...]]:
    """An SQL condition (and its arguments) for the jobs created from `address` by the page `client`
    (either None: any)."""
    conditions = [(column, value) for column, value in (("address", address), ("client", client)) if value]
    where = " AND ".join(f"{column} = ?" for column, _ in conditions) or "1"
    return where, tuple(value for _, value in conditions)


def _record(row: sqlite3.Row) -> JobRecord:
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

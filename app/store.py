"""SQLite persistence: jobs, their metric history and their latest checkpoint, in one file.

One connection shared by the server's threads behind a lock (SQLite serialises writers anyway); WAL
mode lets readers go on while a checkpoint is written. JSON columns hold the spec, the latest progress,
the metric history, the view choices and the checkpoint, which are always read and written whole.
``ready_jobs`` names the jobs that are the server's ready nets (app.ready).
`save_state` writes a job's progress, history and checkpoint in one transaction, so a stored job never
shows a step its stored checkpoint cannot go back to (a failed job's last progress excepted: it never
goes back). Checkpoints are stored as the JSON text the workers made. A database made by an older
version gains the newer columns when it is opened.

Faults: a write that fails for want of room (or on a store opened read-only, see app.database) raises
`StoreUnwritable`, and the store logs one line when writes start failing and one when they work again,
not one per write. A row that cannot be read (a damaged file: bytes that are not UTF-8 or not JSON) is
left out of lists and logged once; reading it alone raises `JobUnreadable`. A file damaged while the
server runs (SQLite finds it malformed) makes every statement raise `StoreDamaged`, logged once: the
pages and the API say so (503) instead of failing, and running jobs keep their state in memory.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.database import StoreDamaged, StoreUnwritable, is_damage, unwritable
from app.records import UNREADABLE, JobRecord, JobUnreadable, read_json, read_record, read_text

log = logging.getLogger("netplay.store")

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
# Whether a job is marked keep; a spec that is not JSON (a damaged row) is neither kept nor deletable.
KEPT_SQL = "CASE WHEN json_valid(spec) THEN COALESCE(json_extract(spec, '$.keep'), 0) END"


class JobStore:
    """The jobs table and its checkpoints. Every method is safe to call from any thread. Read-only
    (`read_only`, chosen at start on a full disk): every write raises StoreUnwritable."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path, self.read_only = path, read_only
        self.failing: str | None = None  # why writes fail now (logged once), None while they work
        self._unreadable: set[str] = set()  # ids of damaged rows already logged
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.text_factory = read_text
        self._lock = threading.Lock()
        with self._locked():
            self._db.execute("PRAGMA foreign_keys=ON")
            if read_only:
                return
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            present = {row["name"] for row in self._db.execute("PRAGMA table_info(jobs)")}
            for column, definition in ADDED_COLUMNS.items():
                if column not in present:
                    self._db.execute(f"ALTER TABLE jobs ADD COLUMN {column} {definition}")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Around every statement: the lock held, and StoreDamaged when SQLite finds the file damaged
        (logged once, when it is first found)."""
        with self._lock:
            try:
                yield
            except sqlite3.DatabaseError as error:
                if not is_damage(error):
                    raise
                if self.failing != "damaged":
                    log.warning(
                        "netplay: the database %s is damaged (%s): nothing can be read or saved until the "
                        "server is stopped and the file restored; running jobs keep training in memory",
                        self.path,
                        error,
                    )
                self.failing = "damaged"
                raise StoreDamaged(
                    f"the server's database is damaged ({error}): jobs cannot be listed, read or saved until "
                    "its operator stops the server and restores the file (netplay serve checks it at start)"
                ) from None

    def check_writable(self) -> None:
        """StoreUnwritable when the store was opened read-only (nothing it holds may change)."""
        if self.read_only:
            raise StoreUnwritable(
                f"the server is read-only: the disk holding {self.path} was full when it started; free "
                "some room and restart it"
            )

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Around every write (the lock held): StoreUnwritable when it cannot be done for want of room
        or right; one log line when writes start failing and one when they work again."""
        self.check_writable()
        try:
            yield
        except (sqlite3.OperationalError, OSError) as error:
            reason = unwritable(error)
            if reason is None:
                raise
            if self.failing is None:
                log.warning(
                    "netplay: cannot write to the database %s (%s): jobs keep training, and their state "
                    "stays in memory until it can be written",
                    self.path,
                    error,
                )
            self.failing = reason
            what, until = {
                "full": ("the disk is full", "once there is room"),
                "read-only": (f"the database may not be written ({error})", "once the server may write it"),
                "io": (f"the disk refused the write ({error})", "once the disk takes writes again"),
            }[reason]
            raise StoreUnwritable(
                f"nothing could be saved: {what} where the server keeps its database ({self.path.parent}); "
                f"nothing was changed, and it works again {until}"
            ) from None
        if self.failing not in (None, "damaged"):  # damage does not heal while the server runs
            log.warning("netplay: the database %s can be written again", self.path)
            self.failing = None

    def close(self) -> None:
        """Close the database (the store cannot be used afterwards)."""
        with self._locked():
            self._db.close()

    def insert(self, record: JobRecord) -> None:
        """Add a new job."""
        with self._locked(), self._writing():
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
        """The job `job_id`, or None; JobUnreadable when its row is damaged."""
        with self._locked():
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        record = self._readable(row)
        if record is None:
            raise JobUnreadable(job_id)
        return record

    def list(self, status: str | None, limit: int, offset: int) -> tuple[list[JobRecord], int, int]:
        """Jobs newest first, optionally of one status: (one page, total matching, rows of the page
        that could not be read and were left out)."""
        where, args = ("WHERE status = ?", (status,)) if status else ("", ())
        with self._locked():
            total = self._db.execute(f"SELECT COUNT(*) FROM jobs {where}", args).fetchone()[0]
            rows = self._db.execute(
                f"SELECT * FROM jobs {where} ORDER BY seq DESC LIMIT ? OFFSET ?", (*args, limit, offset)
            ).fetchall()
        records = [self._readable(row) for row in rows]
        readable = [record for record in records if record is not None]
        return readable, total, len(records) - len(readable)

    def _readable(self, row: sqlite3.Row) -> JobRecord | None:
        """The row as a record, or None (logged once per row) when it cannot be read."""
        try:
            if UNREADABLE in tuple(row):
                raise ValueError("a text column is not UTF-8")
            return read_record(row)
        except (ValueError, TypeError, KeyError) as error:
            job_id = row["id"] if isinstance(row["id"], str) else f"at seq {row['seq']}"
            if job_id not in self._unreadable:
                self._unreadable.add(job_id)
                log.warning(
                    "netplay: job %s in %s cannot be read (%s): it is left out", job_id, self.path, error
                )
            return None

    def count(self, address: str | None = None, client: str | None = None) -> int:
        """How many jobs are stored (created from `address`, and by the page `client`, when given)."""
        where, args = _owned(address, client)
        with self._locked():
            return self._db.execute(f"SELECT COUNT(*) FROM jobs WHERE {where}", args).fetchone()[0]

    def held(self, address: str | None = None, client: str | None = None) -> list[tuple[str, str, bool]]:
        """(id, status, marked keep) of every stored job (of `address` and `client`, when given)."""
        where, args = _owned(address, client)
        query = f"SELECT id, status, {KEPT_SQL} FROM jobs WHERE {where}"
        with self._locked():
            rows = self._db.execute(query, args).fetchall()
        return [(row[0], row[1], bool(row[2])) for row in rows if UNREADABLE not in tuple(row)]

    def update(self, job_id: str, **changes: Any) -> None:
        """Change some of a job's columns (`UPDATABLE`); `updated` is set to now."""
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        values = [json.dumps(v) if k in JSON_FIELDS else v for k, v in changes.items()]
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self._locked(), self._writing():
            self._db.execute(
                f"UPDATE jobs SET {assignments}, updated = ? WHERE id = ?", (*values, time.time(), job_id)
            )

    def save_state(
        self, job_id: str, progress: dict[str, Any], history_json: str, checkpoint: str | None
    ) -> None:
        """Write a job's latest progress, its metric history and the checkpoint of the same step (both
        already JSON; None: keep the stored checkpoint) in one transaction."""
        progress_json = json.dumps(progress)
        with self._locked(), self._writing(), self._db:
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
        with self._locked(), self._writing(), self._db:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM checkpoints WHERE job_id = ?", (job_id,))
            self._db.execute(
                "UPDATE jobs SET spec = ?, trainer = ?, progress = '{}', history = '[]', error = NULL, "
                "stop_reason = NULL, updated = ? WHERE id = ?",
                (json.dumps(spec), json.dumps(trainer), time.time(), job_id),
            )

    def owner_hash(self, job_id: str) -> str | None:
        """The job's owner hash alone (a damaged row's may still be read); "" when it cannot be read:
        then only the teacher may change the job."""
        with self._locked():
            row = self._db.execute("SELECT owner_hash FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        return "" if row[0] is UNREADABLE else row[0]

    def history(self, job_id: str) -> list[dict[str, Any]]:
        """A job's stored metric history, oldest first."""
        with self._locked():
            row = self._db.execute("SELECT history FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return []
        history = read_json(row[0], None)
        if not isinstance(history, list):
            raise JobUnreadable(job_id)
        return history

    def checkpoint(self, job_id: str) -> str | None:
        """The job's latest checkpoint as the JSON text it was saved as (app.jobs.protocol), or None."""
        with self._locked():
            row = self._db.execute("SELECT state FROM checkpoints WHERE job_id = ?", (job_id,)).fetchone()
        if row is not None and row[0] is UNREADABLE:
            raise JobUnreadable(job_id)
        return row[0] if row is not None else None

    def delete(self, job_id: str) -> None:
        """Remove a job, its history and its checkpoint."""
        with self._locked(), self._writing():
            self._db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def ready_job(self, name: str) -> str | None:
        """The id of the job that is the server's ready net `name` (app.ready), None when there is none
        (never made, or deleted: deleting the job forgets it)."""
        with self._locked():
            row = self._db.execute("SELECT job_id FROM ready_jobs WHERE name = ?", (name,)).fetchone()
        return row["job_id"] if row is not None else None

    def set_ready_job(self, name: str, job_id: str) -> None:
        """Make the stored job `job_id` the ready net `name`."""
        with self._locked(), self._writing():
            self._db.execute("INSERT OR REPLACE INTO ready_jobs (name, job_id) VALUES (?, ?)", (name, job_id))

    def add_upload(self, file: str, owner_hash: str) -> None:
        """Remember who uploaded `file` (the hash of its owner token)."""
        with self._locked(), self._writing():
            self._db.execute(
                "INSERT OR REPLACE INTO uploads (file, created, owner_hash) VALUES (?, ?, ?)",
                (file, time.time(), owner_hash),
            )

    def upload_owner(self, file: str) -> str | None:
        """The owner hash of an upload (None: uploaded before owners existed, or unknown)."""
        with self._locked():
            row = self._db.execute("SELECT owner_hash FROM uploads WHERE file = ?", (file,)).fetchone()
        return row[0] if row is not None else None

    def remove_upload(self, file: str) -> None:
        """Forget an upload's owner (its file was deleted)."""
        with self._locked(), self._writing():
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
        not_kept = f"{KEPT_SQL} = 0 AND {owned}"
        queries = (
            f"SELECT id FROM jobs WHERE status IN {FINISHED_SQL} AND {not_kept} ORDER BY updated, seq",
            f"SELECT id FROM jobs WHERE status IN ('paused', 'interrupted') AND {not_kept} "
            "ORDER BY updated, seq",
        )
        with self._locked():
            for query in queries:
                for (job_id,) in self._db.execute(query, args):
                    if len(chosen) == count:
                        return chosen
                    if job_id not in spared and job_id is not UNREADABLE:
                        chosen.append(job_id)
        return chosen

    def unfinished_using(self, file: str) -> list[str]:
        """Ids of the jobs not finished whose dataset reads the upload `file`, oldest first."""
        with self._locked():
            unfinished = f"SELECT id, spec FROM jobs WHERE status NOT IN {FINISHED_SQL}"
            rows = self._db.execute(f"{unfinished} AND instr(spec, ?) ORDER BY seq", (file,)).fetchall()
        uses = ("file", "images", "labels")
        datasets = {row[0]: read_json(row[1], {}).get("dataset", {}) for row in rows}
        return [job_id for job_id, data in datasets.items() if file in (data.get(key) for key in uses)]

    def ids_with_status(self, status: str) -> list[str]:
        """Ids of the jobs in `status`, oldest first."""
        with self._locked():
            rows = self._db.execute("SELECT id FROM jobs WHERE status = ? ORDER BY seq", (status,))
            return [row[0] for row in rows if row[0] is not UNREADABLE]


def _owned(address: str | None, client: str | None) -> tuple[str, tuple[str, ...]]:
    """An SQL condition (and its arguments) for the jobs created from `address` by the page `client`
    (either None: any)."""
    conditions = [(column, value) for column, value in (("address", address), ("client", client)) if value]
    where = " AND ".join(f"{column} = ?" for column, _ in conditions) or "1"
    return where, tuple(value for _, value in conditions)

"""The database file before the server starts, and what its write errors mean.

`check_database` looks at the file once, before anything is served: SQLite must read it and find it
whole (``PRAGMA quick_check``), and must be able to write it. A damaged file, or one the server may not
write (its permissions, or a read-only folder), stops ``netplay serve`` with one line that names it
(exit 2); the file is left exactly as it was. A full (or failing) disk does not: the server starts
read-only and says why (it can show every job; nothing can be created or changed until there is room
again and the server restarts).

`unwritable` reads a failed write: the disk is full, the file cannot be written, or the disk failed it.
Each raises `StoreUnwritable` (its message says which), which the API answers with 507.
`is_damage` tells a file damaged while the server runs (SQLite finds it malformed, or not a database at
all); the store then raises `StoreDamaged`, which the API answers with 503.
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3
from pathlib import Path
from typing import NamedTuple

NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class DatabaseDamaged(Exception):
    """The database file exists but SQLite cannot read it as a whole netplay database."""


class DatabaseReadOnly(Exception):
    """The server may not write the database file (or the folder it is in)."""


class DatabaseCheck(NamedTuple):
    """What `check_database` found: a note to show at start, and whether to serve read-only."""

    note: str | None
    read_only: bool = False


class StoreUnwritable(Exception):
    """Nothing can be saved now (the disk is full, or the server started read-only); the message says
    why and what to do. Answered with 507."""


def check_database(path: Path) -> DatabaseCheck:
    """Look at the database before the server starts: a note to show (it starts with no jobs, or read-
    only on a full disk) and whether to serve read-only. DatabaseDamaged when SQLite cannot read it or
    finds it damaged, DatabaseReadOnly when it may not be written; the file is left exactly as it is."""
    if not path.exists() or path.stat().st_size == 0:
        what = "no database" if not path.exists() else "an empty database file"
        return DatabaseCheck(f"{what} at {path}: starting with no jobs")
    try:
        # as a URI (to open it read-only): its path quoted, so "%", "?" or "#" in a folder's name hold
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            problems = [row[0] for row in db.execute("PRAGMA quick_check(3)")]
            if problems != ["ok"]:
                raise sqlite3.DatabaseError(f"quick_check: {'; '.join(problems)}")
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "jobs" in tables:
                db.execute("SELECT COUNT(*) FROM jobs").fetchone()
    except sqlite3.DatabaseError as error:
        detail = " ".join(str(error).split())  # one line, whatever SQLite said
        raise DatabaseDamaged(
            f"the database {path} cannot be read ({detail}); it was left untouched: move it aside or restore "
            "a copy, and start again"
        ) from None
    return _check_writable(path)


def _check_writable(path: Path) -> DatabaseCheck:
    """Write to the file a value it already holds (its user_version), as every later write will."""
    try:
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            db.execute(f"PRAGMA user_version = {int(version)}")
    except (sqlite3.DatabaseError, OSError) as error:
        reason = unwritable(error)
        if reason in ("full", "io"):
            why = "is full" if reason == "full" else f"refused a write ({error})"
            note = (
                f"the disk holding {path} {why}: serving read-only (every job can be seen; nothing "
                "can be created or changed until there is room and the server restarts)"
            )
            return DatabaseCheck(note, read_only=True)
        raise DatabaseReadOnly(
            f"the database {path} cannot be written ({error}): give the server write access to it "
            "and to its folder, and start again"
        ) from None
    return DatabaseCheck(None)


class StoreDamaged(StoreUnwritable):
    """The database file was damaged while the server ran: nothing can be read from it or saved to it
    until it is restored (running jobs keep their state in memory, as on a full disk). Answered with
    503."""


def is_damage(error: sqlite3.Error) -> bool:
    """Whether SQLite's `error` says the file is damaged (malformed, or no longer a database)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def unwritable(error: sqlite3.Error | OSError) -> str | None:
    """Why a write failed: "full" (no room on the disk), "read-only" (the file or its folder may not
    be written), "io" (the disk failed the write); None for any other error."""
    if isinstance(error, OSError):
        return "full" if error.errno in NO_ROOM else None
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:
        return None
    primary = code & 0xFF
    if primary == sqlite3.SQLITE_FULL:
        return "full"
    if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        return "read-only"
    return "io" if primary == sqlite3.SQLITE_IOERR else None

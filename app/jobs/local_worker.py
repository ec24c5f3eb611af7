"""A pool worker as a process on this machine (app.jobs.pool): the same `PoolWorker` turns as a Ray actor.

The process has two threads, as an actor has two concurrency groups (app.jobs.ray_worker): a receiving
thread reads the server's commands from the pipe, builds each data set as its ``dataset`` command
arrives (app.jobs.worker_data) and puts every command in an inbox in order (app.jobs.inbox); the main
thread takes the worker's turns over that inbox and sends what they say down the same pipe. Uploaded
files are read from the server's uploads folder: the process shares the server's disk.
"""

from __future__ import annotations

import itertools
import threading
from multiprocessing.connection import Connection
from pathlib import Path

from app.jobs.inbox import NumberedInbox
from app.jobs.pool_worker import PoolWorker
from app.jobs.worker_data import DatasetBuilder


def worker_main(conn: Connection, uploads_dir: str) -> None:
    """Process entry point: serve commands until the server closes the connection."""
    inbox = NumberedInbox()
    builder = DatasetBuilder(Path(uploads_dir))
    receiving = threading.Thread(target=receive, args=(conn, inbox, builder), name="netplay-receive")
    receiving.daemon = True
    receiving.start()
    try:
        PoolWorker(conn.send).serve(inbox)
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        pass  # the server is gone (or stopping): nobody is left to tell
    finally:
        conn.close()


def receive(conn: Connection, inbox: NumberedInbox, builder: DatasetBuilder) -> None:
    """Put every command from the server in the inbox, data sets built, until the pipe ends."""
    try:
        for seq in itertools.count():
            inbox.put(seq, builder.receive(conn.recv()))
    except (EOFError, OSError):
        pass  # the server is gone (or stopping)
    finally:  # the turns end too, even after a command that could not be read: the worker is replaced
        inbox.close()

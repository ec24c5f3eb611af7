"""A real netplay server for the benchmarks, and what they read off it.

`server()` starts ``netplay serve`` on a free loopback port with a throwaway data dir and the teacher's
token `TEACHER` (its requests send `AS_TEACHER` to change any job); `workers("ray")` first starts a
local 3-node Ray cluster for it to train on (app.jobs.ray_local) and names each node's processes;
`tree_rss` and
`tree_cpu_seconds` sum the resident memory and the CPU time of the server and its processes (fork
server, workers); `frame_type` reads a binary
frame's kind without decoding its arrays; `ws_url` is a job's stream address.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TEACHER = "benchmark-teacher"
AS_TEACHER = {"authorization": f"Bearer {TEACHER}"}


@contextlib.contextmanager
def server(**environment: str) -> Iterator[tuple[str, int]]:
    """A fresh ``netplay serve`` on a free port: (its URL, its pid). What it says on stderr goes to a
    file, shown only if it fails to start."""
    with tempfile.TemporaryDirectory() as data_dir, (Path(data_dir) / "stderr.txt").open("w+") as errors:
        env = {**os.environ, "NETPLAY_ADMIN_TOKEN": TEACHER, **environment}
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "--data-dir", data_dir, "serve", "--port", "0"],
            stdout=subprocess.PIPE, stderr=errors, text=True, env=env,
        )  # fmt: skip
        try:
            match = re.search(r"open (http://\S+)/", process.stdout.readline())
            if match is None:
                errors.seek(0)
                raise RuntimeError(f"the server printed no URL: {errors.read()}")
            yield match.group(1), process.pid
        finally:
            process.terminate()
            process.wait(timeout=30)
            process.stdout.close()


@dataclass(frozen=True)
class Workers:
    """Where a server's jobs train: the server's environment for it, and the root process of each node
    (its raylet, whose descendants are the node's Ray agents and worker actors); none for the local pool."""

    environment: dict[str, str]
    node_pids: list[int]


@contextlib.contextmanager
def workers(executor: str) -> Iterator[Workers]:
    """The local pool (nothing to start), or for ``ray`` a local 3-node cluster with 1 CPU each."""
    if executor == "local":
        yield Workers({}, [])
        return
    from app.jobs.ray_local import local_cluster

    with local_cluster(nodes=3, cpus_per_node=1) as cluster:
        nodes = [cluster.head_node, *cluster.worker_nodes]
        pids = [node.all_processes["raylet"][0].process.pid for node in nodes]
        yield Workers({"NETPLAY_EXECUTOR": "ray", "NETPLAY_RAY_ADDRESS": cluster.address}, pids)


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants (the fork server and the workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and all its descendants."""
    total = 0
    for current in tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system) used so far by the process `pid` (0 once it is gone)."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return 0.0


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by `pid` and its living descendants."""
    return sum(cpu_seconds(current) for current in tree(pid))


def frame_type(data: bytes) -> str:
    """The ``type`` in a binary frame's header, without decoding its arrays."""
    (length,) = struct.unpack_from("<I", data, 4)
    return json.loads(data[8 : 8 + length])["type"]


def ws_url(url: str, job_id: str, kinds: str | None) -> str:
    query = f"?kinds={kinds}" if kinds is not None else ""
    return url.replace("http", "ws") + f"/api/jobs/{job_id}/stream{query}"

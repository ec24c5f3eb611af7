"""Where a server's time goes: py-spy samples of the server and its workers, summed up per process.

`record` samples a process tree with py-spy (``pip install py-spy``; it needs the right to trace the
server, which root or the server's own user has) into its raw (collapsed-stack) format; `summarise`
reads that file and returns, for the server process and for the workers together, the share of samples
each function takes itself ("self") and with everything it calls ("inclusive"). Samples of threads
waiting in a known idle call are left out by py-spy, so shares are of the time the processes were
busy (or blocked in a call py-spy does not know as idle, such as a pipe's read or write).
"""

from __future__ import annotations

import asyncio
import collections
import re
from dataclasses import dataclass, field
from pathlib import Path

RATE = 97  # samples per second: off the round numbers other periodic work runs at
LINE = re.compile(r"^(?P<stack>.*) (?P<count>\d+)$")


async def record(pid: int, seconds: float, output: Path) -> None:
    """Sample `pid` and its descendants for `seconds` into `output` (py-spy's raw format)."""
    process = await asyncio.create_subprocess_exec(
        "py-spy", "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--format", "raw",
        "--rate", str(RATE), "--duration", str(max(1, round(seconds))), "--output", str(output),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, errors = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"py-spy failed: {errors.decode(errors='replace').strip()[-400:]}")


@dataclass
class Profile:
    """One process role's samples: how many, and per function the samples in it."""

    samples: int = 0
    own: collections.Counter = field(default_factory=collections.Counter)
    inclusive: collections.Counter = field(default_factory=collections.Counter)

    def top(self, which: str, count: int, within: tuple[str, ...] = ()) -> list[tuple[str, float]]:
        """The `count` functions with the largest share (0..1) of `which` ("own" or "inclusive")
        samples, optionally only those whose file path starts with one of `within`."""
        counter: collections.Counter = getattr(self, which)
        shown = [
            (name, samples / self.samples)
            for name, samples in counter.most_common()
            if not within or _file_of(name).startswith(within)
        ]
        return shown[:count]


def _file_of(frame: str) -> str:
    match = re.search(r"\((?P<file>[^()]*)\)$", frame)
    return match.group("file") if match else ""


def _role(process_frames: list[str]) -> str:
    """ "server" for the server's own process, "workers" for processes forked by its fork server."""
    return "workers" if len(process_frames) > 2 else "server"


def summarise(path: Path) -> dict[str, Profile]:
    """The raw file of `record` -> {"server": Profile, "workers": Profile} (the fork server, which
    only waits, is counted with neither)."""
    profiles = {"server": Profile(), "workers": Profile()}
    for line in path.read_text().splitlines():
        match = LINE.match(line)
        if match is None:
            continue
        frames = match["stack"].split(";")
        processes = [frame for frame in frames if frame.startswith("process ")]
        code = [
            re.sub(r":\d+\)$", ")", frame)
            for frame in frames
            if not frame.startswith(("process ", "thread "))
        ]
        if len(processes) == 2 or not code:
            continue  # the fork server
        profile = profiles[_role(processes)]
        count = int(match["count"])
        profile.samples += count
        profile.own[code[-1]] += count
        for name in set(code):
            profile.inclusive[name] += count
    return profiles


def print_profiles(profiles: dict[str, Profile], students: int, count: int = 12) -> None:
    """Markdown lists of the top entries of each role."""
    for role, profile in profiles.items():
        if not profile.samples:
            continue
        print(f"\nProfile, {students} students, {role} ({profile.samples} samples at {RATE}/s):\n")
        print("| inclusive (app/ and engine/ only) | share | self | share |")
        print("|---|---:|---|---:|")
        inclusive = profile.top("inclusive", count, within=("app/", "engine/"))
        own = profile.top("own", count)
        for (inc_name, inc_share), (own_name, own_share) in zip(inclusive, own, strict=False):
            print(f"| `{inc_name}` | {100 * inc_share:.1f}% | `{own_name}` | {100 * own_share:.1f}% |")

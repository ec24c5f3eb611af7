"""The uploads folder: its total quota while files stream in, its listing, and who may delete a file.

Every upload counts against `NETPLAY_MAX_UPLOADS_BYTES` (files kept plus files arriving now), checked
chunk by chunk as a file streams in, so a full folder refuses the byte past the quota rather than
after the whole file landed. Uploading answers with an owner token (the store keeps its hash, as for
jobs): deleting the file needs it or the teacher's token. A file a job not yet finished trains on
cannot be deleted (its job could not resume).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path


class QuotaFull(Exception):
    """The uploads folder would go past its quota; the message says how full it is."""


@dataclass(frozen=True)
class StoredUpload:
    """One file of the uploads folder."""

    file: str
    size: int
    created: float  # seconds since the epoch


class UploadSpace:
    """The bytes the uploads folder holds and the ones arriving, against one quota."""

    def __init__(self, folder: Path, quota: int) -> None:
        self.folder, self.quota = folder, quota
        self._arriving: dict[Path, int] = {}
        self._lock = threading.Lock()

    def files(self) -> list[StoredUpload]:
        """The complete files, oldest first (a file still arriving is not one yet)."""
        if not self.folder.is_dir():
            return []
        with self._lock:
            arriving = set(self._arriving)
        found = []
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if entry.is_file() and Path(entry.path) not in arriving:
                    stat = entry.stat()
                    found.append(StoredUpload(entry.name, stat.st_size, stat.st_mtime))
        return sorted(found, key=lambda upload: (upload.created, upload.file))

    def used(self) -> int:
        """Bytes of the complete files and of the ones arriving."""
        with self._lock:
            arriving = sum(self._arriving.values())
        return sum(upload.size for upload in self.files()) + arriving

    def grow(self, path: Path, size: int) -> None:
        """`path`, arriving, now holds `size` bytes; QuotaFull if the folder would go past the quota
        (the caller deletes the partial file and calls `done`)."""
        kept = sum(upload.size for upload in self.files())
        with self._lock:
            others = sum(count for arriving, count in self._arriving.items() if arriving != path)
            if kept + others + size > self.quota:
                raise QuotaFull(
                    f"the uploads folder is full ({kept + others:,} of {self.quota:,} bytes used): "
                    "delete an upload first (DELETE /api/datasets/uploads/{file})"
                )
            self._arriving[path] = size

    def done(self, path: Path) -> None:
        """`path` has arrived (or was refused): it counts as a file of the folder, if it is still there."""
        with self._lock:
            self._arriving.pop(path, None)

    def path_of(self, file: str) -> Path | None:
        """The complete file of that name in the folder, or None (a name with a path in it never matches)."""
        if file != Path(file).name or file in ("", ".", ".."):
            return None
        path = self.folder / file
        with self._lock:
            arriving = path in self._arriving
        return path if path.is_file() and not arriving else None

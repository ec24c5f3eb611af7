"""A worker's data sets, built where the worker runs from the ``dataset`` command's spec.

No built data set crosses the executor (app.jobs.protocol): the server sends a set's spec, with the
uploaded files it reads as ``{name: bytes}`` when the worker is on another machine, and the worker's
receiving thread builds it as the command arrives (app.jobs.inbox), through the engine's own caches
(digits and MNIST are parsed once per machine and mapped from disk, engine.datasets.bundled; each spec
then only splits them: MNIST with crops in ~30 ms). The worker's turns get ``{"op": "dataset", "key",
"data"}``: the built set, or the error that stopped it, with which every job placed on it then fails.
"""

from __future__ import annotations

from pathlib import Path

from app.jobs.protocol import Command
from engine.datasets import Dataset, make_dataset_from_spec


class DatasetBuilder:
    """Builds the data sets of a worker whose uploaded files are (or are written) in `uploads_dir`."""

    def __init__(self, uploads_dir: Path) -> None:
        self.uploads_dir = uploads_dir

    def receive(self, command: Command) -> Command:
        """`command` as the worker's turns take it: a ``dataset`` command with its set built."""
        if command["op"] != "dataset":
            return command
        return {"op": "dataset", "key": command["key"], "data": self.build(command["spec"], command["files"])}

    def build(self, spec: dict, files: dict[str, bytes]) -> Dataset | Exception:
        """The data set `spec` names, `files` written to the uploads folder first and deleted once it is
        built (the set holds what it read; a later set of theirs brings them again); the error when it
        cannot be built (a file gone, a package missing on this machine)."""
        written = [self.uploads_dir / Path(name).name for name in files]
        try:
            for path, content in zip(written, files.values(), strict=True):
                path.write_bytes(content)
            return make_dataset_from_spec(spec, data_dir=self.uploads_dir)
        except Exception as error:  # PoolWorker fails each job placed on it with this
            return error
        finally:
            for path in written:
                path.unlink(missing_ok=True)

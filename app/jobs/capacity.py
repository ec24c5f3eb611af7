"""How much a running job costs a worker in memory, and how much the pool may use.

`max_running_jobs` caps how many jobs train at once; the memory budget caps them too, so a small
machine queues jobs instead of running out of memory: the jobs admitted to train never add up to more
than half the memory that was available when the server started.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.evaluation import EVAL_BATCH

BYTES_PER_VALUE = 4  # float32
FIXED_BYTES = 512 * 1024  # a job's Python objects, its frames and reports
BUDGET_SHARE = 0.5
MEMINFO = Path("/proc/meminfo")


def job_memory(num_parameters: int, values_per_example: int, batch_size: int, grid: int) -> int:
    """Bytes a job is estimated to hold on a worker: weights with their gradients, decay multipliers,
    optimizer state and a checkpoint copy; a training batch's activations and their gradients; an
    evaluation batch; the decision-boundary grid."""
    parameters = 7 * num_parameters
    activations = values_per_example * (2 * batch_size + EVAL_BATCH + grid * grid)
    return BYTES_PER_VALUE * (parameters + activations) + FIXED_BYTES


def memory_budget() -> int:
    """Bytes the running jobs may take in all: `BUDGET_SHARE` of the memory available now."""
    return int(BUDGET_SHARE * available_memory())


def available_memory() -> int:
    """Memory the system can give without swapping (Linux's MemAvailable; elsewhere, free pages)."""
    try:
        for line in MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")

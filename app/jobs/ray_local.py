"""A private Ray cluster of several nodes on this machine, on loopback: for the tests and benchmarks.

It avoids the pitfalls seen on these machines (notes in the README's cluster section): its own
``RAY_TMPDIR`` (Ray's `Cluster` writes the address other processes' ``ray.init()`` would attach to into
the temp directory), every address kept on loopback (Ray otherwise rewrites 127.0.0.1 to the host's
address and the driver may hang connecting), a small object store per node (Ray reserves 30% of the
memory otherwise; frames are small and short-lived), no dashboard, and health checks tuned so a lost
node is noticed within about 2 s instead of about 16 s.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

OBJECT_STORE_BYTES = 100 * 1024 * 1024
# Read by the head (its GCS): a node that misses 3 checks 500 ms apart is declared dead.
HEALTH_CHECKS = {
    "health_check_initial_delay_ms": 0,
    "health_check_period_ms": 500,
    "health_check_timeout_ms": 500,
    "health_check_failure_threshold": 3,
}
CHECKOUT = Path(__file__).resolve().parent.parent.parent


def node_args(cpus: int) -> dict[str, Any]:
    """`Cluster.add_node` arguments of a node with `cpus` CPUs, like the others."""
    return {"num_cpus": cpus, "object_store_memory": OBJECT_STORE_BYTES, "node_ip_address": "127.0.0.1"}


@contextmanager
def local_cluster(nodes: int = 3, cpus_per_node: int = 1) -> Iterator[Any]:
    """A `ray.cluster_utils.Cluster` of `nodes` nodes with `cpus_per_node` CPUs each, this process
    connected to it; everything is shut down and its temp directory removed on exit."""
    temp_dir = tempfile.mkdtemp(prefix="netplay-ray-")  # short: Ray's socket paths must fit 107 bytes
    changed = (
        "RAY_TMPDIR",
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER",
        "PYTHONPATH",
        "RAY_ADDRESS",
    )  # ray.init: the last
    saved = {name: os.environ.get(name) for name in changed}
    os.environ["RAY_TMPDIR"] = temp_dir
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # keeps every address on loopback
    # The workers import this checkout's code, as this process does (the nodes pass it on to them).
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT), saved["PYTHONPATH"]]))
    import ray
    from ray._private import ray_constants
    from ray.cluster_utils import Cluster

    # The variable is read when ray is imported: this process may have imported it before.
    rewrite_loopback, ray_constants.ENABLE_RAY_CLUSTER = ray_constants.ENABLE_RAY_CLUSTER, False

    head = {**node_args(cpus_per_node), "include_dashboard": False, "_system_config": HEALTH_CHECKS}
    cluster = Cluster(initialize_head=True, head_node_args=head)
    try:
        for _ in range(nodes - 1):
            cluster.add_node(**node_args(cpus_per_node))
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, log_to_driver=False, logging_level="WARNING")
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()
        ray_constants.ENABLE_RAY_CLUSTER = rewrite_loopback
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(temp_dir, ignore_errors=True)

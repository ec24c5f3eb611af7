"""Server settings: one validated object read from ``NETPLAY_*`` environment variables.

Every limit a job or an upload must respect lives here, so an operator can raise it for a bigger machine
(``NETPLAY_MAX_PARAMETERS=5000000``) and tests can lower it. The defaults suit a 2-core laptop or server.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.security import default_hosts


def _default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class Settings(BaseSettings):
    """Where the server listens, where it keeps its data, and what a job may ask for."""

    model_config = SettingsConfigDict(env_prefix="NETPLAY_", frozen=True)

    host: str = Field("127.0.0.1", description="Address to bind; 127.0.0.1 keeps the server local.")
    port: int = Field(8000, ge=0, le=65535)
    data_dir: Path = Field(Path("netplay-data"), description="SQLite database and uploaded datasets.")

    workers: int = Field(
        default_factory=_default_workers,
        ge=1,
        description="Worker processes training jobs, each many at once (default: the CPU count).",
    )
    executor: Literal["local", "ray"] = Field(
        "local",
        description="Where jobs train: local (worker processes on this machine) or ray (one worker actor "
        "per CPU of every node of a Ray cluster; needs the cluster extra). Nothing of Ray is imported "
        "unless ray is chosen.",
    )
    ray_address: str = Field(
        "auto",
        description="The Ray cluster to join with executor=ray: its GCS address (head:6379), or auto (the "
        "cluster `ray start` started on this machine). `netplay serve` exits at once when it is unreachable.",
    )
    ray_connect_seconds: float = Field(
        10.0, gt=0, description="How long `netplay serve` tries to join the Ray cluster before it gives up."
    )
    ray_jobs_per_node: int = Field(
        100,
        ge=1,
        description="With executor=ray, jobs one node trains at most; beyond that on every node, jobs "
        "queue (a job moved from a lost node may go past it).",
    )
    max_running_jobs: int = Field(
        200,
        ge=1,
        description="Jobs training at once; fewer when their estimated memory would pass half of the "
        "memory available when the server started. Beyond that, jobs queue.",
    )
    allowed_hosts: str = Field(
        "",
        description="Host names this server answers to, comma-separated (* for any); default: the "
        "loopback names and the bound address (bound to every interface: this machine's names and "
        "addresses). Other Host headers are refused, which defeats DNS rebinding.",
    )
    admin_token: str = Field(
        "",
        description="The teacher's token: it may change every job (empty: nobody but each job's owner).",
    )
    max_jobs_per_minute: int = Field(30, ge=1, description="Jobs one client may create in a minute.")
    max_live_jobs_per_client: int = Field(
        8,
        ge=1,
        description="Jobs one client may have queued or running at once (paused ones are free): the "
        "trainer comparison's seven and one more.",
    )
    clients_per_address: int = Field(
        60,
        ge=1,
        description="One address may use this many clients' limits (a class behind one school NAT).",
    )
    max_stored_jobs: int = Field(
        500,
        ge=1,
        description="Jobs the server keeps; past it, a new job first deletes finished jobs and then paused "
        "ones, oldest first (never one training, queued, watched or marked keep).",
    )
    max_stored_jobs_per_client: int = Field(
        50,
        ge=1,
        description="Jobs one client (a page, or an address: clients_per_address times this) keeps; past "
        "it, its own oldest finished or paused job makes room, so no client fills the store.",
    )
    max_layers: int = Field(40, ge=2, description="Layer definitions per net (before desugaring).")
    max_neurons: int = Field(2048, ge=1, description="Neurons of one fc layer, filters of one conv layer.")
    max_parameters: int = Field(2_000_000, ge=1)
    max_batch_size: int = Field(1024, ge=1)
    max_batch_values: int = Field(
        50_000_000,
        ge=1,
        description="batch_size x values every layer outputs per example (memory of a step).",
    )
    max_image_side: int = Field(64, ge=1, description="Largest width or height of an image input.")
    max_dataset_samples: int = Field(70_000, ge=1, description="Examples in one dataset after loading.")
    max_grid: int = Field(200, ge=8, description="Side of the streamed decision-boundary grid.")
    max_fps: float = Field(60.0, gt=0)
    max_steps: int = Field(10_000_000, ge=1, description="Training steps of one job.")
    max_job_seconds: float = Field(3600.0, gt=0, description="Training time of one job.")
    max_upload_bytes: int = Field(64 * 1024 * 1024, ge=1, description="Size of one uploaded file.")
    max_uploads_bytes: int = Field(
        1024 * 1024 * 1024, ge=1, description="Size of every upload kept, together (the uploads folder)."
    )
    body_timeout_seconds: float = Field(
        30.0, gt=0, description="A request body that stops arriving for this long is refused (408)."
    )
    body_deadline_seconds: float = Field(
        300.0,
        gt=0,
        description="A request body must arrive whole within this long, however it trickles (408): "
        "the largest upload at about 2 Mbit/s.",
    )
    head_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="A connection must send a whole request head (request line and headers) within this "
        "long of opening or of its last answer; else it is closed (408 when part of it came).",
    )
    max_connections: int = Field(
        1000,
        ge=1,
        description="Open connections (WebSockets included) of the whole server; past them a new one is "
        "answered 503 at once and closed. Fewer when the process may not open that many files (ulimit -n, "
        "raised at start as far as the hard limit allows; netplay serve says so).",
    )
    max_connections_per_address: int = Field(
        250,
        ge=1,
        description="Open connections and WebSockets of one address; past them, 429 at once, so no one "
        "address can take the server's max_connections (a class behind one NAT needs about 8 a student).",
    )
    trusted_proxies: str = Field(
        "",
        description="Addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are "
        "believed, comma-separated (default none: a client's address is its socket's peer, whatever "
        "its headers say). A proxy's own address is held to no connection share.",
    )
    checkpoint_seconds: float = Field(
        10.0,
        gt=0,
        description="How often a running job's latest checkpoint is written to the database (the server "
        "holds the newest one in memory, sent with every progress report).",
    )
    page_pause_when_unwatched: float = Field(
        30.0,
        gt=0,
        le=86_400,
        description="The pause_when_unwatched the pages give their jobs: seconds a job trains after its "
        "last tab closed.",
    )
    history_points: int = Field(2000, ge=10, description="Metric points kept per job (older ones thinned).")

    @property
    def host_allow_list(self) -> list[str]:
        """`allowed_hosts` as a list, or the default for the bound address."""
        given = [host.strip() for host in self.allowed_hosts.split(",") if host.strip()]
        return given or default_hosts(self.host)

    @property
    def trusted_proxy_list(self) -> list[str]:
        """`trusted_proxies` as a list."""
        return [address.strip() for address in self.trusted_proxies.split(",") if address.strip()]

    @property
    def database_path(self) -> Path:
        """The SQLite file holding every job."""
        return self.data_dir / "netplay.sqlite3"

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded dataset files are kept (the dataset loaders read them from here)."""
        return self.data_dir / "uploads"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()

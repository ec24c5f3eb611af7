"""The one catalogue of everything a job can train on, and the two calls the server makes on it.

`list_datasets` returns the JSON-able listing the server serves as it is; `make_dataset` validates a
name and its parameters (unknown names included) and builds the split `Dataset`. Sets that need an
optional package (the ``data`` extra) stay listed with ``available: False`` and an install hint.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.datasets.dataset import Dataset
from engine.datasets.entries import (
    INSTALL_HINT,
    Entry,
    bundled_entries,
    classification_entries,
    file_entries,
    generated_image_entries,
    painting_entries,
    regression_entries,
)
from engine.datasets.params import check_params
from engine.errors import SpecError

CATALOGUE: dict[str, Entry] = {
    entry.name: entry
    for entry in (
        *classification_entries(),
        *regression_entries(),
        *generated_image_entries(),
        *bundled_entries(),
        *file_entries(),
        *painting_entries(),
    )
}


def list_datasets() -> list[dict[str, Any]]:
    """The catalogue as JSON-able dicts (name, kind, source, description, availability, params)."""
    return [entry.describe() for entry in CATALOGUE.values()]


def get_entry(name: Any) -> Entry:
    """The catalogue entry called `name`, or SpecError naming ``name``."""
    if not isinstance(name, str) or name not in CATALOGUE:
        raise SpecError(f"name: unknown dataset {name!r} (known: {', '.join(CATALOGUE)})", ("name",))
    return CATALOGUE[name]


def make_dataset(name: str, /, *, data_dir: str | Path | None = None, **params: Any) -> Dataset:
    """Validate `params` for dataset `name` and build it. `data_dir` is where file sets are read from.

    Raises SpecError with the parameter's path for an unknown name or parameter and for a bad value,
    file or missing optional package.
    """
    return _build(name, params, data_dir)


def make_dataset_from_spec(spec: Mapping[str, Any], *, data_dir: str | Path | None = None) -> Dataset:
    """`make_dataset` for a job spec's ``dataset`` object: ``{"name": "rings", "noise": 0.1, ...}``.

    Use this for user input: every key but ``name`` is a dataset parameter, so a ``data_dir`` key is
    rejected as unknown rather than redirecting where files are read.
    """
    if not isinstance(spec, Mapping):
        raise SpecError(f"dataset must be an object with a 'name', got {spec!r}", ())
    if "name" not in spec:
        raise SpecError("name: is required", ("name",))
    params = {key: value for key, value in spec.items() if key != "name"}
    return _build(spec["name"], params, data_dir)


def _build(name: Any, params: Mapping[str, Any], data_dir: str | Path | None) -> Dataset:
    entry = get_entry(name)
    missing = entry.missing()
    if missing:
        raise SpecError(
            f"name: {name} needs {', '.join(missing)}, which is not installed: {INSTALL_HINT}", ("name",)
        )
    checked = check_params(entry.params, params)
    return entry.build(checked, Path(data_dir) if data_dir is not None else None)

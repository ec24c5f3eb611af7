"""REST routes for datasets: the catalogue, previews, and uploads of IDX, npz and zip files."""

from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, UploadFile, status
from starlette.concurrency import run_in_threadpool

from app.api.deps import AppSettings
from app.checks import SpecInvalid, load_dataset
from app.jobs.snapshot import dataset_view
from app.schemas import DatasetPreview, UploadOut
from app.settings import Settings
from app.visuals.images import display_image
from engine import SpecError
from engine.datasets import Dataset, check_idx_file, list_datasets

router = APIRouter(prefix="/api/datasets", tags=["datasets"])

PREVIEW_IMAGES = 16
CHUNK = 1 << 20


@router.get("")
def list_all_datasets() -> list[dict[str, Any]]:
    """The catalogue: every dataset with its kind, availability and parameter schema."""
    return list_datasets()


@router.get("/{name}/preview", response_model=DatasetPreview)
def preview_dataset(name: str, request: Request, settings: AppSettings) -> DatasetPreview:
    """The dataset built with the query's parameters (``?noise=0.2&n_samples=300``; JSON values are
    parsed, so ``features=["x1","x2","x1x2"]`` works): its points, or a few sample images."""
    params = {key: _query_value(value) for key, value in request.query_params.items()}
    try:
        data = load_dataset({**params, "name": name}, settings.uploads_dir)
    except SpecInvalid as error:
        field = error.loc[2:]  # load_dataset places it under ("body", "dataset"); here it is the URL's
        raise SpecInvalid(("path", "name") if field == ("name",) else ("query", *field), error.msg) from None
    return DatasetPreview(
        name=data.name,
        kind=data.kind,
        num_classes=data.num_classes,
        class_names=list(data.class_names),
        extent=list(data.extent) if data.extent is not None else None,
        input_shape=list(data.input_shape),
        sizes={"train": len(data.X_train), "val": len(data.X_val), "test": len(data.X_test)},
        points=dataset_view(data).get("points"),
        images=_images(data),
    )


def _query_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _images(data: Dataset) -> list[dict[str, Any]] | None:
    if data.kind != "image":
        return None
    shown = display_image(data, data.X_train[:PREVIEW_IMAGES])  # one call for the whole batch
    return [
        {
            "label": int(label),
            "shape": list(pixels.shape),
            "pixels": base64.b64encode(pixels.tobytes()).decode("ascii"),
        }
        for pixels, label in zip(shown, data.y_train[:PREVIEW_IMAGES], strict=True)
    ]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=UploadOut)
async def upload_dataset(file: UploadFile, settings: AppSettings) -> UploadOut:
    """Store an uploaded .npz, .zip (one folder per class) or IDX file (size-limited) and check that it
    loads; the answer has the dataset spec to put in a job."""
    name = _safe_name(file.filename or "upload")
    kind = _kind_of(name)
    target = settings.uploads_dir / f"{uuid.uuid4().hex[:8]}-{name}"
    settings.uploads_dir.mkdir(parents=True, exist_ok=True)
    size = 0
    with target.open("wb") as out:
        while chunk := await file.read(CHUNK):
            size += len(chunk)
            if size > settings.max_upload_bytes:
                out.close()
                target.unlink()
                raise SpecInvalid(
                    ("body", "file"), f"larger than the limit of {settings.max_upload_bytes:,} bytes"
                )
            out.write(chunk)
    spec = _dataset_spec(kind, target)
    try:  # decompressing and parsing can take seconds: off the event loop
        await run_in_threadpool(_check_upload, kind, spec, target, settings)
    except SpecInvalid as error:
        target.unlink()
        raise SpecInvalid(("body", "file"), error.msg) from None
    return UploadOut(file=target.name, size=size, dataset=spec)


def _check_upload(kind: str, spec: dict[str, Any], path: Path, settings: Settings) -> None:
    """Load the upload completely, as a job would (an IDX file: on its own, images or labels)."""
    if kind != "idx":
        load_dataset(spec, settings.uploads_dir)
        return
    role = "labels" if "labels" in spec else "images"
    try:
        check_idx_file(path.name, role, data_dir=settings.uploads_dir)
    except SpecError as error:
        raise SpecInvalid(("body", "file"), error.message) from None


def _safe_name(filename: str) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9._-]", "_", base)[-100:] or "upload"


def _kind_of(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".npz"):
        return "npz"
    if lower.endswith(".zip"):
        return "image_zip"
    if "ubyte" in lower or lower.endswith((".idx", ".gz")):
        return "idx"
    raise SpecInvalid(
        ("body", "file"), "must be a .npz, a .zip of class folders, or an IDX file (*-ubyte[.gz])"
    )


def _dataset_spec(kind: str, path: Any) -> dict[str, Any]:
    if kind == "idx":
        role = "labels" if "label" in path.name.lower() else "images"
        return {"name": "idx", role: path.name}
    return {"name": kind, "file": path.name}

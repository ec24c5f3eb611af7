"""REST routes for datasets: the catalogue, previews, and uploads of IDX, npz and zip files and of PNG or
JPEG pictures to paint (stored, listed and deleted; see app.uploads for the quota and who may delete)."""

from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, Response, Security, UploadFile, status
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from app.api.deps import AppSettings, Manager, bearer
from app.checks import SpecInvalid, load_dataset
from app.database import StoreUnwritable, unwritable
from app.errors import errors
from app.jobs.snapshot import dataset_view
from app.owners import Forbidden, may_change, new_owner_token
from app.schemas import DatasetPreview, UploadCreated, UploadList, UploadOut
from app.settings import Settings
from app.uploads import QuotaFull, StoredUpload, UploadSpace
from app.visuals.images import display_image
from engine import SpecError
from engine.datasets import IMAGE_KINDS, Dataset, check_idx_file, list_datasets

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
    parsed, so ``features=["x1","x2","x1x2"]`` works): its points, a few sample images, or the picture a
    painting set paints (the original a painting page draws beside the net's)."""
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
        picture=_picture(data),
    )


def _query_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _images(data: Dataset) -> list[dict[str, Any]] | None:
    if data.kind not in IMAGE_KINDS:
        return None
    shown = display_image(data, data.X_train[:PREVIEW_IMAGES])  # one call for the whole batch
    labels = data.labels[0] if data.labels is not None else data.y_train
    return [
        {
            "label": int(label),
            "shape": list(pixels.shape),
            "pixels": base64.b64encode(pixels.tobytes()).decode("ascii"),
        }
        for pixels, label in zip(shown, labels[:PREVIEW_IMAGES], strict=True)
    ]


def _picture(data: Dataset) -> dict[str, Any] | None:
    if data.picture is None:
        return None
    return {
        "shape": list(data.picture.shape),
        "pixels": base64.b64encode(data.picture.tobytes()).decode("ascii"),
    }


@router.post("", status_code=status.HTTP_201_CREATED, response_model=UploadCreated, responses=errors(422))
async def upload_dataset(
    file: UploadFile, request: Request, settings: AppSettings, manager: Manager
) -> UploadCreated:
    """Store an uploaded .npz, .zip (one folder per class), IDX file or .png/.jpg picture (a painting)
    and check that it loads; the answer has the dataset spec to put in a job, and the owner token that
    deletes the file. Refused (422 on ``file``) past `NETPLAY_MAX_UPLOAD_BYTES` or when the uploads
    folder would go past `NETPLAY_MAX_UPLOADS_BYTES`."""
    name = _safe_name(file.filename or "upload")
    kind = _kind_of(name)
    space: UploadSpace = request.app.state.uploads
    target = settings.uploads_dir / f"{uuid.uuid4().hex[:8]}-{name}"
    try:
        settings.uploads_dir.mkdir(parents=True, exist_ok=True)
        size = await _receive(file, target, space, settings.max_upload_bytes)
        spec = _dataset_spec(kind, target)
        # decompressing and parsing can take seconds: off the event loop
        await run_in_threadpool(_check_upload, kind, spec, target, settings)
    except SpecInvalid as error:
        target.unlink(missing_ok=True)
        raise SpecInvalid(("body", "file"), error.msg) from None
    except OSError as error:
        target.unlink(missing_ok=True)
        if unwritable(error) != "full":
            raise
        raise StoreUnwritable(
            f"the upload could not be saved: the disk holding {settings.uploads_dir} is full; nothing "
            "was kept"
        ) from None
    except BaseException:  # a cancelled request: no partial file stays behind
        target.unlink(missing_ok=True)
        raise
    finally:
        space.done(target)
    token, owner_hash = new_owner_token()
    try:
        await run_in_threadpool(manager.store.add_upload, target.name, owner_hash)
    except StoreUnwritable:
        target.unlink(missing_ok=True)  # a file nobody could delete is not kept
        raise
    return UploadCreated(
        file=target.name, size=size, created=target.stat().st_mtime, dataset=spec, owner_token=token
    )


async def _receive(file: UploadFile, target: Path, space: UploadSpace, limit: int) -> int:
    """Copy the upload to `target` chunk by chunk, within the file limit and the folder's quota; its size."""
    size = 0
    with target.open("wb") as out:
        while chunk := await file.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise SpecInvalid(("body", "file"), f"larger than the limit of {limit:,} bytes")
            try:
                space.grow(target, size)
            except QuotaFull as error:
                raise SpecInvalid(("body", "file"), str(error)) from None
            out.write(chunk)
    return size


@router.get("/uploads", response_model=UploadList)
def list_uploads(request: Request) -> UploadList:
    """Every upload kept, oldest first, with the dataset spec that uses it and the folder's quota."""
    space: UploadSpace = request.app.state.uploads
    files = [upload for upload in space.files() if _kind(upload.file) is not None]
    return UploadList(
        items=[_upload_out(upload) for upload in files],
        used=sum(upload.size for upload in files),
        limit=space.quota,
    )


@router.delete("/uploads/{file}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(403, 404, 409))
def delete_upload(
    file: str,
    request: Request,
    settings: AppSettings,
    manager: Manager,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Response:
    """Delete an upload: it needs the token its upload answered with, or the teacher's. A file that a
    job not yet finished reads is kept (409 names the jobs)."""
    path = request.app.state.uploads.path_of(file)
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no upload named '{file}'")
    token = credentials.credentials if credentials is not None else None
    if not may_change(manager.store.upload_owner(file), token, settings.admin_token):
        given = "this token is not its owner's" if token is not None else "no token was given"
        raise Forbidden(
            f"upload '{file}' can only be deleted by whoever uploaded it, or the teacher: {given} "
            "(send Authorization: Bearer <owner token>)"
        )
    users = manager.store.unfinished_using(file)
    if users:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"upload '{file}' is the data of jobs not finished ({', '.join(users)}): "
            "stop or delete them first",
        )
    path.unlink(missing_ok=True)
    manager.store.remove_upload(file)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _upload_out(upload: StoredUpload) -> UploadOut:
    spec = _dataset_spec(_kind_of(upload.file), Path(upload.file))  # the listing keeps known kinds
    return UploadOut(file=upload.file, size=upload.size, created=upload.created, dataset=spec)


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
    kind = _kind(name)
    if kind is None:
        raise SpecInvalid(
            ("body", "file"),
            "must be a .npz, a .zip of class folders, an IDX file (*-ubyte[.gz]), or a .png/.jpg picture",
        )
    return kind


def _kind(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(".npz"):
        return "npz"
    if lower.endswith(".zip"):
        return "image_zip"
    if lower.endswith((".png", ".jpg", ".jpeg")):
        return "painting"
    if "ubyte" in lower or lower.endswith((".idx", ".gz")):
        return "idx"
    return None


def _dataset_spec(kind: str, path: Any) -> dict[str, Any]:
    if kind == "idx":
        role = "labels" if "label" in path.name.lower() else "images"
        return {"name": "idx", role: path.name}
    return {"name": kind, "file": path.name}

"""A job's net outside training: download it, or run it on new inputs.

A job with a live worker answers from the worker's own net, so a prediction always uses the newest
weights without copying them; any other job's net is rebuilt from its last checkpoint (or its spec's
initial weights when it never trained) and kept in a small cache.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from typing import Any

import numpy as np

from app.checks import SpecInvalid
from app.jobs.manager import JobManager
from app.jobs.runs import initial_net
from app.predict import prepare_inputs
from app.schemas import PredictOut, PredictRequest
from app.spec import JobSpec
from engine import Net

CACHED_NETS = 16
_nets: OrderedDict[tuple[str, str], tuple[int, Net]] = OrderedDict()


def job_model(manager: JobManager, job_id: str) -> dict[str, Any]:
    """The job's net with its newest weights, in the netplay.net format."""
    checkpoint = manager.fresh_checkpoint(job_id)
    if checkpoint is not None:
        return json.loads(checkpoint)["model"]
    return initial_net(JobSpec.model_validate(manager.get(job_id).spec)).to_json()


def predict(manager: JobManager, job_id: str, request: PredictRequest) -> PredictOut:
    """Outputs of the job's current net for the request's points or images; the same answer, or the
    same refusal, whatever the job's state."""
    record = manager.get(job_id)
    data = manager.dataset(job_id)
    inputs = prepare_inputs(data, request)
    answer = manager.ask_worker(job_id, {"op": "predict", "inputs": inputs})
    if answer is None:
        step, net = _stored_net(manager, job_id, JobSpec.model_validate(record.spec))
        answer = {"step": step, "outputs": net.forward(inputs)}
    elif "error" in answer:  # the worker's net refused the inputs, as the stored net would have
        raise SpecInvalid(("body",), answer["error"])
    outputs = np.asarray(answer["outputs"], dtype=np.float64)
    predicted = outputs.argmax(axis=1).tolist() if len(outputs) else []
    return PredictOut(
        step=answer["step"],
        outputs=outputs.tolist(),
        predicted=predicted if data.is_classification else None,
        class_names=list(data.class_names),
    )


def _stored_net(manager: JobManager, job_id: str, spec: JobSpec) -> tuple[int, Net]:
    """The job's stored net and its step. Cached by a digest of what its weights come from (the saved
    checkpoint's text, or the spec's layers and seed), not by step: after a reset, step 0 (or any step
    a new run reaches again) holds other weights."""
    checkpoint = manager.stored_checkpoint(job_id)
    source = (
        checkpoint
        if checkpoint is not None
        else json.dumps(spec.model_dump(include={"layers", "model", "seed"}))
    )
    key = (job_id, hashlib.blake2b(source.encode(), digest_size=16).hexdigest())
    if key not in _nets:
        saved = json.loads(checkpoint) if checkpoint is not None else None
        net = Net.from_json(saved["model"]) if saved is not None else initial_net(spec)
        _nets[key] = (saved["step"] if saved is not None else 0, net)
        while len(_nets) > CACHED_NETS:
            _nets.popitem(last=False)
    _nets.move_to_end(key)
    return _nets[key]
